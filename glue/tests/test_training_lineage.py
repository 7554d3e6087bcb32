"""A registered model's training set can be rebuilt, byte for byte, after new data landed.

What the ML workflows do, in small: the features job exports a training set
from one snapshot of training_features and announces it in current.json; the
registry records that entry with the model. Then the lake moves on: more
readings are curated, an earlier reading is corrected, compaction rewrites
the files, the features job runs again, and snapshot retention expires what
is old. ``training.rebuild`` from the registered entry must still give the
same train/ and validation/ files, byte for byte.
"""

from datetime import timedelta

import pytest
from pyspark.sql import functions as F

from lake_jobs import iceberg, training
from lake_jobs.curate import CURATED_TABLE
from lake_jobs.features import FEATURES_TABLE
from rows import fill_curated
from test_output_files import curated_rows


def test_rebuild_after_new_data_compaction_and_expiry(spark, new_table, tmp_path):
    curated, table = new_table(CURATED_TABLE), new_table(FEATURES_TABLE)
    fill_curated(spark, curated, curated_rows(spark, devices=12, hours=40))
    out = str(tmp_path / "training")
    registered = training.publish_features(spark, curated, table, out, 30).current

    # New data lands: 20 more hours of every device, and a correction of one early reading.
    later = curated_rows(spark, devices=12, hours=60).where(F.col("ts") >= F.lit(curated_rows(spark).agg(F.max("ts")).first()[0] + timedelta(seconds=1)))
    fill_curated(spark, curated, later)
    first_ts = curated_rows(spark).agg(F.min("ts")).first()[0]
    fill_curated(spark, curated, curated_rows(spark).where(F.col("ts") == first_ts).withColumn("status", F.lit("fault")))
    second = training.publish_features(spark, curated, table, out, 30).current
    assert second["features_snapshot_id"] != registered["features_snapshot_id"]
    assert second["rows"]["train"] > registered["rows"]["train"]

    # Upkeep as the Glue optimizers do it: compaction, then expiry of every snapshot but the newest.
    for t in (curated, table):
        spark.sql(f"CALL lake.system.rewrite_data_files(table => '{t}', options => map('min-input-files', '1'))")
        spark.sql(f"CALL lake.system.expire_snapshots(table => '{t}', older_than => TIMESTAMP '2999-01-01 00:00:00', retain_last => 1)")
    # The registered snapshot survives: its tag keeps it.
    kept = {r.snapshot_id for r in spark.sql(f"SELECT snapshot_id FROM {table}.snapshots").collect()}
    assert int(registered["features_snapshot_id"]) in kept

    rebuilt = training.rebuild(spark, table, registered, str(tmp_path / "rebuilt"))
    for channel, registered_uri in zip(rebuilt.channels, (registered["train_uri"], registered["validation_uri"])):
        assert training.same_files(spark, channel, registered_uri), channel
        assert training.differences(spark, channel, registered_uri) == {"only_in_first": 0, "only_in_second": 0}
    # The comparison can tell sets apart: the newer set is not the registered one.
    assert not training.same_files(spark, second["train_uri"], registered["train_uri"])


def test_an_expired_snapshot_is_reported_not_guessed(spark, new_table, tmp_path):
    curated, table = new_table(CURATED_TABLE), new_table(FEATURES_TABLE)
    fill_curated(spark, curated, curated_rows(spark))
    registered = training.publish_features(spark, curated, table, str(tmp_path / "training"), 30).current
    spark.sql(f"ALTER TABLE {table} DROP TAG `{registered['features_tag']}`")
    training.publish_features(spark, curated, table, str(tmp_path / "training"), 30)
    spark.sql(f"CALL lake.system.expire_snapshots(table => '{table}', older_than => TIMESTAMP '2999-01-01 00:00:00', retain_last => 1)")
    with pytest.raises(training.LineageError, match="is gone: its tag training-.* expired"):
        training.rebuild(spark, table, registered, str(tmp_path / "rebuilt"))


def test_current_json_names_both_snapshots(spark, new_table, tmp_path):
    curated, table = new_table(CURATED_TABLE), new_table(FEATURES_TABLE)
    fill_curated(spark, curated, curated_rows(spark))
    current = training.publish_features(spark, curated, table, str(tmp_path / "training"), 30).current
    assert current["curated_snapshot_id"] == str(iceberg.current_snapshot(spark, curated).snapshot_id)
    assert current["features_snapshot_id"] == str(iceberg.current_snapshot(spark, table).snapshot_id)
    assert current["curated_metadata_location"].endswith(".metadata.json")
    assert current["features_metadata_location"].endswith(".metadata.json")
    assert current["version"] == training.CURRENT_VERSION
    assert current["rows"]["train"] + current["rows"]["validation"] == spark.table(table).count()


def test_the_export_is_the_transform_output(spark, new_table, tmp_path):
    """Round trip through the table (one-hot columns re-encoded from status and site) changes no value."""
    from lake_jobs import features

    curated, table = new_table(CURATED_TABLE), new_table(FEATURES_TABLE)
    fill_curated(spark, curated, curated_rows(spark))
    published = training.publish_features(spark, curated, table, str(tmp_path / "training"), 30)
    result = features.build(iceberg.read_as_of(spark, curated, int(published.current["curated_snapshot_id"])))
    manifest = training.json.loads((tmp_path / "training" / "snapshots" / published.current["features_snapshot_id"] / "manifest.json").read_text())
    assert manifest["features"] == list(result.model.feature_columns)
    assert any(c.startswith("site_") for c in manifest["features"])
    for split_name, direct in (("train", result.train), ("validation", result.validation)):
        exported = spark.read.csv(published.current[f"{split_name}_uri"], inferSchema=False)
        want = direct.selectExpr(*[f"CAST(`{c}` AS STRING)" for c in direct.columns])
        assert sorted(map(tuple, exported.collect())) == sorted(map(tuple, want.collect())), split_name
