"""Partition registration in the Glue Data Catalog, against a fake Glue client.

Requests are checked against botocore's model of the Glue API (the one boto3
sends with in the job), so a misspelt member or a batch over the API's limit
fails here rather than in AWS.
"""

import copy

import pytest

from lake_jobs import catalog
from lake_jobs.curate import OUTPUT_PARTITIONS

botocore_session = pytest.importorskip("botocore.session", reason="botocore is not installed: run make deps")
from botocore.validate import ParamValidator  # noqa: E402

GLUE = botocore_session.get_session().get_service_model("glue")

DATABASE, TABLE_NAME = "datalake_sandbox", "curated_telemetry"
CURATED_PATH = "s3://curated-bucket/telemetry/"

# What GetTable returns for the table the Catalog stack declares (abridged columns).
TABLE = {
    "Name": TABLE_NAME,
    "DatabaseName": DATABASE,
    "TableType": "EXTERNAL_TABLE",
    "PartitionKeys": [{"Name": k, "Type": "string"} for k in OUTPUT_PARTITIONS],
    "Parameters": {"projection.enabled": "true", "classification": "parquet"},
    "StorageDescriptor": {
        "Columns": [{"Name": "device_id", "Type": "string"}, {"Name": "ts", "Type": "timestamp"}],
        "Location": CURATED_PATH,
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "Compressed": False,
        "NumberOfBuckets": -1,
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        "StoredAsSubDirectories": False,
    },
}


def validate(operation, params):
    shape = GLUE.operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()
    # botocore checks minimum lengths only; the model also carries the maximum.
    for name, member in shape.members.items():
        if member.type_name == "list" and "max" in member.metadata and name in params:
            assert len(params[name]) <= member.metadata["max"], f"{operation} {name}: {len(params[name])} items"


def test_the_batch_limit_is_the_api_limit():
    limit = GLUE.operation_model("BatchCreatePartition").input_shape.members["PartitionInputList"].metadata["max"]
    assert catalog.MAX_PARTITIONS_PER_CALL == limit == 100


class FakeGlue:
    """get_table and batch_create_partition, recording validated requests."""

    def __init__(self, table=TABLE, existing=(), failing=()):
        self.table = table
        self.existing = {tuple(v) for v in existing}
        self.failing = {tuple(v) for v in failing}
        self.calls = []

    def get_table(self, **params):
        validate("GetTable", params)
        assert params == {"DatabaseName": DATABASE, "Name": TABLE_NAME}
        return {"Table": copy.deepcopy(self.table)}

    def batch_create_partition(self, **params):
        validate("BatchCreatePartition", params)
        self.calls.append(params)
        errors = []
        for p in params["PartitionInputList"]:
            values = tuple(p["Values"])
            if values in self.failing:
                errors.append({"PartitionValues": list(values),
                               "ErrorDetail": {"ErrorCode": "InternalServiceException", "ErrorMessage": "try later"}})
            elif values in self.existing:
                errors.append({"PartitionValues": list(values),
                               "ErrorDetail": {"ErrorCode": "AlreadyExistsException", "ErrorMessage": "Partition already exists."}})
            else:
                self.existing.add(values)
        return {"Errors": errors} if errors else {}


def storage_of(glue):
    return catalog.table_storage(glue, DATABASE, TABLE_NAME, CURATED_PATH, OUTPUT_PARTITIONS)


def test_request_copies_the_table_storage_with_the_partition_location():
    glue = FakeGlue()
    storage = storage_of(glue)
    created = catalog.create_partitions(glue, DATABASE, TABLE_NAME, storage, OUTPUT_PARTITIONS,
                                        [("2024", "03", "08"), ("2024", "03", "07"), ("2024", "03", "08")])
    assert created == (2, 0)
    (call,) = glue.calls
    assert call["DatabaseName"] == DATABASE and call["TableName"] == TABLE_NAME
    first = call["PartitionInputList"][0]
    assert first["Values"] == ["2024", "03", "07"]
    want = copy.deepcopy(TABLE["StorageDescriptor"])
    want["Location"] = "s3://curated-bucket/telemetry/year=2024/month=03/day=07/"
    assert first["StorageDescriptor"] == want
    assert call["PartitionInputList"][1]["StorageDescriptor"]["Location"].endswith("/year=2024/month=03/day=08/")
    # The table's own descriptor is not modified by the copies.
    assert storage["Location"] == CURATED_PATH


def test_batches_of_at_most_100_and_existing_partitions_are_fine():
    days = [("2024", f"{m:02d}", f"{d:02d}") for m in range(1, 13) for d in range(1, 29)]  # 336
    glue = FakeGlue(existing=days[:10])
    created, existing = catalog.create_partitions(glue, DATABASE, TABLE_NAME, storage_of(glue), OUTPUT_PARTITIONS, days)
    assert (created, existing) == (326, 10)
    assert [len(c["PartitionInputList"]) for c in glue.calls] == [100, 100, 100, 36]
    # A retry registers nothing new and does not fail.
    assert catalog.create_partitions(glue, DATABASE, TABLE_NAME, storage_of(glue), OUTPUT_PARTITIONS, days) == (0, 336)


def test_other_errors_fail_after_every_batch_was_tried():
    days = [("2024", "01", f"{d:02d}") for d in range(1, 29)] * 5
    glue = FakeGlue(failing=[("2024", "01", "05")], existing=[("2024", "01", "06")])
    with pytest.raises(catalog.CatalogError) as err:
        catalog.create_partitions(glue, DATABASE, TABLE_NAME, storage_of(glue), OUTPUT_PARTITIONS, days)
    assert "1 partition(s)" in str(err.value)
    assert "['2024', '01', '05']: InternalServiceException: try later" in str(err.value)
    assert ("2024", "01", "28") in glue.existing


def test_nothing_to_register_makes_no_call():
    glue = FakeGlue()
    assert catalog.create_partitions(glue, DATABASE, TABLE_NAME, storage_of(glue), OUTPUT_PARTITIONS, []) == (0, 0)
    assert glue.calls == []


def test_a_table_that_does_not_match_the_output_is_refused():
    elsewhere = copy.deepcopy(TABLE)
    elsewhere["StorageDescriptor"]["Location"] = "s3://other-bucket/telemetry/"
    with pytest.raises(catalog.CatalogError, match="located at 's3://other-bucket/telemetry/'"):
        storage_of(FakeGlue(table=elsewhere))
    by_hour = copy.deepcopy(TABLE)
    by_hour["PartitionKeys"].append({"Name": "hour", "Type": "string"})
    with pytest.raises(catalog.CatalogError, match=r"partitioned by \(year, month, day, hour\)"):
        storage_of(FakeGlue(table=by_hour))
    # A trailing slash is not a difference.
    assert storage_of(FakeGlue())["Location"] == CURATED_PATH
    assert catalog.table_storage(FakeGlue(), DATABASE, TABLE_NAME, CURATED_PATH.rstrip("/"), OUTPUT_PARTITIONS)


def test_a_partition_without_every_value_is_refused():
    with pytest.raises(catalog.CatalogError, match="does not give a value"):
        catalog.partition_inputs(TABLE["StorageDescriptor"], OUTPUT_PARTITIONS, [("2024", "03", None)])
