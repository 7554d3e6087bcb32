"""The named queries on the Iceberg tables, run unchanged on Spark over tables the jobs' own code filled.

Athena engine 3 and Spark both read the Iceberg tables in the Glue Data
Catalog; the SQL files in internal/queries are written in what both accept
(Spark's grammar takes Athena's ``FOR TIMESTAMP AS OF``). The only edits are
``current_date`` (and, for time travel, ``current_timestamp``) pinned to the
test's own clock, as queries.AsOf does for the Go tests. The expected figures
come from Spark DataFrames, not from SQL.
"""

import time as wall
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType, StructField, StructType, TimestampType

from lake_jobs import features, iceberg, training
from lake_jobs.curate import CURATED_TABLE
from lake_jobs.features import FEATURES_TABLE
from rows import fill_curated, utc

REPO = Path(__file__).resolve().parents[2]
QUERIES = REPO / "internal" / "queries"

SPLITS = ("train", "validation")
STANDARDIZED = ("temperature_c", "humidity_pct", "log1p_vibration_mm_s", "pressure_kpa", "battery_v")

T0 = utc(2026, 3, 1)
CURATED_SCHEMA = StructType(
    [
        StructField("device_id", StringType()),
        StructField("ts", TimestampType()),
        StructField("status", StringType()),
        StructField("site", StringType()),
        *[StructField(c, DoubleType()) for c in features.NUMERIC_COLUMNS],
    ]
)


def query(name, today=None, a_day_ago=None):
    """The SQL file, with current_date as ``today`` and the time-travel point as ``a_day_ago``."""
    sql = (QUERIES / f"{name}.sql").read_text()
    if today:
        sql = sql.replace("current_date", f"DATE '{today:%Y-%m-%d}'")
    if a_day_ago:
        sql = sql.replace("(current_timestamp - INTERVAL '1' DAY)", f"TIMESTAMP '{a_day_ago:%Y-%m-%d %H:%M:%S.%f}'")
    return sql


@pytest.fixture
def namespace(spark):
    """An empty namespace the queries' unqualified table names resolve in."""
    ns = f"lake.q{wall.time_ns()}"
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {ns}")
    spark.sql(f"USE {ns}")
    yield ns
    for t in (CURATED_TABLE.name, FEATURES_TABLE.name):
        spark.sql(f"DROP TABLE IF EXISTS {ns}.{t} PURGE")
    spark.sql("USE spark_catalog.default")


def curated_rows(spark, devices=40, hours=60):
    """Hourly readings of ``devices`` devices: every device faults once, every fourth one earlier and twice.

    With the 24 h look-ahead either split has positives and negatives whichever devices it gets.
    """

    def reading(d, h):
        failing = d % 4 == 0
        faults = (12 + d % 7, 45) if failing else (30 + d % 5,)
        status = "fault" if h in faults else ("warn" if (d + h) % 29 == 0 else "ok")
        temperature = None if (d * 7 + h) % 23 == 0 else 18.0 + d % 9 + (h % 24) / 3.0
        vibration = 2.5 + (h % 12) / 5.0 + (6.0 if failing and 15 <= h <= 45 else 0.0)
        return (f"device-{d:04d}", T0 + timedelta(hours=h), status, f"site-{d % 4}", temperature,
                35.0 + (d * 3 + h) % 20, vibration, 100.5 + (h % 6) / 4.0, 3.95 - h * 0.002 - (d % 5) / 50.0)

    return spark.createDataFrame([reading(d, h) for d in range(devices) for h in range(hours)], CURATED_SCHEMA)


def expected(df):
    stats = df.agg(
        F.count(F.lit(1)).alias("row_count"),
        F.sum("label").alias("positives"),
        *[F.mean(c).alias(f"mean_{c}") for c in STANDARDIZED],
        *[F.stddev_samp(c).alias(f"stddev_{c}") for c in STANDARDIZED],
    ).first()
    return stats.asDict()


