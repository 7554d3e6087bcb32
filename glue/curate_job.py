"""Glue job "curate": new raw telemetry -> curated Parquet, plus quarantined rows.

Reads raw telemetry Parquet by S3 path with a transformation_ctx, so with
job bookmarks enabled each run reads only the files that arrived since the
last successful run. Not through the Data Catalog: the raw table uses
partition projection, which Glue ETL ignores, so a catalog read would find no
partitions. The partition columns are restored from each object's key. The transforms live in
lake_jobs (shipped with --extra-py-files); lake_jobs.args.CURATE_ARGS lists
the job arguments.
"""

import logging
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

from lake_jobs import curate, storage
from lake_jobs.args import CURATE_ARGS, resolve

# The bookmark is stored under this name: renaming it makes the next run read all raw data again.
RAW_CONTEXT = "raw_telemetry"
SOURCE_FILE = "_source_file"

log = logging.getLogger("curate_job")


def main() -> None:
    # Before Spark starts, so that a missing argument fails the run in seconds, naming it.
    args = resolve(CURATE_ARGS, sys.argv)
    glue_args = getResolvedOptions(sys.argv, CURATE_ARGS.required_names())

    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
    job = Job(glue_context)
    job.init(glue_args["JOB_NAME"], glue_args)

    raw = glue_context.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [args["raw_path"]], "recurse": True},
        format="parquet",
        transformation_ctx=RAW_CONTEXT,
    ).toDF()
    # With no new files a DynamicFrame converts to a DataFrame without columns.
    if not raw.columns or raw.isEmpty():
        log.info("no new raw telemetry under %s since the last bookmark", args["raw_path"])
        job.commit()
        return
    raw = storage.with_source_partitions(raw.withColumn(SOURCE_FILE, F.input_file_name()), SOURCE_FILE)

    devices = storage.read_devices(spark, args["devices_path"])
    curated, quarantine = curate.curate(raw, devices, run_id=glue_args.get("JOB_RUN_ID") or glue_args["JOB_NAME"])
    storage.write_curated(curated, args["curated_path"])
    storage.write_quarantine(quarantine, args["quarantine_path"])
    # Counted from curate's persisted rows, so this does not read raw again.
    log.info("curate: %d rows quarantined to %s", quarantine.count(), args["quarantine_path"])

    job.commit()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    main()
