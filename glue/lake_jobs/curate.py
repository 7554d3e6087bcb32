"""Raw telemetry -> curated telemetry plus quarantined rows.

Every input row ends up in exactly one of the two outputs: a row that breaks
the schema, or that duplicates another reading, goes to quarantine with a
reason, never silently away. ``curate`` is a pure DataFrame transform; the
Glue entry point does the reading (with job bookmarks) and the writing.

Rules, in order:

1. Clean: strings lose leading/trailing whitespace (any ``\\s``, not only
   spaces); an optional string left empty becomes null. Checks run on the
   cleaned values, so " ok " is a valid status.
2. Validate against schema.TELEMETRY. ``reason`` lists every problem of the
   row, in schema field order, joined by "; " (at most one problem per field),
   e.g. "device_id null; temperature_c out of range [-60, 150]".
3. Deduplicate valid rows on (device_id, ts). The winner has the most severe
   status (fault > warn > maintenance > ok: a twin must never hide a fault),
   then the most non-null measurements, then the smallest values column by
   column, nulls last. Ordering on every column makes the winner depend only
   on the rows, not on how Spark split them.
   Losers are quarantined with reason DUPLICATE_REASON. ``curate`` sees one
   run's input only; writing its output merges it with the rows already
   curated for the same days (``merge_curated``, same ranking), so a copy
   that arrives after its twin was curated, or a retried run, does not add a
   second row. Such a copy is dropped there, not quarantined.
4. Join device metadata (left join: a device without metadata keeps its
   rows, with null metadata columns). The reading's ``site`` wins; the
   registry's fills it when the reading has none and is kept as
   ``registered_site``.
5. Derive date, hour and temperature_f from ts in UTC, whatever the session
   time zone.

The curated rows go into the Iceberg table curated_telemetry (CURATED_TABLE),
partitioned by the day of ts (hidden partitioning: a filter on ts prunes),
through ``merge_into``: a row per (device_id, ts), the winner of rule 3 among
the rows already there and the new ones, committed on a branch and published
in one step (lake_jobs.iceberg.staged).
"""

from __future__ import annotations

from functools import reduce

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import TimestampNTZType

from lake_jobs import iceberg, schema

DUPLICATE_REASON = "duplicate of (device_id, ts): another reading was kept"
REASON_SEPARATOR = "; "

DEVICE_COLUMNS = ("device_id", "site", "model", "install_date", "location", "lat", "lon")

CURATED_COLUMNS = (
    "device_id", "ts", "date", "hour",
    "temperature_c", "temperature_f", "humidity_pct", "vibration_mm_s", "pressure_kpa", "battery_v",
    "status", "site", "firmware", schema.EXTRAS_COLUMN,
    "registered_site", "model", "install_date", "location", "lat", "lon",
)

_SPARK_TYPES = {schema.STRING: "string", schema.DOUBLE: "double", schema.TIMESTAMP: "timestamp"}
_DERIVED_TYPES = {
    "date": "date", "hour": "int", "temperature_f": "double",
    "registered_site": "string", "model": "string", "install_date": "date", "location": "string",
    "lat": "double", "lon": "double",
}


def _curated_column(name: str) -> iceberg.Column:
    if name in _DERIVED_TYPES:
        return iceberg.Column(name, _DERIVED_TYPES[name])
    f = schema.field(name)
    return iceberg.Column(name, _SPARK_TYPES[f.type], required=f.required)


# The Iceberg table curate writes (the Curated stack declares the same one;
# cdk/etl_test.go compares them). One row per (device_id, ts); partitioned by
# the UTC day of ts.
CURATED_TABLE = iceberg.TableDef(
    name="curated_telemetry",
    columns=tuple(_curated_column(c) for c in CURATED_COLUMNS),
    partitioning=("days(ts)",),
    properties=iceberg.COMMON_PROPERTIES,
    identity=("device_id", "ts"),
)

# The branch curate stages its writes on.
STAGING_BRANCH = "curate_staging"

