"""Bytes each named raw_telemetry query makes DuckDB read, per storage layout.

Athena bills the bytes it reads from S3 ($5 per TB), so the bytes a query
engine reads from the files is the cost proxy. For every layout that
scripts/cost wrote (json/, json-flat/, parquet/) and every SQL file in
internal/queries that reads raw_telemetry, this creates a fresh DuckDB
connection, defines the view raw_telemetry over the layout, runs the SQL text
unchanged and records what DuckDB read.

How bytes are measured: DuckDB's own query profile. With profiling enabled
(JSON format) DuckDB reports, per query, io.total_bytes_read: the bytes its
file system layer actually read from files, footers and metadata included,
for JSON and Parquet alike. Each scan operator also reports "Total Files
Read". That is a measurement of real reads rather than an estimate from file
sizes, and it needs no extra package (duckdb.register_filesystem would need
fsspec, which the project does not install). Every measurement uses a new
connection, so no cache carries data from one query to the next.

    .venv/bin/python scripts/cost/scan.py DATA_DIR            # Markdown table
    .venv/bin/python scripts/cost/scan.py DATA_DIR --json     # figures and result rows as JSON
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import re
import sys
import tempfile
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
QUERIES = REPO / "internal" / "queries"
TABLE = "raw_telemetry"

# Athena: $5 per TB scanned, rounded up to the next MB, at least 10 MB per query.
PRICE_PER_TB = 5.0
TB = 1024**4
MB = 1024**2
MIN_BILLED = 10 * MB

# The Glue table's columns (internal/schema) with DuckDB types; the Athena
# timestamp has no time zone.
COLUMNS = {
    "device_id": "VARCHAR",
    "ts": "TIMESTAMP",
    "temperature_c": "DOUBLE",
    "humidity_pct": "DOUBLE",
    "vibration_mm_s": "DOUBLE",
    "pressure_kpa": "DOUBLE",
    "battery_v": "DOUBLE",
    "status": "VARCHAR",
    "site": "VARCHAR",
    "firmware": "VARCHAR",
    "extras": "VARCHAR",
}
PARTITIONS = ("year", "month", "day", "hour")
LAYOUTS = ("json", "json-flat", "parquet")
LABELS = {"json": "JSON partitioned", "json-flat": "JSON flat", "parquet": "Parquet"}


def view_sql(layout: str, root: Path) -> str:
    """CREATE VIEW raw_telemetry over one layout, with the Glue table's columns and string partitions."""
    columns = ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items())
    names = ", ".join(COLUMNS)
    # Partition values stay zero-padded strings ('03'), as partition projection declares them.
    hive = "hive_partitioning = true, hive_types_autocast = false"
    if layout == "json":
        source = f"read_json('{root}/json/**/*.json', format = 'newline_delimited', columns = {{{columns}}}, {hive})"
        return f"CREATE VIEW {TABLE} AS SELECT {names}, {', '.join(PARTITIONS)} FROM {source}"
    if layout == "json-flat":
        # No partition folders: year/month/day/hour are derived from ts, so every filter reads every file.
        source = f"read_json('{root}/json-flat/*.json', format = 'newline_delimited', columns = {{{columns}}})"
        derived = "strftime(ts, '%Y') AS year, strftime(ts, '%m') AS month, strftime(ts, '%d') AS day, strftime(ts, '%H') AS hour"
        return f"CREATE VIEW {TABLE} AS SELECT {names}, {derived} FROM {source}"
    if layout == "parquet":
        # Parquet's TIMESTAMP(MILLIS, UTC) reads as TIMESTAMPTZ; the session is UTC, so the cast keeps the instant.
        select = ", ".join("CAST(ts AS TIMESTAMP) AS ts" if c == "ts" else c for c in COLUMNS)
        source = f"read_parquet('{root}/parquet/**/*.parquet', {hive})"
        return f"CREATE VIEW {TABLE} AS SELECT {select}, {', '.join(PARTITIONS)} FROM {source}"
    raise ValueError(layout)


def last_day(root: Path) -> datetime.date:
    """The newest event day under the partitioned layouts (year=/month=/day= folders)."""
    days = []
    for layout in ("parquet", "json"):
        for d in (root / layout).glob("year=*/month=*/day=*"):
            parts = dict(p.split("=", 1) for p in d.relative_to(root / layout).parts)
            days.append(datetime.date(int(parts["year"]), int(parts["month"]), int(parts["day"])))
    if not days:
        sys.exit(f"scan.py: no year=/month=/day= partitions under {root}")
    return max(days)


def as_of(sql: str, day: datetime.date) -> str:
    """sql as it runs on day: queries that look back from current_date (data_freshness)
    read the generated data whenever this runs (internal/queries AsOf does the same in Go)."""
    return re.sub(r"(?i)\bcurrent_date\b", f"DATE '{day.isoformat()}'", sql)


