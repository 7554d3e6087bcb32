"""Reads and writes the jobs share, kept apart from the pure transforms.

Everything goes through Spark's own file system layer, so in Glue the S3
writes carry the encryption settings of the job's security configuration,
and locally the same code writes to a directory.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Callable

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from lake_jobs import schema
from lake_jobs.curate import CURATED_COLUMNS, DEVICE_COLUMNS, merge_quarantine
from lake_jobs.paths import partition_path

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


def _exists(spark: SparkSession, path: str) -> bool:
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(hadoop_path)


def _rewrite_partitions(
    spark: SparkSession,
    new: DataFrame,
    path: str,
    keys: tuple[str, ...],
    merge: Callable[[DataFrame, DataFrame], DataFrame],
) -> list[tuple]:
    """Replace the partitions of ``new`` under ``path`` with merge(rows already there, new).

    Returns the partitions written, as value tuples in ``keys`` order.

    Only those partitions are replaced: the write uses Spark's dynamic
    partition overwrite, set on the writer itself (the option
    "partitionOverwriteMode" takes precedence over the session's
    spark.sql.sources.partitionOverwriteMode,
    https://spark.apache.org/docs/3.5.4/configuration.html#runtime-sql-configuration).
    The default, static, mode would delete every partition under ``path``
    before writing. Spark writes the new files to a staging folder and swaps
    each partition in at job commit, after every task has read the old rows.
    Repartitioning on the partition columns leaves one file per partition
    (old and new rows together), not one per task and partition.
    """
    root = path.rstrip("/")
    # Nulls (Spark's default partition) sort first.
    touched = sorted((tuple(r) for r in new.select(*keys).distinct().collect()),
                     key=lambda values: [(v is not None, v) for v in values])
    if not touched:
        return []
    present = [p for p in (f"{root}/{partition_path(keys, v)}" for v in touched) if _exists(spark, p)]
    rows = new
    if present:
        # The new rows' schema: partition values stay strings, as written.
        existing = spark.read.schema(new.schema).option("basePath", root).parquet(*present)
        rows = merge(existing, new)
    (
        rows.repartition(*keys)
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*keys)
        .parquet(root)
    )
    return touched


def write_quarantine(spark: SparkSession, quarantine: DataFrame, path: str) -> list[tuple]:
    """Write quarantined rows under ``path``, partitioned like the raw table they came from.

    Idempotent: the raw hour partitions the run touches are rewritten with
    their rows plus the run's rows not already there
    (curate.merge_quarantine), so a retry does not quarantine a row twice.
    """
    return _rewrite_partitions(spark, quarantine, path, schema.PARTITION_KEYS, merge_quarantine)


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


# The partition folders of the curated Parquet the lake wrote before its
# curated zone moved to Iceberg (curated/telemetry/year=/month=/day=/).
HIVE_CURATED_PARTITIONS = ("year", "month", "day")


def read_hive_curated(spark: SparkSession, path: str) -> DataFrame:
    """Curated rows from the Hive-style Parquet folders under ``path`` (CURATED_COLUMNS).

    Spark discovers year=/month=/day= as string columns (lake_jobs.session),
    which the Iceberg table does not have: its partitioning is hidden, by the
    day of ts, and date carries the same day.
    """
    return spark.read.option("basePath", path.rstrip("/")).parquet(path).select(*CURATED_COLUMNS)


@dataclass(frozen=True)
class TrainingLayout:
    """Where one training set lives under the features job's --output_path.

    Each set is exported from one snapshot of training_features into a
    folder of its own, snapshots/<snapshot id>/, which nothing rewrites
    afterwards: the registry can point at it for as long as the model lives.
    train/ and validation/ are the SageMaker channels (S3Prefix data sources)
    and the batch transform input: they hold CSV part files and nothing else.
    manifest.json sits beside them, never inside, because SageMaker would
    read it as one more CSV file of the channel. current.json, at the top,
    names the set the ML workflows train on next.
    """

    root: str
    train: str
    validation: str
    manifest: str
    current: str

    @classmethod
    def under(cls, output_path: str, snapshot_id: int | str) -> "TrainingLayout":
        out = output_path.rstrip("/")
        root = f"{out}/snapshots/{snapshot_id}"
        return cls(root=f"{root}/", train=f"{root}/train/", validation=f"{root}/validation/",
                   manifest=f"{root}/manifest.json", current=f"{out}/current.json")

    @property
    def channels(self) -> tuple[str, str]:
        return (self.train, self.validation)


def read_text_file(spark: SparkSession, path: str) -> str:
    """The UTF-8 text of the single file ``path``."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.open(hadoop_path)
    try:
        return bytes(jvm.org.apache.commons.io.IOUtils.toByteArray(stream)).decode("utf-8")
    finally:
        stream.close()
