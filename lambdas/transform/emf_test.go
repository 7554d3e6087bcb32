package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/refdatalake/datalake/lake/layout"
)

// Each batch writes one embedded metric format line counting its records by
// result, because Firehose has no metric of ProcessingFailed records.
func TestInvokeEmitsRecordCounts(t *testing.T) {
	tr := newTransformer(slog.New(slog.NewJSONHandler(io.Discard, nil)), responseBudget)
	var out bytes.Buffer
	tr.metricsOut, tr.functionName = &out, "lake-sandbox-transform"
	good := `{"device_id":"d-1","ts":"2026-03-07T09:15:00Z","temperature_c":21.5,"humidity_pct":40,"battery_v":3.7,"status":"ok"}`
	event := `{"records":[` +
		`{"recordId":"1","data":"` + base64.StdEncoding.EncodeToString([]byte(good)) + `"},` +
		`{"recordId":"2","data":"` + base64.StdEncoding.EncodeToString([]byte(`{"device_id":`)) + `"},` +
		`{"recordId":"3","data":"` + base64.StdEncoding.EncodeToString([]byte(`not json`)) + `"}]}`
	if _, err := tr.Invoke(context.Background(), []byte(event)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	if doc[layout.MetricTransformOk] != 1.0 || doc[layout.MetricTransformFailed] != 2.0 || doc[layout.DimensionFunction] != "lake-sandbox-transform" {
		t.Fatalf("line %s", out.String())
	}
}
