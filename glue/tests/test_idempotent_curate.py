"""curate's writes are idempotent: a retry of a run leaves what one run leaves.

Glue retries a failed run, and a run can fail after its writes but before
job.commit() stores the bookmark; the retry then reads the same raw files
again. These tests run what curate_job does after its read (curate, then
write curated and quarantine) twice on the same input into the same folders.
"""

from datetime import date

from pyspark.sql import functions as F

from lake_jobs import storage
from lake_jobs.curate import CURATED_COLUMNS, QUARANTINE_COLUMNS, curate, merge_curated, merge_quarantine
from rows import devices_frame, no_devices, raw_frame, raw_row, utc

DAY_1, DAY_2, DAY_3 = utc(2024, 3, 7, 9, 0), utc(2024, 3, 8, 9, 0), utc(2024, 3, 9, 9, 0)


def run_curate(spark, rows, out, run_id, devices=None):
    """curate_job after its read: returns the partitions written (days, raw hours)."""
    curated, quarantine = curate(raw_frame(spark, rows), devices or no_devices(spark), run_id=run_id)
    days = storage.write_curated(spark, curated, str(out / "curated"))
    hours = storage.write_quarantine(spark, quarantine, str(out / "quarantine"))
    return days, hours


def curated_keys(spark, out):
    return sorted((r.device_id, r.ts, r.extras) for r in spark.read.parquet(str(out / "curated")).collect())


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


def test_a_retry_writes_nothing_twice(spark, tmp_path):
    rows = mixed_input()
    curated, quarantine = curate(raw_frame(spark, rows), no_devices(spark))
    one_run = (curated.count(), quarantine.count())
    assert one_run == (4, 6)  # d3 twice a duplicate; NaN, 2 null ts, bad id invalid

    days, hours = run_curate(spark, rows, tmp_path, run_id="jr_1")
    assert days == [("2024", "03", "07"), ("2024", "03", "08")]
    first = (curated_keys(spark, tmp_path), quarantined(spark, tmp_path))
    assert (len(first[0]), len(first[1])) == one_run

    # The retry: same raw files, another run id.
    assert run_curate(spark, rows, tmp_path, run_id="jr_1_attempt_1") == (days, hours)
    second = (curated_keys(spark, tmp_path), quarantined(spark, tmp_path))
    assert (len(second[0]), len(second[1])) == one_run
    assert second == first


def test_a_later_run_adds_to_the_days_it_touches_and_keeps_the_rest(spark, tmp_path):
    run_curate(spark, [
        raw_row(device_id="d1", ts=DAY_1, extras="old-day1"),
        raw_row(device_id="d1", ts=DAY_2, extras="old-day2"),
        raw_row(device_id="d2", ts=DAY_2, extras="old-d2"),
        raw_row(device_id="bad id", ts=DAY_2, extras="old-bad"),
    ], tmp_path, run_id="jr_1")
    days, _ = run_curate(spark, [
        raw_row(device_id="d3", ts=DAY_2, extras="new-day2"),
        raw_row(device_id="d3", ts=DAY_3, extras="new-day3"),
        # The same reading as one already curated, sent again by the producer: kept once.
        raw_row(device_id="d1", ts=DAY_2, extras="old-day2"),
        raw_row(device_id="bad id", ts=DAY_2, extras="new-bad"),
    ], tmp_path, run_id="jr_2")

    assert days == [("2024", "03", "08"), ("2024", "03", "09")]
    got = {r.extras: (r.year, r.month, r.day) for r in spark.read.parquet(str(tmp_path / "curated")).collect()}
    assert got == {
        "old-day1": ("2024", "03", "07"),  # a day the second run did not touch stays as it was
        "old-day2": ("2024", "03", "08"),
        "old-d2": ("2024", "03", "08"),
        "new-day2": ("2024", "03", "08"),
        "new-day3": ("2024", "03", "09"),
    }
    assert spark.read.parquet(str(tmp_path / "curated")).count() == 5
    # Both runs' rejects of the same raw hour are kept.
    assert sorted(r.extras for r in spark.read.parquet(str(tmp_path / "quarantine")).collect()) == ["new-bad", "old-bad"]


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


def test_days_written_are_the_days_of_the_rows(spark, tmp_path):
    days, hours = run_curate(spark, [
        raw_row(device_id="d1", ts=utc(2024, 12, 31, 23, 59, 59)),
        raw_row(device_id="d1", ts=utc(2025, 1, 1, 0, 0, 0)),
    ], tmp_path, run_id="jr")
    assert days == [("2024", "12", "31"), ("2025", "01", "01")]
    assert hours == []
    back = spark.read.parquet(str(tmp_path / "curated"))
    assert sorted(r.date for r in back.select("date").collect()) == [date(2024, 12, 31), date(2025, 1, 1)]
    assert back.where(F.col("year") == "2025").count() == 1
