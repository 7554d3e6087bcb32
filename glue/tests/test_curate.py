"""curate: validation reasons, dedupe winner, metadata join, derived values, accounting."""

from datetime import date

import pytest
from pyspark.sql import functions as F

from lake_jobs import curate as curate_module
from lake_jobs import schema, storage
from lake_jobs.curate import CURATED_COLUMNS, DUPLICATE_REASON, QUARANTINE_EXTRA_COLUMNS, curate, prepare_devices
from rows import BASE_TS, devices_frame, no_devices, raw_frame, raw_row, utc

STATUS_ENUM = "status not in enum [ok, warn, fault, maintenance]"

# (case tag kept in extras, overrides, expected reason or None when the row is valid)
CASES = [
    ("device-null", dict(device_id=None), "device_id null"),
    ("device-blank", dict(device_id=" \t "), "device_id empty"),
    ("device-bytes", dict(device_id="a b"), "device_id has bytes outside [A-Za-z0-9_-]"),
    ("device-long", dict(device_id="x" * 65), "device_id longer than 64 bytes"),
    ("device-64", dict(device_id="y" * 64), None),
    ("ts-null", dict(ts=None), "ts null"),
    ("ts-early", dict(ts=utc(2009, 12, 31, 23, 59, 59)), "ts out of range [2010-01-01, 2040-01-01)"),
    ("ts-late", dict(ts=utc(2040, 1, 1)), "ts out of range [2010-01-01, 2040-01-01)"),
    ("ts-first", dict(ts=utc(2010, 1, 1)), None),
    ("temp-high", dict(temperature_c=150.5), "temperature_c out of range [-60, 150]"),
    ("temp-max", dict(temperature_c=150.0), None),
    ("temp-min", dict(temperature_c=-60.0), None),
    ("temp-nan", dict(temperature_c=float("nan")), "temperature_c NaN"),
    ("temp-null", dict(temperature_c=None), None),
    ("humidity-low", dict(humidity_pct=-0.1), "humidity_pct out of range [0, 100]"),
    ("vibration-high", dict(vibration_mm_s=500.1), "vibration_mm_s out of range [0, 500]"),
    ("pressure-low", dict(pressure_kpa=29.9), "pressure_kpa out of range [30, 200]"),
    ("battery-high", dict(battery_v=15.01), "battery_v out of range [0, 15]"),
    ("status-null", dict(status=None), "status null"),
    ("status-blank", dict(status="  "), "status empty"),
    ("status-case", dict(status="OK"), STATUS_ENUM),
    ("status-padded", dict(status=" warn\n"), None),
    ("site-long", dict(site="s" * 65), "site longer than 64 bytes"),
    # 17 characters but 34 bytes: the bound is in bytes, as in Go.
    ("firmware-bytes", dict(firmware="é" * 17), "firmware longer than 32 bytes"),
    (
        "several",
        dict(device_id=None, temperature_c=999.0, status="broken"),
        f"device_id null; temperature_c out of range [-60, 150]; {STATUS_ENUM}",
    ),
]


def case_rows():
    # Distinct ts per case, so no two valid cases are duplicates of each other.
    rows = []
    for i, (tag, overrides, _) in enumerate(CASES):
        values = {"ts": utc(2024, 3, 7, 10, i), **overrides, "extras": tag}
        rows.append(raw_row(**values))
    return rows


@pytest.fixture(scope="module")
def cases(spark):
    curated, quarantine = curate(raw_frame(spark, case_rows()), no_devices(spark), run_id="jr_test")
    return curated.collect(), quarantine.collect()


def test_each_problem_has_its_reason(cases):
    _, quarantine = cases
    got = {r["extras"]: r["reason"] for r in quarantine}
    expected = {tag: reason for tag, _, reason in CASES if reason}
    assert got == expected


def test_valid_edge_values_pass(cases):
    curated, _ = cases
    assert sorted(r["extras"] for r in curated) == sorted(tag for tag, _, reason in CASES if reason is None)


