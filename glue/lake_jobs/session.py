"""Spark settings both jobs need, applied the same way in Glue and in the tests.

The Glue entry points and tests/conftest.py both call ``configure`` on the
session they use, so the tests check the files the jobs write with the
settings the jobs write them with.

- No ``_SUCCESS`` marker: Hadoop's FileOutputCommitter writes an empty
  ``_SUCCESS`` object into every output folder. SageMaker's built-in
  containers read every object under a channel's S3 prefix (S3DataType
  S3Prefix, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3DataSource.html),
  and XGBoost reads each as headerless CSV
  (https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html, "Input/Output
  Interface for the XGBoost Algorithm"): an empty ``_SUCCESS`` among the
  train/ files fails training ("Could not determine delimiter"), and batch
  transform sends it to the model as input.
- Partition values stay strings ("03", not 3), as the Glue catalog types the
  partition columns, so rows read back from year=/month=/day= folders union
  with freshly derived ones.

Both are runtime settings, applied to the running session: they take effect
for every write after ``configure`` however the SparkContext was made
(SparkContext.getOrCreate ignores a SparkConf when a context already exists).
"""

from __future__ import annotations

from pyspark.sql import SparkSession

# Read by FileOutputCommitter.commitJob from the write job's Hadoop
# configuration, which Spark copies from the SparkContext's at each write.
HADOOP_CONF: dict[str, str] = {
    "mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
}

SQL_CONF: dict[str, str] = {
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
}


def configure(spark: SparkSession) -> SparkSession:
    """Apply HADOOP_CONF and SQL_CONF to a running session and return it."""
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    for key, value in HADOOP_CONF.items():
        hadoop.set(key, value)
    for key, value in SQL_CONF.items():
        spark.conf.set(key, value)
    return spark


def hadoop_setting(spark: SparkSession, key: str) -> str | None:
    """The value of Hadoop setting ``key`` in the session's SparkContext, or None."""
    return spark.sparkContext._jsc.hadoopConfiguration().get(key)
