"""Job arguments: clear errors before Spark starts, Glue's own arguments tolerated."""

import pytest

from lake_jobs.args import CURATE_ARGS, FEATURES_ARGS, JobArgumentError, resolve

# What Glue itself adds to every run, around the job's own arguments.
GLUE_NOISE = [
    "--JOB_ID", "j_123", "--JOB_RUN_ID", "jr_456", "--job-bookmark-option", "job-bookmark-enable",
    "--TempDir", "s3://tmp/", "--enable-metrics", "true",
]


def argv(**kwargs):
    out = ["script.py", *GLUE_NOISE]
    for k, v in kwargs.items():
        out += [f"--{k}", v]
    return out


CURATE_OK = dict(
    JOB_NAME="curate", raw_path="s3://raw/telemetry/",
    devices_path="s3://raw/landing/devices/", curated_path="s3://curated/telemetry/",
    quarantine_path="s3://curated/quarantine/telemetry/",
    database="datalake_sandbox", curated_table="curated_telemetry",
)


def test_curate_resolves_all_arguments():
    assert resolve(CURATE_ARGS, argv(**CURATE_OK)) == CURATE_OK


def test_missing_argument_is_named_with_its_purpose():
    given = {k: v for k, v in CURATE_OK.items() if k != "devices_path"}
    with pytest.raises(JobArgumentError) as err:
        resolve(CURATE_ARGS, argv(**given))
    message = str(err.value)
    assert "Missing required job argument(s): --devices_path." in message
    assert "--devices_path: S3 prefix of the device metadata CSV files" in message
    assert "--curated_path" not in message


def test_every_missing_argument_is_listed_at_once():
    with pytest.raises(JobArgumentError) as err:
        resolve(FEATURES_ARGS, ["features_job.py", "--JOB_NAME", "features"])
    assert "Missing required job argument(s): --curated_path, --output_path." in str(err.value)


def test_empty_value_and_flag_without_value_count_as_missing():
    given = {k: v for k, v in CURATE_OK.items() if k != "curated_path"}
    given["raw_path"] = "  "
    with pytest.raises(JobArgumentError, match=r"--raw_path, --curated_path\."):
        resolve(CURATE_ARGS, [*argv(**given), "--curated_path"])


def test_features_defaults_and_parsing():
    got = resolve(FEATURES_ARGS, argv(JOB_NAME="f", curated_path="s3://c/t/", output_path="s3://a/training/"))
    assert got["horizon_hours"] == 24 and got["train_percent"] == 80
    assert got["max_site_categories"] == 50 and got["quantile_error"] == 0.0001
    got = resolve(
        FEATURES_ARGS,
        ["f.py", "--JOB_NAME=f", "--curated_path=s3://c/", "--output_path", "s3://a/", "--horizon_hours", "12"],
    )
    assert got["horizon_hours"] == 12 and got["curated_path"] == "s3://c/"


def test_invalid_values_are_reported_with_missing_ones():
    with pytest.raises(JobArgumentError) as err:
        resolve(FEATURES_ARGS, argv(JOB_NAME="f", output_path="s3://a/", horizon_hours="soon", train_percent="100"))
    message = str(err.value)
    assert "--curated_path" in message
    assert "--horizon_hours: 'soon' is not a whole number" in message
    assert "--train_percent: '100' is not between 1 and 99" in message


def test_required_names_are_what_getresolvedoptions_gets():
    assert CURATE_ARGS.required_names() == [
        "JOB_NAME", "raw_path", "devices_path", "curated_path", "quarantine_path", "database", "curated_table",
    ]
    assert FEATURES_ARGS.required_names() == ["JOB_NAME", "curated_path", "output_path"]


def test_curate_needs_the_table_whose_partitions_it_registers():
    given = {k: v for k, v in CURATE_OK.items() if k not in ("database", "curated_table")}
    with pytest.raises(JobArgumentError) as err:
        resolve(CURATE_ARGS, argv(**given))
    message = str(err.value)
    assert "Missing required job argument(s): --database, --curated_table." in message
    assert "--curated_table: Glue table over --curated_path" in message
