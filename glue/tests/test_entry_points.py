"""The Glue entry points' wiring, run locally with stand-ins for awsglue and boto3.

awsglue exists only inside Glue and boto3 is not a test dependency, so both
are replaced by small fakes in sys.modules: the scripts then run as Glue
would run them (same arguments, same calls into lake_jobs), on local folders.
What the fakes cannot show (bookmarks, EMRFS, IAM) is covered by the
lake_jobs tests and by the deployed jobs.
"""

import importlib
import json
import sys
import types

import pytest
from pyspark.sql import functions as F

from lake_jobs import iceberg, schema
from lake_jobs.curate import CURATED_TABLE
from lake_jobs.features import FEATURES_TABLE
from rows import fill_curated, raw_frame, raw_row, utc
from test_catalog import HIVE_TABLE, TABLE, FakeGlue

GLUE_NOISE = ["--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_1", "--job-bookmark-option", "job-bookmark-enable"]


class FakeJob:
    commits = 0

    def __init__(self, glue_context):
        pass

    def init(self, name, args):
        assert name and args["JOB_NAME"] == name

    def commit(self):
        FakeJob.commits += 1


def fake_modules(spark, clients):
    """awsglue.{context,job,utils} and boto3, as the scripts import them."""

    class DynamicFrameReader:
        def from_options(self, connection_type, connection_options, format, transformation_ctx):
            assert (connection_type, format, connection_options["recurse"]) == ("s3", "parquet", True)
            assert transformation_ctx
            (path,) = connection_options["paths"]
            # Like a DynamicFrame read: the files' columns only, no partition discovery.
            df = spark.read.option("recursiveFileLookup", "true").parquet(path)
            return types.SimpleNamespace(toDF=lambda: df)

    class GlueContext:
        def __init__(self, sc):
            self.spark_session = spark
            self.create_dynamic_frame = DynamicFrameReader()

    def get_resolved_options(argv, names):
        found = {}
        for i, token in enumerate(argv):
            if token.startswith("--") and token[2:] in names + ["JOB_RUN_ID"]:
                found[token[2:]] = argv[i + 1]
        assert set(names) <= set(found), names
        return found

    modules = {
        "awsglue": types.ModuleType("awsglue"),
        "awsglue.context": types.SimpleNamespace(GlueContext=GlueContext),
        "awsglue.job": types.SimpleNamespace(Job=FakeJob),
        "awsglue.utils": types.SimpleNamespace(getResolvedOptions=get_resolved_options),
        "boto3": types.SimpleNamespace(client=lambda name, **_: clients[name]),
    }
    return modules


@pytest.fixture
def run_script(spark, monkeypatch):
    def run(module_name, argv, clients):
        for name, module in fake_modules(spark, clients).items():
            monkeypatch.setitem(sys.modules, name, module)
        monkeypatch.setattr(sys, "argv", [f"{module_name}.py", *GLUE_NOISE, *argv])
        sys.modules.pop(module_name, None)
        module = importlib.import_module(module_name)
        FakeJob.commits = 0
        module.main()
        assert FakeJob.commits == 1
        return module

    yield run
    for name in ("curate_job", "features_job", "migrate_job", "training_set_job"):
        sys.modules.pop(name, None)


def iceberg_args(table_ident):
    """The arguments every Iceberg job takes, for a table of the tests' local catalog."""
    catalog, database, _ = table_ident.split(".")
    return ["--catalog", catalog, "--warehouse", "/unused", "--lake_key_arn", "arn:aws:kms:eu-west-1:111122223333:key/k",
            "--database", database]


def name_of(table_ident):
    return table_ident.rsplit(".", 1)[1]


def write_raw(spark, raw_root, rows):
    raw = raw_frame(spark, rows)
    for (day, hour) in sorted({(r["day"], r["hour"]) for r in rows}):
        part = raw.where((F.col("day") == day) & (F.col("hour") == hour)).drop(*schema.PARTITION_KEYS)
        part.write.parquet(str(raw_root / "year=2024" / "month=03" / f"day={day}" / f"hour={hour}"))


def test_curate_job_merges_and_a_retry_commits_nothing(spark, tmp_path, run_script, new_table):
    raw_root = tmp_path / "raw" / "telemetry"
    write_raw(spark, raw_root, [
        raw_row(device_id="a", ts=utc(2024, 3, 7, 23, 30)),
        raw_row(device_id="a", ts=utc(2024, 3, 8, 0, 30)),
        raw_row(device_id="bad id", ts=utc(2024, 3, 8, 0, 45)),
    ])
    table = new_table(CURATED_TABLE)
    glue = FakeGlue()
    argv = [
        "--JOB_NAME", "curate", *iceberg_args(table), "--raw_path", str(raw_root),
        "--devices_path", str(tmp_path / "no-devices"), "--quarantine_path", str(tmp_path / "quarantine"),
        "--curated_table", name_of(table),
    ]
    snapshots = []
    for attempt in (1, 2):  # the second run reads the same raw files, as a retry before the bookmark commit does
        run_script("curate_job", argv, {"glue": glue})
        assert spark.table(table).count() == 2, attempt
        assert spark.read.parquet(str(tmp_path / "quarantine")).count() == 1, attempt
        snapshots.append(iceberg.current_snapshot(spark, table))
    assert snapshots[0] == snapshots[1]
    assert glue.calls == [{"DatabaseName": "db", "Name": name_of(table)}] * 2


