"""The one-off copy of Hive-style curated Parquet into the Iceberg table loses and duplicates nothing."""

from pyspark.sql import functions as F

from lake_jobs import iceberg, migrate
from lake_jobs.curate import CURATED_TABLE, curate, merge_into
from rows import no_devices, raw_frame, raw_row, utc


def write_hive(spark, path, rows):
    """Curated rows as the lake wrote them before Iceberg: Parquet under year=/month=/day=/."""
    curated, _ = curate(raw_frame(spark, rows), no_devices(spark))
    day = F.col("date")
    (curated.withColumn("year", F.date_format(day, "yyyy")).withColumn("month", F.date_format(day, "MM"))
     .withColumn("day", F.date_format(day, "dd"))
     .write.mode("append").partitionBy("year", "month", "day").parquet(str(path)))


def test_copy_is_complete_exact_and_idempotent(spark, new_table, tmp_path):
    hive = tmp_path / "telemetry"
    write_hive(spark, hive, [raw_row(device_id=d, ts=utc(2024, 3, day, h)) for d in ("a", "b", "c") for day in (7, 8) for h in (0, 12)])
    # A second write of one day, as a Hive-era retry could leave it: the same reading in two files.
    write_hive(spark, hive, [raw_row(device_id="a", ts=utc(2024, 3, 7, 0))])
    table = new_table(CURATED_TABLE)
    # curate has already written one of the readings into Iceberg since the upgrade.
    curated, _ = curate(raw_frame(spark, [raw_row(device_id="b", ts=utc(2024, 3, 8, 12))]), no_devices(spark))
    merge_into(spark, table, curated)

    report = migrate.copy(spark, str(hive), table)
    assert report.ok, report
    assert (report.hive_rows, report.hive_keys) == (13, 12)
    assert report.written == 11  # every key but the one curate already wrote
    assert report.table_rows == 12 and report.missing_keys == report.duplicate_keys == 0

    snapshot = iceberg.current_snapshot(spark, table)
    again = migrate.copy(spark, str(hive), table)
    assert again.written == 0 and again.ok and again.table_rows == 12
    assert iceberg.current_snapshot(spark, table) == snapshot


def test_verify_finds_what_is_missing(spark, new_table, tmp_path):
    hive = tmp_path / "telemetry"
    write_hive(spark, hive, [raw_row(device_id="a", ts=utc(2024, 3, 7, h)) for h in range(3)])
    table = new_table(CURATED_TABLE)
    report = migrate.verify(spark, str(hive), table)
    assert (report.missing_keys, report.ok) == (3, False)
