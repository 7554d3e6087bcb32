"""Files and bytes each named query on curated_telemetry scans, before and after compaction, on the same data.

    python glue/iceberg_cost.py                          # 20 devices x 3 days, one curate run an hour
    python glue/iceberg_cost.py --devices 50 --days 7 --json

Generates raw telemetry (bench_local.generate_raw), curates it with the curate
job's own code and merges it into a local Iceberg table one hour at a time,
as the hourly curate run does on AWS: every run commits a snapshot with at
least one new small file in the day it touched. Then it runs every SQL file
in internal/queries that reads curated_telemetry, unchanged except for the
pinned clock, compacts the table with Iceberg's rewrite_data_files (binpack,
the strategy the Glue Data Catalog's compaction optimizer uses by default)
and runs the same queries again. It fails if any query returns different
rows after compaction.

What is measured: Iceberg's own scan planning, read from the Spark plan of
each query after it ran (the metrics Iceberg's SparkScan reports per scan):
data files the scan kept after partition and column-statistics pruning
(resultDataFiles), their total size (totalDataFileSize) and the manifests
read (scannedDataManifests). Athena engine 3 plans an Iceberg scan from the
same metadata, and bills the bytes it reads from those files: at most their
size, less when only some columns are read. Athena reads each file's footer
and each column chunk with separate S3 requests, so many small files cost
requests and time even when the bytes are the same; the file count shows
that. Athena's own figures need an account (scripts/awscheck).

The time-travel query's "a day ago" is pinned to the moment half the hourly
runs had committed (every snapshot here is minutes old). It reads that
snapshot's files, which compaction does not rewrite: only snapshot retention
removes them.

Spark runs in local mode on 127.0.0.1 with its web UI off
(bench_local.local_spark). It needs the Iceberg runtime make test-glue
fetches (.build/jars/).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from bench_local import START, generate_devices, generate_raw, local_spark
from lake_jobs import curate, iceberg

REPO = Path(__file__).resolve().parents[1]
QUERIES = REPO / "internal" / "queries"
TABLE = curate.CURATED_TABLE.name

# Athena: $5 per TB scanned, at least 10 MB per query (https://aws.amazon.com/athena/pricing/).
PRICE_PER_TB = 5.0
MIN_BILLED = 10 * 1024**2


@dataclass(frozen=True)
class Scan:
    """What Iceberg planned for one table scan of a query."""

    files: int
    bytes: int
    manifests: int
    skipped_files: int


def curated_queries() -> dict[str, str]:
    """Every named query that reads curated_telemetry, by file stem."""
    found = {}
    for path in sorted(QUERIES.glob("*.sql")):
        text = path.read_text()
        if re.search(rf"\b{TABLE}\b", text):
            found[path.stem] = text
    return found


def pin_clock(sql: str, today: datetime, a_day_ago: datetime) -> str:
    """``current_date`` as ``today`` and the time-travel point as ``a_day_ago`` (as the named-query tests pin them)."""
    sql = sql.replace("(current_timestamp - INTERVAL '1' DAY)", f"TIMESTAMP '{a_day_ago:%Y-%m-%d %H:%M:%S.%f}'")
    return sql.replace("current_date", f"DATE '{today:%Y-%m-%d}'")


def _scans(node, out: list[Scan]) -> None:
    name = node.getClass().getSimpleName()
    if name == "BatchScanExec":
        metrics = {}
        it = node.metrics().iterator()
        while it.hasNext():
            kv = it.next()
            metrics[kv._1()] = int(kv._2().value())
        out.append(
            Scan(
                files=metrics.get("resultDataFiles", 0),
                bytes=metrics.get("totalDataFileSize", 0),
                manifests=metrics.get("scannedDataManifests", 0),
                skipped_files=metrics.get("skippedDataFiles", 0),
            )
        )
        return
    # Adaptive execution keeps the plan that ran inside its own node and each query stage.
    if name == "AdaptiveSparkPlanExec":
        _scans(node.executedPlan(), out)
        return
    if name.endswith("QueryStageExec"):
        _scans(node.plan(), out)
        return
    children = node.children().iterator()
    while children.hasNext():
        _scans(children.next(), out)


def run(spark: SparkSession, sql: str) -> tuple[list[tuple], list[Scan]]:
    """The rows ``sql`` returns and the Iceberg scans it made."""
    df = spark.sql(sql)
    rows = [tuple(r) for r in df.collect()]
    scans: list[Scan] = []
    _scans(df._jdf.queryExecution().executedPlan(), scans)
    return rows, scans


def data_files(spark: SparkSession, identifier: str) -> tuple[int, int]:
    """Data files in the table's current snapshot and their total size."""
    row = spark.sql(f"SELECT count(*), coalesce(sum(file_size_in_bytes), 0) FROM {identifier}.files").first()
    return int(row[0]), int(row[1])


def compact(spark: SparkSession, identifier: str) -> dict:
    """Bin-pack the table's small files, as the compaction optimizer's default strategy does."""
    catalog, name = identifier.split(".", 1)
    row = spark.sql(
        f"CALL {catalog}.system.rewrite_data_files(table => '{name}', strategy => 'binpack', "
        "options => map('min-input-files', '2'))"
    ).first()
    return row.asDict()