def test_quarantine_keeps_raw_values_and_run(cases):
    _, quarantine = cases
    by_tag = {r["extras"]: r for r in quarantine}
    assert by_tag["device-blank"]["device_id"] == " \t "
    assert by_tag["status-case"]["status"] == "OK"
    assert by_tag["ts-null"]["ts"] is None
    # The source partition is kept, so the raw object can be found.
    assert (by_tag["ts-early"]["year"], by_tag["ts-early"]["month"]) == ("2009", "12")
    assert all(r["run_id"] == "jr_test" and r["quarantined_at"] is not None for r in quarantine)
    assert list(quarantine[0].asDict()) == [*schema.COLUMNS, *schema.PARTITION_KEYS, *QUARANTINE_EXTRA_COLUMNS]


def test_strings_are_cleaned(cases):
    curated, _ = cases
    padded = next(r for r in curated if r["extras"] == "status-padded")
    assert padded["status"] == "warn"


def test_dedupe_keeps_one_deterministic_winner(spark):
    t = BASE_TS
    rows = [
        # Same reading twice, once reporting a fault: the fault wins even though it is less complete.
        raw_row(device_id="d1", ts=t, status="ok", extras="d1-ok"),
        raw_row(device_id="d1", ts=t, status="fault", temperature_c=None, extras="d1-fault"),
        # Same status: the more complete row wins.
        raw_row(device_id="d2", ts=t, humidity_pct=None, extras="d2-partial"),
        raw_row(device_id="d2", ts=t, extras="d2-complete"),
        # Otherwise equal: the smaller temperature wins.
        raw_row(device_id="d3", ts=t, temperature_c=20.0, extras="d3-20"),
        raw_row(device_id="d3", ts=t, temperature_c=10.0, extras="d3-10"),
        # " d4" is d4 once trimmed; the exact copy is a duplicate too.
        raw_row(device_id="d4", ts=t, extras="d4-a"),
        raw_row(device_id=" d4", ts=t, extras="d4-a"),
        raw_row(device_id="d4", ts=t, extras="d4-a"),
        # A different ts is a different reading.
        raw_row(device_id="d4", ts=utc(2024, 3, 7, 9, 15, 31), extras="d4-next"),
    ]
    winners = None
    for ordering in (rows, rows[::-1]):
        curated, quarantine = curate(raw_frame(spark, ordering), no_devices(spark))
        got = sorted((r["device_id"], r["extras"]) for r in curated.collect())
        assert winners is None or got == winners, "winner depends on input order"
        winners = got
        assert {r["reason"] for r in quarantine.collect()} == {DUPLICATE_REASON}
        assert quarantine.count() == 5
    assert set(curate_module._STATUS_SEVERITY) == set(schema.field("status").enum)
    assert winners == [("d1", "d1-fault"), ("d2", "d2-complete"), ("d3", "d3-10"), ("d4", "d4-a"), ("d4", "d4-next")]


def test_join_with_and_without_metadata(spark):
    raw = raw_frame(spark, [
        raw_row(device_id="d1", site=None),
        raw_row(device_id="d2", site="plant-b"),
        raw_row(device_id="d3"),
    ])
    devices = devices_frame(spark, [
        dict(device_id="d1", site="plant-a", model="m1", install_date="2024-01-15", location="Hall 1", lat="52.5", lon="13.25"),
        dict(device_id=" d2 ", site="plant-a", model="m2", install_date="2023-05-01", location=None, lat="x", lon="200"),
    ])
    curated, quarantine = curate(raw, devices)
    got = {r["device_id"]: r.asDict() for r in curated.collect()}
    assert quarantine.count() == 0
    assert {k: got["d1"][k] for k in ("site", "registered_site", "model", "install_date", "location", "lat", "lon")} == {
        "site": "plant-a", "registered_site": "plant-a", "model": "m1",
        "install_date": date(2024, 1, 15), "location": "Hall 1", "lat": 52.5, "lon": 13.25,
    }
    # The reading's own site wins; unparsable or off-globe coordinates become null.
    assert (got["d2"]["site"], got["d2"]["registered_site"], got["d2"]["model"]) == ("plant-b", "plant-a", "m2")
    assert (got["d2"]["lat"], got["d2"]["lon"]) == (None, None)
    # No metadata: the reading passes with nulls.
    assert [got["d3"][k] for k in ("site", "registered_site", "model", "install_date", "lat")] == [None] * 5


