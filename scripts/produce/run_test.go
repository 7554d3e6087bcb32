package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/refdatalake/datalake/internal/telemetrygen"
)

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the one stderr line
	}{
		{"no arguments", nil, "--stream is required"},
		{"no stream", []string{"--count", "10"}, "--stream is required"},
		{"neither count nor duration", []string{"--stream", "s"}, "exactly one of --count and --duration"},
		{"both count and duration", []string{"--stream", "s", "--count", "10", "--duration", "1s"}, "exactly one of --count and --duration"},
		{"zero count", []string{"--stream", "s", "--count", "0"}, "--count 0"},
		{"negative count", []string{"--stream", "s", "--count", "-5"}, "--count -5"},
		{"count not a number", []string{"--stream", "s", "--count", "many"}, `invalid value "many" for flag -count`},
		{"duration without unit", []string{"--stream", "s", "--duration", "30"}, `invalid value "30" for flag -duration`},
		{"negative duration", []string{"--stream", "s", "--duration", "-1s"}, "--duration -1s"},
		{"negative rate", []string{"--stream", "s", "--count", "1", "--rate", "-1"}, "--rate -1"},
		{"NaN rate", []string{"--stream", "s", "--count", "1", "--rate", "NaN"}, "--rate NaN"},
		{"batch too large", []string{"--stream", "s", "--count", "1", "--batch-size", "501"}, "--batch-size 501"},
		{"batch empty", []string{"--stream", "s", "--count", "1", "--batch-size", "0"}, "--batch-size 0"},
		{"negative retries", []string{"--stream", "s", "--count", "1", "--max-retries", "-1"}, "--max-retries -1"},
		{"no devices", []string{"--stream", "s", "--count", "1", "--devices", "0"}, "--devices 0"},
		{"unknown format", []string{"--stream", "s", "--count", "1", "--format", "xml"}, `format "xml"`},
		{"anomaly fraction above 1", []string{"--stream", "s", "--count", "1", "--anomaly-fraction", "1.5"}, "anomaly fraction 1.5"},
		{"negative malformed fraction", []string{"--stream", "s", "--count", "1", "--malformed-fraction", "-0.1"}, "malformed fraction -0.1"},
		{"fractions above 1 together", []string{"--stream", "s", "--count", "1", "--anomaly-fraction", "0.7", "--malformed-fraction", "0.7"}, "exceed 1"},
		{"start not RFC 3339", []string{"--stream", "s", "--count", "1", "--start", "2026-03-07 09:00"}, "--start"},
		{"start before the schema allows", []string{"--stream", "s", "--count", "1", "--start", "2009-12-31T00:00:00Z"}, "start time"},
		{"zero interval", []string{"--stream", "s", "--count", "1", "--interval", "0s"}, "--interval 0s"},
		{"unknown flag", []string{"--stream", "s", "--count", "1", "--shards", "2"}, "flag provided but not defined: -shards"},
		{"positional argument", []string{"--stream", "s", "--count", "1", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			factory := func(context.Context) (PutRecordsAPI, error) { called = true; return nil, nil }
			code, stdout, stderr := runProduce(t, context.Background(), factory, tc.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n"); len(lines) != 1 {
				t.Errorf("stderr has %d lines, want one:\n%s", len(lines), stderr)
			}
			if !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "usage: produce") {
				t.Errorf("stderr %q does not name %q and the usage", stderr, tc.want)
			}
			if stdout != "" || called {
				t.Errorf("usage error wrote stdout %q / made a client (%v)", stdout, called)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, _, stderr := runProduce(t, context.Background(), nil, "-h")
	if code != 0 || !strings.Contains(stderr, "-stream") || !strings.Contains(stderr, "-malformed-fraction") {
		t.Fatalf("-h: status %d, stderr:\n%s", code, stderr)
	}
}

func TestClientErrorExitsOne(t *testing.T) {
	factory := func(context.Context) (PutRecordsAPI, error) { return nil, context.DeadlineExceeded }
	code, _, stderr := runProduce(t, context.Background(), factory, "--stream", "s", "--count", "1")
	if code != 1 || !strings.Contains(stderr, "deadline") {
		t.Fatalf("status %d, stderr %q", code, stderr)
	}
}

// expected regenerates what a run with these generator settings sends.
func expected(t *testing.T, cfg telemetrygen.Config, n int) []telemetrygen.Record {
	t.Helper()
	g, err := telemetrygen.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]telemetrygen.Record, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

func TestRunSendsEveryRecordInBatches(t *testing.T) {
	for _, format := range []string{"json", "csv"} {
		t.Run(format, func(t *testing.T) {
			fake := &fakeKinesis{t: t}
			code, stdout, stderr := runProduce(t, context.Background(), fake.factory(),
				"--stream", "telemetry", "--count", "1234", "--devices", "13", "--format", format,
				"--malformed-fraction", "0.1", "--anomaly-fraction", "0.05", "--seed", "7", "--start", "2026-03-07T09:00:00Z")
			if code != 0 {
				t.Fatalf("exit status %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if got := fake.callSizes(); len(got) != 3 || got[0] != 500 || got[1] != 500 || got[2] != 234 {
				t.Errorf("batches %v, want [500 500 234]", got)
			}
			want := expected(t, telemetrygen.Config{Devices: 13, Start: time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC), Interval: time.Minute,
				Seed: 7, AnomalyFraction: 0.05, MalformedFraction: 0.1, Format: telemetrygen.Format(format)}, 1234)
			malformed, anomalies := 0, 0
			for i, w := range want {
				got := fake.stored[i]
				if got.key != w.PartitionKey || string(got.data) != string(w.Data) {
					t.Fatalf("record %d: got %s %q, want %s %q", i, got.key, got.data, w.PartitionKey, w.Data)
				}
				if w.Malformed != "" {
					malformed++
				} else if w.Anomaly {
					anomalies++
				}
				if format == "json" && w.Malformed == "" {
					var m map[string]any
					if err := json.Unmarshal(got.data, &m); err != nil || m["device_id"] != got.key {
						t.Fatalf("record %d: partition key %s, device_id %v (%v)", i, got.key, m["device_id"], err)
					}
				}
			}
			s := summary(t, stdout)
			for key, want := range map[string]int64{"generated": 1234, "sent": 1234, "malformed": int64(malformed), "anomalies": int64(anomalies), "retried": 0, "failed": 0, "seed": 7} {
				if got := num(t, s, key); got != want {
					t.Errorf("summary %s=%d, want %d", key, got, want)
				}
			}
			if s["state"] != "complete" || s["stream"] != "telemetry" {
				t.Errorf("summary %v", s)
			}
		})
	}
}

func TestRunBatchSizeFlag(t *testing.T) {
	fake := &fakeKinesis{t: t}
	if code, stdout, _ := runProduce(t, context.Background(), fake.factory(), "--stream", "s", "--count", "25", "--batch-size", "10"); code != 0 {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	if got := fake.callSizes(); len(got) != 3 || got[0] != 10 || got[2] != 5 {
		t.Errorf("batches %v, want [10 10 5]", got)
	}
}

func TestRunStreamARN(t *testing.T) {
	fake := &fakeKinesis{t: t}
	arn := "arn:aws:kinesis:eu-west-1:123456789012:stream/telemetry"
	if code, _, _ := runProduce(t, context.Background(), fake.factory(), "--stream", arn, "--count", "3"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if in := fake.calls[0]; aws.ToString(in.StreamARN) != arn || in.StreamName != nil {
		t.Errorf("stream name %v, ARN %v", in.StreamName, in.StreamARN)
	}
}

func TestRunRetriesAndRecovers(t *testing.T) {
	fastBackoff(t)
	// Every third entry throttled on a call's first attempt only.
	fake := &fakeKinesis{t: t}
	fake.respond = func(call int, in *kinesis.PutRecordsInput) ([]string, error) {
		if call%2 == 1 {
			return make([]string, len(in.Records)), nil
		}
		return failEvery(3, "ProvisionedThroughputExceededException")(call, in)
	}
	code, stdout, stderr := runProduce(t, context.Background(), fake.factory(), "--stream", "s", "--count", "1000", "--seed", "1")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := summary(t, stdout)
	// Batches of 500: 167 entries (indexes 0, 3, ..., 498) retried per batch.
	if num(t, s, "sent") != 1000 || num(t, s, "retried") != 2*167 || num(t, s, "failed") != 0 {
		t.Errorf("summary %v", s)
	}
	if got := fake.callSizes(); len(got) != 4 || got[1] != 167 || got[3] != 167 {
		t.Errorf("calls %v, want [500 167 500 167]: only the failed entries are resent", got)
	}
	if len(fake.stored) != 1000 {
		t.Errorf("%d stored", len(fake.stored))
	}
}

func TestRunExitsOneWhenRecordsAreLost(t *testing.T) {
	fastBackoff(t)
	fake := &fakeKinesis{t: t, respond: failEvery(10, "ProvisionedThroughputExceededException")}
	code, stdout, stderr := runProduce(t, context.Background(), fake.factory(), "--stream", "s", "--count", "100", "--max-retries", "2")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stdout)
	}
	s := summary(t, stdout)
	// Every tenth entry of each call fails: 10 of the batch, then 1 of
	// those 10 on the first retry and again on the second, the last allowed.
	if num(t, s, "sent") != 99 || num(t, s, "failed") != 1 || num(t, s, "retried") != 11 {
		t.Errorf("summary %v", s)
	}
	if !strings.Contains(stdout, "lost 1 records: ProvisionedThroughputExceededException=1") {
		t.Errorf("stdout lacks the failure line:\n%s", stdout)
	}
	if !strings.Contains(stderr, "giving up") {
		t.Errorf("stderr lacks the give-up message:\n%s", stderr)
	}
}

func TestRunAbortsOnFatalError(t *testing.T) {
	fake := &fakeKinesis{t: t}
	fake.respond = func(int, *kinesis.PutRecordsInput) ([]string, error) {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Stream nope not found")}
	}
	code, stdout, stderr := runProduce(t, context.Background(), fake.factory(), "--stream", "nope", "--count", "5000")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	s := summary(t, stdout)
	if s["state"] != "aborted" || num(t, s, "generated") != 500 || num(t, s, "failed") != 500 || num(t, s, "sent") != 0 {
		t.Errorf("summary %v: want the run to stop after the first batch", s)
	}
	if len(fake.calls) != 1 || !strings.Contains(stderr, "not found") {
		t.Errorf("%d calls; stderr %q", len(fake.calls), stderr)
	}

	// Rate limited, the batch goes out part-full; nothing is generated after.
	fake.calls = nil
	code, stdout, _ = runProduce(t, context.Background(), fake.factory(), "--stream", "nope", "--count", "5000", "--rate", "2000")
	s = summary(t, stdout)
	if code != 1 || num(t, s, "generated") != num(t, s, "failed") || num(t, s, "generated") != int64(fake.callSizes()[0]) || len(fake.calls) != 1 {
		t.Errorf("rate limited: exit %d, summary %v, calls %v", code, s, fake.callSizes())
	}
	if !strings.Contains(stdout, "lost "+s["failed"]+" records: ResourceNotFoundException="+s["failed"]+"\n") {
		t.Errorf("failure line: %s", stdout)
	}
}

func TestRunInterruptFlushesInFlightBatch(t *testing.T) {
	t.Run("during a send", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		fake := &fakeKinesis{t: t}
		fake.respond = func(call int, in *kinesis.PutRecordsInput) ([]string, error) {
			if call == 1 {
				cancel() // Ctrl-C while the second batch is in flight
			}
			return make([]string, len(in.Records)), nil
		}
		code, stdout, stderr := runProduce(t, ctx, fake.factory(), "--stream", "s", "--count", "100000", "--batch-size", "100")
		s := summary(t, stdout)
		if code != 0 || s["state"] != "interrupted" || num(t, s, "sent") != 200 || num(t, s, "generated") != 200 {
			t.Errorf("exit %d, summary %v; want both batches sent and nothing after", code, s)
		}
		if !strings.Contains(stderr, "interrupted") {
			t.Errorf("stderr %q", stderr)
		}
	})
	t.Run("while a batch fills", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(300*time.Millisecond, cancel)
		fake := &fakeKinesis{t: t}
		// 200 records/s with 500-record batches: the batch in progress is
		// partly filled when the interrupt comes and must still be sent.
		code, stdout, _ := runProduce(t, ctx, fake.factory(), "--stream", "s", "--count", "100000", "--rate", "200")
		s := summary(t, stdout)
		if code != 0 || s["state"] != "interrupted" || num(t, s, "generated") == 0 || num(t, s, "sent") != num(t, s, "generated") {
			t.Errorf("exit %d, summary %v; want every generated record sent", code, s)
		}
	})
}

