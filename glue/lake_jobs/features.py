"""Curated telemetry -> training and validation sets for SageMaker XGBoost.

The output rows are numeric only, label first, in the order the manifest
lists, which is what the built-in XGBoost algorithm reads from headerless CSV.

Steps and the choices behind them:

- Label ``failure_next_<N>h`` (N = horizon_hours, default 24): 1 when the same
  device reports status "fault" in (ts, ts + N h], else 0. A row's own status
  does not count, only later readings. Rows whose look-ahead window reaches
  past the last reading of the whole input (the data end) are dropped: their
  label is not known yet, and keeping only those already known to be 1 would
  bias the set towards failures.
- Split by device, not by row: ``pmod(xxhash64(device_id), 100) <
  train_percent`` is training (default 80/20). A device's readings are
  strongly correlated in time, so a row-level split would leak validation
  readings' neighbours into training. xxhash64 is Spark's fixed-seed hash, so
  the split is identical on every run and Spark version.
- Everything learnt from data is learnt from the training split only and
  then applied unchanged to both splits (no leakage), and recorded in the
  manifest so scoring code can repeat it: medians for imputation, 1st/99th
  percentiles for capping, quartile edges for the battery bins, means and
  standard deviations for scaling, category lists for one-hot encoding.
- Numeric columns: null -> training median; capped (winsorized) at the
  training 1st/99th percentiles; vibration_mm_s -> log1p (its distribution
  has a long right tail); then standardized with training mean and sample
  standard deviation. Percentiles and medians are actual values of the data
  (Spark's approxQuantile, no interpolation): the median of an even count is
  the lower middle value.
- battery_v_bin: number of training quartile edges at or below the imputed,
  capped battery voltage (0-3). Trees can split on the continuous value too;
  the bin is a coarse, outlier-proof view of it.
- One-hot status and site from the categories seen in training, sorted by
  name. Sites are limited to the max_site_categories most frequent ones. An
  unseen or null category encodes as all zeros.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lake_jobs import iceberg, schema

NUMERIC_COLUMNS: tuple[str, ...] = schema.DOUBLE_COLUMNS
LOG1P_COLUMNS: tuple[str, ...] = ("vibration_mm_s",)
BIN_COLUMN = "battery_v"
SPLIT_MODULUS = 100

_CAP_LOW, _BIN_EDGES, _MEDIAN, _CAP_HIGH = 0.01, (0.25, 0.5, 0.75), 0.5, 0.99
_MICROS_PER_HOUR = 3600 * 1_000_000


def label_column(horizon_hours: int) -> str:
    """Name of the label for a look-ahead of ``horizon_hours``."""
    return f"failure_next_{horizon_hours}h"


def add_label(curated: DataFrame, horizon_hours: int = 24) -> DataFrame:
    """Add the failure label and drop rows whose label is not yet known."""
    if horizon_hours <= 0:
        raise ValueError(f"horizon_hours must be positive, got {horizon_hours}")
    horizon = horizon_hours * _MICROS_PER_HOUR
    with_time = curated.withColumn("_t", F.unix_micros("ts"))
    # rangeBetween(1, ...) starts strictly after the reading: its own status is not its future.
    ahead = Window.partitionBy("device_id").orderBy("_t").rangeBetween(1, horizon)
    is_fault = (F.col("status") == schema.STATUS_FAULT).cast("int")
    data_end = with_time.agg(F.max("_t").alias("_end"))
    return (
        with_time.withColumn(label_column(horizon_hours), F.coalesce(F.max(is_fault).over(ahead), F.lit(0)))
        .crossJoin(F.broadcast(data_end))
        .where(F.col("_t") + F.lit(horizon) <= F.col("_end"))
        .drop("_t", "_end")
    )


def split(df: DataFrame, train_percent: int = 80) -> tuple[DataFrame, DataFrame]:
    """Deterministic (train, validation) split by device_id."""
    if not 0 < train_percent < SPLIT_MODULUS:
        raise ValueError(f"train_percent must be in 1..{SPLIT_MODULUS - 1}, got {train_percent}")
    bucket = F.pmod(F.xxhash64("device_id"), F.lit(SPLIT_MODULUS))
    return df.where(bucket < train_percent), df.where(bucket >= train_percent)


def continuous_column_name(column: str) -> str:
    """Output name of a numeric input column: log-transformed ones say so."""
    return f"log1p_{column}" if column in LOG1P_COLUMNS else column


def one_hot_column_name(prefix: str, value: str, taken: set[str]) -> str:
    """A plain column name for a category value, unique among ``taken``."""
    base = f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', value)}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


@dataclass(frozen=True)
class FeatureModel:
    """Everything the transform learnt from the training split."""

    label: str
    medians: dict[str, float]
    caps: dict[str, tuple[float, float] | None]
    bin_edges: tuple[float, ...]
    means: dict[str, float]
    stds: dict[str, float]
    status_categories: tuple[str, ...]
    status_columns: tuple[str, ...]
    site_categories: tuple[str, ...]
    site_columns: tuple[str, ...]

    @property
    def continuous_columns(self) -> tuple[str, ...]:
        """Standardized columns, in schema order, log-transformed ones renamed."""
        return tuple(continuous_column_name(c) for c in NUMERIC_COLUMNS)

    @property
    def feature_columns(self) -> tuple[str, ...]:
        """The CSV's columns after the label, in order."""
        return (*self.continuous_columns, f"{BIN_COLUMN}_bin", *self.status_columns, *self.site_columns)


