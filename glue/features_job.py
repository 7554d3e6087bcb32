"""Glue job "features": curated telemetry -> training and validation CSV for XGBoost.

Reads all curated telemetry (the label looks ahead and the fitted statistics
need the whole history, so this job runs with bookmarks disabled), then
writes, under --output_path (storage.TrainingLayout):

  train/          headerless CSV, label first, numeric only (SageMaker channel "train")
  validation/     the same for the validation split (channel "validation", batch transform input)
  manifest.json   the columns' names and every fitted parameter, beside the channels, not in them

SageMaker reads every object under a channel prefix, so train/ and
validation/ must hold part files only: Spark writes no _SUCCESS there
(lake_jobs.session), and after the writes anything else the file system put
there is deleted (lake_jobs.objects).

The transforms live in lake_jobs (shipped with --extra-py-files);
lake_jobs.args.FEATURES_ARGS lists the job arguments.
"""

import logging
import sys

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

from lake_jobs import features, objects, session, storage
from lake_jobs.args import FEATURES_ARGS, resolve

log = logging.getLogger("features_job")


def main() -> None:
    # Before Spark starts, so that a missing argument fails the run in seconds, naming it.
    args = resolve(FEATURES_ARGS, sys.argv)
    glue_args = getResolvedOptions(sys.argv, FEATURES_ARGS.required_names())

    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = session.configure(glue_context.spark_session)
    job = Job(glue_context)
    job.init(glue_args["JOB_NAME"], glue_args)

    curated = spark.read.parquet(args["curated_path"])
    result = features.build(
        curated,
        horizon_hours=args["horizon_hours"],
        train_percent=args["train_percent"],
        max_site_categories=args["max_site_categories"],
        quantile_error=args["quantile_error"],
    )
    layout = storage.write_training_set(spark, result, args["output_path"])
    s3 = boto3.client("s3")
    for channel in layout.channels:
        removed = objects.remove_non_data_objects(s3, channel)
        if removed:
            log.info("features: removed %d non-data object(s) under %s: %s", len(removed), channel, removed)
    log.info("features: %d feature columns written to %s", len(result.model.feature_columns), args["output_path"])

    job.commit()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    main()
