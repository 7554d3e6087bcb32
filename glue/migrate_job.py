"""Glue job "migrate-curated": the Hive-style curated Parquet of an older lake -> curated_telemetry (Iceberg).

Run it once after upgrading a lake deployed before its curated zone moved to
Iceberg (docs/etl.md, Migration). It copies every row under --hive_path into
the Iceberg table with curate's own merge (lake_jobs.migrate), then checks
that every (device_id, ts) of the Parquet is in the table and none is there
twice, and fails the run otherwise. It only reads the Parquet. Rerunning it
writes nothing.
"""

import logging
import sys

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark import SparkConf
from pyspark.context import SparkContext

from lake_jobs import catalog, iceberg, migrate, session
from lake_jobs.args import MIGRATE_ARGS, resolve

log = logging.getLogger("migrate_job")


class MigrationError(RuntimeError):
    """The copy lost or duplicated rows."""


def main() -> None:
    args = resolve(MIGRATE_ARGS, sys.argv)
    glue_args = getResolvedOptions(sys.argv, MIGRATE_ARGS.required_names())
    catalog.iceberg_table(boto3.client("glue"), args["database"], args["curated_table"])

    conf = SparkConf().setAll(list(iceberg.glue_catalog_conf(args["warehouse"], args["lake_key_arn"], args["catalog"]).items()))
    glue_context = GlueContext(SparkContext.getOrCreate(conf))
    spark = session.configure(glue_context.spark_session)
    job = Job(glue_context)
    job.init(glue_args["JOB_NAME"], glue_args)

    table = iceberg.identifier(args["catalog"], args["database"], args["curated_table"])
    report = migrate.copy(spark, args["hive_path"], table)
    log.info("migrate: %s", report)
    if not report.ok:
        raise MigrationError(
            f"{table} misses {report.missing_keys} reading(s) of {args['hive_path']} and holds "
            f"{report.duplicate_keys} twice: leave the Parquet in place and run the job again"
        )
    job.commit()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    main()
