package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// newTestSender returns a sender on fake whose sleeps are recorded, not
// slept.
func newTestSender(t *testing.T, fake *fakeKinesis, maxRetries int) (*sender, *[]time.Duration, *[]string) {
	var sleeps []time.Duration
	var logs []string
	return &sender{
		client:     fake,
		stream:     "s",
		maxRetries: maxRetries,
		backoff:    defaultBackoff,
		stats:      &stats{},
		sleep:      func(_ context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil },
		logf:       func(format string, args ...any) { logs = append(logs, fmt.Sprintf(format, args...)) },
	}, &sleeps, &logs
}

func entries(n int) []entry {
	out := make([]entry, n)
	for i := range out {
		out[i] = entry{data: []byte(fmt.Sprintf(`{"n":%d}`, i)), key: fmt.Sprintf("device-%04d", i%3), malformed: i%4 == 0}
	}
	return out
}

func dataOf(in *kinesis.PutRecordsInput) []string {
	out := make([]string, len(in.Records))
	for i, r := range in.Records {
		out[i] = string(r.Data)
	}
	return out
}

func TestSendRetriesOnlyFailedEntries(t *testing.T) {
	fake := &fakeKinesis{t: t}
	fake.respond = func(call int, in *kinesis.PutRecordsInput) ([]string, error) {
		codes := make([]string, len(in.Records))
		switch call {
		case 0:
			codes[1], codes[3], codes[4] = "ProvisionedThroughputExceededException", "InternalFailure", "ProvisionedThroughputExceededException"
		case 1:
			codes[2] = "ProvisionedThroughputExceededException" // entry 4 again
		}
		return codes, nil
	}
	s, sleeps, _ := newTestSender(t, fake, 5)
	if err := s.send(context.Background(), entries(6)); err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{`{"n":0}`, `{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`, `{"n":5}`},
		{`{"n":1}`, `{"n":3}`, `{"n":4}`},
		{`{"n":4}`},
	}
	if len(fake.calls) != len(want) {
		t.Fatalf("%d calls, want %d", len(fake.calls), len(want))
	}
	for i, w := range want {
		if got := dataOf(fake.calls[i]); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("call %d sent %v, want %v", i, got, w)
		}
		if k := aws.ToString(fake.calls[i].Records[0].PartitionKey); !strings.HasPrefix(k, "device-") {
			t.Errorf("call %d partition key %q", i, k)
		}
	}
	if got := s.stats.sent.Load(); got != 6 {
		t.Errorf("sent %d", got)
	}
	if got := s.stats.sentMalformed.Load(); got != 2 { // entries 0 and 4
		t.Errorf("sent malformed %d, want 2", got)
	}
	if got := s.stats.retried.Load(); got != 4 {
		t.Errorf("retried %d, want 4 (3 then 1)", got)
	}
	if len(*sleeps) != 2 {
		t.Errorf("slept %v, want two backoffs", *sleeps)
	}
}

func TestSendGivesUpAfterMaxRetries(t *testing.T) {
	fake := &fakeKinesis{t: t, respond: failEvery(1, "ProvisionedThroughputExceededException")}
	s, sleeps, logs := newTestSender(t, fake, 3)
	if err := s.send(context.Background(), entries(4)); err != nil {
		t.Fatal(err)
	}
	if len(fake.calls) != 4 || len(*sleeps) != 3 {
		t.Errorf("%d calls, %d sleeps; want 1 + 3 retries", len(fake.calls), len(*sleeps))
	}
	if s.stats.failed.Load() != 4 || s.stats.sent.Load() != 0 || s.stats.retried.Load() != 12 {
		t.Errorf("failed %d sent %d retried %d", s.stats.failed.Load(), s.stats.sent.Load(), s.stats.retried.Load())
	}
	if got := s.stats.failureSummary(); got != "ProvisionedThroughputExceededException=4" {
		t.Errorf("failure summary %q", got)
	}
	if len(*logs) != 1 || !strings.Contains((*logs)[0], "giving up on 4 records after 3 retries") {
		t.Errorf("logs %q", *logs)
	}
	// Exponential: each wait at least half the cap of the previous step.
	for i := 1; i < len(*sleeps); i++ {
		if (*sleeps)[i] < defaultBackoff.base<<i/2 {
			t.Errorf("sleep %d = %s: backoff does not grow (%v)", i, (*sleeps)[i], *sleeps)
		}
	}
}

func TestSendZeroRetries(t *testing.T) {
	fake := &fakeKinesis{t: t, respond: failEvery(2, "InternalFailure")}
	s, sleeps, _ := newTestSender(t, fake, 0)
	if err := s.send(context.Background(), entries(4)); err != nil {
		t.Fatal(err)
	}
	if len(fake.calls) != 1 || len(*sleeps) != 0 || s.stats.failed.Load() != 2 || s.stats.sent.Load() != 2 {
		t.Errorf("%d calls, %d sleeps, failed %d, sent %d", len(fake.calls), len(*sleeps), s.stats.failed.Load(), s.stats.sent.Load())
	}
}

