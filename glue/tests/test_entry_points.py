"""The Glue entry points' wiring, run locally with stand-ins for awsglue and boto3.

awsglue exists only inside Glue and boto3 is not a test dependency, so both
are replaced by small fakes in sys.modules: the scripts then run as Glue
would run them (same arguments, same calls into lake_jobs), on local folders.
What the fakes cannot show (bookmarks, EMRFS, IAM) is covered by the
lake_jobs tests and by the deployed jobs.
"""

import importlib
import sys
import types

import pytest
from pyspark.sql import functions as F

from lake_jobs import schema
from rows import raw_frame, raw_row, utc
from test_catalog import TABLE, FakeGlue

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
    for name in ("curate_job", "features_job"):
        sys.modules.pop(name, None)


def test_curate_job_writes_registers_and_survives_a_retry(spark, tmp_path, run_script):
    raw_root = tmp_path / "raw" / "telemetry"
    raw = raw_frame(spark, [
        raw_row(device_id="a", ts=utc(2024, 3, 7, 23, 30)),
        raw_row(device_id="a", ts=utc(2024, 3, 8, 0, 30)),
        raw_row(device_id="bad id", ts=utc(2024, 3, 8, 0, 45)),
    ])
    for hour in ("23", "00"):
        day = "07" if hour == "23" else "08"
        part = raw.where(F.col("hour") == hour).drop(*schema.PARTITION_KEYS)
        part.write.parquet(str(raw_root / "year=2024" / "month=03" / f"day={day}" / f"hour={hour}"))
    curated_path = f"{tmp_path}/curated/telemetry/"
    table = {**TABLE, "StorageDescriptor": {**TABLE["StorageDescriptor"], "Location": curated_path}}
    glue = FakeGlue(table=table)
    argv = [
        "--JOB_NAME", "curate", "--raw_path", str(raw_root), "--devices_path", str(tmp_path / "no-devices"),
        "--curated_path", curated_path, "--quarantine_path", str(tmp_path / "quarantine"),
        "--database", "datalake_sandbox", "--curated_table", "curated_telemetry",
    ]

    for attempt in (1, 2):  # the second run reads the same raw files, as a retry before the bookmark commit does
        run_script("curate_job", argv, {"glue": glue})
        assert spark.read.parquet(curated_path).count() == 2, attempt
        assert spark.read.parquet(str(tmp_path / "quarantine")).count() == 1, attempt

    registered = [p["Values"] for call in glue.calls for p in call["PartitionInputList"]]
    assert registered == [["2024", "03", "07"], ["2024", "03", "08"]] * 2
    assert glue.existing == {("2024", "03", "07"), ("2024", "03", "08")}
    location = glue.calls[0]["PartitionInputList"][0]["StorageDescriptor"]["Location"]
    assert location == f"{curated_path}year=2024/month=03/day=07/"


def test_curate_job_refuses_a_table_elsewhere_before_writing(spark, tmp_path, run_script):
    argv = [
        "--JOB_NAME", "curate", "--raw_path", str(tmp_path / "raw"), "--devices_path", str(tmp_path / "d"),
        "--curated_path", str(tmp_path / "curated"), "--quarantine_path", str(tmp_path / "q"),
        "--database", "datalake_sandbox", "--curated_table", "curated_telemetry",
    ]
    with pytest.raises(Exception, match="located at"):
        run_script("curate_job", argv, {"glue": FakeGlue()})
    assert not (tmp_path / "curated").exists()


def test_features_job_writes_the_layout_and_sweeps_both_channels(spark, tmp_path, run_script, monkeypatch):
    from lake_jobs import objects
    from test_output_files import curated_rows

    curated_path = tmp_path / "curated"
    curated_rows(spark).write.parquet(str(curated_path))
    swept = []
    s3 = object()
    monkeypatch.setattr(objects, "remove_non_data_objects", lambda client, uri: swept.append((client, uri)) or [])
    out = f"{tmp_path}/training/telemetry/"
    run_script("features_job", ["--JOB_NAME", "features", "--curated_path", str(curated_path), "--output_path", out],
               {"s3": s3})
    assert swept == [(s3, f"{tmp_path}/training/telemetry/train/"), (s3, f"{tmp_path}/training/telemetry/validation/")]
    assert sorted(p.name for p in (tmp_path / "training" / "telemetry").iterdir() if not p.name.endswith(".crc")) == [
        "manifest.json", "train", "validation",
    ]