def test_training_set_statistics_on_training_features(spark, namespace, tmp_path):
    curated, table = f"{namespace}.curated_telemetry", f"{namespace}.training_features"
    iceberg.create_table(spark, curated, CURATED_TABLE)
    iceberg.create_table(spark, table, FEATURES_TABLE)
    fill_curated(spark, curated, curated_rows(spark))
    training.publish_features(spark, curated, table, str(tmp_path / "training"), 30)

    rows = [r.asDict() for r in spark.sql(query("training_set_statistics")).collect()]
    assert [r["split"] for r in rows] == list(SPLITS)
    for row in rows:
        want = expected(spark.table(table).where(F.col("split") == row["split"]))
        assert want["row_count"] > 0 and 0 < want["positives"] < want["row_count"], "the data must exercise both labels"
        assert row["row_count"] == want["row_count"]
        assert row["positives"] == want["positives"]
        assert row["positive_rate"] == pytest.approx(want["positives"] / want["row_count"])
        for c in STANDARDIZED:
            assert row[f"mean_{c}"] == pytest.approx(want[f"mean_{c}"], rel=1e-9, abs=1e-12), c
            assert row[f"stddev_{c}"] == pytest.approx(want[f"stddev_{c}"], rel=1e-9), c
    train = rows[0]
    for c in STANDARDIZED:
        assert train[f"mean_{c}"] == pytest.approx(0.0, abs=1e-9), c
        assert train[f"stddev_{c}"] == pytest.approx(1.0, abs=1e-9), c


def test_curated_daily_device_summary(spark, namespace):
    curated = f"{namespace}.curated_telemetry"
    iceberg.create_table(spark, curated, CURATED_TABLE)
    fill_curated(spark, curated, curated_rows(spark, devices=6, hours=24 * 10))
    today = (T0 + timedelta(days=10)).date()
    got = spark.sql(query("curated_daily_device_summary", today=today)).collect()
    since = datetime.combine(today - timedelta(days=7), datetime.min.time(), tzinfo=timezone.utc)
    rows = spark.table(curated).where(F.col("ts") >= since)
    assert len(got) == rows.select("date", "device_id").distinct().count() == 6 * 7
    first = got[0]
    want = rows.where((F.col("date") == first["date"]) & (F.col("device_id") == first["device_id"]))
    assert first["readings"] == want.count() == 24
    assert first["fault_readings"] == want.where(F.col("status") == "fault").count()
    assert first["peak_vibration_mm_s"] == want.agg(F.max("vibration_mm_s")).first()[0]
    assert min(r["date"] for r in got) == today - timedelta(days=7)


def test_curated_time_travel_sees_what_landed_since(spark, namespace):
    curated = f"{namespace}.curated_telemetry"
    iceberg.create_table(spark, curated, CURATED_TABLE)
    readings = curated_rows(spark, devices=3, hours=24 * 4)
    early = readings.where(F.col("ts") < T0 + timedelta(days=3, hours=12))
    fill_curated(spark, curated, early)
    wall.sleep(0.01)
    between = datetime.now(timezone.utc)
    wall.sleep(0.01)
    # Late readings for the fourth day, and the rest of it.
    fill_curated(spark, curated, readings)
    today = (T0 + timedelta(days=4)).date()
    got = {r["date"]: r.asDict() for r in spark.sql(query("curated_time_travel", today=today, a_day_ago=between.replace(tzinfo=None))).collect()}
    day4 = (T0 + timedelta(days=3)).date()
    assert got[day4]["readings_now"] == 3 * 24
    assert got[day4]["readings_a_day_ago"] == 3 * 12
    assert got[day4]["readings_added"] == 3 * 12
    assert all(r["readings_added"] == 0 for d, r in got.items() if d != day4)
    assert sorted(got) == [(T0 + timedelta(days=d)).date() for d in range(4)]
