package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/refdatalake/datalake/lake/layout"
)

// An evaluation also writes its headline metrics as one embedded metric
// format line, dimensioned by the function's name, for the dashboard; a
// binary model without both classes sends no AUC rather than a false 0.
func TestEvaluationEmitsHeadlineMetrics(t *testing.T) {
	for _, tc := range []struct {
		name, labels, preds string
		want                map[string]float64
		absent              string
	}{
		{"binary", "1,3\n0,1\n1,2\n0,4\n", "0.9\n0.2\n0.4\n0.6\n", map[string]float64{layout.MetricModelAuc: 0.75, layout.MetricModelF1: 0.5}, layout.MetricModelRmse},
		{"one class", "1,3\n1,1\n", "0.9\n0.2\n", map[string]float64{layout.MetricModelF1: 2.0 / 3}, layout.MetricModelAuc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeS3()
			putPair(t, f, "part-0.csv", tc.labels, tc.preds)
			e, _ := testEvaluator(f, testKeyARN)
			var out bytes.Buffer
			e.metricsOut, e.functionName = &out, "lake-sandbox-evaluate"
			if _, err := invoke(t, e, binaryEvent()); err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("%v: %q", err, out.String())
			}
			if doc[layout.DimensionFunction] != "lake-sandbox-evaluate" || doc["_aws"] == nil {
				t.Fatalf("line %s", out.String())
			}
			for k, v := range tc.want {
				if got, _ := doc[k].(float64); got != v {
					t.Errorf("%s = %v, want %v", k, doc[k], v)
				}
			}
			if _, ok := doc[tc.absent]; ok {
				t.Errorf("%s present: %s", tc.absent, out.String())
			}
		})
	}
}

// Without a function name (outside Lambda) nothing is written.
func TestNoMetricsOutsideLambda(t *testing.T) {
	f := newFakeS3()
	putPair(t, f, "part-0.csv", "1,3\n0,1\n", "0.9\n0.2\n")
	e, _ := testEvaluator(f, testKeyARN)
	var out bytes.Buffer
	e.metricsOut = &out
	if _, err := invoke(t, e, binaryEvent()); err != nil || out.Len() != 0 {
		t.Fatalf("err %v, wrote %q", err, out.String())
	}
}
