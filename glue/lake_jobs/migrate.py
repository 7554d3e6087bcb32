"""One-off copy of the Hive-style curated Parquet into the Iceberg table curated_telemetry.

Lakes deployed before the curated zone moved to Iceberg hold their curated
days as Parquet under curated/telemetry/year=/month=/day=/. The copy reads
every row there and writes it with curate's own merge (curate.merge_into):
one row per (device_id, ts), the same winner curate would pick, staged on a
branch and published in one commit. Rerunning it changes nothing; running
it after curate has already written some of the same readings into Iceberg
adds none twice. The Parquet files are only read: delete them once
``verify`` has passed.

An in-place migration (Iceberg's add_files, which would adopt the files
without copying) does not fit: it needs the table partitioned like the
folders (year/month/day strings), while the table is partitioned by the day
of ts, and it does not check that the files' rows are unique per key.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from lake_jobs import curate, iceberg, storage

BRANCH = "migrate_staging"


@dataclass(frozen=True)
class Report:
    """What a copy found and did."""

    hive_rows: int
    hive_keys: int
    written: int
    table_rows: int
    missing_keys: int
    duplicate_keys: int

    @property
    def ok(self) -> bool:
        return self.missing_keys == 0 and self.duplicate_keys == 0


def copy(spark: SparkSession, hive_path: str, table: str) -> Report:
    """Copy the rows under ``hive_path`` into ``table``, then check the result (``verify``)."""
    rows = storage.read_hive_curated(spark, hive_path)
    written = curate.merge_into(spark, table, rows, branch=BRANCH)
    return verify(spark, hive_path, table, written)


def verify(spark: SparkSession, hive_path: str, table: str, written: int = 0) -> Report:
    """Every (device_id, ts) of the Parquet is in the table, and no key is there twice."""
    hive = storage.read_hive_curated(spark, hive_path)
    keys = hive.select("device_id", "ts").distinct()
    current = spark.table(table)
    missing = keys.join(current.select("device_id", "ts"), ["device_id", "ts"], "left_anti").count()
    duplicates = current.groupBy("device_id", "ts").count().where(F.col("count") > 1).count()
    return Report(
        hive_rows=hive.count(), hive_keys=keys.count(), written=written, table_rows=current.count(),
        missing_keys=missing, duplicate_keys=duplicates,
    )
