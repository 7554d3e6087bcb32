"""Partition folder names computed in Python are the ones Spark writes."""

from lake_jobs.paths import DEFAULT_PARTITION_NAME, partition_path


def test_names_match_what_partitionby_writes(spark, tmp_path):
    values = ["2024", "03", None, "", "a/b:c=d%e", "x y#{z}", "é\t"]
    df = spark.createDataFrame([(v, i) for i, v in enumerate(values)], "k string, i int")
    df.write.partitionBy("k").parquet(str(tmp_path / "out"))
    written = sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir())
    assert sorted({partition_path(["k"], [v]) for v in values}) == written
    assert partition_path(["k"], [None]) == f"k={DEFAULT_PARTITION_NAME}"
    assert partition_path(["year", "month", "day"], ["2024", "03", "07"]) == "year=2024/month=03/day=07"
