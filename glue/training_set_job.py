"""Glue job "training-set": rebuild a registered model's training set from the snapshot its registry entry names.

scripts/trainingset reads the model registry entry (features_snapshot_id,
manifest_uri, train_uri) and starts this job. The job exports
training_features as of that snapshot (lake_jobs.training.rebuild, the same
export the features job ran) under --output_path and, with --compare_with,
fails unless the rebuilt train/ and validation/ hold exactly the registered
rows.
"""

import logging
import sys

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark import SparkConf
from pyspark.context import SparkContext

from lake_jobs import catalog, iceberg, session, training
from lake_jobs.args import TRAINING_SET_ARGS, resolve

log = logging.getLogger("training_set_job")


def main() -> None:
    args = resolve(TRAINING_SET_ARGS, sys.argv)
    glue_args = getResolvedOptions(sys.argv, TRAINING_SET_ARGS.required_names())
    catalog.iceberg_table(boto3.client("glue"), args["database"], args["features_table"])

    conf = SparkConf().setAll(list(iceberg.glue_catalog_conf(args["warehouse"], args["lake_key_arn"], args["catalog"]).items()))
    glue_context = GlueContext(SparkContext.getOrCreate(conf))
    spark = session.configure(glue_context.spark_session)
    job = Job(glue_context)
    job.init(glue_args["JOB_NAME"], glue_args)

    table = iceberg.identifier(args["catalog"], args["database"], args["features_table"])
    registered = {"features_snapshot_id": args["features_snapshot_id"], "manifest_uri": args["manifest_uri"]}
    layout = training.rebuild(spark, table, registered, args["output_path"])
    log.info("training-set: snapshot %s of %s exported to %s", args["features_snapshot_id"], table, layout.root)
    if args["compare_with"]:
        registered_root = args["compare_with"].rstrip("/")
        for channel, path in zip(("train", "validation"), layout.channels):
            diff = training.differences(spark, path, f"{registered_root}/{channel}/")
            log.info("training-set: %s against the registered set: %s", channel, diff)
            if any(diff.values()):
                raise training.LineageError(f"the rebuilt {channel} rows differ from {registered_root}/{channel}/: {diff}")
        log.info("training-set: identical to %s", registered_root)
    job.commit()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    main()
