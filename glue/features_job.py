"""Glue job "features": curated telemetry -> training and validation CSV for XGBoost.

Reads all curated telemetry (the label looks ahead and the fitted statistics
need the whole history, so this job runs with bookmarks disabled), then
writes, under --output_path:

  train/          headerless CSV, label first, numeric only
  validation/     the same for the validation split
  manifest.json   the columns' names and every fitted parameter

The transforms live in lake_jobs (shipped with --extra-py-files);
lake_jobs.args.FEATURES_ARGS lists the job arguments.
"""

import json
import logging
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

from lake_jobs import features, storage
from lake_jobs.args import FEATURES_ARGS, resolve

log = logging.getLogger("features_job")


def main() -> None:
    # Before Spark starts, so that a missing argument fails the run in seconds, naming it.
    args = resolve(FEATURES_ARGS, sys.argv)
    glue_args = getResolvedOptions(sys.argv, FEATURES_ARGS.required_names())

    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
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
    out = args["output_path"].rstrip("/")
    storage.write_csv(result.train, f"{out}/train")
    storage.write_csv(result.validation, f"{out}/validation")
    storage.write_text_file(spark, f"{out}/manifest.json", json.dumps(result.manifest, indent=2, sort_keys=True))
    log.info("features: %d feature columns written to %s", len(result.model.feature_columns), out)

    job.commit()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    main()