QUARANTINE_EXTRA_COLUMNS = ("reason", "run_id", "quarantined_at")
QUARANTINE_COLUMNS = (*schema.COLUMNS, *schema.PARTITION_KEYS, *QUARANTINE_EXTRA_COLUMNS)

# Higher wins a (device_id, ts) tie: a fault must not be dropped in favour of an "ok" twin.
_STATUS_SEVERITY = {"fault": 3, "warn": 2, "maintenance": 1, "ok": 0}

_SECONDS_PER_DAY = 86400
_SECONDS_PER_HOUR = 3600


def _fmt(x: float) -> str:
    """Format a bound as Go's %g does for these values: -60, 150, 0.5."""
    return f"{x:g}"


def _clean(f: schema.Field) -> Column:
    """The cleaned value of field ``f``, named ``f.name``, read from the raw column of that name."""
    c = F.col(f.name)
    if f.type != schema.STRING or f.name == schema.EXTRAS_COLUMN:
        # extras is a JSON document written by the transform Lambda: keep it byte for byte.
        return c
    # F.trim strips only spaces; tabs and newlines from CSV producers must go too.
    trimmed = F.regexp_replace(c, r"^\s+|\s+$", "")
    if f.required:
        # Blank stays "" so that the check can report "empty" rather than "null".
        return trimmed.alias(f.name)
    return F.when(trimmed == "", F.lit(None)).otherwise(trimmed).alias(f.name)


def _problem(f: schema.Field) -> Column:
    """The problem with the cleaned value of field ``f`` as a string, or null when it is valid."""
    c = F.col(f.name)
    rule = F.when(c.isNull(), F.lit(f"{f.name} null") if f.required else F.lit(None))
    if f.type == schema.STRING:
        if f.required:
            rule = rule.when(c == "", F.lit(f"{f.name} empty"))
        rule = rule.when(F.octet_length(c) > f.byte_limit, F.lit(f"{f.name} longer than {f.byte_limit} bytes"))
        if f.enum:
            rule = rule.when(~c.isin(*f.enum), F.lit(f"{f.name} not in enum [{', '.join(f.enum)}]"))
        if f.name == "device_id":
            rule = rule.when(~c.rlike(schema.DEVICE_ID_PATTERN), F.lit("device_id has bytes outside [A-Za-z0-9_-]"))
    elif f.type == schema.DOUBLE:
        # NaN first: Spark orders NaN above every number, so the range test alone would misreport it.
        rule = rule.when(F.isnan(c), F.lit(f"{f.name} NaN"))
        rule = rule.when(
            (c < F.lit(f.min)) | (c > F.lit(f.max)),
            F.lit(f"{f.name} out of range [{_fmt(f.min)}, {_fmt(f.max)}]"),
        )
    elif f.type == schema.TIMESTAMP:
        earliest, latest = schema.EARLIEST_TIME, schema.LATEST_TIME
        # Compared as epoch seconds, so the session time zone cannot move the bounds.
        secs = F.unix_seconds(c)
        rule = rule.when(
            (secs < F.lit(int(earliest.timestamp()))) | (secs >= F.lit(int(latest.timestamp()))),
            F.lit(f"{f.name} out of range [{earliest:%Y-%m-%d}, {latest:%Y-%m-%d})"),
        )
    return rule


def problems(fields: tuple[schema.Field, ...] = schema.TELEMETRY) -> Column:
    """Every problem of a cleaned row joined by REASON_SEPARATOR, or null for a valid row."""
    joined = F.concat_ws(REASON_SEPARATOR, *[_problem(f) for f in fields])
    return F.when(joined == "", F.lit(None)).otherwise(joined)


def _require_columns(df: DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(missing)}; it has {', '.join(df.columns)}")


