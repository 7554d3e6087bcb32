#!/usr/bin/env bash
# Runs the transform Lambda's benchmarks and prints them, then a summary with
# the median of each metric over the runs and each conversion's ratio to the
# floor (base64 decode + encode of the same batch with the function's codec,
# no parsing). TransformCSV/JSON decode the data, convert it and write the
# response; InvokeCSV is a whole invocation, event JSON in, response out.
#
#   scripts/bench/transform.sh            # 5 runs of each benchmark
#   COUNT=10 BENCHTIME=2s scripts/bench/transform.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

count=${COUNT:-5}
benchtime=${BENCHTIME:-1s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

go test -run '^$' -bench '^Benchmark(TransformCSV|TransformJSON|ConvertOnlyCSV|Floor|InvokeCSV)$' -benchmem \
  -count "$count" -benchtime "$benchtime" ./lambdas/transform | tee "$out"

echo
awk '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
  }
  /^Benchmark/ {
    name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
    if (!(name in seen)) { seen[name] = 1; order[++n] = name }
    for (i = 3; i < NF; i++) {
      if ($(i+1) == "MB/s") mbs[name] = mbs[name] " " $i
      if ($(i+1) == "records/s") rps[name] = rps[name] " " $i
      if ($(i+1) == "allocs/record") apr[name] = apr[name] " " $i
    }
  }
  END {
    printf "%-14s %10s %12s %14s %10s\n", "benchmark", "MB/s", "records/s", "allocs/record", "vs floor"
    floor = median(mbs["Floor"])
    for (k = 1; k <= n; k++) {
      b = order[k]; m = median(mbs[b])
      printf "%-14s %10.1f %12.0f %14.4f %9.3fx\n", b, m, median(rps[b]), median(apr[b]), floor ? m / floor : 0
    }
  }' "$out"
