"""Job arguments: what each Glue job expects, resolved with clear errors.

Glue's getResolvedOptions reports one argparse message and knows nothing of
optional arguments. The entry points call ``resolve`` first, before Spark
starts, so a job started without an argument fails at once with every
missing or invalid argument named, and with what each one is for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence


class JobArgumentError(ValueError):
    """A required job argument is missing or an argument's value is invalid."""


@dataclass(frozen=True)
class Argument:
    """One ``--name value`` job argument; ``default`` None makes it required."""

    name: str
    help: str
    default: str | None = None
    parse: Callable[[str], Any] = str

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class JobSpec:
    """The arguments of one job."""

    job: str
    arguments: tuple[Argument, ...] = field(default_factory=tuple)

    def required_names(self) -> list[str]:
        """Names of the required arguments, as getResolvedOptions takes them."""
        return [a.name for a in self.arguments if a.required]


def positive_int(value: str) -> int:
    """Parse a whole number greater than zero."""
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if n <= 0:
        raise ValueError(f"{value!r} is not greater than 0")
    return n


def percent(value: str) -> int:
    """Parse a whole percentage from 1 to 99 (a split that leaves both sides non-empty)."""
    n = positive_int(value)
    if n >= 100:
        raise ValueError(f"{value!r} is not between 1 and 99")
    return n


def fraction(value: str) -> float:
    """Parse a number in [0, 1)."""
    try:
        x = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not 0.0 <= x < 1.0:
        raise ValueError(f"{value!r} is not in [0, 1)")
    return x


def _scan(argv: Sequence[str]) -> dict[str, str | None]:
    """Map each ``--name`` in argv to its value (None when none follows).

    Accepts ``--name value`` (how Glue passes arguments) and ``--name=value``.
    argv[0] is the script and is skipped; unknown names are kept, because Glue
    adds its own (--JOB_ID, --job-bookmark-option, --TempDir, ...).
    """
    found: dict[str, str | None] = {}
    tokens = list(argv[1:])
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if not token.startswith("--"):
            continue
        name, eq, value = token[2:].partition("=")
        if eq:
            found[name] = value
        elif i < len(tokens) and not tokens[i].startswith("--"):
            found[name] = tokens[i]
            i += 1
        else:
            found[name] = None
    return found


def resolve(spec: JobSpec, argv: Sequence[str]) -> dict[str, Any]:
    """Return every argument of ``spec`` from ``argv``, parsed, defaults applied.

    Raises JobArgumentError naming all missing required arguments (an empty
    value counts as missing) and all values that fail to parse, at once.
    """
    given = _scan(argv)
    missing: list[Argument] = []
    invalid: list[str] = []
    resolved: dict[str, Any] = {}
    for arg in spec.arguments:
        raw = given.get(arg.name)
        if raw is None or raw.strip() == "":
            if arg.required:
                missing.append(arg)
                continue
            raw = arg.default
        try:
            resolved[arg.name] = arg.parse(raw.strip())
        except ValueError as err:
            invalid.append(f"--{arg.name}: {err}")
    if missing or invalid:
        lines = [f"{spec.job}: cannot start."]
        if missing:
            names = ", ".join(f"--{a.name}" for a in missing)
            lines.append(f"Missing required job argument(s): {names}.")
            lines += [f"  --{a.name}: {a.help}" for a in missing]
        if invalid:
            lines.append("Invalid job argument(s):")
            lines += [f"  {msg}" for msg in invalid]
        lines.append("Set them in the job's default arguments or pass them to start-job-run as --name value.")
        raise JobArgumentError("\n".join(lines))
    return resolved


def snapshot_id(value: str) -> int:
    """Parse an Iceberg snapshot id (a 64-bit integer, as the registry stores it)."""
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a snapshot id (a whole number)") from None
    if not -(2**63) <= n < 2**63:
        raise ValueError(f"{value!r} is out of a snapshot id's range")
    return n


