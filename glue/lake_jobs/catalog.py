"""Register the partitions a job wrote in the Glue Data Catalog.

The curated table uses partition projection, which only Athena applies:
"Partition projection is usable only when the table is queried through
Athena. If the same table is read through another service ... the standard
partition metadata is used"
(https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html).
Glue ETL and Glue Data Quality read a table's partitions from the catalog,
so without registered partitions a Data Quality run over curated_telemetry
evaluates 0 rows. Registering them also leaves Athena unaffected: with
projection enabled it ignores the catalog's partitions.

The functions take the Glue client as an argument (boto3's ``glue`` client
in the job, a fake in tests) and shape requests as the Glue API reference
gives them:
https://docs.aws.amazon.com/glue/latest/webapi/API_GetTable.html and
https://docs.aws.amazon.com/glue/latest/webapi/API_BatchCreatePartition.html.
"""

from __future__ import annotations

import copy
from typing import Any, Iterable, Sequence

from lake_jobs.paths import partition_path

# BatchCreatePartition's PartitionInputList: "Array Members: Minimum number of
# 0 items. Maximum number of 100 items."
MAX_PARTITIONS_PER_CALL = 100

# The ErrorCode BatchCreatePartition reports, per partition, for one that exists.
ALREADY_EXISTS = "AlreadyExistsException"


class CatalogError(RuntimeError):
    """The catalog table does not match what the job writes, or registration failed."""


def _same_location(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def table_storage(glue: Any, database: str, table: str, data_path: str, partition_keys: Sequence[str]) -> dict:
    """The table's StorageDescriptor, after checking the table matches the job's output.

    Called before the job writes anything, so a wrong --database or
    --curated_table fails the run at once. The table's partition keys must be
    ``partition_keys`` in order, and its location must be ``data_path``:
    otherwise the registered partitions would point at data the job did not
    write.
    """
    found = glue.get_table(DatabaseName=database, Name=table)["Table"]
    keys = tuple(k["Name"] for k in found.get("PartitionKeys", []))
    if keys != tuple(partition_keys):
        raise CatalogError(
            f"{database}.{table} is partitioned by ({', '.join(keys)}), "
            f"the job writes ({', '.join(partition_keys)})"
        )
    storage = found.get("StorageDescriptor") or {}
    location = storage.get("Location")
    if not location or not _same_location(location, data_path):
        raise CatalogError(f"{database}.{table} is located at {location!r}, the job writes to {data_path!r}")
    return storage


def partition_inputs(storage: dict, keys: Sequence[str], partitions: Iterable[Sequence[str]]) -> list[dict]:
    """One PartitionInput per distinct partition, sorted, for BatchCreatePartition.

    Each copies the table's StorageDescriptor (columns, formats, SerDe: the
    same shape in GetTable's output and in PartitionInput) with Location set
    to the partition's folder, ``<table location>/year=YYYY/month=MM/day=DD/``,
    the layout Spark's partitionBy writes.
    """
    base = storage["Location"].rstrip("/")
    inputs = []
    for values in sorted({tuple(v) for v in partitions}):
        if len(values) != len(keys) or any(v is None or v == "" for v in values):
            raise CatalogError(f"partition {values!r} does not give a value for each of ({', '.join(keys)})")
        descriptor = copy.deepcopy(storage)
        descriptor["Location"] = f"{base}/{partition_path(keys, values)}/"
        inputs.append({"Values": list(values), "StorageDescriptor": descriptor})
    return inputs


def create_partitions(
    glue: Any,
    database: str,
    table: str,
    storage: dict,
    keys: Sequence[str],
    partitions: Iterable[Sequence[str]],
) -> tuple[int, int]:
    """Register ``partitions`` (value tuples in ``keys`` order); return (created, already there).

    A partition that already exists (an earlier run wrote the same day) is
    not an error. Any other per-partition error fails, after every batch
    was tried, naming each partition and its error: the job must not commit
    its bookmark while part of its output stays invisible to Glue.
    """
    inputs = partition_inputs(storage, keys, partitions)
    created = existing = 0
    failures: list[str] = []
    for start in range(0, len(inputs), MAX_PARTITIONS_PER_CALL):
        batch = inputs[start : start + MAX_PARTITIONS_PER_CALL]
        response = glue.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=batch)
        errors = response.get("Errors") or []
        for error in errors:
            detail = error.get("ErrorDetail") or {}
            if detail.get("ErrorCode") == ALREADY_EXISTS:
                existing += 1
            else:
                failures.append(
                    f"{error.get('PartitionValues')}: {detail.get('ErrorCode')}: {detail.get('ErrorMessage')}"
                )
        created += len(batch) - len(errors)
    if failures:
        raise CatalogError(
            f"BatchCreatePartition on {database}.{table} failed for {len(failures)} partition(s):\n  "
            + "\n  ".join(failures)
        )
    return created, existing
