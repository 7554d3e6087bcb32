"""The telemetry record, for the Python side of the lake.

This module mirrors internal/schema/schema.go, which is the one declaration
the Glue table, the transform Lambda and the producer read. Python cannot
import Go, so the values are repeated here, and tests/test_schema.py parses
schema.go and fails when the two disagree: change schema.go first, then this
file, in the same commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

STRING = "string"
DOUBLE = "double"
TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class Field:
    """One column of the record, as schema.Field declares it.

    ``min``/``max`` bound a double inclusively and are None for other types
    (Go leaves them zero and ignores them). ``max_len`` bounds a string in
    bytes; 0 means MAX_STRING_BYTES applies.
    """

    name: str
    type: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    max_len: int = 0
    enum: tuple[str, ...] = ()

    @property
    def byte_limit(self) -> int:
        """The longest value, in UTF-8 bytes, the field accepts."""
        return self.max_len or MAX_STRING_BYTES


RECORD_NAME = "telemetry"

# Any string value is bounded, so one bad record cannot bloat a batch.
MAX_STRING_BYTES = 256

# JSON object of input fields the schema does not declare (filled by the transform Lambda).
EXTRAS_COLUMN = "extras"

# ts outside [EARLIEST_TIME, LATEST_TIME) is a device clock or parse error.
EARLIEST_TIME = datetime(2010, 1, 1, tzinfo=timezone.utc)
LATEST_TIME = datetime(2040, 1, 1, tzinfo=timezone.utc)

# schema.Field.CheckString's byte test for device_id, as a Java regex.
DEVICE_ID_PATTERN = r"^[A-Za-z0-9_-]+$"

TELEMETRY: tuple[Field, ...] = (
    Field("device_id", STRING, required=True, max_len=64),
    Field("ts", TIMESTAMP, required=True),
    Field("temperature_c", DOUBLE, min=-60.0, max=150.0),
    Field("humidity_pct", DOUBLE, min=0.0, max=100.0),
    Field("vibration_mm_s", DOUBLE, min=0.0, max=500.0),
    Field("pressure_kpa", DOUBLE, min=30.0, max=200.0),
    Field("battery_v", DOUBLE, min=0.0, max=15.0),
    Field("status", STRING, required=True, enum=("ok", "warn", "fault", "maintenance")),
    Field("site", STRING, max_len=64),
    Field("firmware", STRING, max_len=32),
    Field(EXTRAS_COLUMN, STRING, max_len=4096),
)

# Hive partition columns of the raw table, in order; values come from ts (UTC).
PARTITION_KEYS: tuple[str, ...] = ("year", "month", "day", "hour")

COLUMNS: tuple[str, ...] = tuple(f.name for f in TELEMETRY)
DOUBLE_COLUMNS: tuple[str, ...] = tuple(f.name for f in TELEMETRY if f.type == DOUBLE)

STATUS_FAULT = "fault"


def field(name: str) -> Field:
    """Return the field called ``name``; KeyError names it when there is none."""
    for f in TELEMETRY:
        if f.name == name:
            return f
    raise KeyError(f"telemetry has no field {name!r}")
