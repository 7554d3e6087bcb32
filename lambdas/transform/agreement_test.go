package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// The schema, the producer's generator and this function agree: every record
// the generator calls valid comes back Ok with exactly the schema's columns
// (the Glue table's, which the CDK app builds from the same declaration), and
// partition keys from its own event time; every record it calls malformed
// comes back ProcessingFailed with its data intact. Both formats, every
// malformed kind the generator knows.
func TestGeneratorSchemaAndTransformAgree(t *testing.T) {
	for _, format := range []telemetrygen.Format{telemetrygen.FormatJSON, telemetrygen.FormatCSV} {
		t.Run(string(format), func(t *testing.T) {
			gen, err := telemetrygen.New(telemetrygen.Config{
				Devices: 25, Start: time.Date(2026, 3, 7, 22, 30, 0, 0, time.UTC), Interval: 7 * time.Minute,
				Seed: 42, AnomalyFraction: 0.05, MalformedFraction: 0.3, Format: format,
			})
			if err != nil {
				t.Fatal(err)
			}
			const n = 2000
			gens := make([]telemetrygen.Record, n)
			recs := make([]events.KinesisFirehoseEventRecord, n)
			for i := range recs {
				gens[i] = gen.Next()
				recs[i] = events.KinesisFirehoseEventRecord{RecordID: fmt.Sprint(i), Data: gens[i].Data}
			}
			resp := newTransformer(slog.New(slog.NewJSONHandler(io.Discard, nil)), responseBudget).transform(recs)
			if len(resp.Records) != n {
				t.Fatalf("%d results for %d records", len(resp.Records), n)
			}
			kinds := map[telemetrygen.Kind]int{}
			for i, r := range resp.Records {
				g := gens[i]
				if g.Malformed != "" {
					kinds[g.Malformed]++
					if r.Result != events.KinesisFirehoseTransformedStateProcessingFailed || string(r.Data) != string(g.Data) {
						t.Errorf("malformed (%s) %q: result %s", g.Malformed, g.Data, r.Result)
					}
					continue
				}
				if r.Result != events.KinesisFirehoseTransformedStateOk {
					t.Errorf("valid %q: result %s", g.Data, r.Result)
					continue
				}
				checkColumns(t, r.Data)
				want := schema.PartitionValues(g.EventTime)
				for k, key := range schema.PartitionKeys {
					if r.Metadata.PartitionKeys[key] != want[k] {
						t.Errorf("%q: partition %s=%s, event time says %s", g.Data, key, r.Metadata.PartitionKeys[key], want[k])
					}
				}
			}
			for _, k := range gen.Kinds() {
				if kinds[k] == 0 {
					t.Errorf("no %s record in %d: the check above did not see that kind", k, n)
				}
			}
		})
	}
}

// checkColumns asserts that an output line has exactly the schema's fields, in order.
func checkColumns(t *testing.T, line []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%q is not an object", line)
	}
	for i := 0; dec.More(); i++ {
		key, _ := dec.Token()
		if i >= len(schema.Telemetry.Fields) || key != schema.Telemetry.Fields[i].Name {
			t.Fatalf("%q: column %d is %v", line, i, key)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
}