def test_prepare_devices_keeps_one_row_per_device(spark):
    devices = devices_frame(spark, [
        dict(device_id="d1", model="old", install_date="2022-01-01"),
        dict(device_id="d1", model="new", install_date="2024-06-30"),
        dict(device_id="d1", model="undated", install_date="not a date"),
        dict(device_id="  ", model="orphan"),
    ])
    got = [(r["device_id"], r["model"], r["install_date"]) for r in prepare_devices(devices).collect()]
    assert got == [("d1", "new", date(2024, 6, 30))]


def test_derived_columns_are_exact_in_utc_whatever_the_session_zone(spark):
    raw = raw_frame(spark, [
        raw_row(device_id="a", ts=utc(2024, 3, 7, 23, 30), temperature_c=100.0),
        raw_row(device_id="b", ts=utc(2024, 12, 31, 0, 0, 5), temperature_c=-40.0),
        raw_row(device_id="c", ts=utc(2024, 3, 7, 9, 0), temperature_c=25.0),
        raw_row(device_id="d", ts=utc(2024, 3, 7, 9, 0), temperature_c=None),
    ])
    expected = {
        "a": (date(2024, 3, 7), 23, 212.0),
        "b": (date(2024, 12, 31), 0, -40.0),
        "c": (date(2024, 3, 7), 9, 77.0),
        "d": (date(2024, 3, 7), 9, None),
    }
    cols = ("date", "hour", "temperature_f")
    for zone in ("UTC", "America/Los_Angeles", "Asia/Kolkata"):
        spark.conf.set("spark.sql.session.timeZone", zone)
        try:
            curated, _ = curate(raw, no_devices(spark))
            got = {r["device_id"]: tuple(r[c] for c in cols) for r in curated.collect()}
        finally:
            spark.conf.set("spark.sql.session.timeZone", "UTC")
        assert got == expected, zone
    assert tuple(curated.columns) == CURATED_COLUMNS


def test_no_row_is_lost(spark):
    rows = case_rows() + [raw_row(device_id="d9", extras="dup") for _ in range(3)]
    curated, quarantine = curate(raw_frame(spark, rows), no_devices(spark))
    valid = sum(1 for _, _, reason in CASES if reason is None) + 1
    assert (curated.count(), quarantine.count()) == (valid, len(rows) - valid)


def test_curated_rows_land_in_the_iceberg_table_by_day_of_ts(spark, new_table, tmp_path):
    raw = raw_frame(spark, [
        raw_row(device_id="a", ts=utc(2024, 3, 7, 23, 30)),
        raw_row(device_id="a", ts=utc(2024, 3, 8, 0, 30)),
        raw_row(device_id="bad id", ts=utc(2024, 3, 8, 1, 0)),
    ])
    curated, quarantine = curate(raw, no_devices(spark))
    table = new_table(curate_module.CURATED_TABLE)
    assert curate_module.merge_into(spark, table, curated) == 2
    storage.write_quarantine(spark, quarantine, str(tmp_path / "quarantine"))
    # Hidden partitioning: one partition per UTC day of ts, no partition columns.
    days = sorted(r.partition.ts_day for r in spark.sql(f"SELECT partition FROM {table}.partitions").collect())
    assert days == [date(2024, 3, 7), date(2024, 3, 8)]
    assert tuple(spark.table(table).columns) == CURATED_COLUMNS
    assert (tmp_path / "quarantine" / "year=2024" / "month=03" / "day=08" / "hour=01").is_dir()
    # A filter on ts prunes to one day's files.
    files = spark.sql(f"SELECT count(*) FROM {table}.files WHERE partition.ts_day = date'2024-03-08'").first()[0]
    assert files == 1 and spark.table(table).where(F.col("ts") >= utc(2024, 3, 8)).count() == 1


