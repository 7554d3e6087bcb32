"""A curate run killed between its data write and its commit loses nothing and duplicates nothing.

The job runs in a process of its own (glue/tests/jobrunner.py: curate_job.main()
with stand-ins for awsglue and boto3, on the tests' local Iceberg catalog),
and is killed with SIGKILL at the one point a crash could hurt most: after
every data file of the run is written and committed to the staging branch,
just before main is moved to it. The table must still be at its previous
snapshot, with its previous rows. The run is then retried, as Glue would,
on the same raw files: afterwards the table holds each reading once.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from pyspark.sql import functions as F

from lake_jobs import iceberg
from lake_jobs.curate import CURATED_TABLE
from rows import raw_row, utc
from test_entry_points import write_raw

RUNNER = Path(__file__).with_name("jobrunner.py")


def run_job(warehouse, script, argv, kill_at=None):
    env = {**os.environ, "LAKE_TEST_WAREHOUSE": str(warehouse)}
    if kill_at:
        env["LAKE_TEST_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, str(RUNNER), script, *argv], env=env, capture_output=True, text=True, timeout=600)


def rows_of(spark, table):
    return sorted((r.device_id, r.ts, r.extras) for r in spark.table(table).collect())


def test_killed_between_write_and_commit_then_retried(spark, warehouse, new_table, tmp_path):
    table = new_table(CURATED_TABLE)
    first_raw, second_raw = tmp_path / "raw1", tmp_path / "raw2"
    write_raw(spark, first_raw, [raw_row(device_id=d, ts=utc(2024, 3, 7, 9, m), extras="first") for d in ("a", "b") for m in (0, 1)])
    # The second batch brings new readings and one that is already curated.
    write_raw(spark, second_raw, [
        raw_row(device_id="c", ts=utc(2024, 3, 8, 0, 5), extras="second"),
        raw_row(device_id="c", ts=utc(2024, 3, 8, 0, 6), extras="second"),
        raw_row(device_id="a", ts=utc(2024, 3, 7, 9, 0), extras="first"),
    ])
    catalog_, database, name = table.split(".")

    def argv(raw):
        return ["--JOB_NAME", "curate", "--catalog", catalog_, "--warehouse", "/unused",
                "--lake_key_arn", "arn:aws:kms:eu-west-1:111122223333:key/k", "--database", database,
                "--raw_path", str(raw), "--devices_path", str(tmp_path / "none"),
                "--quarantine_path", str(tmp_path / "quarantine"), "--curated_table", name]

    done = run_job(warehouse, "curate_job", argv(first_raw))
    assert done.returncode == 0, done.stderr[-3000:]
    spark.sql(f"REFRESH TABLE {table}")
    before = (iceberg.current_snapshot(spark, table), rows_of(spark, table))
    assert len(before[1]) == 4

    killed = run_job(warehouse, "curate_job", argv(second_raw), kill_at="publish")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    report = json.loads(killed.stdout.strip().splitlines()[-1])
    # It had written its data: the staging branch holds the new rows, main does not.
    assert report["branch_rows"] == 6
    spark.sql(f"REFRESH TABLE {table}")
    assert (iceberg.current_snapshot(spark, table).snapshot_id, rows_of(spark, table)) == (before[0].snapshot_id, before[1])

    retried = run_job(warehouse, "curate_job", argv(second_raw))
    assert retried.returncode == 0, retried.stderr[-3000:]
    spark.sql(f"REFRESH TABLE {table}")
    after = rows_of(spark, table)
    assert len(after) == len(set((d, t) for d, t, _ in after)) == 6
    assert set(before[1]) <= set(after)
    assert spark.table(table).where(F.col("device_id") == "c").count() == 2
    # The killed run's branch was replaced and dropped by the retry.
    assert [r.name for r in spark.sql(f"SELECT name FROM {table}.refs").collect()] == ["main"]

    # And a rerun of the successful run changes nothing, not even the snapshot.
    again = run_job(warehouse, "curate_job", argv(second_raw))
    assert again.returncode == 0, again.stderr[-3000:]
    spark.sql(f"REFRESH TABLE {table}")
    assert rows_of(spark, table) == after
