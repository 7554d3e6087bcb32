"""Hive-style partition folder names, as Spark's partitionBy writes them."""

from __future__ import annotations

from typing import Sequence

# Spark writes a null (or empty) partition value as this folder name and reads it back as null.
DEFAULT_PARTITION_NAME = "__HIVE_DEFAULT_PARTITION__"

# The characters Spark escapes in partition folder names as %XX
# (org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils.charToEscape).
_ESCAPED = {chr(c) for c in range(0x01, 0x20)} | set("\"#%'*/:=?\\\x7f{[]^")


def escape_partition_value(value: str | None) -> str:
    """``value`` as it appears after ``key=`` in the folder name."""
    if value is None or value == "":
        return DEFAULT_PARTITION_NAME
    return "".join(f"%{ord(ch):02X}" if ch in _ESCAPED else ch for ch in value)


def partition_path(keys: Sequence[str], values: Sequence[str | None]) -> str:
    """``key=value/...`` for one partition, without leading or trailing slash."""
    if len(keys) != len(values):
        raise ValueError(f"{len(values)} value(s) for {len(keys)} partition key(s)")
    return "/".join(f"{k}={escape_partition_value(v)}" for k, v in zip(keys, values))
