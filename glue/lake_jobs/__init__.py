"""Transforms of the lake's Glue jobs.

The modules here import pyspark only, never awsglue, so that the same code
runs in a Glue job (shipped with ``--extra-py-files``) and in local tests:

- ``schema``: the telemetry record, mirroring internal/schema/schema.go.
- ``curate``: raw telemetry -> curated rows plus quarantined rows.
- ``features``: curated rows -> labelled, numeric training/validation sets.
- ``args``: job-argument resolution with clear errors.
- ``storage``: the reads and writes both jobs share.
"""
