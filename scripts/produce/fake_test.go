package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// fakeKinesis stands in for the PutRecords call in unit tests. respond
// decides each call's outcome: an error code per entry ("" = stored) or an
// error for the whole call. It also checks the request limits.
type fakeKinesis struct {
	t       *testing.T
	respond func(call int, in *kinesis.PutRecordsInput) ([]string, error)

	mu     sync.Mutex
	calls  []*kinesis.PutRecordsInput
	stored []stored
}

type stored struct {
	key  string
	data []byte
}

func (f *fakeKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		f.t.Errorf("PutRecords called with a finished context: %v", err)
	}
	size := 0
	for _, r := range in.Records {
		size += len(r.Data) + len(aws.ToString(r.PartitionKey))
	}
	if len(in.Records) == 0 || len(in.Records) > maxBatchRecords || size > maxBatchBytes {
		f.t.Errorf("PutRecords with %d records, %d bytes: outside the limits", len(in.Records), size)
	}
	call := len(f.calls)
	f.calls = append(f.calls, in)
	codes := make([]string, len(in.Records))
	if f.respond != nil {
		var err error
		if codes, err = f.respond(call, in); err != nil {
			return nil, err
		}
	}
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i, r := range in.Records {
		if codes[i] != "" {
			out.FailedRecordCount = aws.Int32(aws.ToInt32(out.FailedRecordCount) + 1)
			out.Records[i] = types.PutRecordsResultEntry{ErrorCode: aws.String(codes[i]), ErrorMessage: aws.String("injected " + codes[i])}
			continue
		}
		f.stored = append(f.stored, stored{key: aws.ToString(r.PartitionKey), data: r.Data})
		out.Records[i] = types.PutRecordsResultEntry{SequenceNumber: aws.String(strconv.Itoa(len(f.stored))), ShardId: aws.String("shardId-000000000000")}
	}
	return out, nil
}

func (f *fakeKinesis) factory() clientFactory {
	return func(context.Context) (PutRecordsAPI, error) { return f, nil }
}

// callSizes returns the record count of each call.
func (f *fakeKinesis) callSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]int, len(f.calls))
	for i, c := range f.calls {
		out[i] = len(c.Records)
	}
	return out
}

// failEvery returns a respond function that fails every n-th entry of every
// call with code.
func failEvery(n int, code string) func(int, *kinesis.PutRecordsInput) ([]string, error) {
	return func(_ int, in *kinesis.PutRecordsInput) ([]string, error) {
		codes := make([]string, len(in.Records))
		for i := range codes {
			if i%n == 0 {
				codes[i] = code
			}
		}
		return codes, nil
	}
}

// fastBackoff makes retries immediate for the test's duration.
func fastBackoff(t *testing.T) {
	t.Helper()
	saved := defaultBackoff
	defaultBackoff = backoff{base: time.Millisecond, max: 2 * time.Millisecond}
	t.Cleanup(func() { defaultBackoff = saved })
}

var summaryRE = regexp.MustCompile(`(?m)^produce: (complete|interrupted|aborted) (.*)$`)

// summary parses the key=value summary line of a run's stdout.
func summary(t *testing.T, stdout string) map[string]string {
	t.Helper()
	m := summaryRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no summary line in stdout:\n%s", stdout)
	}
	out := map[string]string{"state": m[1]}
	for _, kv := range regexp.MustCompile(`(\w+)=(\S+)`).FindAllStringSubmatch(m[2], -1) {
		out[kv[1]] = kv[2]
	}
	return out
}

// num returns a numeric summary value.
func num(t *testing.T, s map[string]string, key string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s[key], 10, 64)
	if err != nil {
		t.Fatalf("summary %s=%q: %v", key, s[key], err)
	}
	return v
}

// runProduce runs the program with args against newClient.
func runProduce(t *testing.T, ctx context.Context, newClient clientFactory, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb, newClient)
	return code, out.String(), errb.String()
}