def _capped(name: str, medians: dict[str, float], caps: dict[str, tuple[float, float] | None]) -> Column:
    """Column ``name`` with nulls imputed, then clipped to its caps."""
    value = F.coalesce(F.col(name), F.lit(medians[name]))
    bounds = caps[name]
    if bounds is None:
        return value
    return F.least(F.greatest(value, F.lit(bounds[0])), F.lit(bounds[1]))


def _unscaled(name: str, medians: dict[str, float], caps: dict[str, tuple[float, float] | None]) -> Column:
    """Imputed, capped and, where configured, log-transformed: the value before scaling."""
    value = _capped(name, medians, caps)
    return F.log1p(value) if name in LOG1P_COLUMNS else value


def fit(
    train: DataFrame,
    label: str,
    max_site_categories: int = 50,
    quantile_error: float = 0.0001,
) -> FeatureModel:
    """Learn the transform's parameters from the training split only.

    ``quantile_error`` is approxQuantile's relative error: 0 is exact but keeps
    every value on the driver, so large inputs want a small positive value.
    Small inputs come out exact either way. A column with no training value
    imputes 0 and is not capped.
    """
    probabilities = [_CAP_LOW, *_BIN_EDGES, _CAP_HIGH]
    quantiles = dict(zip(NUMERIC_COLUMNS, train.approxQuantile(list(NUMERIC_COLUMNS), probabilities, quantile_error)))
    medians: dict[str, float] = {}
    caps: dict[str, tuple[float, float] | None] = {}
    for name, q in quantiles.items():
        if not q:  # every training value null
            medians[name], caps[name] = 0.0, None
            continue
        by_p = dict(zip(probabilities, q))
        medians[name] = by_p[_MEDIAN]
        caps[name] = (by_p[_CAP_LOW], by_p[_CAP_HIGH])
    bin_q = quantiles[BIN_COLUMN]
    bin_edges = tuple(sorted({dict(zip(probabilities, bin_q))[p] for p in _BIN_EDGES})) if bin_q else ()

    continuous = {continuous_column_name(c): _unscaled(c, medians, caps) for c in NUMERIC_COLUMNS}
    stats = train.select([v.alias(k) for k, v in continuous.items()]).agg(
        *[F.mean(k).alias(f"mean_{k}") for k in continuous],
        *[F.stddev_samp(k).alias(f"std_{k}") for k in continuous],
    ).first()
    means = {k: float(stats[f"mean_{k}"] or 0.0) for k in continuous}
    # A constant (or single-row) column would divide by 0 or NaN: it scales by 1 and stays 0.
    stds = {}
    for k in continuous:
        s = stats[f"std_{k}"]
        stds[k] = s if s is not None and not math.isnan(s) and s > 0 else 1.0

    statuses = sorted(r[0] for r in train.select("status").where(F.col("status").isNotNull()).distinct().collect())
    top_sites = (
        train.where(F.col("site").isNotNull())
        .groupBy("site").count()
        .orderBy(F.col("count").desc(), F.col("site").asc())
        .limit(max_site_categories)
        .collect()
    )
    sites = sorted(r["site"] for r in top_sites)

    taken: set[str] = set()
    return FeatureModel(
        label=label,
        medians=medians,
        caps=caps,
        bin_edges=bin_edges,
        means=means,
        stds=stds,
        status_categories=tuple(statuses),
        status_columns=tuple(one_hot_column_name("status", s, taken) for s in statuses),
        site_categories=tuple(sites),
        site_columns=tuple(one_hot_column_name("site", s, taken) for s in sites),
    )


