"""Read an Iceberg table with DuckDB's iceberg extension: an engine other than the Spark that wrote it.

    .venv-iceberg-reader/bin/python scripts/icebergread/read.py count METADATA_JSON [--snapshot ID]
    .venv-iceberg-reader/bin/python scripts/icebergread/read.py query METADATA_JSON --sql FILE --table NAME --today YYYY-MM-DD

make e2e's lineage phase runs it on the curated_telemetry table the jobs'
code wrote on local Spark: ``count`` counts the rows of the table as of its
current snapshot, or as of ``--snapshot`` (time travel by snapshot id, as
the registry records it); ``query`` runs a named query's SQL file with
``--table`` bound to the table and ``current_date`` pinned to ``--today``,
and prints its rows. It reads the table from its metadata file alone, as
Athena reads a Glue catalog table from the metadata location the catalog
names. Output: one JSON line.

The extensions load from the pip wheels (requirements-iceberg-reader.txt),
with autoinstall off, so nothing is downloaded.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import json
import sys
from pathlib import Path

import duckdb
import duckdb_ext


def connect() -> duckdb.DuckDBPyConnection:
    # duckdb_ext is a namespace package the extension wheels share: no __file__.
    extensions = Path(list(duckdb_ext.__path__)[0]) / "extensions"
    con = duckdb.connect(config={"extension_directory": str(extensions), "autoinstall_known_extensions": False})
    con.execute("LOAD iceberg")
    return con


def scan(metadata: str, snapshot: int | None = None) -> str:
    quoted = metadata.replace("'", "''")
    return f"iceberg_scan('{quoted}'" + (f", snapshot_from_id = {int(snapshot)})" if snapshot is not None else ")")


def plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("count")
    c.add_argument("metadata")
    c.add_argument("--snapshot", type=int)
    q = sub.add_parser("query")
    q.add_argument("metadata")
    q.add_argument("--sql", required=True)
    q.add_argument("--table", required=True)
    q.add_argument("--today", required=True, type=datetime.date.fromisoformat)
    opts = parser.parse_args()

    con = connect()
    if opts.command == "count":
        n = con.execute(f"SELECT count(*) FROM {scan(opts.metadata, opts.snapshot)}").fetchone()[0]
        print(json.dumps({"rows": n}))
        return 0
    con.execute(f"CREATE VIEW {opts.table} AS SELECT * FROM {scan(opts.metadata)}")
    sql = Path(opts.sql).read_text().replace("current_date", f"DATE '{opts.today:%Y-%m-%d}'")
    result = con.execute(sql)
    columns = [d[0] for d in result.description]
    rows = [[plain(v) for v in row] for row in result.fetchall()]
    print(json.dumps({"columns": columns, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