def test_curate_job_refuses_a_hive_table_before_writing(spark, tmp_path, run_script):
    argv = [
        "--JOB_NAME", "curate", *iceberg_args("lake.db.curated_telemetry"), "--raw_path", str(tmp_path / "raw"),
        "--devices_path", str(tmp_path / "d"), "--quarantine_path", str(tmp_path / "q"),
        "--curated_table", "curated_telemetry",
    ]
    with pytest.raises(Exception, match="not an Iceberg table"):
        run_script("curate_job", argv, {"glue": FakeGlue(HIVE_TABLE)})
    assert not (tmp_path / "q").exists()


def test_features_job_exports_sweeps_and_announces_last(spark, tmp_path, run_script, monkeypatch, new_table):
    from lake_jobs import objects
    from test_output_files import curated_rows

    curated, table = new_table(CURATED_TABLE), new_table(FEATURES_TABLE)
    fill_curated(spark, curated, curated_rows(spark))
    out = tmp_path / "training" / "telemetry"
    swept = []
    s3 = object()
    # The channels are swept before current.json names them.
    monkeypatch.setattr(objects, "remove_non_data_objects",
                        lambda client, uri: swept.append((client, uri, (out / "current.json").exists())) or [])
    run_script("features_job", [
        "--JOB_NAME", "features", *iceberg_args(table), "--curated_table", name_of(curated),
        "--features_table", name_of(table), "--output_path", f"{out}/",
    ], {"s3": s3, "glue": FakeGlue()})
    current = json.loads((out / "current.json").read_text())
    root = f"{out}/snapshots/{current['features_snapshot_id']}"
    assert swept == [(s3, f"{root}/train/", False), (s3, f"{root}/validation/", False)]
    assert (current["train_uri"], current["validation_uri"]) == (f"{root}/train/", f"{root}/validation/")
    assert current["curated_snapshot_id"] == str(iceberg.current_snapshot(spark, curated).snapshot_id)
    tags = [r.name for r in spark.sql(f"SELECT name FROM {table}.refs WHERE type = 'TAG'").collect()]
    assert tags == [current["features_tag"]]


def test_training_set_job_rebuilds_and_compares(spark, tmp_path, run_script, new_table):
    from lake_jobs import training
    from test_output_files import curated_rows

    curated, table = new_table(CURATED_TABLE), new_table(FEATURES_TABLE)
    fill_curated(spark, curated, curated_rows(spark))
    registered = training.publish_features(spark, curated, table, str(tmp_path / "training"), 30).current
    argv = [
        "--JOB_NAME", "training-set", *iceberg_args(table), "--features_table", name_of(table),
        "--features_snapshot_id", registered["features_snapshot_id"], "--manifest_uri", registered["manifest_uri"],
        "--output_path", str(tmp_path / "rebuilt"), "--compare_with", registered["train_uri"].rsplit("/train/", 1)[0],
    ]
    run_script("training_set_job", argv, {"glue": FakeGlue()})
    # A registered set that lost a row is not the same set.
    train = tmp_path / "training" / "snapshots" / registered["features_snapshot_id"] / "train"
    (part,) = [p for p in train.iterdir() if p.name.startswith("part-")]
    part.write_text("".join(part.read_text().splitlines(keepends=True)[1:]))
    for crc in train.glob(".*.crc"):
        crc.unlink()
    with pytest.raises(Exception, match="rebuilt train rows differ"):
        run_script("training_set_job", argv, {"glue": FakeGlue()})


def test_migrate_job_copies_hive_days_and_refuses_nothing(spark, tmp_path, run_script, new_table):
    from lake_jobs.curate import curate
    from rows import no_devices

    hive = tmp_path / "curated" / "telemetry"
    curated, _ = curate(raw_frame(spark, [raw_row(device_id=d, ts=utc(2024, 3, 7, h)) for d in ("a", "b") for h in (1, 2)]),
                        no_devices(spark))
    (curated.withColumn("year", F.lit("2024")).withColumn("month", F.lit("03")).withColumn("day", F.lit("07"))
     .write.partitionBy("year", "month", "day").parquet(str(hive)))
    table = new_table(CURATED_TABLE)
    argv = ["--JOB_NAME", "migrate-curated", *iceberg_args(table), "--hive_path", str(hive), "--curated_table", name_of(table)]
    run_script("migrate_job", argv, {"glue": FakeGlue()})
    assert spark.table(table).count() == 4
