"""curate's writes are idempotent and atomic: a retry leaves what one run leaves, a crash leaves the last snapshot.

Glue retries a failed run, and a run can fail after its writes but before
job.commit() stores the bookmark; the retry then reads the same raw files
again. These tests run what curate_job does after its read (curate, then
merge into the Iceberg table and write quarantine) twice on the same input.
The kill tests are in test_curate_kill.py (they need processes of their own).
"""

from datetime import date

from pyspark.sql import functions as F

from lake_jobs import iceberg, storage
from lake_jobs.curate import CURATED_COLUMNS, CURATED_TABLE, QUARANTINE_COLUMNS, curate, merge_curated, merge_into, merge_quarantine
from rows import devices_frame, no_devices, raw_frame, raw_row, utc

DAY_1, DAY_2, DAY_3 = utc(2024, 3, 7, 9, 0), utc(2024, 3, 8, 9, 0), utc(2024, 3, 9, 9, 0)


def run_curate(spark, rows, table, out, run_id, devices=None):
    """curate_job after its read: returns (rows written to the table, raw hours quarantined)."""
    curated, quarantine = curate(raw_frame(spark, rows), devices or no_devices(spark), run_id=run_id)
    written = merge_into(spark, table, curated)
    hours = storage.write_quarantine(spark, quarantine, str(out / "quarantine"))
    return written, hours


def curated_rows(spark, table):
    return sorted(repr(sorted(r.asDict().items())) for r in spark.table(table).collect())


def quarantined(spark, out):
    """Quarantined rows without run_id and quarantined_at, as sorted reprs (NaN != NaN, its repr == its repr)."""
    rows = spark.read.parquet(str(out / "quarantine")).drop("run_id", "quarantined_at").collect()
    return sorted(repr(sorted(r.asDict().items())) for r in rows)


def mixed_input():
    """Valid rows on two days, one reading three times, and invalid rows (NaN, null ts, bad id, no partition)."""
    return [
        raw_row(device_id="d1", ts=DAY_1, extras="d1-day1"),
        raw_row(device_id="d1", ts=DAY_2, extras="d1-day2"),
        raw_row(device_id="d2", ts=DAY_2, extras="d2-day2"),
        *[raw_row(device_id="d3", ts=DAY_2, extras="d3-thrice") for _ in range(3)],
        raw_row(device_id="d4", ts=DAY_2, temperature_c=float("nan"), extras="nan"),
        raw_row(device_id="d5", ts=None, extras="no-ts"),
        raw_row(device_id="bad id", ts=DAY_1, extras="bad-id"),
        # Read from a key outside the raw layout: no source partition (quarantined under __HIVE_DEFAULT_PARTITION__).
        raw_row(device_id="d6", ts=None, year=None, month=None, day=None, hour=None, extras="no-partition"),
    ]


def test_a_retry_writes_nothing_twice_and_commits_nothing(spark, new_table, tmp_path):
    rows = mixed_input()
    curated, quarantine = curate(raw_frame(spark, rows), no_devices(spark))
    one_run = (curated.count(), quarantine.count())
    assert one_run == (4, 6)  # d3 twice a duplicate; NaN, 2 null ts, bad id invalid
    table = new_table(CURATED_TABLE)

    written, hours = run_curate(spark, rows, table, tmp_path, run_id="jr_1")
    assert written == 4
    first = (curated_rows(spark, table), quarantined(spark, tmp_path))
    snapshot = iceberg.current_snapshot(spark, table)
    assert (len(first[0]), len(first[1])) == one_run

    # The retry: same raw files, another run id. Nothing to write, so no commit: the same snapshot.
    assert run_curate(spark, rows, table, tmp_path, run_id="jr_1_attempt_1") == (0, hours)
    second = (curated_rows(spark, table), quarantined(spark, tmp_path))
    assert second == first
    assert iceberg.current_snapshot(spark, table) == snapshot
    # No staging branch is left behind.
    assert [r.name for r in spark.sql(f"SELECT name FROM {table}.refs").collect()] == ["main"]


def test_a_later_run_adds_its_readings_and_keeps_the_rest(spark, new_table, tmp_path):
    table = new_table(CURATED_TABLE)
    run_curate(spark, [
        raw_row(device_id="d1", ts=DAY_1, extras="old-day1"),
        raw_row(device_id="d1", ts=DAY_2, extras="old-day2"),
        raw_row(device_id="d2", ts=DAY_2, extras="old-d2"),
        raw_row(device_id="bad id", ts=DAY_2, extras="old-bad"),
    ], table, tmp_path, run_id="jr_1")
    written, _ = run_curate(spark, [
        raw_row(device_id="d3", ts=DAY_2, extras="new-day2"),
        raw_row(device_id="d3", ts=DAY_3, extras="new-day3"),
        # The same reading as one already curated, sent again by the producer: kept once.
        raw_row(device_id="d1", ts=DAY_2, extras="old-day2"),
        raw_row(device_id="bad id", ts=DAY_2, extras="new-bad"),
    ], table, tmp_path, run_id="jr_2")

    assert written == 2
    got = {r.extras: r.date for r in spark.table(table).collect()}
    assert got == {
        "old-day1": date(2024, 3, 7),
        "old-day2": date(2024, 3, 8),
        "old-d2": date(2024, 3, 8),
        "new-day2": date(2024, 3, 8),
        "new-day3": date(2024, 3, 9),
    }
    # Both runs' rejects of the same raw hour are kept.
    assert sorted(r.extras for r in spark.read.parquet(str(tmp_path / "quarantine")).collect()) == ["new-bad", "old-bad"]