def transform(df: DataFrame, model: FeatureModel, keep: tuple[str, ...] = ()) -> DataFrame:
    """Apply a fitted model: ``keep`` as they are, the label, then model.feature_columns, all numeric."""
    continuous = [
        ((_unscaled(c, model.medians, model.caps) - F.lit(model.means[name])) / F.lit(model.stds[name])).alias(name)
        for c, name in zip(NUMERIC_COLUMNS, model.continuous_columns)
    ]
    battery = _capped(BIN_COLUMN, model.medians, model.caps)
    bin_index = sum((battery >= F.lit(edge)).cast("int") for edge in model.bin_edges) if model.bin_edges else F.lit(0)

    return df.select(
        *keep,
        F.col(model.label).cast("int").alias(model.label),
        *continuous,
        bin_index.cast("int").alias(f"{BIN_COLUMN}_bin"),
        *_one_hot("status", model.status_categories, model.status_columns),
        *_one_hot("site", model.site_categories, model.site_columns),
    )


def manifest(model: FeatureModel, horizon_hours: int, train_percent: int) -> dict[str, Any]:
    """What the CSV columns mean and how they were made, as a JSON-ready dict."""
    return {
        "format": "CSV without header; column 1 is the label, then the features in this order",
        "label": model.label,
        "label_definition": f"1 when the device reports status '{schema.STATUS_FAULT}' within the next "
        f"{horizon_hours} h after the reading, else 0; rows within {horizon_hours} h of the data end are dropped",
        "horizon_hours": horizon_hours,
        "features": list(model.feature_columns),
        "split": {
            "by": "device_id",
            "rule": f"pmod(xxhash64(device_id), {SPLIT_MODULUS}) < {train_percent} -> train, else validation",
            "train_percent": train_percent,
        },
        "fitted_on": "train",
        "impute_median": model.medians,
        "cap_percentiles": [_CAP_LOW, _CAP_HIGH],
        "caps": {k: list(v) if v else None for k, v in model.caps.items()},
        "log1p": list(LOG1P_COLUMNS),
        "standardize": {k: {"mean": model.means[k], "std": model.stds[k]} for k in model.continuous_columns},
        "bins": {f"{BIN_COLUMN}_bin": {"column": BIN_COLUMN, "edges": list(model.bin_edges)}},
        "one_hot": {
            "status": dict(zip(model.status_columns, model.status_categories)),
            "site": dict(zip(model.site_columns, model.site_categories)),
        },
    }


@dataclass(frozen=True)
class FeatureSet:
    """The output of ``build``: both splits, the fitted model and its manifest.

    ``train`` and ``validation`` are the CSV rows (label, then the features);
    ``rows`` are the same rows as the training_features table holds them
    (FEATURES_TABLE: split, the row's device and time, the label, the
    standardized columns, the one-hot columns as one map).
    """

    train: DataFrame
    validation: DataFrame
    rows: DataFrame
    model: FeatureModel
    manifest: dict[str, Any]


# The row's identity, kept in the table (not in the CSV).
IDENTITY = ("device_id", "ts")
# The categories the one-hot columns encode, kept in the table as they are.
CATEGORIES = ("status", "site")
TABLE_LABEL = "label"