func TestRunDuration(t *testing.T) {
	fake := &fakeKinesis{t: t}
	code, stdout, _ := runProduce(t, context.Background(), fake.factory(), "--stream", "s", "--duration", "1s", "--rate", "500")
	s := summary(t, stdout)
	if code != 0 || s["state"] != "complete" || num(t, s, "generated") == 0 || num(t, s, "sent") != num(t, s, "generated") {
		t.Fatalf("exit %d, summary %v", code, s)
	}
	// A slow rate must not hold records back until 500 have accumulated.
	if n := len(fake.callSizes()); n < 2 {
		t.Errorf("%d PutRecords calls in 1s at 500 records/s; records wait for full batches", n)
	}
}

func TestPartitionWarning(t *testing.T) {
	for _, c := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--stream", "s", "--count", "1000", "--devices", "10", "--interval", "1m"}, false},
		// 50 devices, 1,000 readings each an hour apart: 1,000 event hours.
		{[]string{"--stream", "s", "--count", "50000", "--devices", "50", "--interval", "1h"}, true},
		// exactly 500 hours
		{[]string{"--stream", "s", "--count", "500", "--devices", "1", "--interval", "1h"}, false},
		{[]string{"--stream", "s", "--duration", "1h", "--interval", "1h"}, false},
	} {
		o, err := parseFlags(c.args, io.Discard, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		w := partitionWarning(o)
		if (w != "") != c.warn {
			t.Errorf("%v: warning %q, want one: %v", c.args, w, c.warn)
		}
		if c.warn && !strings.Contains(w, "activePartitionExceeded") {
			t.Errorf("warning %q does not say where the readings go", w)
		}
	}
}
