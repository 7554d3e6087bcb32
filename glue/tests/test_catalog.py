"""The catalog check the jobs make before Spark starts, against a fake Glue client.

Requests are checked against botocore's model of the Glue API (the one boto3
sends with in the job), so a misspelt member fails here rather than in AWS.
"""

import copy

import pytest

from lake_jobs import catalog

botocore_session = pytest.importorskip("botocore.session", reason="botocore is not installed: run make deps")
from botocore.validate import ParamValidator  # noqa: E402

GLUE = botocore_session.get_session().get_service_model("glue")

DATABASE, TABLE_NAME = "datalake_sandbox", "curated_telemetry"

# What GetTable returns for an Iceberg table in the Glue Data Catalog (abridged).
TABLE = {
    "Name": TABLE_NAME,
    "DatabaseName": DATABASE,
    "TableType": "EXTERNAL_TABLE",
    "Parameters": {
        "table_type": "ICEBERG",
        "metadata_location": "s3://curated-bucket/iceberg/curated_telemetry/metadata/00001-a.metadata.json",
    },
    "StorageDescriptor": {"Location": "s3://curated-bucket/iceberg/curated_telemetry"},
}

# What it returned for the Hive-style table of lakes deployed before Iceberg.
HIVE_TABLE = {
    "Name": TABLE_NAME,
    "DatabaseName": DATABASE,
    "TableType": "EXTERNAL_TABLE",
    "PartitionKeys": [{"Name": k, "Type": "string"} for k in ("year", "month", "day")],
    "Parameters": {"projection.enabled": "true", "classification": "parquet"},
    "StorageDescriptor": {"Location": "s3://curated-bucket/telemetry/"},
}


def validate(operation, params):
    shape = GLUE.operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()


class FakeGlue:
    """get_table, validating each request against botocore's model."""

    def __init__(self, table=TABLE):
        self.table = table
        self.calls = []

    def get_table(self, **params):
        validate("GetTable", params)
        self.calls.append(params)
        if self.table is None:
            raise RuntimeError("An error occurred (EntityNotFoundException) when calling the GetTable operation")
        return {"Table": copy.deepcopy(self.table)}


def test_an_iceberg_table_passes():
    glue = FakeGlue()
    found = catalog.iceberg_table(glue, DATABASE, TABLE_NAME)
    assert found["Parameters"]["table_type"] == "ICEBERG"
    assert glue.calls == [{"DatabaseName": DATABASE, "Name": TABLE_NAME}]


def test_a_hive_table_is_refused_with_the_way_out():
    with pytest.raises(catalog.CatalogError, match="not an Iceberg table.*docs/etl.md, Migration"):
        catalog.iceberg_table(FakeGlue(HIVE_TABLE), DATABASE, TABLE_NAME)


def test_a_missing_table_names_the_stack():
    with pytest.raises(catalog.CatalogError, match="EntityNotFoundException.*Deploy the Curated stack"):
        catalog.iceberg_table(FakeGlue(None), DATABASE, TABLE_NAME)
