"""Glue job "features": curated_telemetry, as of one snapshot -> training_features and the training CSV.

Reads curated_telemetry as of its current snapshot (the label looks ahead and
the fitted statistics need the whole history, so every run reads it all),
replaces training_features' rows in one Iceberg commit, tags that snapshot,
and exports the training set from exactly that snapshot
(lake_jobs.training.publish_features), under --output_path:

  snapshots/<id>/train/          headerless CSV, label first, numeric only (SageMaker channel "train")
  snapshots/<id>/validation/     the same for the validation split (channel "validation", batch transform input)
  snapshots/<id>/manifest.json   the columns' names, every fitted parameter, both snapshots
  current.json                   the set the ML workflows train on next, written last

SageMaker reads every object under a channel prefix, so train/ and
validation/ must hold part files only: Spark writes no _SUCCESS there
(lake_jobs.session), and after the writes anything else the file system put
there is deleted (lake_jobs.objects).
"""

import logging
import sys

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark import SparkConf
from pyspark.context import SparkContext

from lake_jobs import catalog, iceberg, objects, session, training
from lake_jobs.args import FEATURES_ARGS, resolve

log = logging.getLogger("features_job")


def main() -> None:
    # Before Spark starts, so that a missing argument fails the run in seconds, naming it.
    args = resolve(FEATURES_ARGS, sys.argv)
    glue_args = getResolvedOptions(sys.argv, FEATURES_ARGS.required_names())
    glue = boto3.client("glue")
    for name in (args["curated_table"], args["features_table"]):
        catalog.iceberg_table(glue, args["database"], name)

    conf = SparkConf().setAll(list(iceberg.glue_catalog_conf(args["warehouse"], args["lake_key_arn"], args["catalog"]).items()))
    glue_context = GlueContext(SparkContext.getOrCreate(conf))
    spark = session.configure(glue_context.spark_session)
    job = Job(glue_context)
    job.init(glue_args["JOB_NAME"], glue_args)

    s3 = boto3.client("s3")

    def clean(channel: str) -> None:
        removed = objects.remove_non_data_objects(s3, channel)
        if removed:
            log.info("features: removed %d non-data object(s) under %s: %s", len(removed), channel, removed)

    training.publish_features(
        spark,
        iceberg.identifier(args["catalog"], args["database"], args["curated_table"]),
        iceberg.identifier(args["catalog"], args["database"], args["features_table"]),
        args["output_path"],
        args["tag_retain_days"],
        clean=clean,
        horizon_hours=args["horizon_hours"],
        train_percent=args["train_percent"],
        max_site_categories=args["max_site_categories"],
        quantile_error=args["quantile_error"],
    )
    job.commit()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    main()