def same_rows(a: list[tuple], b: list[tuple]) -> bool:
    """Equal rows in the same order (the named queries end in ORDER BY), floats equal to 1e-9 relative.

    Compaction changes the order an avg adds its values in, so the last bits may differ.
    """
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if len(x) != len(y):
            return False
        for u, v in zip(x, y):
            if isinstance(u, float) and isinstance(v, float):
                if not math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12):
                    return False
            elif u != v:
                return False
    return True


def billed(nbytes: int) -> float:
    """Athena's price for a query that reads ``nbytes``, in US dollars."""
    return max(nbytes, MIN_BILLED) / 1024**4 * PRICE_PER_TB


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--interval", type=int, default=60, help="seconds between a device's readings")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    opts = parser.parse_args()
    if opts.days < 2:
        parser.error("--days must be at least 2: the time-travel query compares two days")

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    work = Path(tempfile.mkdtemp(prefix="lake-iceberg-cost-"))
    spark = local_spark("lake-iceberg-cost", work / "warehouse")
    identifier = f"lake.db.{TABLE}"
    report: dict = {"devices": opts.devices, "days": opts.days, "interval_s": opts.interval, "queries": {}}
    try:
        started = time.perf_counter()
        raw = generate_raw(spark, opts.devices, opts.days, opts.interval)
        curated, _ = curate.curate(raw, generate_devices(spark, opts.devices), run_id="cost")
        curated = curated.withColumn("_hour", F.date_trunc("hour", "ts")).localCheckpoint(eager=True)
        iceberg.create_table(spark, identifier, curate.CURATED_TABLE)
        hours = [r[0] for r in curated.select("_hour").distinct().orderBy("_hour").collect()]
        half = None
        for i, hour in enumerate(hours):
            curate.merge_into(spark, identifier, curated.where(F.col("_hour") == hour).drop("_hour"))
            if (i + 1) % 24 == 0:
                print(f"iceberg_cost: {i + 1}/{len(hours)} hourly commits", file=sys.stderr)
            if i == len(hours) // 2 - 1:
                time.sleep(0.01)
                half = datetime.now(timezone.utc).replace(tzinfo=None)
                time.sleep(0.01)
        report["curate_runs"] = len(hours)
        report["load_s"] = round(time.perf_counter() - started, 1)
        report["rows"] = spark.table(identifier).count()

        today = (START + timedelta(days=opts.days)).replace(tzinfo=None)
        queries = {name: pin_clock(sql, today, half) for name, sql in curated_queries().items()}
        if not queries:
            raise SystemExit(f"iceberg_cost: no query in {QUERIES} reads {TABLE}")

        # The queries name the table unqualified, as Athena's workgroup database resolves it.
        spark.sql("USE lake.db")
        before_files = data_files(spark, identifier)
        before = {name: run(spark, sql) for name, sql in queries.items()}
        started = time.perf_counter()
        rewrite = compact(spark, identifier)
        report["compact_s"] = round(time.perf_counter() - started, 1)
        report["rewrite"] = rewrite
        after_files = data_files(spark, identifier)
        after = {name: run(spark, sql) for name, sql in queries.items()}
        report["table_files"] = {"before": before_files, "after": after_files}

        changed = [name for name in queries if not same_rows(before[name][0], after[name][0])]
        for name in queries:
            report["queries"][name] = {
                "rows": len(before[name][0]),
                "before": [asdict(s) for s in before[name][1]],
                "after": [asdict(s) for s in after[name][1]],
            }
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)

    if opts.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_markdown(report)
    if changed:
        print(f"iceberg_cost: compaction changed the result of {', '.join(changed)}", file=sys.stderr)
        return 1
    return 0


def print_markdown(report: dict) -> None:
    (fb, bb), (fa, ba) = report["table_files"]["before"], report["table_files"]["after"]
    print(
        f"curated_telemetry (Iceberg): {report['devices']} devices x {report['days']} days, "
        f"{report['rows']:,} rows, {report['curate_runs']} hourly curate commits ({report['load_s']} s)"
    )
    print(f"data files in the current snapshot: {fb:,} ({human(bb)}) before compaction, {fa:,} ({human(ba)}) after "
          f"(rewrite_data_files: {report['compact_s']} s)")
    print()
    print("| query | scan | files before | bytes before | files after | bytes after | manifests before/after | Athena $ at most, before/after |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, q in report["queries"].items():
        for i, (b, a) in enumerate(zip(q["before"], q["after"])):
            print(
                f"| {name} | {i + 1} | {b['files']:,} | {human(b['bytes'])} | {a['files']:,} | {human(a['bytes'])} | "
                f"{b['manifests']}/{a['manifests']} | {billed(b['bytes']):.6f}/{billed(a['bytes']):.6f} |"
            )
    print()
    print("Files and bytes are Iceberg's scan plan (files kept after pruning and their size); Athena bills the bytes")
    print("it reads from them, at most their size and at least 10 MB per query. Every query returned the same rows")
    print("before and after compaction, or this script exits 1.")


if __name__ == "__main__":
    sys.exit(main())
