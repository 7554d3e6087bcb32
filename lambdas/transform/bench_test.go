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

// Each benchmark does the same outer work as an invocation, decoding the
// base64 data (as readEvent does) and writing the response with its data
// base64-encoded (appendResponse), so their difference is the conversion
// itself. BenchmarkFloor does only the base64 work on the CSV batch, with the
// same codec: the cost of touching the bytes at all. BenchmarkInvokeCSV adds
// the JSON of the event around the data.

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
	decodedCap := 0
	for _, s := range w.base64 {
		decodedCap += base64.StdEncoding.DecodedLen(len(s)) + 2
	}
	decoded := make([]byte, 0, decodedCap)
	var encoded []byte

	run := func() {
		decoded = decoded[:0]
		for i, s := range w.base64 {
			start := len(decoded)
			var err error
			if decoded, err = appendDecodedBase64(decoded, s); err != nil {
				b.Fatal(err)
			}
			recs[i] = events.KinesisFirehoseEventRecord{RecordID: w.ids[i], Data: decoded[start:len(decoded):len(decoded)]}
		}
		if convert {
			encoded = tr.appendResponse(encoded[:0], tr.transform(recs))
		} else {
			encoded = encoded[:0]
			for _, r := range recs {
				encoded = appendBase64(encoded, r.Data)
			}
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

	loopBatches(b, w.payload, len(w.ids), run)
}

// loopBatches runs batch, which handles records records of payload bytes, in
// the benchmark loop and reports MB/s, records/s and allocations per record.
func loopBatches(b *testing.B, payload, records int, batch func()) {
	b.SetBytes(int64(payload))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	batches := 0
	for b.Loop() {
		batch()
		batches++
	}
	runtime.ReadMemStats(&after)
	n := float64(batches * records)
	b.ReportMetric(n/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/record")
}

// BenchmarkConvertOnlyCSV measures the conversion alone, on records already
// decoded, without writing the response: what the function adds to the base64
// work any function handling Firehose records does.
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
	loopBatches(b, payload, len(recs), func() { tr.transform(recs) })
}
