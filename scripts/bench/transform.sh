#!/usr/bin/env bash
# Runs the transform Lambda's benchmarks and prints them, then a summary with
# the median of each metric over the runs (and the spread of MB/s, which on a
# shared machine says how far to trust it) and each conversion's ratio to the
# floor (base64 decode + encode of the same batch with the function's codec,
# no parsing). TransformCSV/JSON decode the data, convert it and write the
# response; InvokeCSV is a whole invocation, event JSON in, response out.
# GOMAXPROCS is 1 (-cpu 1): the figures are per core, as a Lambda with less
# than 1,769 MB of memory gets at most one.
#
#   scripts/bench/transform.sh            # 5 runs of each benchmark
#   COUNT=10 BENCHTIME=2s scripts/bench/transform.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

count=${COUNT:-5}
benchtime=${BENCHTIME:-1s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/bench.txt

# Rounds of every benchmark once, rather than -count runs of each in turn: on
# a shared machine whose speed drifts, a slow spell then slows all of them a
# little instead of one of them entirely, and their ratios stay meaningful.
go test -c -o "$tmp/transform.test" ./lambdas/transform
cd lambdas/transform # where go test would run the benchmarks
for round in $(seq "$count"); do
  echo "round $round of $count"
  "$tmp/transform.test" -test.run '^$' -test.bench '^Benchmark(TransformCSV|TransformJSON|ConvertOnlyCSV|Floor|InvokeCSV)$' \
    -test.benchmem -test.cpu 1 -test.benchtime "$benchtime" | grep '^Benchmark' | tee -a "$out"
done

echo
awk '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
  }
  function extreme(list, want,   n, a, i, r) {
    n = split(list, a, " "); r = a[1]
    for (i = 2; i <= n; i++) if ((want == "min") == (a[i] + 0 < r + 0)) r = a[i]
    return r
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
    printf "%-14s %10s %15s %12s %14s %10s\n", "benchmark", "MB/s", "MB/s min-max", "records/s", "allocs/record", "vs floor"
    floor = median(mbs["Floor"])
    for (k = 1; k <= n; k++) {
      b = order[k]; m = median(mbs[b])
      printf "%-14s %10.1f %7.1f-%-7.1f %12.0f %14.4f %9.3fx\n", b, m, extreme(mbs[b], "min"), extreme(mbs[b], "max"), median(rps[b]), median(apr[b]), floor ? m / floor : 0
    }
  }' "$out"
