package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// mixedBatch interleaves valid CSV and JSON readings with blank lines, headers
// and records broken in various ways, so one batch exercises every outcome
// next to each other in the arena. It returns the batch and, per record,
// whether it must come back Ok.
func mixedBatch(seed uint64, n int) ([]events.KinesisFirehoseEventRecord, []bool) {
	csvGen := newGenerator(seed, genOptions{nulls: 0.2})
	jsonGen := newGenerator(seed+1, genOptions{json: true, nulls: 0.2, extras: 0.3})
	rnd := rand.New(rand.NewPCG(seed, 7))
	header := []byte(headerLine() + "\n")
	recs := make([]events.KinesisFirehoseEventRecord, n)
	valid := make([]bool, n)
	for i := range recs {
		var data []byte
		switch k := rnd.IntN(10); {
		case k < 4:
			data, valid[i] = csvGen.reading(), true
		case k < 7:
			data, valid[i] = jsonGen.reading(), true
		case k == 7:
			data = [][]byte{nil, []byte("\n"), header}[rnd.IntN(3)]
		default:
			data = corrupt(rnd, append(csvGen.reading(), jsonGen.reading()...)[:rnd.IntN(200)])
		}
		recs[i] = events.KinesisFirehoseEventRecord{RecordID: fmt.Sprintf("id-%d-%x", i, rnd.Uint32()), Data: data}
	}
	return recs, valid
}

// corrupt flips, drops or duplicates a few bytes of b.
func corrupt(rnd *rand.Rand, b []byte) []byte {
	b = bytes.Clone(b)
	for range 1 + rnd.IntN(3) {
		if len(b) == 0 {
			break
		}
		i := rnd.IntN(len(b))
		switch rnd.IntN(3) {
		case 0:
			b[i] ^= byte(1 << rnd.IntN(8))
		case 1:
			b = append(b[:i], b[i+1:]...)
		default:
			b = append(b[:i+1], b[i:]...)
		}
	}
	return b
}

func TestMixedBatchProperties(t *testing.T) {
	for seed := range uint64(20) {
		recs, valid := mixedBatch(seed, 300)
		inputs := make([][]byte, len(recs))
		for i, r := range recs {
			inputs[i] = bytes.Clone(r.Data)
		}
		resp := quietTransformer().transform(recs)
		if err := checkResponse(recs, resp); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		counts := map[string]int{}
		for i, r := range resp.Records {
			counts[r.Result]++
			if valid[i] && r.Result != okResult {
				t.Errorf("seed %d record %d: valid reading %q came back %s", seed, i, recs[i].Data, r.Result)
			}
			if !bytes.Equal(recs[i].Data, inputs[i]) {
				t.Fatalf("seed %d record %d: input modified", seed, i)
			}
		}
		if counts[okResult] == 0 || counts[failedResult] == 0 || counts[droppedRes] == 0 {
			t.Errorf("seed %d: batch does not exercise every outcome: %v", seed, counts)
		}
	}
}

// Converting a record does not depend on its neighbours: each record of a
// mixed batch, converted alone, gives the same result and bytes.
func TestRecordsAreIndependent(t *testing.T) {
	recs, _ := mixedBatch(99, 200)
	batch := quietTransformer().transform(recs)
	for i := range recs {
		alone := quietTransformer().transform(recs[i : i+1]).Records[0]
		got := batch.Records[i]
		if alone.Result != got.Result || !bytes.Equal(alone.Data, got.Data) {
			t.Fatalf("record %d: in batch %s %q, alone %s %q", i, got.Result, got.Data, alone.Result, alone.Data)
		}
	}
}

// Ok records' Data must not share bytes: a consumer appending to one must not
// overwrite the next.
func TestOutputsDoNotOverlap(t *testing.T) {
	recs := newGenerator(3, genOptions{}).batch(50)
	resp := quietTransformer().transform(recs)
	want := make([]string, len(resp.Records))
	for i, r := range resp.Records {
		want[i] = string(r.Data)
	}
	for i := range resp.Records {
		_ = append(resp.Records[i].Data, strings.Repeat("x", 64)...)
	}
	for i, r := range resp.Records {
		if string(r.Data) != want[i] {
			t.Fatalf("record %d changed after appending to its neighbour", i)
		}
	}
}
