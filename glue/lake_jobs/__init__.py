"""Transforms of the lake's Glue jobs.

The modules here import pyspark only, never awsglue, so that the same code
runs in a Glue job (shipped with ``--extra-py-files``) and in local tests:

- ``schema``: the telemetry record, mirroring internal/schema/schema.go.
- ``curate``: raw telemetry -> curated rows plus quarantined rows.
- ``features``: curated rows -> labelled, numeric training/validation sets.
- ``args``: job-argument resolution with clear errors.
- ``storage``: the reads and writes both jobs share.
- ``session``: the Spark settings both jobs (and the tests) run with.
- ``paths``: partition folder names as Spark writes them.
- ``catalog``: registering written partitions in the Glue Data Catalog.
- ``objects``: keeping SageMaker channel prefixes free of non-data objects.

``catalog`` and ``objects`` take AWS clients as arguments and never import
boto3, so tests pass fakes.
"""
