"""lake_jobs.schema must say exactly what internal/schema/schema.go says.

The Go file is parsed, not imported: its Field literals are read with a small
scanner that respects string literals, and each key is read with a regex.
A key this parser does not know fails the test, so a new kind of constraint
in Go cannot be silently ignored on the Python side.
"""

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lake_jobs import schema

GO_SCHEMA = Path(__file__).resolve().parents[2] / "internal" / "schema" / "schema.go"

KNOWN_KEYS = {"Name", "Type", "Comment", "Required", "Min", "Max", "MaxLen", "Enum"}
STRING_LITERAL = r'"(?:[^"\\]|\\.)*"'


@pytest.fixture(scope="module")
def go_source() -> str:
    return GO_SCHEMA.read_text()


def _brace_groups(text: str, start: int) -> list[str]:
    """The top-level {...} groups of the list whose opening brace is at ``start``."""
    groups, depth, i, begin = [], 0, start, None
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i = re.compile(STRING_LITERAL).match(text, i).end()
            continue
        if ch == "{":
            depth += 1
            if depth == 2:
                begin = i
        elif ch == "}":
            if depth == 2:
                groups.append(text[begin : i + 1])
            depth -= 1
            if depth == 0:
                return groups
        i += 1
    raise AssertionError("unbalanced braces in schema.go")


def _go_string_const(src: str, name: str) -> str:
    m = re.search(rf"\b{name}\s*(?:Type\s*)?=\s*({STRING_LITERAL})", src)
    assert m, f"schema.go declares no string constant {name}"
    return m.group(1)[1:-1]


def _go_fields(src: str) -> list[dict]:
    m = re.search(r"var Telemetry = Record\{.*?Fields:\s*\[\]Field\{", src, re.S)
    assert m, "schema.go has no `var Telemetry = Record{... Fields: []Field{`"
    fields = []
    for literal in _brace_groups(src, m.end() - 1):
        body = re.sub(rf"Comment:\s*{STRING_LITERAL}", "", literal[1:-1])
        keys = set(re.findall(r"\b([A-Z]\w*):", body))
        assert keys <= KNOWN_KEYS, f"unknown Field keys {keys - KNOWN_KEYS} in {literal}: mirror them in lake_jobs/schema.py"

        def value(key, pattern=r"(-?[0-9.eE+]+)", body=body):
            found = re.search(rf"\b{key}:\s*{pattern}", body)
            return found.group(1) if found else None

        name = value("Name", rf"({STRING_LITERAL}|\w+)")
        name = name[1:-1] if name.startswith('"') else _go_string_const(src, name)
        enum = value("Enum", r"\[\]string\{([^}]*)\}")
        fields.append(
            {
                "name": name,
                "type": _go_string_const(src, value("Type", r"(\w+)")),
                "required": value("Required", r"(true|false)") == "true",
                "min": value("Min"),
                "max": value("Max"),
                "max_len": int(value("MaxLen", r"(\d+)") or 0),
                "enum": tuple(s[1:-1] for s in re.findall(STRING_LITERAL, enum)) if enum else (),
            }
        )
    return fields


def _go_time(src: str, name: str) -> datetime:
    m = re.search(rf"\b{name}\s*=\s*time\.Date\(([^)]*)\)", src)
    assert m, f"schema.go declares no {name} = time.Date(...)"
    parts = [p.strip() for p in m.group(1).split(",")]
    assert parts[-1] == "time.UTC"
    return datetime(*[int(p) for p in parts[:6]], tzinfo=timezone.utc)


def test_fields_match_go(go_source):
    go = _go_fields(go_source)
    assert [f["name"] for f in go] == list(schema.COLUMNS)
    for g, py in zip(go, schema.TELEMETRY):
        assert py.type == g["type"], py.name
        assert py.required == g["required"], py.name
        assert py.max_len == g["max_len"], py.name
        assert py.enum == g["enum"], py.name
        if py.type == schema.DOUBLE:
            # Go's zero value is a real bound for a Double: Min 0 may be written or left out.
            assert py.min == float(g["min"] or 0), py.name
            assert py.max == float(g["max"] or 0), py.name
        else:
            assert g["min"] is None and g["max"] is None, f"{py.name}: Go bounds a non-Double"
            assert py.min is None and py.max is None, py.name


def test_constants_match_go(go_source):
    assert schema.RECORD_NAME == re.search(r'Telemetry = Record\{\s*Name:\s*"(\w+)"', go_source).group(1)
    assert schema.EXTRAS_COLUMN == _go_string_const(go_source, "ExtrasColumn")
    assert schema.MAX_STRING_BYTES == int(re.search(r"const MaxStringBytes = (\d+)", go_source).group(1))
    assert schema.EARLIEST_TIME == _go_time(go_source, "EarliestTime")
    assert schema.LATEST_TIME == _go_time(go_source, "LatestTime")
    keys = re.search(r"var PartitionKeys = \[\]string\{([^}]*)\}", go_source).group(1)
    assert schema.PARTITION_KEYS == tuple(s[1:-1] for s in re.findall(STRING_LITERAL, keys))
    assert {schema.STRING, schema.DOUBLE, schema.TIMESTAMP} == {
        _go_string_const(go_source, n) for n in ("String", "Double", "Timestamp")
    }


def test_device_id_rule_matches_go(go_source):
    # CheckString hard-codes device_id's byte set; the regex mirrors that condition.
    assert "c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'" in go_source
    assert schema.DEVICE_ID_PATTERN == r"^[A-Za-z0-9_-]+$"


def test_fault_is_a_status():
    assert schema.STATUS_FAULT in schema.field("status").enum
    assert set(schema.DOUBLE_COLUMNS) == {"temperature_c", "humidity_pct", "vibration_mm_s", "pressure_kpa", "battery_v"}
