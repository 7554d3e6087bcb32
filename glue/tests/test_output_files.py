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

from lake_jobs import features, session, storage, training
from lake_jobs.curate import CURATED_TABLE, curate
from lake_jobs.features import FEATURES_TABLE
from rows import fill_curated, no_devices, raw_frame, raw_row, utc


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


def test_features_channels_hold_only_csv_part_files(spark, new_table, tmp_path):
    curated, table = new_table(CURATED_TABLE), new_table(FEATURES_TABLE)
    fill_curated(spark, curated, curated_rows(spark))
    out = tmp_path / "training" / "telemetry"
    # Twice: each run exports a set of its own, next to the previous one, and moves current.json.
    roots = []
    for run in (1, 2):
        layout = training.publish_features(spark, curated, table, str(out), 30).layout
        root = Path(layout.root)
        roots.append(root)
        files = listing(root)
        train = [f for f in files if f.startswith("train/")]
        validation = [f for f in files if f.startswith("validation/")]
        assert len(train) == len(validation) == 1, files
        for name in train + validation:
            assert is_part_file(name, ".csv"), f"run {run}: {name} is under a SageMaker channel and is not a CSV part file"
            assert name.count("/") == 1, f"run {run}: {name}: channels are flat"
            assert (root / name).stat().st_size > 0, f"run {run}: {name} is empty"
        # The manifest is beside the channels, never in them, and is the only other file.
        assert sorted(set(files) - set(train) - set(validation)) == ["manifest.json"], run
        assert layout.channels == (f"{root}/train/", f"{root}/validation/")
        assert all(not layout.manifest.startswith(channel) for channel in layout.channels)
    assert roots[0] != roots[1] and roots[0].parent == roots[1].parent == out / "snapshots"
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".crc")) == ["current.json", "snapshots"]


def test_quarantine_holds_only_parquet_part_files(spark, tmp_path):
    raw = raw_frame(spark, [
        raw_row(device_id="a", ts=utc(2024, 3, 7, 23, 30)),
        raw_row(device_id="bad id", ts=utc(2024, 3, 8, 0, 30)),
        raw_row(device_id="bad id", ts=utc(2024, 3, 8, 1, 0)),
    ])
    _, quarantine = curate(raw, no_devices(spark))
    # Twice: the second run rewrites the same partitions (and must leave no staging folder).
    for _ in range(2):
        storage.write_quarantine(spark, quarantine, str(tmp_path / "quarantine"))

    quarantine_files = listing(tmp_path / "quarantine")
    assert [f.rpartition("/")[0] for f in quarantine_files] == [
        "year=2024/month=03/day=08/hour=00", "year=2024/month=03/day=08/hour=01",
    ]
    for name in quarantine_files:
        assert is_part_file(name, ".parquet"), f"{name} is not a Parquet part file"
    # Nothing at all besides the partition folders: no _SUCCESS, no .spark-staging-*, no _temporary.
    assert sorted(p.name for p in (tmp_path / "quarantine").iterdir()) == ["year=2024"]
