"""The curate and features jobs' Iceberg steps on local Spark, for the end-to-end test's lineage phase.

    python glue/local_lineage.py publish --raw DIR --warehouse DIR --out DIR
    python glue/local_lineage.py rebuild --warehouse DIR --registered FILE --out DIR
    python glue/local_lineage.py query --warehouse DIR --sql FILE --today YYYY-MM-DD

The local emulator runs no Glue job (docs/local.md), so `make e2e` runs the
jobs' own lake_jobs calls here instead, on the raw Parquet objects the
emulator's Firehose delivered (downloaded into --raw with their keys):

- publish: what curate does with new raw files (read by path, partitions
  restored from the keys, curate, MERGE into curated_telemetry in one staged
  commit), then what features does (training_features in one commit, tagged,
  exported under --out/snapshots/<id>/ with current.json). Every raw file is
  read each time, as a curate run without bookmarks would: rows already in
  the table write nothing. Prints one JSON line: {"written": rows the MERGE
  wrote, "current": current.json}.
- rebuild: lake_jobs.training.rebuild from a registry entry (the JSON file
  --registered: features_snapshot_id and a local manifest_uri), the
  training_set job's step. Prints {"train": dir, "validation": dir}.
- query: a named query's SQL file on curated_telemetry, unchanged but for
  current_date pinned to --today; prints {"columns": [...], "rows": [...]}
  for the e2e to compare with a second engine (scripts/icebergread).

The Iceberg catalog is the local one the tests use (a folder, --warehouse),
kept between the two commands. Spark runs on 127.0.0.1 with its web UI off.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path

from pyspark.sql import functions as F

from bench_local import local_spark
from lake_jobs import curate, features, iceberg, storage, training

CURATED = f"lake.db.{curate.CURATED_TABLE.name}"
FEATURES = f"lake.db.{features.FEATURES_TABLE.name}"
SOURCE_FILE = "_source_file"
# The features job's default (lake_jobs.args): tags keep a training snapshot a year.
TAG_RETAIN_DAYS = 365


def keep_data_files(channel: str) -> None:
    """The features job's clean step for a local folder: only the CSV part files stay (Spark adds .crc files)."""
    folder = Path(channel.removeprefix("file:"))
    for path in folder.iterdir():
        if not path.name.startswith("part-"):
            path.unlink()


def publish(spark, raw_dir: str, out: str) -> dict:
    for table, definition in ((CURATED, curate.CURATED_TABLE), (FEATURES, features.FEATURES_TABLE)):
        if not spark.catalog.tableExists(table):
            iceberg.create_table(spark, table, definition)
    # The emulator's Firehose writes ts as a Parquet timestamp not adjusted to UTC, which Spark reads as
    # TIMESTAMP_NTZ: curate takes it as UTC (lake_jobs.curate._ts_as_utc).
    raw = spark.read.option("recursiveFileLookup", "true").parquet(raw_dir)
    raw = storage.with_source_partitions(raw.withColumn(SOURCE_FILE, F.input_file_name()), SOURCE_FILE)
    no_devices = spark.createDataFrame([], ", ".join(f"{c} string" for c in curate.DEVICE_COLUMNS))
    curated, _ = curate.curate(raw, no_devices, run_id="e2e")
    written = curate.merge_into(spark, CURATED, curated)
    published = training.publish_features(spark, CURATED, FEATURES, out, TAG_RETAIN_DAYS, clean=keep_data_files)
    return {"written": written, "current": published.current}


def rebuild(spark, registered_file: str, out: str) -> dict:
    registered = json.loads(Path(registered_file).read_text())
    layout = training.rebuild(spark, FEATURES, registered, out)
    for channel in layout.channels:
        keep_data_files(channel)
    return {"train": layout.train, "validation": layout.validation}


def query(spark, sql_file: str, today: str) -> dict:
    spark.sql("USE lake.db")
    sql = Path(sql_file).read_text().replace("current_date", f"DATE '{date.fromisoformat(today):%Y-%m-%d}'")
    df = spark.sql(sql)
    rows = [[v.isoformat() if isinstance(v, (date, datetime)) else v for v in row] for row in df.collect()]
    return {"columns": df.columns, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("publish")
    p.add_argument("--raw", required=True)
    p.add_argument("--warehouse", required=True)
    p.add_argument("--out", required=True)
    r = sub.add_parser("rebuild")
    r.add_argument("--warehouse", required=True)
    r.add_argument("--registered", required=True)
    r.add_argument("--out", required=True)
    q = sub.add_parser("query")
    q.add_argument("--warehouse", required=True)
    q.add_argument("--sql", required=True)
    q.add_argument("--today", required=True)
    opts = parser.parse_args()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = local_spark("lake-e2e-lineage", Path(opts.warehouse))
    try:
        if opts.command == "publish":
            result = publish(spark, opts.raw, opts.out)
        elif opts.command == "rebuild":
            result = rebuild(spark, opts.registered, opts.out)
        else:
            result = query(spark, opts.sql, opts.today)
    finally:
        spark.stop()
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
