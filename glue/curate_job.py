"""Glue job "curate": new raw telemetry -> curated Parquet, plus quarantined rows.

Reads raw telemetry Parquet by S3 path with a transformation_ctx, so with
job bookmarks enabled each run reads only the files that arrived since the
last successful run. Not through the Data Catalog: the raw table uses
partition projection, which Glue ETL ignores, so a catalog read would find no
partitions. The partition columns are restored from each object's key. The
transforms live in lake_jobs (shipped with --extra-py-files);
lake_jobs.args.CURATE_ARGS lists the job arguments.

A run may be retried after it wrote but before job.commit() stored its
bookmark; the retry then reads the same raw files. Every step after the read
is idempotent, so the retry leaves the output as one run would: the writes
rewrite the partitions they touch (storage.write_curated/write_quarantine),
and registering a partition that exists is not an error.

The curated day partitions are registered in the Data Catalog (Glue Data
Quality and other Glue readers use catalog partitions, never Athena's
partition projection), before the bookmark is committed.
"""

import logging
import sys

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

from lake_jobs import catalog, curate, session, storage
from lake_jobs.args import CURATE_ARGS, resolve

# The bookmark is stored under this name: renaming it makes the next run read all raw data again.
RAW_CONTEXT = "raw_telemetry"
SOURCE_FILE = "_source_file"

log = logging.getLogger("curate_job")


def main() -> None:
    # Before Spark starts, so that a missing argument fails the run in seconds, naming it.
    args = resolve(CURATE_ARGS, sys.argv)
    glue_args = getResolvedOptions(sys.argv, CURATE_ARGS.required_names())

    # Also before Spark: a table that does not match --curated_path fails the run before anything is written.
    glue = boto3.client("glue")
    table_storage = catalog.table_storage(
        glue, args["database"], args["curated_table"], args["curated_path"], curate.OUTPUT_PARTITIONS
    )

    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = session.configure(glue_context.spark_session)
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
    days = storage.write_curated(spark, curated, args["curated_path"])
    hours = storage.write_quarantine(spark, quarantine, args["quarantine_path"])
    created, existing = catalog.create_partitions(
        glue, args["database"], args["curated_table"], table_storage, curate.OUTPUT_PARTITIONS, days
    )
    log.info(
        "curate: wrote %d day partition(s) to %s (%d newly registered in %s.%s, %d already were); "
        "%d quarantine partition(s) to %s",
        len(days), args["curated_path"], created, args["database"], args["curated_table"], existing,
        len(hours), args["quarantine_path"],
    )

    job.commit()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    main()