def s3_prefix(value: str) -> str:
    """Parse an s3:// (or, for local runs, file) prefix; '' stays '' for an optional argument."""
    if value and not (value.startswith("s3://") or value.startswith("/") or value.startswith("file:")):
        raise ValueError(f"{value!r} is not an s3:// URI")
    return value


_JOB_NAME = Argument("JOB_NAME", "the job's name; Glue sets it on every run")

# Every job that reads or writes the lake's Iceberg tables.
_ICEBERG = (
    Argument("catalog", "Spark catalog name of the Glue Data Catalog", default="glue_catalog"),
    Argument("warehouse", "Iceberg warehouse of the Glue catalog (where new tables would go), e.g. s3://<curated>/iceberg/"),
    Argument("lake_key_arn", "KMS key every Iceberg file is encrypted with (the lake key): the buckets refuse others"),
    Argument("database", "Glue database of the lake's tables"),
)

CURATE_ARGS = JobSpec(
    job="curate",
    arguments=(
        _JOB_NAME,
        *_ICEBERG,
        Argument(
            "raw_path",
            "S3 prefix of raw telemetry Parquet (year=/month=/day=/hour= folders), e.g. s3://<raw>/telemetry/",
        ),
        Argument("devices_path", "S3 prefix of the device metadata CSV files, e.g. s3://<raw>/landing/devices/"),
        Argument(
            "quarantine_path",
            "S3 prefix of rejected rows (year=/month=/day=/hour= of their raw file), e.g. s3://<curated>/quarantine/telemetry/",
        ),
        Argument("curated_table", "the Iceberg table curate merges into, e.g. curated_telemetry"),
    ),
)

FEATURES_ARGS = JobSpec(
    job="features",
    arguments=(
        _JOB_NAME,
        *_ICEBERG,
        Argument("curated_table", "the Iceberg table read as of its current snapshot, e.g. curated_telemetry"),
        Argument("features_table", "the Iceberg table whose rows each run replaces, e.g. training_features"),
        Argument(
            "output_path",
            "S3 prefix that receives snapshots/<id>/{train,validation}/ and manifest.json, and current.json, "
            "e.g. s3://<analytics>/training/telemetry/",
        ),
        Argument("horizon_hours", "look-ahead of the failure label, hours", default="24", parse=positive_int),
        Argument("train_percent", "share of devices in the training split, 1-99", default="80", parse=percent),
        Argument(
            "max_site_categories", "most frequent training sites that get a one-hot column", default="50", parse=positive_int
        ),
        Argument(
            "quantile_error",
            "relative error of the fitted percentiles; 0 computes them exactly",
            default="0.0001",
            parse=fraction,
        ),
        Argument(
            "tag_retain_days",
            "days the training snapshot's tag keeps it readable (a registered model can be rebuilt that long)",
            default="365",
            parse=positive_int,
        ),
    ),
)

MIGRATE_ARGS = JobSpec(
    job="migrate-curated",
    arguments=(
        _JOB_NAME,
        *_ICEBERG,
        Argument("hive_path", "S3 prefix of the Hive-style curated Parquet (year=/month=/day=), e.g. s3://<curated>/telemetry/",
                 parse=s3_prefix),
        Argument("curated_table", "the Iceberg table to copy into, e.g. curated_telemetry"),
    ),
)

TRAINING_SET_ARGS = JobSpec(
    job="training-set",
    arguments=(
        _JOB_NAME,
        *_ICEBERG,
        Argument("features_table", "the Iceberg table the training set was exported from, e.g. training_features"),
        Argument("features_snapshot_id", "the snapshot the model registry recorded", parse=snapshot_id),
        Argument("manifest_uri", "the training set's manifest.json the registry recorded (its columns)", parse=s3_prefix),
        Argument("output_path", "S3 prefix that receives the rebuilt snapshots/<id>/", parse=s3_prefix),
        Argument("compare_with", "the registered set's snapshots/<id>/ prefix: the run fails unless the rebuilt rows "
                 "are the same", default="", parse=s3_prefix),
    ),
)
