"""Training sets with lineage: built from one snapshot, exported from one snapshot, rebuilt from it.

``publish_features`` is the features job: it reads curated_telemetry as of
its current snapshot, replaces training_features' rows in one commit, tags
that snapshot so snapshot retention keeps it, exports the training CSV from
exactly that snapshot into a folder of its own, and last writes current.json,
which names both snapshots (ids and metadata files), the folder and the tag.
The ML workflows train on the set current.json names and the model registry
records its snapshot ids, so a registered model's training set can be read
again as it was: ``rebuild`` exports the same snapshot again, byte for byte
the same files, however much data has landed since.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from lake_jobs import features, iceberg, storage

log = logging.getLogger(__name__)

# current.json's format; readers refuse others.
CURRENT_VERSION = 1


class LineageError(RuntimeError):
    """A snapshot to read from is missing, or a rebuilt set differs."""


def tag_name(snapshot_id: int) -> str:
    """The tag that keeps a training snapshot of training_features."""
    return f"training-{snapshot_id}"


@dataclass(frozen=True)
class Published:
    """What one features run produced: current.json's contents and where the set is."""

    current: dict[str, Any]
    layout: storage.TrainingLayout


def publish_features(
    spark: SparkSession,
    curated_table: str,
    features_table: str,
    output_path: str,
    tag_retain_days: int,
    clean: Callable[[str], None] | None = None,
    **build_args: Any,
) -> Published:
    """Build, commit, tag, export and announce one training set (module docstring).

    ``clean`` is called on each channel prefix after the export and before
    current.json is written (the job removes non-data objects there).
    """
    curated_at = iceberg.current_snapshot(spark, curated_table)
    if curated_at is None:
        raise LineageError(f"{curated_table} has no snapshot yet: run curate first")
    curated = iceberg.read_as_of(spark, curated_table, curated_at.snapshot_id)
    result = features.build(curated, **build_args)

    # One commit replaces every row: readers see the previous set or this one.
    result.rows.writeTo(features_table).overwrite(F.lit(True))
    features_at = iceberg.current_snapshot(spark, features_table)
    iceberg.tag(spark, features_table, tag_name(features_at.snapshot_id), features_at.snapshot_id, tag_retain_days)

    manifest = dict(result.manifest)
    manifest["lineage"] = {**curated_at.as_dict("curated"), **features_at.as_dict("features"),
                           "features_tag": tag_name(features_at.snapshot_id)}
    layout = export(spark, features_table, features_at.snapshot_id, manifest, output_path)
    for channel in layout.channels:
        if clean:
            clean(channel)
    counts = {s: spark.read.text(p).count() for s, p in zip(("train", "validation"), layout.channels)}
    current = {
        "version": CURRENT_VERSION,
        **manifest["lineage"],
        "train_uri": layout.train,
        "validation_uri": layout.validation,
        "manifest_uri": layout.manifest,
        "rows": counts,
        "features": len(result.model.feature_columns),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    # Last: until it is replaced the workflows keep training on the previous set.
    storage.write_text_file(spark, layout.current, json.dumps(current, indent=2, sort_keys=True))
    log.info("features: snapshot %s of %s (from %s snapshot %s) exported to %s: %s",
             features_at.snapshot_id, features_table, curated_table, curated_at.snapshot_id, layout.root, counts)
    return Published(current=current, layout=layout)


def export(
    spark: SparkSession, features_table: str, snapshot_id: int, manifest: dict[str, Any], output_path: str
) -> storage.TrainingLayout:
    """Write the training set of one snapshot: train/ and validation/ CSV, then manifest.json."""
    layout = storage.TrainingLayout.under(output_path, snapshot_id)
    rows = iceberg.read_as_of(spark, features_table, snapshot_id)
    for split_name, path in zip(("train", "validation"), layout.channels):
        storage.write_csv(features.export_frame(rows, manifest, split_name), path)
    storage.write_text_file(spark, layout.manifest, json.dumps(manifest, indent=2, sort_keys=True))
    return layout


def rebuild(spark: SparkSession, features_table: str, registered: dict[str, Any], output_path: str) -> storage.TrainingLayout:
    """Export a registered model's training set again, from the snapshot its registry entry names.

    ``registered`` is the entry (or current.json): features_snapshot_id and
    manifest_uri, whose manifest gives the columns. The result sits under
    ``output_path``/snapshots/<id>/.
    """
    snapshot_id = int(registered["features_snapshot_id"])
    manifest = json.loads(storage.read_text_file(spark, registered["manifest_uri"]))
    known = {int(r[0]) for r in spark.sql(f"SELECT snapshot_id FROM {features_table}.snapshots").collect()}
    if snapshot_id not in known:
        raise LineageError(
            f"snapshot {snapshot_id} of {features_table} is gone: its tag {tag_name(snapshot_id)} expired "
            "and snapshot retention removed it"
        )
    return export(spark, features_table, snapshot_id, manifest, output_path)


def differences(spark: SparkSession, a: str, b: str) -> dict[str, int]:
    """Lines of the CSV files under ``a`` not under ``b`` and the other way round, counted with repeats."""
    left, right = spark.read.text(a), spark.read.text(b)
    return {"only_in_first": left.exceptAll(right).count(), "only_in_second": right.exceptAll(left).count()}


def same_files(spark: SparkSession, a: str, b: str) -> bool:
    """Whether the part files under ``a`` and ``b`` hold the same bytes (one file per channel)."""
    def content(path: str) -> list[bytes]:
        files = spark.sparkContext.binaryFiles(path).collect()
        return sorted(data for name, data in files if name.rsplit("/", 1)[-1].startswith("part-"))

    return content(a) == content(b)
