#!/usr/bin/env bash
# Cold start of the transform Lambda under the Runtime Interface Emulator on
# 127.0.0.1, and its bootstrap size; see scripts/bench/coldstart/main.go.
#
#   scripts/bench/coldstart.sh          # 10 cold starts
#   scripts/bench/coldstart.sh -n 30
set -euo pipefail
cd "$(dirname "$0")/../.."
exec go run ./scripts/bench/coldstart "$@"
