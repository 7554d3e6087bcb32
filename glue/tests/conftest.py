"""One local SparkSession for the whole test session, tuned for tiny data."""

import os
import sys
import time
from pathlib import Path

import pytest

GLUE_DIR = Path(__file__).resolve().parents[1]
# Tests import lake_jobs the way a Glue job does: as a top-level package.
sys.path.insert(0, str(GLUE_DIR))

# The Python workers must run the interpreter running the tests, not whatever python3 is on PATH.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
# collect() returns timestamps as naive datetimes in the Python process's zone: make that UTC too.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    from lake_jobs.session import configure

    log4j = GLUE_DIR / "tests" / "log4j2.properties"
    session = (
        SparkSession.builder.master("local[2]")
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
