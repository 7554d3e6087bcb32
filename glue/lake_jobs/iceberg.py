"""The lake's Iceberg tables: catalog settings, table definitions, staged writes, snapshots.

curated_telemetry and training_features are Apache Iceberg tables in the
Glue Data Catalog, stored in the lake's own buckets (the Curated stack
creates them; tests and the local pipeline create them with ``create_table``
from the same definitions).

Writes are staged on a branch and published in one step (write-audit-publish,
https://iceberg.apache.org/docs/1.7.1/branching/#audit-branch): ``staged``
replaces the branch with the table's current state, runs the write with
``spark.wap.branch`` set, so every commit of the write goes to the branch,
and then fast-forwards ``main`` to it. Readers only ever see ``main``: until
the fast-forward, the table is exactly as it was, whatever happens to the
job (a crash, a kill, a timeout); the fast-forward itself is one atomic
metadata commit. A retried run replaces the branch and starts again.

If another writer moved ``main`` in between (a Glue compaction run commits
to ``main`` whenever it likes) the fast-forward is refused, and the write is
redone on a fresh branch, up to ``PUBLISH_ATTEMPTS`` times.

Versions: Glue 5.0 ships Iceberg 1.7.1; the tests run the same release
(iceberg-spark-runtime-3.5_2.12 1.7.1, which the Makefile fetches).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Sequence

from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

# The Spark catalog name the Glue jobs register the Glue Data Catalog under.
GLUE_CATALOG = "glue_catalog"

EXTENSIONS = "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"

# How often a staged write is redone when main moved before it was published.
PUBLISH_ATTEMPTS = 3

# Iceberg's Spark read option that pins a read to one snapshot.
SNAPSHOT_ID_OPTION = "snapshot-id"


def glue_catalog_conf(warehouse: str, kms_key_arn: str, catalog: str = GLUE_CATALOG) -> dict[str, str]:
    """Spark settings that make ``catalog`` the Glue Data Catalog, as Glue 5.0 documents them.

    https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-format-iceberg.html
    The job must also run with ``--datalake-formats iceberg`` (the jars).
    S3FileIO names the lake key on every upload
    (https://iceberg.apache.org/docs/1.7.1/aws/#s3-server-side-encryption): the
    lake's bucket policies refuse uploads that do not say SSE-KMS with that key.
    """
    prefix = f"spark.sql.catalog.{catalog}"
    return {
        "spark.sql.extensions": EXTENSIONS,
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.catalog-impl": "org.apache.iceberg.aws.glue.GlueCatalog",
        f"{prefix}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        f"{prefix}.warehouse": warehouse,
        f"{prefix}.s3.sse.type": "kms",
        f"{prefix}.s3.sse.key": kms_key_arn,
    }


def local_catalog_conf(warehouse: str, catalog: str) -> dict[str, str]:
    """Spark settings for a catalog kept in a local folder (tests, the local pipeline).

    Iceberg's vectorized Parquet reader is off: on this project's build
    machine (OpenJDK 17.0.15, Debian) its Arrow buffers crash the JVM with
    SIGSEGV in the shaded netty allocator once a scan reads a few thousand
    rows. The row reader returns the same rows; Glue keeps the default.
    """
    prefix = f"spark.sql.catalog.{catalog}"
    return {
        "spark.sql.extensions": EXTENSIONS,
        "spark.sql.iceberg.vectorization.enabled": "false",
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.type": "hadoop",
        f"{prefix}.warehouse": warehouse,
    }


@dataclass(frozen=True)
class Column:
    """One column: its name, its Spark SQL type, and the type the Glue Data Catalog gives it."""

    name: str
    spark_type: str
    required: bool = False
    doc: str = ""

    @property
    def iceberg_type(self) -> str:
        """The Iceberg type (what the Glue Data Catalog's Iceberg schema says)."""
        return _ICEBERG_TYPES.get(self.spark_type, self.spark_type)


# Spark's timestamp is an instant (Iceberg's timestamptz); int is Iceberg's int.
_ICEBERG_TYPES = {"timestamp": "timestamptz", "map<string,int>": "map<string, int>"}


@dataclass(frozen=True)
class TableDef:
    """An Iceberg table as the lake declares it: columns, partitioning, properties."""

    name: str
    columns: tuple[Column, ...]
    # Spark SQL partition transforms, e.g. ("days(ts)",).
    partitioning: tuple[str, ...]
    properties: tuple[tuple[str, str], ...]
    # Columns that identify a row (what a MERGE matches on).
    identity: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


# Table properties every lake table has: format v2 (row-level operations),
# write-audit-publish on (spark.wap.branch is honoured only with it).
COMMON_PROPERTIES: tuple[tuple[str, str], ...] = (
    ("format-version", "2"),
    ("write.wap.enabled", "true"),
)


def create_table(spark: SparkSession, identifier: str, table: TableDef, location: str | None = None) -> None:
    """CREATE TABLE IF NOT EXISTS from ``table``: what the Curated stack declares, for local catalogs."""
    columns = ", ".join(
        f"`{c.name}` {c.spark_type}{' NOT NULL' if c.required else ''}" for c in table.columns
    )
    parts = f" PARTITIONED BY ({', '.join(table.partitioning)})" if table.partitioning else ""
    where = f" LOCATION '{location}'" if location else ""
    props = ", ".join(f"'{k}'='{v}'" for k, v in table.properties)
    spark.sql(f"CREATE TABLE IF NOT EXISTS {identifier} ({columns}) USING iceberg{parts}{where} TBLPROPERTIES ({props})")


@dataclass(frozen=True)
class Snapshot:
    """One committed state of a table: what lineage records and time travel reads."""

    table: str
    snapshot_id: int
    metadata_location: str

    def as_dict(self, prefix: str) -> dict[str, object]:
        return {
            f"{prefix}_table": self.table,
            f"{prefix}_snapshot_id": str(self.snapshot_id),
            f"{prefix}_metadata_location": self.metadata_location,
        }


def current_snapshot(spark: SparkSession, identifier: str) -> Snapshot | None:
    """The snapshot ``main`` points at and the metadata file that records it; None for an empty table."""
    main = spark.sql(f"SELECT snapshot_id FROM {identifier}.refs WHERE name = 'main'").collect()
    if not main:
        return None
    # The newest metadata file is the table's current one (the catalog's metadata_location).
    latest = spark.sql(f"SELECT file FROM {identifier}.metadata_log_entries ORDER BY timestamp DESC LIMIT 1").collect()
    return Snapshot(table=identifier, snapshot_id=int(main[0][0]), metadata_location=latest[0][0] if latest else "")


class PublishError(RuntimeError):
    """The staged write could not be published: main kept moving."""


def publish(spark: SparkSession, identifier: str, branch: str) -> None:
    """Make ``main`` the branch's state, in one metadata commit (Iceberg's fast_forward procedure)."""
    # The table argument names the catalog too: a database called like a
    # catalog would otherwise be read as one.
    catalog, _ = _split_catalog(identifier)
    spark.sql(f"CALL {catalog}.system.fast_forward('{identifier}', 'main', '{branch}')")


def staged(spark: SparkSession, identifier: str, branch: str, write: Callable[[], int]) -> int:
    """Run ``write`` on ``branch`` and publish it to main; return what ``write`` returned.

    ``write`` reads the table (it then sees the branch, a copy of main) and
    commits to it; it returns how many rows it changed, and 0 means it
    committed nothing, so nothing is published and the table keeps its
    snapshot. The branch is dropped after publishing; a run killed before
    that leaves it behind, and the next run replaces it.
    """
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        _branch_from_main(spark, identifier, branch)
        spark.conf.set("spark.wap.branch", branch)
        try:
            changed = write()
        finally:
            spark.conf.unset("spark.wap.branch")
        if changed == 0:
            _drop_branch(spark, identifier, branch)
            return 0
        try:
            publish(spark, identifier, branch)
        except Exception as err:  # py4j surfaces Iceberg's refusal as a generic error
            if "not an ancestor" not in str(err) or attempt == PUBLISH_ATTEMPTS:
                raise PublishError(f"publishing {branch} of {identifier} failed (attempt {attempt}): {err}") from err
            log.warning("main of %s moved while the write was staged (attempt %d): writing again", identifier, attempt)
            continue
        _drop_branch(spark, identifier, branch)
        return changed
    raise PublishError(f"publishing {branch} of {identifier}: {PUBLISH_ATTEMPTS} attempts")  # not reached


def _branch_from_main(spark: SparkSession, identifier: str, branch: str) -> None:
    # On a table without snapshots Iceberg starts the branch at an empty one.
    spark.sql(f"ALTER TABLE {identifier} CREATE OR REPLACE BRANCH `{branch}`")


def _drop_branch(spark: SparkSession, identifier: str, branch: str) -> None:
    spark.sql(f"ALTER TABLE {identifier} DROP BRANCH IF EXISTS `{branch}`")


def _split_catalog(identifier: str) -> tuple[str, str]:
    catalog, _, rest = identifier.partition(".")
    if not rest:
        raise ValueError(f"{identifier!r} is not catalog.database.table")
    return catalog, rest


def identifier(catalog: str, database: str, table: str) -> str:
    """``catalog.database.table``, checked for the characters Spark SQL takes unquoted."""
    for part in (catalog, database, table):
        if not part or not all(ch.isalnum() or ch == "_" for ch in part):
            raise ValueError(f"{part!r}: a catalog, database or table name is letters, digits and _ only")
    return f"{catalog}.{database}.{table}"


def tag(spark: SparkSession, identifier_: str, name: str, snapshot_id: int, retain_days: int) -> None:
    """Keep ``snapshot_id`` readable for ``retain_days`` whatever snapshot retention expires (a tag)."""
    spark.sql(
        f"ALTER TABLE {identifier_} CREATE OR REPLACE TAG `{name}` AS OF VERSION {snapshot_id} RETAIN {retain_days} DAYS"
    )


def read_as_of(spark: SparkSession, identifier_: str, snapshot_id: int, columns: Sequence[str] | None = None):
    """The table's rows as of one snapshot."""
    df = spark.read.option(SNAPSHOT_ID_OPTION, str(snapshot_id)).table(identifier_)
    return df.select(*columns) if columns else df
