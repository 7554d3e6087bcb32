"""Checks on the Glue Data Catalog a job makes before Spark starts.

The lake's curated and features tables are Iceberg tables the Curated stack
creates. A job pointed at a table that does not exist, or that is not an
Iceberg table (a lake deployed before the move, whose curated_telemetry was
Hive-style Parquet), fails in seconds with a message that says what to do,
instead of deep inside Spark.

The function takes the Glue client as an argument (boto3's ``glue`` client
in the job, a fake in tests) and reads GetTable's output as the Glue API
reference gives it: https://docs.aws.amazon.com/glue/latest/webapi/API_GetTable.html
An Iceberg table carries ``table_type`` = ``ICEBERG`` and its current
``metadata_location`` in Parameters
(https://iceberg.apache.org/docs/1.7.1/aws/#glue-catalog).
"""

from __future__ import annotations

from typing import Any


class CatalogError(RuntimeError):
    """The catalog table is not what the job writes to."""


def iceberg_table(glue: Any, database: str, table: str) -> dict:
    """The table's GetTable entry, after checking that it exists and is an Iceberg table."""
    try:
        found = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except Exception as err:  # botocore's EntityNotFoundException and the like
        raise CatalogError(f"{database}.{table}: {err}. Deploy the Curated stack, which creates it.") from err
    params = found.get("Parameters") or {}
    if str(params.get("table_type", "")).upper() != "ICEBERG":
        raise CatalogError(
            f"{database}.{table} is not an Iceberg table (table_type {params.get('table_type')!r}): "
            "a lake deployed before the curated zone moved to Iceberg; see docs/etl.md, Migration"
        )
    return found
