package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// PutRecordsAPI is the one Kinesis call the producer makes. *kinesis.Client
// implements it; unit tests pass a fake.
type PutRecordsAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// PutRecords limits, from the Kinesis Data Streams quotas.
const (
	maxBatchRecords = 500
	maxBatchBytes   = 5 << 20 // per request, data and partition keys
	maxRecordBytes  = 1 << 20 // per record, data and partition key
)

// callTimeout bounds one PutRecords call. The send context is never
// cancelled (an interrupted run still flushes its batch), so without this a
// hung connection would hang the producer.
const callTimeout = 30 * time.Second

// entry is one record waiting to be sent.
type entry struct {
	data      []byte
	key       string
	malformed bool
	anomaly   bool
	lastError string // error code of the last failed attempt
}

func (e entry) size() int { return len(e.data) + len(e.key) }

// batch accumulates entries up to the PutRecords limits.
type batch struct {
	max     int // records per request, at most maxBatchRecords
	entries []entry
	bytes   int
	oldest  time.Time // when the first entry was added
}

// fits reports whether e can join the batch without breaking a limit.
func (b *batch) fits(e entry) bool {
	return len(b.entries) < b.max && b.bytes+e.size() <= maxBatchBytes
}

func (b *batch) add(e entry, now time.Time) {
	if len(b.entries) == 0 {
		b.oldest = now
	}
	b.entries = append(b.entries, e)
	b.bytes += e.size()
}

// take empties the batch and returns its entries.
func (b *batch) take() []entry {
	out := b.entries
	b.entries, b.bytes = nil, 0
	return out
}

// stats are the run's counters. They are atomic because the progress
// reporter reads them while the main loop writes them.
type stats struct {
	generated     atomic.Int64
	sent          atomic.Int64
	sentMalformed atomic.Int64 // intentionally malformed, among sent
	sentAnomalies atomic.Int64 // flagged anomalies, among sent
	retried       atomic.Int64 // entry resubmissions, not calls
	failed        atomic.Int64

	mu          sync.Mutex
	failedCodes map[string]int64 // error code -> entries lost with it
}

func (s *stats) fail(entries []entry, code string) {
	if len(entries) == 0 {
		return
	}
	s.failed.Add(int64(len(entries)))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failedCodes == nil {
		s.failedCodes = map[string]int64{}
	}
	s.failedCodes[code] += int64(len(entries))
}

// failureSummary lists the error codes records were lost with, e.g.
// "ResourceNotFoundException=500, InternalFailure=2".
func (s *stats) failureSummary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	codes := make([]string, 0, len(s.failedCodes))
	for c := range s.failedCodes {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		return s.failedCodes[codes[i]] > s.failedCodes[codes[j]] || s.failedCodes[codes[i]] == s.failedCodes[codes[j]] && codes[i] < codes[j]
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s=%d", c, s.failedCodes[c])
	}
	return strings.Join(parts, ", ")
}

// backoff is exponential backoff with jitter.
type backoff struct {
	base, max time.Duration
}

// delay returns the wait before retry number attempt (0 = first retry):
// "equal jitter", half of min(max, base*2^attempt) plus a random part of the
// other half. Full jitter can draw almost nothing and hit a saturated shard
// again at once; no jitter makes every producer retry in lockstep.
func (b backoff) delay(attempt int) time.Duration {
	d := b.max
	if attempt < 30 && b.base<<attempt < b.max {
		d = b.base << attempt
	}
	half := d / 2
	return half + rand.N(half+1)
}

// defaultBackoff suits Kinesis shard limits, which reset every second.
var defaultBackoff = backoff{base: 100 * time.Millisecond, max: 5 * time.Second}

// retryableEntryCodes are the per-record error codes PutRecords documents;
// both are transient, so only those entries are sent again.
var retryableEntryCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"InternalFailure":                        true,
}

// retryableCallCodes are whole-call error codes worth retrying besides those
// the SDK classifies as throttling or transient.
var retryableCallCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"InternalFailure":                        true,
	"KMSThrottlingException":                 true, // the stream is KMS-encrypted
	"ServiceUnavailable":                     true,
}