def named_queries(day: datetime.date) -> dict[str, str]:
    """name -> SQL, as of day, of every query file that reads raw_telemetry."""
    out = {}
    for path in sorted(QUERIES.glob("*.sql")):
        sql = as_of(path.read_text(), day)
        body = "\n".join(line.split("--", 1)[0] for line in sql.splitlines()).lower()
        if f"from {TABLE}" in body or f"join {TABLE}" in body:
            out[path.stem] = sql
    return out


def files_read(node) -> int:
    """Sum of 'Total Files Read' over every scan in a profile tree."""
    n = 0
    info = node.get("extra_info") or {}
    if "Total Files Read" in info:
        n += int(info["Total Files Read"])
    for child in node.get("children", []):
        n += files_read(child)
    return n


def normalize(value):
    """A result value in a form equal across layouts: floats to 12 significant digits
    (parallel aggregation may sum in another order), times as ISO text."""
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.12g}")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def measure(root: Path, layout: str, sql: str, profile_dir: Path) -> dict:
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(view_sql(layout, root))
        profile = profile_dir / f"{layout}.json"
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"PRAGMA profiling_output = '{profile}'")
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description]
        rows = [[normalize(v) for v in row] for row in cur.fetchall()]
        con.execute("PRAGMA disable_profiling")
        report = json.loads(profile.read_text())
    finally:
        con.close()
    io = report.get("io")
    if not io or "total_bytes_read" not in io:
        sys.exit("scan.py: this DuckDB's profile has no io.total_bytes_read; it needs DuckDB 2.0 (see requirements.txt)")
    return {
        "bytes_read": int(io["total_bytes_read"]),
        "read_operations": int(io.get("total_read_operations", 0)),
        "files_read": sum(files_read(op) for op in report.get("operator", [])),
        "seconds": float(report.get("query", {}).get("total_time", 0.0)),
        "columns": columns,
        "rows": rows,
    }


def layout_size(root: Path, layout: str) -> tuple[int, int]:
    files = [p for p in (root / layout).rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def billed_dollars_per_1000(bytes_read: int) -> float:
    billed = max(math.ceil(bytes_read / MB) * MB, MIN_BILLED)
    return 1000 * billed / TB * PRICE_PER_TB


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def scan(root: Path) -> dict:
    layouts = [l for l in LAYOUTS if (root / l).is_dir()]
    if not layouts:
        sys.exit(f"scan.py: no layout ({', '.join(LAYOUTS)}) under {root}")
    result = {"layouts": {}, "queries": {}}
    for layout in layouts:
        files, size = layout_size(root, layout)
        result["layouts"][layout] = {"files": files, "bytes": size}
    with tempfile.TemporaryDirectory() as tmp:
        for name, sql in named_queries(last_day(root)).items():
            result["queries"][name] = {layout: measure(root, layout, sql, Path(tmp)) for layout in layouts}
    return result


def markdown(result: dict) -> str:
    layouts = list(result["layouts"])
    lines = []
    head = ["query"] + [f"{LABELS[l]} bytes read (files)" for l in layouts]
    if "json" in layouts and "parquet" in layouts:
        head.append("Parquet/JSON ratio")
    head += [f"$ per 1,000 runs, {LABELS[l]}" for l in layouts]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|")
    for name, by_layout in result["queries"].items():
        cells = [name]
        for l in layouts:
            m = by_layout[l]
            cells.append(f"{m['bytes_read']:,} ({human(m['bytes_read'])}, {m['files_read']} files)")
        if "json" in layouts and "parquet" in layouts:
            json_bytes = by_layout["json"]["bytes_read"]
            cells.append(f"{by_layout['parquet']['bytes_read'] / json_bytes:.3f}" if json_bytes else "n/a")
        cells += [f"{billed_dollars_per_1000(by_layout[l]['bytes_read']):.4f}" for l in layouts]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Data per layout: " + "; ".join(
        f"{LABELS[l]} {v['bytes']:,} bytes ({human(v['bytes'])}) in {v['files']} files" for l, v in result["layouts"].items()))
    lines.append("$ per 1,000 runs: $5 per TB (2^40 bytes) scanned, each query rounded up to the next MB with "
                 "Athena's 10 MB minimum per query, so small scans all cost the minimum.")
    lines.append("Bytes read: DuckDB's profile (io.total_bytes_read), files: the scans' 'Total Files Read'.")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="directory scripts/cost wrote (with json/, json-flat/, parquet/)")
    parser.add_argument("--json", action="store_true", help="print figures and result rows as JSON")
    args = parser.parse_args(argv)
    result = scan(args.data.resolve())
    if args.json:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
