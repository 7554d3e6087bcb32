"""Run a Glue entry point in a process of its own, on the tests' local Iceberg catalog.

    python jobrunner.py <script> [--name value ...]

awsglue and boto3 are replaced by stand-ins (as in test_entry_points.py),
and the session is the tests' own: local Spark, Iceberg 1.7.1, the catalog
"lake" in the folder LAKE_TEST_WAREHOUSE. With LAKE_TEST_KILL_AT=publish the
process prints how many rows the staging branch holds, as one JSON line, and
kills itself with SIGKILL instead of publishing: a crash after the data was
written and before the commit that makes it visible.
"""

import importlib
import json
import os
import signal
import sys
import types
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS.parent), str(TESTS)]

import conftest  # noqa: E402  (sets TZ and the Python workers as the tests do)
from pyspark.sql import SparkSession  # noqa: E402

from lake_jobs import iceberg, session  # noqa: E402


def spark_session() -> SparkSession:
    builder = SparkSession.builder.master("local[2]").config("spark.jars", str(conftest.ICEBERG_JAR))
    for key, value in iceberg.local_catalog_conf(os.environ["LAKE_TEST_WAREHOUSE"], conftest.CATALOG).items():
        builder = builder.config(key, value)
    for key, value in {
        "spark.sql.shuffle.partitions": "2", "spark.sql.session.timeZone": "UTC", "spark.ui.enabled": "false",
        "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
    }.items():
        builder = builder.config(key, value)
    spark = session.configure(builder.getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def install_fakes(spark: SparkSession) -> None:
    class Reader:
        def from_options(self, connection_type, connection_options, format, transformation_ctx):
            (path,) = connection_options["paths"]
            df = spark.read.option("recursiveFileLookup", "true").parquet(path)
            return types.SimpleNamespace(toDF=lambda: df)

    class GlueContext:
        def __init__(self, sc):
            self.spark_session = spark
            self.create_dynamic_frame = Reader()

    class Job:
        def __init__(self, glue_context):
            pass

        def init(self, name, args):
            pass

        def commit(self):
            pass

    def resolved(argv, names):
        return {argv[i][2:]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}

    glue = types.SimpleNamespace(get_table=lambda **kw: {"Table": {"Name": kw["Name"], "Parameters": {"table_type": "ICEBERG"}}})
    sys.modules.update({
        "awsglue": types.ModuleType("awsglue"),
        "awsglue.context": types.SimpleNamespace(GlueContext=GlueContext),
        "awsglue.job": types.SimpleNamespace(Job=Job),
        "awsglue.utils": types.SimpleNamespace(getResolvedOptions=resolved),
        "boto3": types.SimpleNamespace(client=lambda name, **_: glue),
    })


def kill_instead_of_publishing(spark: SparkSession) -> None:
    def publish(spark_, identifier, branch):
        rows = spark_.sql(f"SELECT count(*) FROM {identifier} VERSION AS OF '{branch}'").first()[0]
        print(json.dumps({"branch": branch, "branch_rows": rows}), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    iceberg.publish = publish


def main() -> None:
    script, argv = sys.argv[1], sys.argv[2:]
    spark = spark_session()
    install_fakes(spark)
    if os.environ.get("LAKE_TEST_KILL_AT") == "publish":
        kill_instead_of_publishing(spark)
    sys.argv = [f"{script}.py", "--JOB_RUN_ID", "jr_local", *argv]
    importlib.import_module(script).main()


if __name__ == "__main__":
    main()
