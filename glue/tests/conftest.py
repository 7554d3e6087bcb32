"""One local SparkSession for the whole test session, tuned for tiny data."""

import os
import sys
import time
from pathlib import Path

import pytest

GLUE_DIR = Path(__file__).resolve().parents[1]
REPO = GLUE_DIR.parent

# Iceberg's Spark runtime, the release Glue 5.0 ships (1.7.1); the Makefile
# fetches it from Maven Central and checks its SHA-256 (make test-glue).
ICEBERG_JAR = Path(os.environ.get("LAKE_ICEBERG_JAR", REPO / ".build" / "jars" / "iceberg-spark-runtime-3.5_2.12-1.7.1.jar"))

# The local Iceberg catalog the tests write to: a folder, like the Glue
# Data Catalog a table at a time. Tables are made with lake_jobs.iceberg.create_table.
CATALOG = "lake"
# Tests import lake_jobs the way a Glue job does: as a top-level package.
sys.path.insert(0, str(GLUE_DIR))

# The Python workers must run the interpreter running the tests, not whatever python3 is on PATH.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
# collect() returns timestamps as naive datetimes in the Python process's zone: make that UTC too.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory):
    return tmp_path_factory.mktemp("warehouse")


@pytest.fixture(scope="session")
def spark(warehouse):
    from pyspark.sql import SparkSession

    from lake_jobs import iceberg
    from lake_jobs.session import configure

    if not ICEBERG_JAR.is_file():
        pytest.exit(f"{ICEBERG_JAR} is missing: make test-glue fetches it (or set LAKE_ICEBERG_JAR)", returncode=2)
    log4j = GLUE_DIR / "tests" / "log4j2.properties"
    builder = SparkSession.builder.master("local[2]").config("spark.jars", str(ICEBERG_JAR))
    for key, value in iceberg.local_catalog_conf(str(warehouse), CATALOG).items():
        builder = builder.config(key, value)
    session = (
        builder
        .appName("lake-jobs-tests")
        # A handful of rows needs no 200 shuffle partitions; 2 matches the 2 cores.
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
        .getOrCreate()
    )
    # What the Glue entry points apply too (no _SUCCESS markers, string partition values).
    session = configure(session)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


_tables = iter(range(1, 1_000_000))


@pytest.fixture
def new_table(spark):
    """A function making an empty Iceberg table from a lake_jobs.iceberg.TableDef; dropped after the test."""
    from lake_jobs import iceberg

    made = []

    def make(table_def, name=None):
        ident = iceberg.identifier(CATALOG, "db", name or f"{table_def.name}_{next(_tables)}")
        iceberg.create_table(spark, ident, table_def)
        made.append(ident)
        return ident

    yield make
    for ident in made:
        spark.sql(f"DROP TABLE IF EXISTS {ident} PURGE")