# The Iceberg table the features job writes (the Curated stack declares the
# same one). Every run replaces its rows in one commit; the training CSV is
# exported from one of its snapshots (``export_frame``), the one-hot columns
# encoded from status and site with the categories manifest.json lists.
FEATURES_TABLE = iceberg.TableDef(
    name="training_features",
    columns=(
        iceberg.Column("split", "string", required=True, doc="train or validation (devices split by a fixed hash)"),
        iceberg.Column("device_id", "string", required=True),
        iceberg.Column("ts", "timestamp", required=True),
        iceberg.Column(TABLE_LABEL, "int", doc="1 when the device reports fault within the horizon (manifest.json)"),
        *(iceberg.Column(continuous_column_name(c), "double", doc="standardized") for c in NUMERIC_COLUMNS),
        iceberg.Column(f"{BIN_COLUMN}_bin", "int", doc="training quartile bin of battery_v, 0-3"),
        iceberg.Column("status", "string", doc="the reading's status, one-hot encoded in the CSV"),
        iceberg.Column("site", "string", doc="the reading's site, one-hot encoded in the CSV (the most frequent training sites)"),
    ),
    partitioning=("split",),
    properties=iceberg.COMMON_PROPERTIES,
    identity=("split", *IDENTITY),
)


def _one_hot(column: str, values, names) -> list[Column]:
    # null == value is null; coalesce makes an absent category all zeros, not nulls.
    return [F.coalesce((F.col(column) == F.lit(v)).cast("int"), F.lit(0)).alias(n) for v, n in zip(values, names)]


def table_rows(train: DataFrame, validation: DataFrame, model: FeatureModel) -> DataFrame:
    """Both splits as FEATURES_TABLE rows."""

    def rows(df: DataFrame, split_name: str) -> DataFrame:
        t = transform(df, model, keep=(*IDENTITY, *CATEGORIES))
        return t.select(
            F.lit(split_name).alias("split"),
            *IDENTITY,
            F.col(model.label).alias(TABLE_LABEL),
            *model.continuous_columns,
            f"{BIN_COLUMN}_bin",
            *CATEGORIES,
        )

    return rows(train, "train").unionByName(rows(validation, "validation"))


def export_frame(rows: DataFrame, manifest_: dict[str, Any], split_name: str) -> DataFrame:
    """One split's CSV rows from FEATURES_TABLE rows: the label, then manifest_["features"], in row order.

    The one-hot columns are encoded from status and site with the
    categories the manifest lists, as ``transform`` encodes them. Ordered by
    (device_id, ts) in one partition, so the same rows always make the same
    file, byte for byte: the features job and a rebuild from the same
    snapshot write identical training sets.
    """
    encoded: dict[str, Column] = {}
    for category in CATEGORIES:
        mapping = manifest_["one_hot"][category]  # column name -> category value
        encoded.update(zip(mapping, _one_hot(category, tuple(mapping.values()), tuple(mapping))))
    columns = [F.col(TABLE_LABEL).alias(manifest_["label"])]
    for name in manifest_["features"]:
        columns.append(encoded[name] if name in encoded else F.col(name))
    return rows.where(F.col("split") == split_name).orderBy(*IDENTITY).coalesce(1).select(*columns)


def build(
    curated: DataFrame,
    horizon_hours: int = 24,
    train_percent: int = 80,
    max_site_categories: int = 50,
    quantile_error: float = 0.0001,
) -> FeatureSet:
    """Label, split, fit on train, transform both splits.

    The labelled input is persisted because fitting scans the training split
    several times and each scan would otherwise redo the label window's sort.
    """
    needed = ("device_id", "ts", "status", "site", *NUMERIC_COLUMNS)
    missing = [c for c in needed if c not in curated.columns]
    if missing:
        raise ValueError(f"curated telemetry lacks column(s) {', '.join(missing)}")
    labelled = add_label(curated.select(*needed), horizon_hours).persist(StorageLevel.MEMORY_AND_DISK)
    train, validation = split(labelled, train_percent)
    if train.isEmpty():
        raise ValueError(
            f"no training rows: the input is empty or every reading is within {horizon_hours} h of the data end"
        )
    if validation.isEmpty():
        # Spark would still write one empty part file into validation/, and
        # SageMaker's XGBoost, reading every object of the channel, fails on it
        # far from here; batch transform would have nothing to score either.
        raise ValueError(
            f"no validation rows: every device hashed into the {train_percent}% training side; "
            "the split is by device, so it needs more devices (or a lower --train_percent)"
        )
    model = fit(train, label_column(horizon_hours), max_site_categories, quantile_error)
    return FeatureSet(
        train=transform(train, model),
        validation=transform(validation, model),
        rows=table_rows(train, validation, model),
        model=model,
        manifest=manifest(model, horizon_hours, train_percent),
    )