def prepare_devices(devices: DataFrame) -> DataFrame:
    """Device metadata (CSV strings) -> one typed row per device_id.

    Strings are trimmed (blank -> null), install_date parses as yyyy-MM-dd,
    lat/lon as doubles; a value that does not parse or is off the globe becomes
    null instead of failing the run. Rows without a device_id are dropped: they
    can never join. When a device_id appears more than once, the latest
    install_date wins (a re-installation), then the smallest other values, so
    the join can never multiply telemetry rows.
    """
    _require_columns(devices, DEVICE_COLUMNS, "device metadata")

    def text(name: str) -> Column:
        trimmed = F.regexp_replace(F.col(name).cast("string"), r"^\s+|\s+$", "")
        return F.when(trimmed == "", F.lit(None)).otherwise(trimmed)

    def number(name: str, bound: float) -> Column:
        value = F.expr(f"try_cast({name} AS double)")
        return F.when(F.abs(value) <= bound, value)

    typed = devices.select(
        text("device_id").alias("device_id"),
        text("site").alias("registered_site"),
        text("model").alias("model"),
        F.expr("try_cast(trim(install_date) AS date)").alias("install_date"),
        text("location").alias("location"),
        number("lat", 90.0).alias("lat"),
        number("lon", 180.0).alias("lon"),
    ).where(F.col("device_id").isNotNull())
    order = Window.partitionBy("device_id").orderBy(
        F.col("install_date").desc_nulls_last(),
        *[F.col(c).asc_nulls_last() for c in ("model", "registered_site", "location", "lat", "lon")],
    )
    return typed.withColumn("_rank", F.row_number().over(order)).where("_rank = 1").drop("_rank")


def _winner_first(extra_columns: tuple[str, ...] = ()) -> list[Column]:
    """Sort order of (device_id, ts) twins, winner first (rule 3), then ``extra_columns`` ascending."""
    measurements = [F.col(c) for c in schema.DOUBLE_COLUMNS]
    completeness = reduce(lambda a, b: a + b, [m.isNotNull().cast("int") for m in measurements])
    severity = F.coalesce(
        *[F.when(F.col("status") == s, F.lit(rank)) for s, rank in _STATUS_SEVERITY.items()], F.lit(-1)
    )
    tiebreak = [F.col(f.name).asc_nulls_last() for f in schema.TELEMETRY if f.name not in ("device_id", "ts")]
    return [severity.desc(), completeness.desc(), *tiebreak, *[F.col(c).asc_nulls_last() for c in extra_columns]]


def _dedupe_order(valid: Column) -> Window:
    """Rank (device_id, ts) twins, winner first; ``valid`` keeps invalid rows in groups of their own."""
    return Window.partitionBy("device_id", "ts", valid).orderBy(*_winner_first())


def _derive(df: DataFrame) -> DataFrame:
    """Add date, hour and temperature_f from ts in UTC.

    Everything is computed from epoch seconds because date() and hour()
    follow the session time zone, and a row's day must not move with a
    cluster setting.
    """
    secs = F.unix_seconds(F.col("ts"))
    date = F.date_from_unix_date(F.floor(secs / _SECONDS_PER_DAY).cast("int"))
    return (
        df.withColumn("date", date)
        .withColumn("hour", F.pmod(F.floor(secs / _SECONDS_PER_HOUR), F.lit(24)).cast("int"))
        .withColumn("temperature_f", F.col("temperature_c") * 9.0 / 5.0 + 32.0)
    )


def _ts_as_utc(raw: DataFrame) -> DataFrame:
    """``raw`` with ts as an instant, when it was read as a wall-clock time (TIMESTAMP_NTZ).

    Spark 3.5 reads a Parquet timestamp written without UTC adjustment
    (isAdjustedToUTC=false, as some writers and the local emulator's
    Firehose produce) as TIMESTAMP_NTZ, on which unix_seconds and the rest
    of curate fail. The transform Lambda writes every ts in UTC, so the wall
    clock is taken as UTC, field by field: a cast would read it in the
    session time zone, wrong by its offset and by an hour in a DST gap.
    """
    if not isinstance(raw.schema["ts"].dataType, TimestampNTZType):
        return raw
    return raw.withColumn(
        "ts", F.expr("make_timestamp(year(ts), month(ts), day(ts), hour(ts), minute(ts), extract(SECOND FROM ts), 'UTC')")
    )


