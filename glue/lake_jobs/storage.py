"""Reads and writes the jobs share, kept apart from the pure transforms.

Everything goes through Spark's own file system layer, so in Glue the S3
writes carry the encryption settings of the job's security configuration,
and locally the same code writes to a directory.
"""

from __future__ import annotations

import logging

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from lake_jobs import schema
from lake_jobs.curate import DEVICE_COLUMNS, OUTPUT_PARTITIONS

log = logging.getLogger(__name__)


def read_devices(spark: SparkSession, path: str) -> DataFrame:
    """Device metadata CSV files under ``path`` (header row), every column a string.

    Header names are trimmed and lower-cased. When nothing has been uploaded
    yet the result is empty rather than an error: curate then passes every
    reading with null metadata, as for any unknown device.
    """
    try:
        df = spark.read.option("header", True).option("mode", "PERMISSIVE").csv(path)
    except AnalysisException as err:
        if err.getErrorClass() != "PATH_NOT_FOUND":
            raise
        log.warning("no device metadata at %s: every reading gets null metadata", path)
        empty = StructType([StructField(c, StringType()) for c in DEVICE_COLUMNS])
        return spark.createDataFrame([], empty)
    return df.toDF(*[c.strip().lower() for c in df.columns])


# Firehose writes raw telemetry under year=YYYY/month=MM/day=DD/hour=HH/.
_SOURCE_PARTITION_PATTERN = r"/year=(\d{4})/month=(\d{2})/day=(\d{2})/hour=(\d{2})/"


def with_source_partitions(raw: DataFrame, file_column: str) -> DataFrame:
    """Add schema.PARTITION_KEYS to ``raw``, taken from each row's object key in ``file_column``.

    The curate job reads raw telemetry by S3 path rather than through the
    catalog: the raw table uses partition projection, which Glue ETL ignores,
    so a catalog read would see no partitions at all. Reading by path keeps
    job bookmarks but loses the Hive partition columns; this puts them back,
    from the same folder names Athena projects. A key outside the layout
    gives nulls, which curate keeps in quarantine rows as they are.
    """
    path = F.col(file_column)
    return raw.select(
        *[c for c in raw.columns if c != file_column and c not in schema.PARTITION_KEYS],
        *[
            F.when(F.regexp_extract(path, _SOURCE_PARTITION_PATTERN, i + 1) != "", F.regexp_extract(path, _SOURCE_PARTITION_PATTERN, i + 1))
            .otherwise(F.lit(None).cast("string"))
            .alias(key)
            for i, key in enumerate(schema.PARTITION_KEYS)
        ],
    )


def write_curated(curated: DataFrame, path: str) -> None:
    """Append curated rows under ``path``/year=/month=/day=.

    Append, because with job bookmarks each run holds only new readings and
    must not replace what earlier runs wrote to the same day. Repartitioning
    on the partition columns writes one file per day and run, not one per
    task and day.
    """
    (
        curated.repartition(*OUTPUT_PARTITIONS)
        .write.mode("append")
        .partitionBy(*OUTPUT_PARTITIONS)
        .parquet(path)
    )


def write_quarantine(quarantine: DataFrame, path: str) -> None:
    """Append quarantined rows under ``path``, partitioned like the raw table they came from."""
    (
        quarantine.repartition(*schema.PARTITION_KEYS)
        .write.mode("append")
        .partitionBy(*schema.PARTITION_KEYS)
        .parquet(path)
    )


def write_csv(df: DataFrame, path: str) -> None:
    """Replace ``path`` with headerless CSV, the layout SageMaker's XGBoost reads."""
    df.write.mode("overwrite").option("header", False).csv(path)


def write_text_file(spark: SparkSession, path: str, text: str) -> None:
    """Write ``text`` (UTF-8) as the single file ``path``, replacing it.

    Spark's writers only produce directories of part files; the Hadoop file
    system API gives downstream code a fixed name such as manifest.json.
    """
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    out = fs.create(hadoop_path, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()
