"""Glue job "curate": new raw telemetry -> the Iceberg table curated_telemetry, plus quarantined rows.

Reads raw telemetry Parquet by S3 path with a transformation_ctx, so with
job bookmarks enabled each run reads only the files that arrived since the
last successful run. Not through the Data Catalog: the raw table uses
partition projection, which Glue ETL ignores, so a catalog read would find no
partitions. The partition columns are restored from each object's key. The
transforms live in lake_jobs (shipped with --extra-py-files);
lake_jobs.args.CURATE_ARGS lists the job arguments.

The curated rows are merged into curated_telemetry on (device_id, ts),
staged on a branch and published in one Iceberg commit
(lake_jobs.curate.merge_into): a run killed at any point leaves the table at
its previous snapshot. Job bookmarks still decide what is read: Glue does not
bookmark Iceberg tables, but this job bookmarks its raw Parquet input, and
commits the bookmark only after the table was published. A run retried after
it published but before the bookmark was stored reads the same raw files
again and writes nothing: every row is already there.
"""

import logging
import sys

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark import SparkConf
from pyspark.context import SparkContext
from pyspark.sql import functions as F

from lake_jobs import catalog, curate, iceberg, session, storage
from lake_jobs.args import CURATE_ARGS, resolve

# The bookmark is stored under this name: renaming it makes the next run read all raw data again.
RAW_CONTEXT = "raw_telemetry"
SOURCE_FILE = "_source_file"

log = logging.getLogger("curate_job")


def main() -> None:
    # Before Spark starts, so that a missing argument fails the run in seconds, naming it.
    args = resolve(CURATE_ARGS, sys.argv)
    glue_args = getResolvedOptions(sys.argv, CURATE_ARGS.required_names())

    # Also before Spark: a table that is missing or not Iceberg fails the run before anything is written.
    catalog.iceberg_table(boto3.client("glue"), args["database"], args["curated_table"])
    table = iceberg.identifier(args["catalog"], args["database"], args["curated_table"])

    conf = SparkConf().setAll(list(iceberg.glue_catalog_conf(args["warehouse"], args["lake_key_arn"], args["catalog"]).items()))
    glue_context = GlueContext(SparkContext.getOrCreate(conf))
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
    hours = storage.write_quarantine(spark, quarantine, args["quarantine_path"])
    written = curate.merge_into(spark, table, curated)
    snapshot = iceberg.current_snapshot(spark, table)
    log.info(
        "curate: %d row(s) written to %s (snapshot %s, %s); %d quarantine partition(s) to %s",
        written, table, snapshot.snapshot_id if snapshot else None, snapshot.metadata_location if snapshot else None,
        len(hours), args["quarantine_path"],
    )

    job.commit()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    main()