def curate(raw: DataFrame, devices: DataFrame, run_id: str = "local") -> tuple[DataFrame, DataFrame]:
    """Split raw telemetry into (curated, quarantine).

    ``raw`` has the columns of schema.TELEMETRY plus the raw partition columns
    schema.PARTITION_KEYS (as the catalog table returns them); ``devices`` has
    DEVICE_COLUMNS as strings, as read from the devices CSV.

    ``curated`` has CURATED_COLUMNS, one row per (device_id, ts), ready for
    ``merge_into``. ``quarantine`` has the raw
    columns exactly as they were read (uncleaned, including the source
    partition columns, so the raw object can be found) plus ``reason``,
    ``run_id`` and ``quarantined_at``.

    Both outputs come from one validated and ranked DataFrame, which is
    persisted (memory and disk), so ``raw`` is read once for both writes.
    """
    _require_columns(raw, schema.COLUMNS + schema.PARTITION_KEYS, "raw telemetry")
    raw = _ts_as_utc(raw)
    raw_columns = [*schema.COLUMNS, *schema.PARTITION_KEYS]
    # The raw values travel as one struct for quarantine. One alias per raw column
    # instead would make Catalyst's constraint propagation grow exponentially
    # with the size of the reason expression.
    checked = raw.select(
        *[_clean(f) for f in schema.TELEMETRY],
        F.struct(*raw_columns).alias("_raw"),
    ).withColumn("reason", problems())

    # Valid rows rank among their (device_id, ts) twins; invalid rows rank apart and never win.
    valid = F.col("reason").isNull()
    staged = checked.withColumn("_rank", F.row_number().over(_dedupe_order(valid)))
    # Both outputs filter the same staged rows: persisted, writing them validates and ranks once.
    staged = staged.persist(StorageLevel.MEMORY_AND_DISK)

    quarantine = staged.where(~valid | (F.col("_rank") > 1)).select(
        "_raw.*",
        F.coalesce(F.col("reason"), F.lit(DUPLICATE_REASON)).alias("reason"),
        F.lit(run_id).alias("run_id"),
        F.current_timestamp().alias("quarantined_at"),
    )

    winners = staged.where(valid & (F.col("_rank") == 1)).select(*schema.COLUMNS)
    meta = F.broadcast(prepare_devices(devices))
    joined = winners.join(meta, on="device_id", how="left").withColumn(
        "site", F.coalesce(F.col("site"), F.col("registered_site"))
    )
    curated = _derive(joined).select(*CURATED_COLUMNS)
    return curated, quarantine


def merge_curated(existing: DataFrame, new: DataFrame) -> DataFrame:
    """The curated rows of some keys: rows already in the table plus a run's ``new`` rows, one per (device_id, ts).

    This is what makes curate idempotent (``merge_into`` writes what this
    changes). A retry after a run published but before its job bookmark was
    committed re-reads the same raw files: its rows equal the ones already
    there and change nothing. A reading that reaches curate again in a later
    run is kept once too. The winner follows rule 3 (a fault is never hidden
    by an "ok" twin); rows equal on every telemetry column, such as the same
    reading joined with device metadata that changed in between, are ordered
    on the remaining columns, so the result depends only on the rows.

    A twin dropped here is not quarantined: on a retry it is the row itself,
    read a second time, not a rejected reading.
    """
    _require_columns(existing, CURATED_COLUMNS, "existing curated rows")
    _require_columns(new, CURATED_COLUMNS, "new curated rows")
    both = existing.select(*CURATED_COLUMNS).unionByName(new.select(*CURATED_COLUMNS))
    rest = tuple(c for c in CURATED_COLUMNS if c not in schema.COLUMNS)
    order = Window.partitionBy("device_id", "ts").orderBy(*_winner_first(rest))
    return both.withColumn("_rank", F.row_number().over(order)).where(F.col("_rank") == 1).drop("_rank")


