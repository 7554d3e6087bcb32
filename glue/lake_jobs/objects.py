"""Keep SageMaker channel prefixes free of objects that are not data.

A built-in SageMaker algorithm reads every object under a channel's prefix
(S3DataType S3Prefix: "all objects that match the specified key name
prefix", https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3DataSource.html),
and so does batch transform. Spark no longer writes ``_SUCCESS`` (see
lake_jobs.session), but on S3 Glue's file system (EMRFS) may add empty
``<folder>_$folder$`` objects when it creates a folder
(https://repost.aws/knowledge-center/emr-s3-empty-files), which nothing in
Spark's configuration reliably turns off. ``remove_non_data_objects`` runs
after the writes and deletes what is not a data file, so the channels hold
part files only, whatever the file system did.

Only the channels are swept. Elsewhere such markers are harmless: Athena and
Glue read partition folders, and the markers sit beside them, not in them;
AWS advises leaving them where Hadoop jobs keep writing.
"""

from __future__ import annotations

from typing import Any, Iterable

# DeleteObjects takes at most 1,000 keys per request
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
MAX_KEYS_PER_DELETE = 1000

FOLDER_MARKER_SUFFIX = "_$folder$"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, key prefix) of ``s3://bucket/prefix``; the prefix keeps its trailing slash."""
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme not in ("s3", "s3a", "s3n") or not rest.split("/", 1)[0]:
        raise ValueError(f"{uri!r} is not an S3 URI (s3://bucket/prefix)")
    bucket, _, prefix = rest.partition("/")
    return bucket, prefix


def is_data_key(relative_key: str) -> bool:
    """Whether a key below a channel prefix (the part after it) is a data file.

    Not data: the prefix's own folder object (empty name) and any key ending
    in "/" (folder objects), ``_$folder$`` markers, and anything with a path
    component starting with "_" or "." (Hadoop's hidden files: _SUCCESS,
    _temporary/, .crc checksums, .spark-staging-*), which Spark and Athena
    skip but SageMaker would read.
    """
    if relative_key == "" or relative_key.endswith("/") or relative_key.endswith(FOLDER_MARKER_SUFFIX):
        return False
    return not any(part.startswith(("_", ".")) for part in relative_key.split("/"))


def _keys(s3: Any, bucket: str, prefix: str) -> Iterable[str]:
    token = None
    while True:
        request = {"Bucket": bucket, "Prefix": prefix}
        if token:
            request["ContinuationToken"] = token
        page = s3.list_objects_v2(**request)
        for obj in page.get("Contents") or []:
            yield obj["Key"]
        if not page.get("IsTruncated"):
            return
        token = page["NextContinuationToken"]


def remove_non_data_objects(s3: Any, uri: str) -> list[str]:
    """Delete every object under ``uri`` (a folder, s3://bucket/prefix/) that is not data.

    ``s3`` is a boto3 S3 client (or a fake with list_objects_v2 and
    delete_objects). Returns the deleted keys; raises when S3 reports a key
    it could not delete.
    """
    bucket, prefix = split_s3_uri(uri)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    doomed = [key for key in _keys(s3, bucket, prefix) if not is_data_key(key[len(prefix):])]
    failed: list[str] = []
    for start in range(0, len(doomed), MAX_KEYS_PER_DELETE):
        batch = doomed[start : start + MAX_KEYS_PER_DELETE]
        response = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
        )
        failed += [f"{e.get('Key')}: {e.get('Code')} {e.get('Message')}" for e in response.get("Errors") or []]
    if failed:
        raise RuntimeError(f"could not delete {len(failed)} non-data object(s) under {uri}:\n  " + "\n  ".join(failed))
    return doomed
