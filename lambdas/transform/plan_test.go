package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/refdatalake/datalake/internal/schema"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// The transform follows the schema declaration: a record with another field
// order, a new field and different bounds changes the CSV columns, the output
// and the validation, with no change to the function.
func TestPlanFollowsTheSchema(t *testing.T) {
	rec := schema.Record{Name: "probe", Fields: []schema.Field{
		{Name: "at", Type: schema.Timestamp, Required: true},
		{Name: "co2_ppm", Type: schema.Double, Min: 0, Max: 5000},
		{Name: "room", Type: schema.String, Required: true, MaxLen: 8},
		{Name: schema.ExtrasColumn, Type: schema.String, MaxLen: 64},
	}}
	p, err := newPlan(rec)
	if err != nil {
		t.Fatal(err)
	}
	tr := quietTransformer()
	tr.plan = p
	cases := []struct{ in, result, out string }{
		{"2026-03-07T09:15:00Z,412.5,r1", okResult, `{"at":"2026-03-07 09:15:00.000","co2_ppm":412.5,"room":"r1","extras":null}` + "\n"},
		{`{"room":"r1","at":"2026-03-07 09:15:00","x":[1]}`, okResult, `{"at":"2026-03-07 09:15:00.000","co2_ppm":null,"room":"r1","extras":"{\"x\":[1]}"}` + "\n"},
		{"at,co2_ppm,room", droppedRes, ""},
		{"2026-03-07T09:15:00Z,6000,r1", failedResult, ""},
		{"2026-03-07T09:15:00Z,412.5,room-nine", failedResult, ""},
		{validCSV, failedResult, ""},
	}
	for _, tc := range cases {
		r := tr.transform([]events.KinesisFirehoseEventRecord{{RecordID: "1", Data: []byte(tc.in)}}).Records[0]
		if r.Result != tc.result || (tc.out != "" && string(r.Data) != tc.out) {
			t.Errorf("%s: %s %s, want %s %s", tc.in, r.Result, r.Data, tc.result, tc.out)
		}
	}
}

func TestPlanRejectsSchemasItCannotServe(t *testing.T) {
	ts := schema.Field{Name: "ts", Type: schema.Timestamp, Required: true}
	cases := map[string][]schema.Field{
		"no timestamp":        {{Name: "a", Type: schema.String}},
		"optional timestamp":  {{Name: "ts", Type: schema.Timestamp}},
		"unknown type":        {ts, {Name: "n", Type: "bigint"}},
		"duplicate field":     {ts, {Name: "a", Type: schema.String}, {Name: "a", Type: schema.Double}},
		"extras not a string": {ts, {Name: schema.ExtrasColumn, Type: schema.Double}},
		"extras required":     {ts, {Name: schema.ExtrasColumn, Type: schema.String, Required: true}},
		"duplicate extras":    {ts, {Name: schema.ExtrasColumn, Type: schema.String}, {Name: schema.ExtrasColumn, Type: schema.String}},
	}
	for name, fields := range cases {
		if _, err := newPlan(schema.Record{Name: "x", Fields: fields}); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "plan x") {
			t.Errorf("%s: error %q lacks context", name, err)
		}
	}
}

// Without an extras column, unknown members fail instead of vanishing.
func TestUnknownFieldsFailWithoutExtrasColumn(t *testing.T) {
	p, err := newPlan(schema.Record{Name: "x", Fields: []schema.Field{{Name: "ts", Type: schema.Timestamp, Required: true}}})
	if err != nil {
		t.Fatal(err)
	}
	tr := quietTransformer()
	tr.plan = p
	for data, want := range map[string]string{`{"ts":"2026-03-07 09:15:00"}`: okResult, `{"ts":"2026-03-07 09:15:00","y":1}`: failedResult} {
		if r := tr.transform([]events.KinesisFirehoseEventRecord{{RecordID: "1", Data: []byte(data)}}).Records[0]; r.Result != want {
			t.Errorf("%s: %s, want %s", data, r.Result, want)
		}
	}
}

// Records in the same event hour share their partition-key map; other hours get their own.
func TestPartitionKeysCachedPerHour(t *testing.T) {
	c := partitionCache{}
	a := c.get(mustTime(t, "2026-03-07T09:00:00Z"))
	b := c.get(mustTime(t, "2026-03-07T09:59:59.999Z"))
	d := c.get(mustTime(t, "2026-03-07T10:00:00Z"))
	if len(c) != 2 {
		t.Errorf("%d cached hours, want 2", len(c))
	}
	a.keys["probe"] = "x"
	if b.keys["probe"] != "x" || d.keys["probe"] == "x" {
		t.Error("same-hour records do not share one map, or different hours do")
	}
	if d.keys["hour"] != "10" || b.keys["hour"] != "09" {
		t.Errorf("hours %s and %s", b.keys["hour"], d.keys["hour"])
	}
}

// The plan's inline bounds let a number skip CheckNumber only when
// CheckNumber would pass it: for every double field, at and around its
// bounds, far outside them, and for NaN and the infinities.
func TestNumberBoundsAgreeWithCheckNumber(t *testing.T) {
	p := defaultPlan
	doubles := 0
	for i, f := range p.fields {
		if p.types[i] != doubleField {
			continue
		}
		doubles++
		values := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -0.0, math.MaxFloat64, -math.MaxFloat64}
		for _, b := range []float64{f.Min, f.Max} {
			values = append(values, b, math.Nextafter(b, math.Inf(1)), math.Nextafter(b, math.Inf(-1)), b+1, b-1, (f.Min+f.Max)/2)
		}
		for _, v := range values {
			inline := v >= p.minNum[i] && v <= p.maxNum[i]
			if passes := f.CheckNumber(v) == nil; inline && !passes {
				t.Errorf("%s: %v is inside the plan's bounds but CheckNumber refuses it", f.Name, v)
			}
			c := newConverter(p)
			if err, want := c.setNumber(i, v, nil), f.CheckNumber(v); (err == nil) != (want == nil) {
				t.Errorf("%s: setNumber(%v) = %v, CheckNumber = %v", f.Name, v, err, want)
			}
		}
	}
	if doubles == 0 {
		t.Fatal("no double field in the schema")
	}
}
