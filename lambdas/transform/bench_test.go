package main

import (
	"encoding/base64"
	"runtime"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// benchRecords is the batch size of the benchmarks.
const benchRecords = 500

// wireBatch is a batch as the Lambda receives it: record data base64-encoded.
type wireBatch struct {
	ids     []string
	base64  [][]byte
	payload int // decoded bytes
}

func newWireBatch(b *testing.B, opts genOptions) wireBatch {
	b.Helper()
	var w wireBatch
	for _, r := range newGenerator(42, opts).batch(benchRecords) {
		w.ids = append(w.ids, r.RecordID)
		w.base64 = append(w.base64, base64.StdEncoding.AppendEncode(nil, r.Data))
		w.payload += len(r.Data)
	}
	return w
}

// Each benchmark does the same outer work, decoding the base64 data and
// encoding the response data, so their difference is the conversion itself.
// BenchmarkFloor does only that outer work on the CSV batch: the cost of
// touching the bytes at all.

func BenchmarkTransformCSV(b *testing.B) {
	benchmarkBatch(b, newWireBatch(b, genOptions{nulls: 0.05}), true)
}

func BenchmarkTransformJSON(b *testing.B) {
	benchmarkBatch(b, newWireBatch(b, genOptions{json: true, nulls: 0.05, extras: 0.2}), true)
}

func BenchmarkFloor(b *testing.B) {
	benchmarkBatch(b, newWireBatch(b, genOptions{nulls: 0.05}), false)
}

func benchmarkBatch(b *testing.B, w wireBatch, convert bool) {
	tr := quietTransformer()
	recs := make([]events.KinesisFirehoseEventRecord, len(w.ids))
	outs := make([][]byte, len(w.ids))
	decodedCap := 0
	for _, s := range w.base64 {
		decodedCap += base64.StdEncoding.DecodedLen(len(s))
	}
	decoded := make([]byte, 0, decodedCap)
	var encoded []byte

	run := func() {
		decoded = decoded[:0]
		for i, s := range w.base64 {
			start := len(decoded)
			var err error
			if decoded, err = base64.StdEncoding.AppendDecode(decoded, s); err != nil {
				b.Fatal(err)
			}
			recs[i] = events.KinesisFirehoseEventRecord{RecordID: w.ids[i], Data: decoded[start:len(decoded):len(decoded)]}
		}
		if convert {
			for i, r := range tr.transform(recs).Records {
				outs[i] = r.Data
			}
		} else {
			for i, r := range recs {
				outs[i] = r.Data
			}
		}
		encoded = encoded[:0]
		for _, d := range outs {
			encoded = base64.StdEncoding.AppendEncode(encoded, d)
		}
	}

	run() // warm the reused buffers, and check the batch is what we mean to measure
	if convert {
		for i, r := range tr.transform(recs).Records {
			if r.Result != okResult {
				b.Fatalf("record %d is %s: the benchmark batch must be valid", i, r.Result)
			}
		}
	}

	b.SetBytes(int64(w.payload))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	batches := 0
	for b.Loop() {
		run()
		batches++
	}
	runtime.ReadMemStats(&after)
	records := float64(batches * len(w.ids))
	b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
}

// BenchmarkConvertOnlyCSV measures the conversion alone, on records already
// decoded, without encoding the output: what the function itself adds, as
// opposed to the base64 work the Lambda runtime does around every handler.
func BenchmarkConvertOnlyCSV(b *testing.B) {
	var recs []events.KinesisFirehoseEventRecord
	payload := 0
	for _, r := range newGenerator(42, genOptions{nulls: 0.05}).batch(benchRecords) {
		recs = append(recs, r)
		payload += len(r.Data)
	}
	tr := quietTransformer()
	for i, r := range tr.transform(recs).Records {
		if r.Result != okResult {
			b.Fatalf("record %d is %s: the benchmark batch must be valid", i, r.Result)
		}
	}
	b.SetBytes(int64(payload))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	batches := 0
	for b.Loop() {
		tr.transform(recs)
		batches++
	}
	runtime.ReadMemStats(&after)
	records := float64(batches * len(recs))
	b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
}
