"""Sweeping SageMaker channel prefixes, against a fake S3 client checked with botocore's S3 model."""

import pytest

from lake_jobs import objects

botocore_session = pytest.importorskip("botocore.session", reason="botocore is not installed: run make deps")
from botocore.validate import ParamValidator  # noqa: E402

S3 = botocore_session.get_session().get_service_model("s3")


class FakeS3:
    """list_objects_v2 (pages of ``page`` keys) and delete_objects over a set of keys."""

    def __init__(self, keys, page=1000, undeletable=()):
        self.keys = set(keys)
        self.page = page
        self.undeletable = set(undeletable)
        self.deletes = []

    def _check(self, operation, params):
        report = ParamValidator().validate(params, S3.operation_model(operation).input_shape)
        assert not report.has_errors(), report.generate_report()

    def list_objects_v2(self, **params):
        self._check("ListObjectsV2", params)
        assert params["Bucket"] == "analytics"
        matching = sorted(k for k in self.keys if k.startswith(params["Prefix"]))
        start = int(params.get("ContinuationToken", "0"))
        chunk = matching[start : start + self.page]
        page = {"Contents": [{"Key": k, "Size": 0} for k in chunk], "IsTruncated": start + self.page < len(matching)}
        if page["IsTruncated"]:
            page["NextContinuationToken"] = str(start + self.page)
        return page

    def delete_objects(self, **params):
        self._check("DeleteObjects", params)
        requested = [o["Key"] for o in params["Delete"]["Objects"]]
        assert len(requested) <= objects.MAX_KEYS_PER_DELETE
        self.deletes.append(requested)
        errors = [{"Key": k, "Code": "AccessDenied", "Message": "Access Denied"} for k in requested if k in self.undeletable]
        self.keys -= set(requested) - self.undeletable
        return {"Errors": errors} if errors else {}


PREFIX = "training/telemetry/train/"


def test_only_data_files_survive():
    data = [PREFIX + "part-00000-abc-c000.csv", PREFIX + "part-00001-abc-c000.csv"]
    junk = [
        PREFIX,                                  # the folder object of the channel itself
        PREFIX + "_SUCCESS",
        PREFIX + "_temporary_$folder$",
        PREFIX + "_temporary/0/part-00000",
        PREFIX + ".part-00000-abc-c000.csv.crc",
        PREFIX + "sub_$folder$",
        PREFIX + "sub/",
    ]
    beside = ["training/telemetry/manifest.json", "training/telemetry/train_$folder$", "training/telemetry/validation/_SUCCESS"]
    s3 = FakeS3(data + junk + beside)
    removed = objects.remove_non_data_objects(s3, "s3://analytics/" + PREFIX)
    assert sorted(removed) == sorted(junk)
    # Outside the channel nothing is touched, not even markers: SageMaker does not read there.
    assert s3.keys == set(data + beside)


def test_pages_and_delete_batches():
    junk = [f"{PREFIX}x{i:05d}_$folder$" for i in range(2500)]
    s3 = FakeS3(junk + [PREFIX + "part-1.csv"], page=700)
    assert len(objects.remove_non_data_objects(s3, "s3://analytics/training/telemetry/train")) == 2500
    assert [len(d) for d in s3.deletes] == [1000, 1000, 500]
    assert s3.keys == {PREFIX + "part-1.csv"}


def test_nothing_to_delete_makes_no_delete_call():
    s3 = FakeS3([PREFIX + "part-1.csv"])
    assert objects.remove_non_data_objects(s3, "s3://analytics/" + PREFIX) == []
    assert s3.deletes == []


def test_a_key_that_cannot_be_deleted_fails_the_run():
    s3 = FakeS3([PREFIX + "_SUCCESS"], undeletable=[PREFIX + "_SUCCESS"])
    with pytest.raises(RuntimeError, match="_SUCCESS: AccessDenied"):
        objects.remove_non_data_objects(s3, "s3://analytics/" + PREFIX)


@pytest.mark.parametrize("uri", ["analytics/train/", "file:///tmp/train", "s3:///train/"])
def test_only_s3_uris(uri):
    with pytest.raises(ValueError, match="not an S3 URI"):
        objects.remove_non_data_objects(FakeS3([]), uri)
