"""features: label, split, train-only fitting, encodings, CSV layout."""

import json
import math
from datetime import timedelta

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import (
    DoubleType,
    IntegerType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lake_jobs import features, storage
from rows import utc

T0 = utc(2024, 3, 1)
LABEL = "failure_next_24h"

FRAME_SCHEMA = StructType(
    [
        StructField("device_id", StringType()),
        StructField("ts", TimestampType()),
        StructField("status", StringType()),
        StructField("site", StringType()),
        *[StructField(c, DoubleType()) for c in features.NUMERIC_COLUMNS],
        StructField(LABEL, IntegerType()),
    ]
)

DEFAULTS = dict(status="ok", site="plant-a", temperature_c=20.0, humidity_pct=40.0, vibration_mm_s=2.0,
                pressure_kpa=101.0, battery_v=3.6)


def frame(spark, rows):
    """Rows of (device_id, hours after T0, overrides) with the label column set to 0."""
    data = []
    for device, hours, overrides in rows:
        values = {**DEFAULTS, **overrides}
        data.append((device, T0 + timedelta(hours=hours), values["status"], values["site"],
                     *[values[c] for c in features.NUMERIC_COLUMNS], values.get(LABEL, 0)))
    return spark.createDataFrame(data, FRAME_SCHEMA)


def hours_after_t0(row) -> int:
    return round((row["ts"] - T0.replace(tzinfo=None)).total_seconds() / 3600)


def test_label_on_a_timeline(spark):
    timeline = [
        ("A", 0, {}), ("A", 5, {}), ("A", 6, {}), ("A", 10, {}), ("A", 20, {"status": "warn"}),
        ("A", 30, {"status": "fault"}), ("A", 40, {}), ("A", 60, {}),
        ("B", 76, {}), ("B", 77, {}), ("B", 100, {"status": "fault"}),
    ]
    curated = frame(spark, timeline).drop(LABEL)
    got = {(r["device_id"], hours_after_t0(r)): r[LABEL] for r in features.add_label(curated, 24).collect()}
    assert got == {
        ("A", 0): 0,   # (0, 24]: warn at 20 is no fault
        ("A", 5): 0,   # (5, 29]: the fault at 30 is 25 h away
        ("A", 6): 1,   # (6, 30]: the window includes its end
        ("A", 10): 1,
        ("A", 20): 1,
        ("A", 30): 0,  # its own fault does not count, nothing after it
        ("A", 40): 0,
        ("A", 60): 0,
        ("B", 76): 1,  # 76 + 24 = 100 = data end: still fully observed
        # B 77 and B 100 look past the data end and are dropped.
    }
    twelve = {hours_after_t0(r): r["failure_next_12h"]
              for r in features.add_label(curated, 12).where(F.col("device_id") == "A").collect()}
    assert (twelve[10], twelve[20]) == (0, 1)  # (10, 22] misses the fault at 30; (20, 32] has it


def test_split_is_deterministic_and_about_80_20(spark):
    devices = spark.createDataFrame([(f"dev-{i:04d}",) for i in range(400)], "device_id string")
    runs = []
    for _ in range(2):
        train, validation = features.split(devices, 80)
        runs.append(({r[0] for r in train.collect()}, {r[0] for r in validation.collect()}))
    (train_ids, validation_ids), second = runs
    assert runs[0] == second
    assert not train_ids & validation_ids and len(train_ids | validation_ids) == 400
    assert 0.15 <= len(validation_ids) / 400 <= 0.25


def test_split_keeps_a_device_on_one_side(spark):
    rows = spark.createDataFrame([(f"dev-{i % 50}", i) for i in range(1000)], "device_id string, n int")
    train, validation = features.split(rows, 80)
    assert train.count() + validation.count() == 1000
    assert train.select("device_id").intersect(validation.select("device_id")).count() == 0


@pytest.fixture(scope="module")
def fitted(spark):
    # Train: temperatures 10..50 with one null; validation has far larger values and a null.
    train_rows = [("T", h, {"temperature_c": t, "battery_v": b, "status": s, "site": site})
                  for h, (t, b, s, site) in enumerate([
                      (10.0, 1.0, "ok", "plant-a"), (20.0, 2.0, "ok", "plant-a"), (None, 3.0, "warn", "plant-a"),
                      (30.0, 4.0, "fault", "plant b"), (40.0, 5.0, "ok", "plant b"), (50.0, 6.0, "ok", "plant_a"),
                      (30.0, 7.0, "ok", None), (30.0, 8.0, "ok", "plant-c"),
                  ])]
    validation_rows = [
        ("V", 0, {"temperature_c": None, "battery_v": 0.5, "status": "maintenance", "site": "plant-z"}),
        ("V", 1, {"temperature_c": 140.0, "battery_v": None, "status": "ok", "site": None}),
        ("V", 2, {"temperature_c": -50.0, "battery_v": 4.0, "status": "fault", "site": "plant b"}),
    ]
    train, validation = frame(spark, train_rows), frame(spark, validation_rows)
    model = features.fit(train, LABEL, max_site_categories=3)
    return model, features.transform(train, model), features.transform(validation, model)


def test_imputation_uses_the_training_median_only(fitted):
    model, _, validation = fitted
    # Training temperatures 10, 20, 30, 30, 30, 40, 50: the validation values must not move it.
    assert model.medians["temperature_c"] == 30.0
    rows = validation.collect()
    mean, std = model.means["temperature_c"], model.stds["temperature_c"]
    assert mean == pytest.approx(30.0)  # 10, 20, 30 (imputed), 30, 40, 50, 30, 30
    assert rows[0]["temperature_c"] == pytest.approx((30.0 - mean) / std)
    # A null battery takes the training median of 1..8, the lower middle value.
    assert model.medians["battery_v"] == 4.0


def test_capping_uses_training_percentiles(fitted):
    model, _, validation = fitted
    assert model.caps["temperature_c"] == (10.0, 50.0)
    assert model.caps["battery_v"] == (1.0, 8.0)
    rows = validation.collect()
    mean, std = model.means["temperature_c"], model.stds["temperature_c"]
    assert rows[1]["temperature_c"] * std + mean == pytest.approx(50.0)   # 140 capped
    assert rows[2]["temperature_c"] * std + mean == pytest.approx(10.0)   # -50 capped


def test_capping_on_a_wide_distribution(spark):
    train = frame(spark, [("W", i, {"vibration_mm_s": float(i)}) for i in range(101)])
    model = features.fit(train, LABEL)
    assert model.caps["vibration_mm_s"] == (1.0, 99.0)
    unscaled = [r["log1p_vibration_mm_s"] * model.stds["log1p_vibration_mm_s"] + model.means["log1p_vibration_mm_s"]
                for r in features.transform(train, model).collect()]
    assert min(unscaled) == pytest.approx(math.log1p(1.0))
    assert max(unscaled) == pytest.approx(math.log1p(99.0))


def test_battery_bins_from_training_quartiles(fitted):
    model, train, validation = fitted
    assert model.bin_edges == (2.0, 4.0, 6.0)
    assert [r["battery_v_bin"] for r in train.collect()] == [0, 1, 1, 2, 2, 3, 3, 3]
    # 0.5 is capped up to 1 -> bin 0; null -> median 4 -> bin 2; 4 -> bin 2.
    assert [r["battery_v_bin"] for r in validation.collect()] == [0, 2, 2]


def test_one_hot_categories_come_from_training(fitted):
    model, train, validation = fitted
    assert model.status_categories == ("fault", "ok", "warn")
    assert model.status_columns == ("status_fault", "status_ok", "status_warn")
    # Top 3 training sites by count (plant-a 2, plant b 2, then plant-c and plant_a 1 each: name order).
    assert model.site_categories == ("plant b", "plant-a", "plant-c")
    assert model.site_columns == ("site_plant_b", "site_plant_a", "site_plant_c")
    one_hot = model.status_columns + model.site_columns
    rows = validation.collect()
    assert [rows[0][c] for c in one_hot] == [0, 0, 0, 0, 0, 0]   # maintenance, plant-z: unseen
    assert [rows[1][c] for c in one_hot] == [0, 1, 0, 0, 0, 0]   # ok, null site
    assert [rows[2][c] for c in one_hot] == [1, 0, 0, 1, 0, 0]   # fault, plant b
    assert [r["site_plant_a"] for r in train.collect()] == [1, 1, 1, 0, 0, 0, 0, 0]


def test_one_hot_names_stay_unique():
    taken = set()
    assert [features.one_hot_column_name("site", s, taken) for s in ("plant-a", "plant_a", "plant a")] == [
        "site_plant_a", "site_plant_a_2", "site_plant_a_3"]


def test_scaling_is_standard_on_train(fitted):
    model, train, _ = fitted
    for name in model.continuous_columns:
        stats = train.agg(F.mean(name).alias("m"), F.stddev_samp(name).alias("s")).first()
        assert stats["m"] == pytest.approx(0.0, abs=1e-9), name
        # Constant training columns keep a scale of 1 and come out all 0.
        assert stats["s"] == pytest.approx(1.0 if model.stds[name] != 1.0 else 0.0, abs=1e-9), name


def synthetic_curated(spark, devices=30, hours=72):
    """Hourly readings; every fifth device faults at hour 50 after its vibration climbs."""
    def reading(d, h):
        failing = d % 5 == 0
        vibration = 2.0 + (h / 10.0 if failing and h >= 40 else 0.0)
        status = "fault" if failing and h == 50 else "ok"
        temperature = None if (d + h) % 17 == 0 else 20.0 + (d % 7) + (h % 24) / 4.0
        return (f"dev-{d:03d}", T0 + timedelta(hours=h), status, f"site-{d % 3}", temperature,
                40.0 + d % 11, vibration, 100.0 + h % 5, 3.0 + (d % 4) / 10.0)

    cols = StructType(FRAME_SCHEMA.fields[:-1])
    return spark.createDataFrame([reading(d, h) for d in range(devices) for h in range(hours)], cols)


def test_build_writes_xgboost_csv_and_manifest(spark, tmp_path):
    result = features.build(synthetic_curated(spark))
    manifest = result.manifest
    assert manifest["label"] == LABEL and manifest["fitted_on"] == "train"
    assert manifest["features"] == list(result.model.feature_columns)
    assert result.train.columns == [LABEL, *manifest["features"]]

    out = tmp_path / "features"
    storage.write_csv(result.train, str(out / "train"))
    storage.write_csv(result.validation, str(out / "validation"))
    storage.write_text_file(spark, str(out / "manifest.json"), json.dumps(manifest))
    assert json.loads((out / "manifest.json").read_text()) == json.loads(json.dumps(manifest))

    counts = {}
    for split in ("train", "validation"):
        lines = [line for part in sorted((out / split).glob("part-*")) for line in part.read_text().splitlines()]
        counts[split] = len(lines)
        for line in lines:
            cells = line.split(",")
            assert len(cells) == len(manifest["features"]) + 1
            assert cells[0] in ("0", "1")
            assert all(math.isfinite(float(c)) for c in cells)  # numeric, no empty cell, no header
    # 30 devices x 72 hours, less each device's last 24 hours (look-ahead past the data end).
    assert counts["train"] + counts["validation"] == 30 * 48
    assert 0 < counts["validation"] < counts["train"]


def test_build_is_reproducible(spark):
    curated = synthetic_curated(spark, devices=12, hours=30)
    first, second = features.build(curated), features.build(curated)
    assert first.manifest == second.manifest
    assert sorted(first.validation.collect()) == sorted(second.validation.collect())


def test_build_refuses_an_input_without_training_rows(spark):
    curated = synthetic_curated(spark, devices=3, hours=10)
    with pytest.raises(ValueError, match="no training rows"):
        features.build(curated, horizon_hours=24)


def test_build_refuses_an_empty_validation_split(spark):
    # With every device on the training side, Spark would write an empty part
    # file into validation/, which the XGBoost container cannot read.
    curated = synthetic_curated(spark, devices=3, hours=30)
    train, validation = features.split(curated, 99)
    assert validation.isEmpty() and not train.isEmpty(), "the fixture's devices no longer all hash to train"
    with pytest.raises(ValueError, match="no validation rows"):
        features.build(curated, train_percent=99)
