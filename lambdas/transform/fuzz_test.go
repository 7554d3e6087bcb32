package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzTransform feeds arbitrary record data, between two valid readings, and
// checks the batch contract with independent oracles: no panic, ids and order
// kept, failed and dropped data unchanged, Ok output exactly the schema's
// fields with values that encoding/json or encoding/csv read the same way from
// the input, partition keys from the event time, and the valid neighbours
// unaffected. The committed corpus in testdata/fuzz/FuzzTransform covers
// malformed UTF-8, huge lines, wrong types, missing fields, NaN/Inf,
// out-of-range timestamps and deep nesting.
func FuzzTransform(f *testing.F) {
	seeds := []string{
		validCSV,
		validCSV + "\r\n",
		jsonWith(`,"temperature_c":-12.5,"x":{"y":[1,"z",null]}`),
		headerLine(),
		"",
		`"dev-1","2026-03-07 09:15:00",,,,,,"ok","a ""b"", c",`,
		jsonWith(`,"site":"` + strings.Repeat("é", 40) + `"`),
		jsonWith(`,"deep":` + nested(maxDepth+1)),
		csvWith(1, "1772874900123"),
		csvWith(2, "NaN"),
		validCSV + strings.Repeat(",", maxRecordBytes),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	before := []byte(validCSV + "\n")
	after := []byte(jsonWith(`,"extra":true`))
	wantBefore, wantAfter := convertAlone(f, before), convertAlone(f, after)
	f.Fuzz(func(t *testing.T, data []byte) {
		input := bytes.Clone(data)
		recs := []events.KinesisFirehoseEventRecord{
			{RecordID: "before", Data: before},
			{RecordID: "fuzz", Data: data},
			{RecordID: "after", Data: after},
		}
		resp := quietTransformer().transform(recs)
		if err := checkResponse(recs, resp); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, input) {
			t.Fatal("input modified")
		}
		if got := resp.Records[0]; got.Result != okResult || !bytes.Equal(got.Data, wantBefore) {
			t.Fatalf("valid neighbour before: %s %q", got.Result, got.Data)
		}
		if got := resp.Records[2]; got.Result != okResult || !bytes.Equal(got.Data, wantAfter) {
			t.Fatalf("valid neighbour after: %s %q", got.Result, got.Data)
		}
		again := quietTransformer().transform(recs[1:2]).Records[0]
		if again.Result != resp.Records[1].Result || !bytes.Equal(again.Data, resp.Records[1].Data) {
			t.Fatalf("not deterministic: %s %q then %s %q", resp.Records[1].Result, resp.Records[1].Data, again.Result, again.Data)
		}
	})
}

func convertAlone(tb testing.TB, data []byte) []byte {
	tb.Helper()
	r := quietTransformer().transform([]events.KinesisFirehoseEventRecord{{RecordID: "1", Data: data}}).Records[0]
	if r.Result != okResult {
		tb.Fatalf("%q: %s", data, r.Result)
	}
	return r.Data
}