def changes(existing: DataFrame, new: DataFrame) -> DataFrame:
    """The rows ``merge_into`` must write: winners of ``merge_curated`` that are not already in the table.

    ``existing`` holds the table's rows for the keys of ``new`` (one per
    key). A key absent from the table gives its new winner; a key whose
    winner is the row already there gives nothing.
    """
    return merge_curated(existing, new).exceptAll(existing.select(*CURATED_COLUMNS))


def merge_into(spark, identifier: str, curated: DataFrame, branch: str = STAGING_BRANCH) -> int:
    """Write ``curated`` rows into the Iceberg table ``identifier``; return the rows written.

    One MERGE on (device_id, ts), staged on ``branch`` and published in one
    metadata commit (lake_jobs.iceberg.staged), so a crash at any point
    leaves the table at its previous snapshot. Rows the table already holds
    as they are write nothing: rerunning a run that succeeded commits no
    snapshot at all.
    """
    view = f"_curate_changes_{branch}"
    rows = curated.select(*CURATED_COLUMNS)
    keys = rows.select("device_id", "ts").distinct()

    def pending() -> DataFrame:
        # Computed once and cut from its lineage: MERGE wants a deterministic
        # source, and the raw read carries input_file_name() and the run's
        # current_timestamp().
        existing = spark.table(identifier).join(keys, ["device_id", "ts"], "left_semi").select(*CURATED_COLUMNS)
        return changes(existing, rows).localCheckpoint(eager=True)

    # Checked on main first: a rerun with nothing new touches no metadata at all.
    def main_id():
        at = iceberg.current_snapshot(spark, identifier)
        return at.snapshot_id if at else None

    base = main_id()
    first = pending()
    if first.isEmpty():
        return 0

    def write() -> int:
        # The branch is a copy of main: unless main moved since, the changes are the ones computed.
        changed = pending() if main_id() != base else first
        n = changed.count()
        if n:
            changed.createOrReplaceTempView(view)
            spark.sql(
                f"MERGE INTO {identifier} t USING {view} s ON t.device_id = s.device_id AND t.ts = s.ts "
                "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
            )
        return n

    return iceberg.staged(spark, identifier, branch, write)


def merge_quarantine(existing: DataFrame, new: DataFrame) -> DataFrame:
    """The quarantined rows of some raw partitions: rows already written plus the ``new`` ones not yet there.

    A retry quarantines the same raw rows again; they differ from the first
    attempt's only in run_id and quarantined_at. Quarantined rows have no
    key (an invalid row may lack device_id and ts, and identical copies are
    quarantined once each), so rows count as the same when their raw values
    and reason are equal, and copies are counted: where n equal rows exist
    and a run brings m, max(n, m) stay, the existing ones first. A retry
    therefore adds nothing, while a run with rows not seen before adds them.
    The price of recognising a retry without a row identity: an invalid row
    that a producer sends again, byte for byte, in a later batch of the same
    raw hour is kept once, not twice.
    """
    _require_columns(existing, QUARANTINE_COLUMNS, "existing quarantined rows")
    _require_columns(new, QUARANTINE_COLUMNS, "new quarantined rows")
    identity = [c for c in QUARANTINE_COLUMNS if c not in ("run_id", "quarantined_at")]
    both = existing.select(*QUARANTINE_COLUMNS).withColumn("_new", F.lit(False)).unionByName(
        new.select(*QUARANTINE_COLUMNS).withColumn("_new", F.lit(True))
    )
    # Window partitions compare null with null and NaN with NaN as equal, as the raw values need.
    already = F.sum(F.when(F.col("_new"), 0).otherwise(1)).over(Window.partitionBy(*identity))
    nth = F.row_number().over(Window.partitionBy(*identity, "_new").orderBy("run_id", "quarantined_at"))
    return (
        both.withColumn("_already", already)
        .withColumn("_nth", nth)
        .where(~F.col("_new") | (F.col("_nth") > F.col("_already")))
        .drop("_new", "_already", "_nth")
    )
