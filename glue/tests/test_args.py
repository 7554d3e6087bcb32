"""Job arguments: clear errors before Spark starts, Glue's own arguments tolerated."""

import pytest

from lake_jobs.args import CURATE_ARGS, FEATURES_ARGS, MIGRATE_ARGS, TRAINING_SET_ARGS, JobArgumentError, resolve

# What Glue itself adds to every run, around the job's own arguments.
GLUE_NOISE = [
    "--JOB_ID", "j_123", "--JOB_RUN_ID", "jr_456", "--job-bookmark-option", "job-bookmark-enable",
    "--TempDir", "s3://tmp/", "--enable-metrics", "true",
]

KEY = "arn:aws:kms:eu-west-1:111122223333:key/k"
ICEBERG_OK = dict(warehouse="s3://curated/iceberg/", lake_key_arn=KEY, database="datalake_sandbox")


def argv(**kwargs):
    out = ["script.py", *GLUE_NOISE]
    for k, v in kwargs.items():
        out += [f"--{k}", v]
    return out


CURATE_OK = dict(
    JOB_NAME="curate", **ICEBERG_OK, raw_path="s3://raw/telemetry/",
    devices_path="s3://raw/landing/devices/", quarantine_path="s3://curated/quarantine/telemetry/",
    curated_table="curated_telemetry",
)
FEATURES_OK = dict(JOB_NAME="f", **ICEBERG_OK, curated_table="curated_telemetry", features_table="training_features",
                   output_path="s3://a/training/")


def test_curate_resolves_all_arguments():
    assert resolve(CURATE_ARGS, argv(**CURATE_OK)) == {**CURATE_OK, "catalog": "glue_catalog"}


def test_missing_argument_is_named_with_its_purpose():
    given = {k: v for k, v in CURATE_OK.items() if k != "devices_path"}
    with pytest.raises(JobArgumentError) as err:
        resolve(CURATE_ARGS, argv(**given))
    message = str(err.value)
    assert "Missing required job argument(s): --devices_path." in message
    assert "--devices_path: S3 prefix of the device metadata CSV files" in message
    assert "--raw_path" not in message


def test_every_missing_argument_is_listed_at_once():
    with pytest.raises(JobArgumentError) as err:
        resolve(FEATURES_ARGS, ["features_job.py", "--JOB_NAME", "features"])
    assert ("Missing required job argument(s): --warehouse, --lake_key_arn, --database, --curated_table, "
            "--features_table, --output_path.") in str(err.value)


def test_empty_value_and_flag_without_value_count_as_missing():
    given = {k: v for k, v in CURATE_OK.items() if k != "curated_table"}
    given["raw_path"] = "  "
    with pytest.raises(JobArgumentError, match=r"--raw_path, --curated_table\."):
        resolve(CURATE_ARGS, [*argv(**given), "--curated_table"])


def test_features_defaults_and_parsing():
    got = resolve(FEATURES_ARGS, argv(**FEATURES_OK))
    assert got["horizon_hours"] == 24 and got["train_percent"] == 80
    assert got["max_site_categories"] == 50 and got["quantile_error"] == 0.0001 and got["tag_retain_days"] == 365
    got = resolve(FEATURES_ARGS, [*argv(**FEATURES_OK), "--horizon_hours=12", "--catalog", "lake"])
    assert got["horizon_hours"] == 12 and got["catalog"] == "lake"


def test_invalid_values_are_reported_with_missing_ones():
    given = {k: v for k, v in FEATURES_OK.items() if k != "curated_table"}
    with pytest.raises(JobArgumentError) as err:
        resolve(FEATURES_ARGS, argv(**given, horizon_hours="soon", train_percent="100"))
    message = str(err.value)
    assert "--curated_table" in message
    assert "--horizon_hours: 'soon' is not a whole number" in message
    assert "--train_percent: '100' is not between 1 and 99" in message


def test_required_names_are_what_getresolvedoptions_gets():
    assert CURATE_ARGS.required_names() == [
        "JOB_NAME", "warehouse", "lake_key_arn", "database", "raw_path", "devices_path", "quarantine_path", "curated_table",
    ]
    assert FEATURES_ARGS.required_names() == [
        "JOB_NAME", "warehouse", "lake_key_arn", "database", "curated_table", "features_table", "output_path",
    ]


def test_training_set_takes_what_the_registry_records():
    got = resolve(TRAINING_SET_ARGS, argv(JOB_NAME="t", **ICEBERG_OK, features_table="training_features",
                                          features_snapshot_id="8744736658442914487",
                                          manifest_uri="s3://a/training/telemetry/snapshots/8744736658442914487/manifest.json",
                                          output_path="s3://a/training/rebuilt/"))
    assert got["features_snapshot_id"] == 8744736658442914487 and got["compare_with"] == ""
    with pytest.raises(JobArgumentError) as err:
        resolve(TRAINING_SET_ARGS, argv(JOB_NAME="t", **ICEBERG_OK, features_table="f", features_snapshot_id="latest",
                                        manifest_uri="training/manifest.json", output_path="s3://a/"))
    assert "--features_snapshot_id: 'latest' is not a snapshot id" in str(err.value)
    assert "--manifest_uri: 'training/manifest.json' is not an s3:// URI" in str(err.value)


def test_migrate_needs_where_the_parquet_is():
    with pytest.raises(JobArgumentError, match="--hive_path: S3 prefix of the Hive-style curated Parquet"):
        resolve(MIGRATE_ARGS, argv(JOB_NAME="m", **ICEBERG_OK, curated_table="curated_telemetry"))
