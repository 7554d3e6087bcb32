"""Builders for the small DataFrames the tests use."""

from datetime import datetime, timezone

from pyspark.sql.types import (
    DoubleType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lake_jobs import schema
from lake_jobs.curate import DEVICE_COLUMNS

_SPARK_TYPES = {schema.STRING: StringType(), schema.DOUBLE: DoubleType(), schema.TIMESTAMP: TimestampType()}

RAW_SCHEMA = StructType(
    [StructField(f.name, _SPARK_TYPES[f.type]) for f in schema.TELEMETRY]
    + [StructField(k, StringType()) for k in schema.PARTITION_KEYS]
)

DEVICES_SCHEMA = StructType([StructField(c, StringType()) for c in DEVICE_COLUMNS])


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


BASE_TS = utc(2024, 3, 7, 9, 15, 30)


def raw_row(**values) -> dict:
    """A valid raw reading; keyword arguments replace fields."""
    row = {
        "device_id": "d1",
        "ts": BASE_TS,
        "temperature_c": 20.0,
        "humidity_pct": 40.0,
        "vibration_mm_s": 2.0,
        "pressure_kpa": 101.0,
        "battery_v": 3.6,
        "status": "ok",
        "site": None,
        "firmware": "1.2.3",
        "extras": None,
    }
    row.update(values)
    ts = row["ts"]
    if "year" not in values:
        # The raw partition the reading was read from; a made-up one when ts is null.
        ts = ts or BASE_TS
        row.update(year=f"{ts:%Y}", month=f"{ts:%m}", day=f"{ts:%d}", hour=f"{ts:%H}")
    return row


def raw_frame(spark, rows: list[dict]):
    return spark.createDataFrame([tuple(r[f.name] for f in RAW_SCHEMA.fields) for r in rows], RAW_SCHEMA)


def devices_frame(spark, rows: list[dict]):
    return spark.createDataFrame([tuple(r.get(c) for c in DEVICE_COLUMNS) for r in rows], DEVICES_SCHEMA)


def no_devices(spark):
    return devices_frame(spark, [])


def as_curated(df):
    """``df`` with every column of the curated table: date, hour and temperature_f derived as curate
    derives them (the tests run in UTC), any other it lacks null."""
    from pyspark.sql import functions as F

    from lake_jobs.curate import CURATED_TABLE

    derived = {"date": F.to_date("ts"), "hour": F.hour("ts"), "temperature_f": F.col("temperature_c") * 9.0 / 5.0 + 32.0}

    def column(c):
        if c.name in df.columns:
            return F.col(c.name).cast(c.spark_type)
        value = derived.get(c.name) if all(x in df.columns for x in ("ts", "temperature_c")) else None
        return (value if value is not None else F.lit(None)).cast(c.spark_type).alias(c.name)

    return df.select(*[column(c) for c in CURATED_TABLE.columns])


def fill_curated(spark, table, df):
    """Put ``df`` (curated columns, some may lack) into the Iceberg table ``table`` with curate's merge."""
    from lake_jobs.curate import merge_into

    return merge_into(spark, table, as_curated(df))