func TestSendDoesNotRetryPermanentEntryErrors(t *testing.T) {
	fake := &fakeKinesis{t: t, respond: failEvery(2, "KMSAccessDeniedException")}
	s, sleeps, logs := newTestSender(t, fake, 5)
	if err := s.send(context.Background(), entries(4)); err != nil {
		t.Fatal(err)
	}
	if len(fake.calls) != 1 || len(*sleeps) != 0 {
		t.Errorf("%d calls, %d sleeps: a permanent error was retried", len(fake.calls), len(*sleeps))
	}
	if s.stats.failed.Load() != 2 || s.stats.sent.Load() != 2 || len(*logs) != 2 {
		t.Errorf("failed %d sent %d logs %q", s.stats.failed.Load(), s.stats.sent.Load(), *logs)
	}
}

func TestSendWholeCallErrors(t *testing.T) {
	httpErr := func(status int) error {
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: httpResponse(status)}, Err: errors.New("upstream")}
	}
	tests := []struct {
		name      string
		err       error
		retryable bool
	}{
		{"throughput exceeded", &types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded")}, true},
		{"KMS throttling", &types.KMSThrottlingException{Message: aws.String("slow down")}, true},
		{"generic throttling code", &smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{"internal failure", &smithy.GenericAPIError{Code: "InternalFailure"}, true},
		{"HTTP 503", httpErr(503), true},
		{"connection reset", &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, true},
		{"call timeout", fmt.Errorf("operation error Kinesis: PutRecords: %w", context.DeadlineExceeded), true},
		{"no such stream", &types.ResourceNotFoundException{Message: aws.String("Stream s not found")}, false},
		{"access denied", &smithy.GenericAPIError{Code: "AccessDeniedException"}, false},
		{"validation", &smithy.GenericAPIError{Code: "ValidationException"}, false},
		{"KMS key disabled", &types.KMSDisabledException{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryableCallError(tc.err); got != tc.retryable {
				t.Fatalf("retryableCallError(%v) = %v, want %v", tc.err, got, tc.retryable)
			}
			fake := &fakeKinesis{t: t}
			fake.respond = func(call int, in *kinesis.PutRecordsInput) ([]string, error) {
				if call < 2 {
					return nil, tc.err
				}
				return make([]string, len(in.Records)), nil
			}
			s, sleeps, _ := newTestSender(t, fake, 5)
			err := s.send(context.Background(), entries(3))
			if tc.retryable {
				if err != nil || s.stats.sent.Load() != 3 || s.stats.retried.Load() != 6 || len(*sleeps) != 2 {
					t.Errorf("err %v, sent %d, retried %d, sleeps %d; want recovery after two retries",
						err, s.stats.sent.Load(), s.stats.retried.Load(), len(*sleeps))
				}
				return
			}
			var fatal *fatalError
			if !errors.As(err, &fatal) || len(fake.calls) != 1 || s.stats.failed.Load() != 3 {
				t.Errorf("err %v, %d calls, failed %d; want a fatal error after one call", err, len(fake.calls), s.stats.failed.Load())
			}
		})
	}
}

func TestSendMismatchedResultCount(t *testing.T) {
	fake := &fakeKinesis{t: t}
	s, _, logs := newTestSender(t, fake, 5)
	short := &shortAnswer{}
	s.client = short
	if err := s.send(context.Background(), entries(3)); err != nil {
		t.Fatal(err)
	}
	if s.stats.failed.Load() != 3 || short.calls != 1 || len(*logs) != 1 {
		t.Errorf("failed %d, calls %d, logs %q: a malformed answer must not be retried (duplicates)", s.stats.failed.Load(), short.calls, *logs)
	}
}

// shortAnswer answers PutRecords with one result fewer than records.
type shortAnswer struct{ calls int }

func (s *shortAnswer) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	s.calls++
	return &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records)-1)}, nil
}

func TestBatchLimits(t *testing.T) {
	b := &batch{max: maxBatchRecords}
	big := entry{data: make([]byte, 600<<10), key: "device-0001"}
	n := 0
	for b.fits(big) {
		b.add(big, time.Now())
		n++
	}
	if n != 8 || b.bytes > maxBatchBytes {
		t.Errorf("%d records of 600 KiB fit, %d bytes; want 8 under 5 MiB", n, b.bytes)
	}
	if got := b.take(); len(got) != 8 || len(b.entries) != 0 || b.bytes != 0 {
		t.Errorf("take: %d entries, left %d / %d bytes", len(got), len(b.entries), b.bytes)
	}
	small := entry{data: []byte("x"), key: "k"}
	for b.fits(small) {
		b.add(small, time.Now())
	}
	if len(b.entries) != maxBatchRecords {
		t.Errorf("%d small records fit, want %d", len(b.entries), maxBatchRecords)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := backoff{base: 100 * time.Millisecond, max: time.Second}
	for attempt, ceiling := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		ceiling *= time.Millisecond
		if attempt == 5 {
			attempt = 62 // no overflow for absurd attempt numbers
		}
		for range 100 {
			if d := b.delay(attempt); d < ceiling/2 || d > ceiling {
				t.Fatalf("delay(%d) = %s, want within [%s, %s]", attempt, d, ceiling/2, ceiling)
			}
		}
	}
}

func httpResponse(status int) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}}
}
