"""Transforms of the lake's Glue jobs.

The modules here import pyspark only, never awsglue, so that the same code
runs in a Glue job (shipped with ``--extra-py-files``) and in local tests:

- ``schema``: the telemetry record, mirroring internal/schema/schema.go.
- ``curate``: raw telemetry -> curated rows plus quarantined rows, and the
  staged merge into the Iceberg table curated_telemetry.
- ``features``: curated rows -> labelled, numeric training/validation sets,
  as training_features rows and as the CSV XGBoost reads.
- ``iceberg``: the Iceberg tables' definitions, catalog settings, staged
  (write-audit-publish) commits, snapshots and tags.
- ``training``: the features job's commit, tag, export and current.json, and
  rebuilding a registered training set from its snapshot.
- ``migrate``: the one-off copy of Hive-style curated Parquet into Iceberg.
- ``args``: job-argument resolution with clear errors.
- ``storage``: the reads and writes the jobs share.
- ``session``: the Spark settings the jobs (and the tests) run with.
- ``paths``: partition folder names as Spark writes them.
- ``catalog``: checking a job's table in the Glue Data Catalog before Spark starts.
- ``objects``: keeping SageMaker channel prefixes free of non-data objects.

``catalog`` and ``objects`` take AWS clients as arguments and never import
boto3, so tests pass fakes.
"""
