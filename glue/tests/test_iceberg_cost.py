"""make cost's Iceberg figures: the scan metrics it reads from Spark's plan count what compaction removes."""

from datetime import timedelta

import iceberg_cost
from lake_jobs.curate import CURATED_TABLE
from rows import fill_curated, utc

T0 = utc(2026, 3, 1)


def hour_of_readings(spark, hour, devices=3):
    rows = [
        (f"device-{d}", T0 + timedelta(hours=hour, minutes=m), "ok", "site-1", 20.0 + d + m / 60.0)
        for d in range(devices)
        for m in range(0, 60, 10)
    ]
    return spark.createDataFrame(rows, "device_id string, ts timestamp, status string, site string, temperature_c double")


def test_scan_metrics_count_small_files_and_compaction_removes_them(spark, new_table):
    table = new_table(CURATED_TABLE)
    # Four hourly commits into one day, then one into the next: four small files in day one.
    for hour in (0, 1, 2, 3, 24):
        fill_curated(spark, table, hour_of_readings(spark, hour))
    day_one = f"SELECT device_id, avg(temperature_c) AS t FROM {table} WHERE ts < TIMESTAMP '2026-03-02 00:00:00' GROUP BY device_id ORDER BY device_id"

    rows, scans = iceberg_cost.run(spark, day_one)
    assert len(scans) == 1
    assert scans[0].files == 4, "only day one's files survive partition pruning"
    assert scans[0].bytes == sum(
        r[0] for r in spark.sql(f"SELECT file_size_in_bytes FROM {table}.files WHERE partition.ts_day = DATE '2026-03-01'").collect()
    )
    assert iceberg_cost.data_files(spark, table)[0] == 5

    result = iceberg_cost.compact(spark, table)
    assert result["rewritten_data_files_count"] == 4, result

    after_rows, after = iceberg_cost.run(spark, day_one)
    assert after[0].files == 1
    assert iceberg_cost.same_rows(rows, after_rows)
    assert iceberg_cost.data_files(spark, table)[0] == 2


def test_same_rows_tolerates_only_rounding():
    assert iceberg_cost.same_rows([("a", 0.1 + 0.2)], [("a", 0.3)])
    assert not iceberg_cost.same_rows([("a", 0.3)], [("a", 0.31)])
    assert not iceberg_cost.same_rows([("a", 1)], [("b", 1)])
    assert not iceberg_cost.same_rows([("a", 1)], [])


def test_every_curated_query_is_measured_and_its_clock_pinned():
    queries = iceberg_cost.curated_queries()
    assert {"curated_daily_device_summary", "curated_time_travel"} <= set(queries)
    at = T0.replace(tzinfo=None)
    for name, sql in queries.items():
        pinned = iceberg_cost.pin_clock(sql, at, at)
        assert "current_date" not in pinned and "current_timestamp" not in pinned, name