// retryableCallError reports whether a failed PutRecords call should be
// repeated. It reuses the SDK's own classification (throttling codes, 5xx,
// connection resets) because the SDK's retryer is turned off: this program
// retries itself so that --max-retries is the only bound and every retry is
// counted.
func retryableCallError(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true // our callTimeout: the send context has no deadline
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && retryableCallCodes[ae.ErrorCode()] {
		return true
	}
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary ||
		retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// errorCode names err for the failure summary.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "Timeout"
	}
	return "RequestError"
}

// sender sends batches with PutRecords and retries what failed.
type sender struct {
	client     PutRecordsAPI
	stream     string // a name, or an ARN
	maxRetries int
	backoff    backoff
	stats      *stats
	// sleep waits d unless ctx ends first; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// logf reports a problem to the user.
	logf func(format string, args ...any)
}

// fatalError is a whole-call failure that retrying cannot fix (no such
// stream, no permission): the run stops.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// send puts entries (one batch, within the PutRecords limits) and retries the
// entries that fail with a transient error, with backoff, up to maxRetries
// times; entries still failing then are counted as failed. It returns a
// *fatalError, after counting the batch as failed, when the call fails in a
// way no retry can fix.
func (s *sender) send(ctx context.Context, entries []entry) error {
	pending := entries
	for attempt := 0; ; attempt++ {
		out, err := s.put(ctx, pending)
		var retry []entry
		switch {
		case err != nil && !retryableCallError(err):
			s.stats.fail(pending, errorCode(err))
			return &fatalError{fmt.Errorf("PutRecords to %s: %w", s.stream, err)}
		case err != nil:
			retry = pending
			if attempt >= s.maxRetries {
				s.logf("PutRecords: giving up on %d records after %d retries: %v", len(retry), attempt, err)
				s.stats.fail(retry, errorCode(err))
				return nil
			}
		default:
			retry = s.settle(pending, out)
			if len(retry) == 0 {
				return nil
			}
			if attempt >= s.maxRetries {
				s.logf("PutRecords: giving up on %d records after %d retries (%s)", len(retry), attempt, retry[0].lastError)
				for _, e := range retry {
					s.stats.fail([]entry{e}, e.lastError)
				}
				return nil
			}
		}
		s.stats.retried.Add(int64(len(retry)))
		if err := s.sleep(ctx, s.backoff.delay(attempt)); err != nil {
			s.stats.fail(retry, "Interrupted")
			return &fatalError{err}
		}
		pending = retry
	}
}

// put makes one PutRecords call.
func (s *sender) put(ctx context.Context, entries []entry) (*kinesis.PutRecordsOutput, error) {
	in := &kinesis.PutRecordsInput{Records: make([]types.PutRecordsRequestEntry, len(entries))}
	if strings.HasPrefix(s.stream, "arn:") {
		in.StreamARN = aws.String(s.stream)
	} else {
		in.StreamName = aws.String(s.stream)
	}
	for i, e := range entries {
		in.Records[i] = types.PutRecordsRequestEntry{Data: e.data, PartitionKey: aws.String(e.key)}
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return s.client.PutRecords(ctx, in)
}

// settle counts the entries PutRecords accepted or rejected for good, and
// returns those to retry. Results are positional: Records[i] answers
// entries[i].
func (s *sender) settle(entries []entry, out *kinesis.PutRecordsOutput) (retry []entry) {
	if len(out.Records) != len(entries) {
		// Cannot tell which records were stored; resending could duplicate.
		s.logf("PutRecords: %d results for %d records; counting them as failed", len(out.Records), len(entries))
		s.stats.fail(entries, "MalformedResponse")
		return nil
	}
	for i, r := range out.Records {
		e := entries[i]
		code := aws.ToString(r.ErrorCode)
		switch {
		case code == "":
			s.stats.sent.Add(1)
			if e.malformed {
				s.stats.sentMalformed.Add(1)
			}
			if e.anomaly {
				s.stats.sentAnomalies.Add(1)
			}
		case retryableEntryCodes[code]:
			e.lastError = code
			retry = append(retry, e)
		default:
			s.logf("PutRecords: record for %s rejected: %s: %s", e.key, code, aws.ToString(r.ErrorMessage))
			s.stats.fail([]entry{e}, code)
		}
	}
	return retry
}

// sleepCtx waits d, or returns ctx's error if it ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