def test_the_table_definition_is_what_curate_writes(spark):
    raw = raw_frame(spark, [raw_row()])
    curated, _ = curate(raw, devices_frame(spark, [dict(device_id="d1", install_date="2024-01-02", lat="1.5")]))
    want = [(c.name, c.spark_type) for c in curate_module.CURATED_TABLE.columns]
    assert [(f.name, f.dataType.simpleString()) for f in curated.schema.fields] == want


def test_missing_raw_column_is_named(spark):
    raw = raw_frame(spark, [raw_row()]).drop("battery_v", "hour")
    with pytest.raises(ValueError, match="raw telemetry lacks column"):
        curate(raw, no_devices(spark))


def test_reading_raw_by_path_restores_partitions_from_keys(spark, tmp_path):
    """What curate_job does: read Parquet by path (no catalog), then take partitions from the object keys."""
    raw = raw_frame(spark, [
        raw_row(device_id="a", ts=utc(2024, 3, 7, 23, 30)),
        raw_row(device_id="b", ts=utc(2024, 3, 8, 0, 30)),
    ])
    root = tmp_path / "telemetry"
    # The raw table's layout, as Firehose writes it.
    raw.where(F.col("device_id") == "a").drop(*schema.PARTITION_KEYS).write.parquet(
        str(root / "year=2024" / "month=03" / "day=07" / "hour=23"))
    raw.where(F.col("device_id") == "b").drop(*schema.PARTITION_KEYS).write.parquet(
        str(root / "year=2024" / "month=03" / "day=08" / "hour=00"))
    # Not in the layout: partitions stay null rather than being invented.
    raw.where(F.col("device_id") == "a").drop(*schema.PARTITION_KEYS).write.parquet(str(tmp_path / "stray"))

    files = [str(p) for p in sorted(root.rglob("*.parquet"))] + [str(p) for p in (tmp_path / "stray").glob("*.parquet")]
    read = spark.read.parquet(*files).withColumn("_source_file", F.input_file_name())
    got = storage.with_source_partitions(read, "_source_file")

    assert "_source_file" not in got.columns
    assert set(schema.PARTITION_KEYS) <= set(got.columns)
    rows = sorted(((r.device_id, r.year, r.month, r.day, r.hour) for r in got.collect()), key=repr)
    assert rows == sorted([
        ("a", None, None, None, None),
        ("a", "2024", "03", "07", "23"),
        ("b", "2024", "03", "08", "00"),
    ], key=repr)
    curated, quarantine = curate(got.where(F.col("year").isNotNull()), no_devices(spark))
    assert (curated.count(), quarantine.count()) == (2, 0)


def test_wall_clock_ts_is_taken_as_utc(spark):
    """Raw Parquet whose ts Spark reads as TIMESTAMP_NTZ curates to the same instants as TIMESTAMP.

    Run in a session time zone with DST (and a reading in its spring-forward gap): a plain
    cast would shift every row by the zone's offset, and the gap's reading by one more hour.
    """
    rows = [raw_row(ts=utc(2026, 3, 8, 2, 30, 0, 123456), device_id="gap"), raw_row(ts=utc(2026, 5, 1, 10, 0), device_id="may")]
    instants = raw_frame(spark, rows)
    wall_clock = instants.withColumn("ts", F.expr("to_timestamp_ntz(date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSSSSS'))")).localCheckpoint()
    assert dict(wall_clock.dtypes)["ts"] == "timestamp_ntz"
    zone = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        got = curate(wall_clock, no_devices(spark))[0].select("device_id", F.unix_micros("ts"), "date", "hour").collect()
        want = curate(instants, no_devices(spark))[0].select("device_id", F.unix_micros("ts"), "date", "hour").collect()
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)
    assert sorted(map(tuple, got)) == sorted(map(tuple, want))
    assert sorted(tuple(r)[1] for r in got) == [1772937000123456, 1777629600000000]
