"""Run both jobs' pipelines locally on generated telemetry and time them.

    python glue/bench_local.py                    # 20 devices x 7 days x 1 reading/min
    python glue/bench_local.py --devices 50 --days 3 --keep /tmp/lake

Generates raw telemetry (with a few invalid rows, duplicates and fault
episodes) as Parquet partitioned like the raw table, plus a devices CSV, then
runs curate (read raw -> curate -> merge into the Iceberg table
curated_telemetry, quarantine Parquet) and features (curated as of its
snapshot -> training_features -> CSV and manifest.json), the same lake_jobs
calls the Glue entry points make, on a local Iceberg catalog, and prints row
counts and wall times. Spark runs in local mode on every core of the machine.
It needs the Iceberg runtime make test-glue fetches (.build/jars/).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lake_jobs import curate, features, iceberg, schema, session, storage, training

JAR = Path(__file__).resolve().parents[1] / ".build" / "jars" / "iceberg-spark-runtime-3.5_2.12-1.7.1.jar"

START = datetime(2024, 3, 1, tzinfo=timezone.utc)


def generate_raw(spark: SparkSession, devices: int, days: int, interval_s: int) -> DataFrame:
    """Readings every interval_s seconds per device, with the raw table's columns and partitions.

    Every fourth device has a fault episode (30 readings) once a day at a
    device-specific hour, with vibration climbing over the 6 hours before it,
    so the failure label has something to find. About 0.3% of rows break the
    schema and 0.2% arrive twice.
    """
    per_device = days * 86400 // interval_s
    ids = spark.range(devices * per_device)
    device = (F.col("id") % devices).cast("int")
    step = (F.col("id") / devices).cast("long")
    secs = F.lit(int(START.timestamp())) + step * interval_s
    hour_of_day = (secs % 86400) / 3600.0
    fault_hour = (device * 5) % 24
    # Hours until today's fault episode; negative once it has passed.
    hours_to_fault = fault_hour - hour_of_day
    failing = (device % 4) == 0
    in_fault = failing & (hours_to_fault <= 0) & (hours_to_fault > -30 * interval_s / 3600.0)
    ramp = F.when(failing & (hours_to_fault > 0) & (hours_to_fault < 6), (6 - hours_to_fault) * 4.0).otherwise(0.0)
    noise = F.rand(seed=7)
    broken = F.rand(seed=11)

    df = ids.select(
        F.format_string("dev-%03d", device).alias("device_id"),
        F.timestamp_seconds(secs).alias("ts"),
        (15.0 + 8.0 * F.sin(hour_of_day / 24.0 * 2 * 3.14159) + noise * 2).alias("temperature_c"),
        F.when(noise > 0.02, 35.0 + 20.0 * F.rand(seed=3)).alias("humidity_pct"),  # 2% missing
        (1.5 + noise + ramp).alias("vibration_mm_s"),
        (100.0 + 3.0 * F.rand(seed=5)).alias("pressure_kpa"),
        (3.7 - step / per_device * 0.4 + 0.05 * noise).alias("battery_v"),
        F.when(in_fault, "fault").when(ramp > 16, "warn").otherwise("ok").alias("status"),
        F.format_string("site-%d", device % 3).alias("site"),
        F.lit("2.4.1").alias("firmware"),
        F.lit(None).cast("string").alias(schema.EXTRAS_COLUMN),
        broken.alias("_broken"),
    )
    df = (
        df.withColumn("temperature_c", F.when(F.col("_broken") < 0.002, 999.0).otherwise(F.col("temperature_c")))
        .withColumn("status", F.when(F.col("_broken").between(0.002, 0.003), "OK?").otherwise(F.col("status")))
        .drop("_broken")
    )
    df = df.unionByName(df.sample(fraction=0.002, seed=13))
    return (
        df.withColumn("year", F.date_format("ts", "yyyy"))
        .withColumn("month", F.date_format("ts", "MM"))
        .withColumn("day", F.date_format("ts", "dd"))
        .withColumn("hour", F.date_format("ts", "HH"))
    )


def generate_devices(spark: SparkSession, devices: int) -> DataFrame:
    """Metadata for all but the last two devices, which stay unknown."""
    rows = [
        (f"dev-{d:03d}", f"site-{d % 3}", f"model-{'ABC'[d % 3]}", f"2023-{1 + d % 12:02d}-15",
         f"hall {d % 5}", f"{52.0 + d / 100:.3f}", f"{13.0 + d / 100:.3f}")
        for d in range(max(devices - 2, 0))
    ]
    return spark.createDataFrame(rows, ", ".join(f"{c} string" for c in curate.DEVICE_COLUMNS))


def local_spark(app: str, warehouse: Path) -> SparkSession:
    """Spark on every core of this machine with the Iceberg catalog "lake" in ``warehouse``, as the Glue jobs configure it.

    Loopback only, no web UI: nothing a benchmark starts listens beyond the machine.
    """
    builder = SparkSession.builder.config("spark.jars", str(JAR))
    for key, value in iceberg.local_catalog_conf(str(warehouse), "lake").items():
        builder = builder.config(key, value)
    spark = (
        builder.master(f"local[{os.cpu_count() or 2}]")
        .appName(app)
        .config("spark.driver.memory", "2g")
        .config("spark.driver.extraJavaOptions", os.environ.get("BENCH_JAVA_OPTS", ""))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    # The settings the Glue jobs run with.
    session.configure(spark)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextmanager
def timed(label: str, timings: dict[str, float]):
    start = time.perf_counter()
    yield
    timings[label] = time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--interval", type=int, default=60, help="seconds between a device's readings")
    parser.add_argument("--keep", metavar="DIR", help="write under DIR and keep it (default: a temporary directory)")
    opts = parser.parse_args()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    work = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="lake-bench-"))
    for sub in ("raw", "devices", "warehouse", "quarantine", "features"):
        shutil.rmtree(work / sub, ignore_errors=True)

    spark = local_spark("lake-jobs-bench", work / "warehouse")
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    try:
        with timed("generate raw + devices", timings):
            raw = generate_raw(spark, opts.devices, opts.days, opts.interval)
            raw.write.partitionBy(*schema.PARTITION_KEYS).parquet(str(work / "raw"))
            generate_devices(spark, opts.devices).coalesce(1).write.option("header", True).csv(str(work / "devices"))

        counts["raw rows"] = spark.read.parquet(str(work / "raw")).count()

        curated_table, features_table = "lake.db.curated_telemetry", "lake.db.training_features"
        iceberg.create_table(spark, curated_table, curate.CURATED_TABLE)
        iceberg.create_table(spark, features_table, features.FEATURES_TABLE)
        with timed("curate (read, transform, merge, quarantine)", timings):
            raw = spark.read.parquet(str(work / "raw"))
            devices = storage.read_devices(spark, str(work / "devices"))
            curated, quarantine = curate.curate(raw, devices, run_id="bench")
            storage.write_quarantine(spark, quarantine, str(work / "quarantine"))
            curate.merge_into(spark, curated_table, curated)
        spark.catalog.clearCache()

        counts["curated rows"] = spark.table(curated_table).count()
        counts["quarantined rows"] = spark.read.parquet(str(work / "quarantine")).count()

        with timed("features (snapshot read, build, commit, export)", timings):
            published = training.publish_features(spark, curated_table, features_table, str(work / "features"), 30)

        for split, path in zip(("train", "validation"), published.layout.channels):
            rows = spark.read.csv(path)
            counts[f"{split} rows"] = rows.count()
            if split == "train":
                counts["train positives"] = rows.where(F.col("_c0") == "1").count()
        counts["feature columns"] = published.current["features"]
    finally:
        spark.stop()

    if opts.keep:
        print(f"output: {work}")
    for name, n in counts.items():
        print(f"  {name:<20} {n:>10,}")
    for name, seconds in timings.items():
        print(f"  {name:<32} {seconds:8.1f} s")
    if not opts.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
