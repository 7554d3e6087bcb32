"""The named query training_set_statistics on the features job's own output.

The job's functions build train/ and validation/ CSV exactly as the Glue job
writes them; DuckDB then reads those folders the way the Glue table
training_features declares them (headerless CSV, the first seven columns
named, split from the folder name) and runs the SQL file unchanged. The
expected figures come from the Spark DataFrames, not from SQL.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType, StructField, StructType, TimestampType

from lake_jobs import features, storage
from rows import utc

duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed: run make deps")

REPO = Path(__file__).resolve().parents[2]
QUERY = REPO / "internal" / "queries" / "training_set_statistics.sql"

# The columns the Catalog stack declares for training_features, in CSV order.
# The one-hot columns that follow in the CSV are not declared: Athena ignores
# trailing columns of a LazySimpleSerDe table.
TABLE_COLUMNS = (
    ("label", "INTEGER"),
    ("temperature_c", "DOUBLE"),
    ("humidity_pct", "DOUBLE"),
    ("log1p_vibration_mm_s", "DOUBLE"),
    ("pressure_kpa", "DOUBLE"),
    ("battery_v", "DOUBLE"),
    ("battery_v_bin", "INTEGER"),
)
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


@pytest.fixture(scope="module")
def feature_set(spark, tmp_path_factory):
    result = features.build(curated_rows(spark))
    root = tmp_path_factory.mktemp("analytics") / "training" / "telemetry"
    storage.write_csv(result.train, str(root / "train"))
    storage.write_csv(result.validation, str(root / "validation"))
    return result, root


def test_declared_columns_are_the_csv_columns(feature_set):
    result, _ = feature_set
    label, *rest = result.train.columns
    assert label == result.model.label
    assert tuple(rest[: len(TABLE_COLUMNS) - 1]) == tuple(name for name, _ in TABLE_COLUMNS[1:])
    assert result.model.feature_columns[: len(TABLE_COLUMNS) - 1] == tuple(name for name, _ in TABLE_COLUMNS[1:])


def training_features_view(con, root: Path, feature_columns):
    """Create the view training_features over the CSV folders, as the Glue table reads them."""
    names = ["label", *feature_columns]
    declared = dict(TABLE_COLUMNS)
    # Every CSV column must be named for DuckDB to parse the line; the view keeps the declared ones.
    columns = ", ".join(f"'{n}': '{declared.get(n, 'INTEGER')}'" for n in names)
    select = ", ".join(name for name, _ in TABLE_COLUMNS)
    con.execute(
        f"""
        CREATE VIEW training_features AS
        SELECT {select},
               regexp_extract(filename, '/([^/]+)/[^/]+$', 1) AS split
        FROM read_csv('{root}/*/part-*', header = false, delim = ',', columns = {{{columns}}}, filename = true)
        """
    )


def expected(df):
    stats = df.agg(
        F.count(F.lit(1)).alias("row_count"),
        F.sum("label_").alias("positives"),
        *[F.mean(c).alias(f"mean_{c}") for c in STANDARDIZED],
        *[F.stddev_samp(c).alias(f"stddev_{c}") for c in STANDARDIZED],
    ).first()
    return stats.asDict()


def test_query_on_the_features_job_output(feature_set):
    result, root = feature_set
    label = result.model.label
    frames = {"train": result.train, "validation": result.validation}

    con = duckdb.connect()
    training_features_view(con, root, result.model.feature_columns)
    cursor = con.execute(QUERY.read_text())
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]

    assert [r["split"] for r in rows] == list(SPLITS)
    for row in rows:
        df = frames[row["split"]].withColumnRenamed(label, "label_")
        want = expected(df)
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
