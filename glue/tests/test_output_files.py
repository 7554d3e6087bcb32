"""The jobs' outputs hold data files only: what SageMaker, Athena and Glue read is what Spark wrote as data.

SageMaker's built-in XGBoost reads every object under its channel prefixes
train/ and validation/ as CSV; an empty _SUCCESS there fails training
("Could not determine delimiter"). These tests run the jobs' write paths
into a temporary folder, with the session settings the Glue jobs use, and
list every file.

Checksum files: a local folder is written through Hadoop's LocalFileSystem,
a ChecksumFileSystem that puts a hidden ".<name>.crc" beside every file it
writes. Glue writes to S3 through EMRFS, which is not a checksum file system,
so these files never reach S3. The listing therefore drops ".<name>.crc"
exactly when <name> is itself in the listing, and reports any other .crc
(such as "._SUCCESS.crc") as the stray file it is.
"""

from datetime import timedelta
from pathlib import Path

from pyspark.sql.types import DoubleType, StringType, StructField, StructType, TimestampType

from lake_jobs import features, session, storage
from lake_jobs.curate import curate
from rows import no_devices, raw_frame, raw_row, utc


def listing(root: Path) -> list[str]:
    """Every file under ``root`` (relative, sorted), without the local file system's own checksums."""
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}

    def local_checksum(name: str) -> bool:
        folder, _, base = name.rpartition("/")
        if not (base.startswith(".") and base.endswith(".crc")):
            return False
        of = f"{folder}/{base[1:-4]}" if folder else base[1:-4]
        return of in files

    return sorted(f for f in files if not local_checksum(f))


def is_part_file(name: str, extension: str) -> bool:
    base = name.rpartition("/")[2]
    return base.startswith("part-") and base.endswith(extension)


def test_sessions_are_configured_like_the_glue_jobs(spark):
    for key, value in session.HADOOP_CONF.items():
        assert session.hadoop_setting(spark, key) == value, key
    for key, value in session.SQL_CONF.items():
        assert spark.conf.get(key) == value, key


def curated_rows(spark, devices=12, hours=40):
    cols = StructType([
        StructField("device_id", StringType()),
        StructField("ts", TimestampType()),
        StructField("status", StringType()),
        StructField("site", StringType()),
        *[StructField(c, DoubleType()) for c in features.NUMERIC_COLUMNS],
    ])
    t0 = utc(2026, 3, 1)

    def reading(d, h):
        status = "fault" if h == 20 + d % 5 else "ok"
        return (f"dev-{d:03d}", t0 + timedelta(hours=h), status, f"site-{d % 3}",
                18.0 + d % 7 + h / 10, 40.0 + h % 9, 2.0 + (h % 5) / 3, 101.0 + d / 10, 3.9 - h / 500)

    return spark.createDataFrame([reading(d, h) for d in range(devices) for h in range(hours)], cols)


def test_features_channels_hold_only_csv_part_files(spark, tmp_path):
    result = features.build(curated_rows(spark))
    out = tmp_path / "training" / "telemetry"
    # Twice: the job replaces its output on every run and must leave nothing of the previous one behind.
    for run in (1, 2):
        layout = storage.write_training_set(spark, result, str(out))
        files = listing(out)
        train = [f for f in files if f.startswith("train/")]
        validation = [f for f in files if f.startswith("validation/")]
        assert train and validation, files
        for name in train + validation:
            assert is_part_file(name, ".csv"), f"run {run}: {name} is under a SageMaker channel and is not a CSV part file"
            assert name.count("/") == 1, f"run {run}: {name}: channels are flat"
            assert (out / name).stat().st_size > 0, f"run {run}: {name} is empty"
        # The manifest is beside the channels, never in them, and is the only other file.
        assert sorted(set(files) - set(train) - set(validation)) == ["manifest.json"], run
        if run == 1:
            first = files
    assert len(files) == len(first)
    assert layout.manifest == f"{out}/manifest.json"
    assert layout.channels == (f"{out}/train/", f"{out}/validation/")
    assert all(not layout.manifest.startswith(channel) for channel in layout.channels)


def test_curate_outputs_hold_only_parquet_part_files(spark, tmp_path):
    raw = raw_frame(spark, [
        raw_row(device_id="a", ts=utc(2024, 3, 7, 23, 30)),
        raw_row(device_id="a", ts=utc(2024, 3, 8, 0, 30)),
        raw_row(device_id="bad id", ts=utc(2024, 3, 8, 1, 0)),
        raw_row(device_id="a", ts=utc(2024, 3, 8, 0, 30), extras="twin"),
    ])
    curated, quarantine = curate(raw, no_devices(spark))
    # Twice: the second run rewrites the same partitions (and must leave no staging folder).
    for _ in range(2):
        storage.write_curated(spark, curated, str(tmp_path / "curated"))
        storage.write_quarantine(spark, quarantine, str(tmp_path / "quarantine"))

    curated_files = listing(tmp_path / "curated")
    assert [f.rpartition("/")[0] for f in curated_files] == ["year=2024/month=03/day=07", "year=2024/month=03/day=08"]
    quarantine_files = listing(tmp_path / "quarantine")
    assert [f.rpartition("/")[0] for f in quarantine_files] == [
        "year=2024/month=03/day=08/hour=00", "year=2024/month=03/day=08/hour=01",
    ]
    for name in curated_files + quarantine_files:
        assert is_part_file(name, ".parquet"), f"{name} is not a Parquet part file"
    # Nothing at all besides the partition folders: no _SUCCESS, no .spark-staging-*, no _temporary.
    for root in ("curated", "quarantine"):
        assert sorted(p.name for p in (tmp_path / root).iterdir()) == ["year=2024"], root
