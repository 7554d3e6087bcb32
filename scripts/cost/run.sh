#!/usr/bin/env bash
# Generates DAYS days of telemetry (default 30) as partitioned JSON lines, flat
# JSON lines and partitioned Parquet in a temporary directory, then prints the
# bytes DuckDB reads for each named raw_telemetry query on each layout, the
# Athena cost proxy. DEVICES and INTERVAL set the device count and the time
# between readings; KEEP=1 keeps the data and prints where it is.
#
#   DAYS=30 DEVICES=50 scripts/cost/run.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
if [[ ! -x "$python" ]]; then
  echo "run.sh: $python is missing: run make deps" >&2
  exit 1
fi

days="${DAYS:-30}"
devices="${DEVICES:-50}"
interval="${INTERVAL:-1m}"
work="$(mktemp -d "${TMPDIR:-/tmp}/lake-cost.XXXXXX")"
if [[ "${KEEP:-0}" == 1 ]]; then
  echo "run.sh: data kept in $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi

cd "$repo"
start=$SECONDS
go run ./scripts/cost --out "$work" --days "$days" --devices "$devices" --interval "$interval"
generated=$SECONDS
"$python" scripts/cost/scan.py "$work"
echo
echo "run.sh: days=$days devices=$devices interval=$interval generate=$((generated - start))s scan=$((SECONDS - generated))s"
