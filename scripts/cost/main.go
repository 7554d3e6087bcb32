// Command cost generates days of synthetic telemetry in the layouts the lake
// could store it in, for scan.py to measure what each named query reads:
//
//	json/year=YYYY/month=MM/day=DD/hour=HH/part-0.json   JSON lines, one file per event hour:
//	                                                     what Firehose stores without format conversion
//	json-flat/YYYY-MM-DD.json                            the same JSON lines, one file per day, no partitions
//	parquet/year=YYYY/month=MM/day=DD/hour=HH/part-0.parquet
//	                                                     the same records as Firehose's Parquet (SNAPPY, Glue schema)
//
//	go run ./scripts/cost --out /tmp/cost --days 30 --devices 50
//
// Records are valid ones from internal/telemetrygen (1 % anomalies, as the
// producer sends by default), each converted to the transform Lambda's output
// JSON: exactly the schema's fields in order, ts in schema.TimeLayout, extras
// null. The Parquet rows are read from those same JSON lines with
// internal/lakeparquet. Partitions come from the event time. A summary line
// goes to stdout; the exit status is 2 for a usage error, 1 for any other.
// scripts/cost/run.sh runs this and scan.py together.
package main

import (
	"fmt"
	"os"
)

func main() {
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	if code != 0 {
		fmt.Fprintln(os.Stderr, "cost: failed")
	}
	os.Exit(code)
}