def test_a_fault_arriving_later_replaces_its_ok_twin_in_place(spark, new_table, tmp_path):
    table = new_table(CURATED_TABLE)
    run_curate(spark, [raw_row(device_id="d1", ts=DAY_1, status="ok", extras="ok-first")], table, tmp_path, "jr_1")
    written, _ = run_curate(spark, [raw_row(device_id="d1", ts=DAY_1, status="fault", extras="fault-later")],
                            table, tmp_path, "jr_2")
    assert written == 1
    assert [(r.status, r.extras) for r in spark.table(table).collect()] == [("fault", "fault-later")]


def curated_frame(spark, rows, devices=None):
    curated, _ = curate(raw_frame(spark, rows), devices or no_devices(spark))
    return curated


def test_merge_keeps_one_row_per_reading_and_never_hides_a_fault(spark):
    existing = curated_frame(spark, [
        raw_row(device_id="d1", ts=DAY_1, status="ok", extras="ok-first"),
        raw_row(device_id="d2", ts=DAY_1, extras="same"),
    ])
    new = curated_frame(spark, [
        raw_row(device_id="d1", ts=DAY_1, status="fault", extras="fault-later"),
        raw_row(device_id="d2", ts=DAY_1, extras="same"),
    ])
    got = {(r.device_id, r.extras) for r in merge_curated(existing, new).collect()}
    assert got == {("d1", "fault-later"), ("d2", "same")}
    assert tuple(merge_curated(existing, new).columns) == CURATED_COLUMNS


def test_merge_of_a_reading_whose_metadata_changed_is_deterministic(spark):
    reading = raw_row(device_id="d1", ts=DAY_1)
    before = curated_frame(spark, [reading], devices_frame(spark, [dict(device_id="d1", model="m-old")]))
    after = curated_frame(spark, [reading], devices_frame(spark, [dict(device_id="d1", model="m-new")]))
    one = [r.model for r in merge_curated(before, after).collect()]
    other = [r.model for r in merge_curated(after, before).collect()]
    assert one == other == ["m-new"]  # the smaller value, whichever side it came from


def quarantine_frame(spark, rows, run_id):
    _, quarantine = curate(raw_frame(spark, rows), no_devices(spark), run_id=run_id)
    return quarantine


def test_merge_quarantine_counts_identical_rows(spark):
    bad = raw_row(device_id=None, ts=None, temperature_c=float("nan"), extras="bad")
    other = raw_row(device_id="x y", extras="other")
    existing = quarantine_frame(spark, [bad, bad], "jr_1")
    assert existing.count() == 2

    retry = merge_quarantine(existing, quarantine_frame(spark, [bad, bad], "jr_1_attempt_1"))
    assert sorted(r.run_id for r in retry.collect()) == ["jr_1", "jr_1"]  # nulls and NaN compare equal

    more = merge_quarantine(existing, quarantine_frame(spark, [bad, bad, bad, other], "jr_2")).collect()
    assert sorted((r.extras, r.run_id) for r in more) == [("bad", "jr_1"), ("bad", "jr_1"), ("bad", "jr_2"), ("other", "jr_2")]
    assert tuple(merge_quarantine(existing, existing).columns) == QUARANTINE_COLUMNS


def test_rows_land_on_the_day_of_their_ts(spark, new_table, tmp_path):
    table = new_table(CURATED_TABLE)
    written, hours = run_curate(spark, [
        raw_row(device_id="d1", ts=utc(2024, 12, 31, 23, 59, 59)),
        raw_row(device_id="d1", ts=utc(2025, 1, 1, 0, 0, 0)),
    ], table, tmp_path, run_id="jr")
    assert (written, hours) == (2, [])
    back = spark.table(table)
    assert sorted(r.date for r in back.select("date").collect()) == [date(2024, 12, 31), date(2025, 1, 1)]
    days = sorted(r.partition.ts_day for r in spark.sql(f"SELECT partition FROM {table}.partitions").collect())
    assert days == [date(2024, 12, 31), date(2025, 1, 1)]
    assert back.where(F.col("ts") >= utc(2025, 1, 1)).count() == 1
