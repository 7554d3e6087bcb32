package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// recordCost must bound what appendResponse really writes per record, for
// every result and awkward ids.
func TestRecordCostIsAnUpperBound(t *testing.T) {
	keys := partitionCache{}.get(mustTime(t, "2026-03-07T09:15:00Z"))
	for _, id := range []string{"", "49546986683135544286507457936321625675700192471156785154", "a<b&c>d",
		`<&>"\` + "\x00\u2028\xff", "caf\u00e9\t\x7f"} {
		for _, r := range []events.KinesisFirehoseResponseRecord{
			{RecordID: id, Result: failedResult, Data: bytes.Repeat([]byte{'x'}, 1000)},
			{RecordID: id, Result: droppedRes},
			{RecordID: id, Result: okResult, Data: []byte(validOutput), Metadata: events.KinesisFirehoseResponseRecordMetadata{PartitionKeys: keys.keys}},
		} {
			tr := &transformer{okTails: [][]byte{keys.okTail}}
			written := len(tr.appendResponse(nil, events.KinesisFirehoseResponse{Records: []events.KinesisFirehoseResponseRecord{r}})) - len(`{"records":[]}`)
			if cost := recordCost(id, len(r.Data), len(keys.json)); written+1 > cost { // +1: the comma between records
				t.Errorf("%s record with id %q: %d bytes of JSON, estimated %d", r.Result, id, written+1, cost)
			}
		}
	}
}

// A batch whose converted records would not fit fails the excess, with their
// original data and a logged reason, and the response stays within budget.
func TestResponseSizeBudget(t *testing.T) {
	recs := newGenerator(11, genOptions{}).batch(400)
	baseline, _ := baselineSize(recs)
	for _, budget := range []int{baseline - 1, baseline + 20_000, baseline + 60_000} {
		tr, logs := logTransformer(budget)
		resp := tr.transform(recs)
		if err := checkResponse(recs, resp); err != nil {
			t.Fatal(err)
		}
		ok, failed := 0, 0
		for _, r := range resp.Records {
			switch r.Result {
			case okResult:
				ok++
			case failedResult:
				failed++
			}
		}
		if failed == 0 || ok+failed != len(recs) {
			t.Fatalf("budget %d: %d Ok, %d failed: the budget did not bite", budget, ok, failed)
		}
		if budget > baseline && ok == 0 {
			t.Errorf("budget %d: nothing converted although the budget leaves room", budget)
		}
		if !strings.Contains(loggedReason(t, logs), "response size budget") {
			t.Errorf("budget %d: failure reason %q", budget, loggedReason(t, logs))
		}
		// The guarantee: never more than the budget, or than returning every
		// record as it came when even that does not fit.
		if size := responseSize(t, tr, resp); size > max(budget, baseline) {
			t.Errorf("budget %d: response is %d bytes", budget, size)
		}
		if budget < baseline && ok != 0 {
			t.Errorf("budget %d below the all-failed response %d, yet %d records converted", budget, baseline, ok)
		}
	}
}

// With the real budget, a batch of Firehose's default processing buffer
// (1 MB) of small CSV readings, the largest response per input byte, converts
// as much as fits and stays under Lambda's limit.
func TestDefaultBufferStaysUnderLambdaLimit(t *testing.T) {
	g := newGenerator(12, genOptions{})
	var recs []events.KinesisFirehoseEventRecord
	total := 0
	for total < 1<<20 {
		r := g.batch(1)[0]
		r.RecordID = strings.Repeat("7", 56) // Firehose record ids are this long
		recs = append(recs, r)
		total += len(r.Data)
	}
	tr := quietTransformer()
	resp := tr.transform(recs)
	if err := checkResponse(recs, resp); err != nil {
		t.Fatal(err)
	}
	size := responseSize(t, tr, resp)
	if size > lambdaResponseLimit {
		t.Fatalf("response of %d bytes exceeds Lambda's %d", size, lambdaResponseLimit)
	}
	ok := 0
	for _, r := range resp.Records {
		if r.Result == okResult {
			ok++
		}
	}
	if ok == 0 {
		t.Fatal("nothing converted")
	}
	t.Logf("%d records, %d bytes of input: %d Ok, %d failed on the budget, %d bytes of response", len(recs), total, ok, len(recs)-ok, size)
}

// responseSize is the length of the response the function sends for resp,
// after checking that it reads back as resp.
func responseSize(t *testing.T, tr *transformer, resp events.KinesisFirehoseResponse) int {
	t.Helper()
	b := tr.appendResponse(nil, resp)
	if err := sameResponse(b, resp); err != nil {
		t.Fatal(err)
	}
	return len(b)
}
