//go:build unix

package main

// Integration tests: the producer against kinesalite, a Kinesis-compatible
// server (npm devDependency, installed by `make deps`), through the real AWS
// SDK client configured from the environment as in production.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// kinesaliteScript starts kinesalite bound to loopback only (its CLI listens
// on every interface) on a port the kernel picks, and prints that port.
// Streams become ACTIVE at once instead of after kinesalite's default 500 ms.
const kinesaliteScript = `
const kinesalite = require(process.argv[1]);
const server = kinesalite({createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0});
server.listen(0, '127.0.0.1', () => console.log('LISTENING ' + server.address().port));
`

// moduleRoot is the directory of the repository's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// startKinesalite runs kinesalite on 127.0.0.1 for the test and returns its
// endpoint URL. The server's process group is killed when the test ends,
// whether it passed or not.
func startKinesalite(t *testing.T) string {
	t.Helper()
	root := moduleRoot(t)
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "kinesalite")); err != nil {
		t.Skip("kinesalite not installed: run make deps")
	}
	node := filepath.Join(root, "node_modules", ".bin", "node") // Node 22 from package.json
	if _, err := os.Stat(node); err != nil {
		if node, err = exec.LookPath("node"); err != nil {
			t.Skip("no node to run kinesalite: run make deps")
		}
	}
	cmd := exec.Command(node, "-e", kinesaliteScript, filepath.Join(root, "node_modules", "kinesalite"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var serverErr bytes.Buffer
	cmd.Stderr = &serverErr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kinesalite: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() && serverErr.Len() > 0 {
			t.Logf("kinesalite stderr:\n%s", serverErr.String())
		}
	})

	ports := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if port, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
				ports <- port
			}
		}
		close(ports)
	}()
	select {
	case port, ok := <-ports:
		if !ok {
			t.Fatalf("kinesalite exited before listening: %s", serverErr.String())
		}
		return "http://127.0.0.1:" + port
	case <-time.After(30 * time.Second):
		t.Fatalf("kinesalite did not start within 30s: %s", serverErr.String())
	}
	return ""
}

// useLocalAWS points the AWS configuration chain at endpoint with dummy
// credentials, isolated from the developer's own AWS files and profile.
func useLocalAWS(t *testing.T, endpoint string) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_KINESIS":            endpoint,
		"AWS_ENDPOINT_URL":                    "",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "",
		"AWS_REGION":                          "us-east-1",
		"AWS_ACCESS_KEY_ID":                   "test",
		"AWS_SECRET_ACCESS_KEY":               "test",
		"AWS_SESSION_TOKEN":                   "",
		"AWS_PROFILE":                         "",
		"AWS_CONFIG_FILE":                     none,
		"AWS_SHARED_CREDENTIALS_FILE":         none,
		"AWS_EC2_METADATA_DISABLED":           "true",
	} {
		t.Setenv(k, v)
	}
}

// adminClient is a full Kinesis client for setting up and reading back.
func adminClient(t *testing.T) *kinesis.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return kinesis.NewFromConfig(cfg)
}

// createStream creates a stream and waits until it is ACTIVE; the first
// calls also wait for the server to answer.
func createStream(t *testing.T, c *kinesis.Client, name string, shards int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("create stream %s: %v", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("stream %s not active: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readAll reads every record of every shard of the stream.
func readAll(t *testing.T, c *kinesis.Client, name string) []stored {
	t.Helper()
	ctx := context.Background()
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	var out []stored
	for _, sh := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String(name), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			page, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				out = append(out, stored{key: aws.ToString(r.PartitionKey), data: r.Data})
			}
			if len(page.Records) == 0 && aws.ToInt64(page.MillisBehindLatest) == 0 {
				break // caught up: everything written before the read is in out
			}
			iter = page.NextShardIterator
		}
	}
	return out
}

// compareWithExpected checks that got holds exactly the records of want, as a
// multiset: none missing, none duplicated, none foreign. Order across shards
// is not defined, so it is not compared.
func compareWithExpected(t *testing.T, got []stored, want []telemetrygen.Record) {
	t.Helper()
	count := map[string]int{}
	for _, w := range want {
		count[w.PartitionKey+"\x00"+string(w.Data)]++
	}
	for _, g := range got {
		k := g.key + "\x00" + string(g.data)
		if count[k] == 0 {
			t.Fatalf("record read back that was not sent, or sent once and stored twice: %s %q", g.key, g.data)
		}
		count[k]--
	}
	for k, n := range count {
		if n > 0 {
			t.Fatalf("record sent but not read back (%d times): %q", n, k)
		}
	}
}

func TestIntegrationRoundTrip(t *testing.T) {
	endpoint := startKinesalite(t)
	useLocalAWS(t, endpoint)
	admin := adminClient(t)
	for _, format := range []string{"json", "csv"} {
		t.Run(format, func(t *testing.T) {
			stream := "telemetry-" + format
			createStream(t, admin, stream, 1)
			const n = 2000
			code, stdout, stderr := runProduce(t, context.Background(), newKinesisClient,
				"--stream", stream, "--count", strconv.Itoa(n), "--format", format, "--devices", "25",
				"--malformed-fraction", "0.1", "--anomaly-fraction", "0.05", "--seed", "2026", "--start", "2026-03-07T09:00:00Z")
			if code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			s := summary(t, stdout)
			want := expected(t, telemetrygen.Config{Devices: 25, Start: time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC), Interval: time.Minute,
				Seed: 2026, AnomalyFraction: 0.05, MalformedFraction: 0.1, Format: telemetrygen.Format(format)}, n)
			got := readAll(t, admin, stream)
			if len(got) != n || num(t, s, "sent") != n || num(t, s, "generated") != n {
				t.Fatalf("read back %d records; summary %v; want %d", len(got), s, n)
			}
			compareWithExpected(t, got, want)

			kind := map[string]telemetrygen.Kind{}
			for _, w := range want {
				kind[string(w.Data)] = w.Malformed
			}
			malformed := 0
			for _, g := range got {
				if kind[string(g.data)] != "" {
					malformed++
					continue
				}
				deviceID := ""
				if format == "json" {
					var m map[string]any
					if err := json.Unmarshal(g.data, &m); err != nil {
						t.Fatalf("valid record is not JSON: %q", g.data)
					}
					deviceID, _ = m["device_id"].(string)
				} else {
					deviceID, _, _ = strings.Cut(string(g.data), ",")
				}
				if g.key != deviceID {
					t.Fatalf("partition key %q, device_id %q", g.key, deviceID)
				}
			}
			if malformed == 0 || int64(malformed) != num(t, s, "malformed") {
				t.Errorf("%d malformed records read back, summary says %s", malformed, s["malformed"])
			}
		})
	}
}

// faultyProxy sits between the producer and kinesalite, which never
// throttles, and makes PutRecords fail the way Kinesis does under load: the
// whole call with ProvisionedThroughputExceededException, or single entries
// with a per-entry ErrorCode. Failed entries are really not stored (they are
// removed from the request before it is forwarded), so a producer that
// resent a whole batch would create duplicates the read-back would see.
type faultyProxy struct {
	upstream   *url.URL
	calls      atomic.Int64
	throttled  atomic.Int64 // whole calls refused
	throttledE atomic.Int64 // entries in those calls
	failed     atomic.Int64 // entries refused one by one
	throttleN  int64        // refuse every throttleN-th call (0: never)
	entryFails func(key string, rng *rand.Rand) string

	mu  sync.Mutex
	rng *rand.Rand
}

func (p *faultyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "Kinesis_20131202.PutRecords" {
		httputil.NewSingleHostReverseProxy(p.upstream).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	var req map[string]json.RawMessage
	var records []struct {
		PartitionKey string
	}
	body, _ := io.ReadAll(r.Body)
	if json.Unmarshal(body, &req) != nil || json.Unmarshal(req["Records"], &records) != nil {
		http.Error(w, "bad request body", http.StatusBadRequest)
		return
	}
	if n := p.calls.Add(1); p.throttleN > 0 && n%p.throttleN == 1 {
		p.throttled.Add(1)
		p.throttledE.Add(int64(len(records)))
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for stream under account 000000000000."}`)
		return
	}
	var raw []json.RawMessage
	_ = json.Unmarshal(req["Records"], &raw)

	codes := make([]string, len(raw))
	var kept []json.RawMessage
	p.mu.Lock()
	for i := range raw {
		if codes[i] = p.entryFails(records[i].PartitionKey, p.rng); codes[i] == "" {
			kept = append(kept, raw[i])
		}
	}
	p.mu.Unlock()

	var upstream struct {
		Records []json.RawMessage
	}
	if len(kept) > 0 {
		req["Records"], _ = json.Marshal(kept)
		fwd, _ := json.Marshal(req)
		out, err := http.NewRequest(http.MethodPost, p.upstream.String(), bytes.NewReader(fwd))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for _, h := range []string{"X-Amz-Target", "Content-Type", "Authorization", "X-Amz-Date"} {
			out.Header.Set(h, r.Header.Get(h))
		}
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		respBody, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || json.Unmarshal(respBody, &upstream) != nil || len(upstream.Records) != len(kept) {
			w.WriteHeader(resp.StatusCode)
			w.Write(respBody)
			return
		}
	}
	results := make([]json.RawMessage, len(raw))
	failed := 0
	for i, code := range codes {
		if code == "" {
			results[i], upstream.Records = upstream.Records[0], upstream.Records[1:]
			continue
		}
		failed++
		results[i], _ = json.Marshal(map[string]string{"ErrorCode": code, "ErrorMessage": "injected by the test proxy"})
	}
	p.failed.Add(int64(failed))
	json.NewEncoder(w).Encode(map[string]any{"FailedRecordCount": failed, "Records": results})
}

// startFaultyProxy serves p on 127.0.0.1 (httptest binds loopback only) and
// points the producer at it.
func startFaultyProxy(t *testing.T, endpoint string, p *faultyProxy) {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p.upstream, p.rng = u, rand.New(rand.NewPCG(7, 11))
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_KINESIS", srv.URL)
}

func TestIntegrationRetriesOnlyFailedEntries(t *testing.T) {
	fastBackoff(t)
	endpoint := startKinesalite(t)
	useLocalAWS(t, endpoint)
	admin := adminClient(t) // straight to kinesalite
	createStream(t, admin, "telemetry", 1)

	proxy := &faultyProxy{
		throttleN: 3,
		entryFails: func(_ string, rng *rand.Rand) string {
			switch x := rng.Float64(); {
			case x < 0.15:
				return "ProvisionedThroughputExceededException"
			case x < 0.2:
				return "InternalFailure"
			}
			return ""
		},
	}
	startFaultyProxy(t, endpoint, proxy)

	const n = 2000
	code, stdout, stderr := runProduce(t, context.Background(), newKinesisClient,
		"--stream", "telemetry", "--count", strconv.Itoa(n), "--devices", "25", "--malformed-fraction", "0.05",
		"--seed", "99", "--start", "2026-03-07T09:00:00Z", "--max-retries", "20")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	s := summary(t, stdout)
	if proxy.throttled.Load() == 0 || proxy.failed.Load() == 0 {
		t.Fatalf("the proxy injected %d throttled calls and %d failed entries; the test proves nothing", proxy.throttled.Load(), proxy.failed.Load())
	}
	// Each refused entry and each entry of a refused call is sent again
	// once, and nothing else is.
	if got, want := num(t, s, "retried"), proxy.failed.Load()+proxy.throttledE.Load(); got != want {
		t.Errorf("summary retried=%d, but the proxy refused %d entries singly and %d in whole calls",
			got, proxy.failed.Load(), proxy.throttledE.Load())
	}
	got := readAll(t, admin, "telemetry")
	want := expected(t, telemetrygen.Config{Devices: 25, Start: time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC), Interval: time.Minute,
		Seed: 99, AnomalyFraction: 0.01, MalformedFraction: 0.05, Format: telemetrygen.FormatJSON}, n)
	if len(got) != n || num(t, s, "sent") != n || num(t, s, "failed") != 0 {
		t.Fatalf("read back %d, summary %v; want all %d exactly once", len(got), s, n)
	}
	compareWithExpected(t, got, want)
	t.Logf("%d PutRecords calls, %d refused whole (%d entries), %d entries refused singly, %s entries retried",
		proxy.calls.Load(), proxy.throttled.Load(), proxy.throttledE.Load(), proxy.failed.Load(), s["retried"])
}

func TestIntegrationLossIsCountedAndReported(t *testing.T) {
	fastBackoff(t)
	endpoint := startKinesalite(t)
	useLocalAWS(t, endpoint)
	admin := adminClient(t)
	createStream(t, admin, "telemetry", 2)

	// One device's shard is permanently over its limit.
	const hot = "device-0003"
	startFaultyProxy(t, endpoint, &faultyProxy{entryFails: func(key string, _ *rand.Rand) string {
		if key == hot {
			return "ProvisionedThroughputExceededException"
		}
		return ""
	}})
	const n, devices = 500, 10
	code, stdout, _ := runProduce(t, context.Background(), newKinesisClient,
		"--stream", "telemetry", "--count", strconv.Itoa(n), "--devices", strconv.Itoa(devices), "--seed", "5",
		"--start", "2026-03-07T09:00:00Z", "--max-retries", "2", "--batch-size", "100")
	if code != 1 {
		t.Fatalf("exit %d, want 1 when records are lost\n%s", code, stdout)
	}
	s := summary(t, stdout)
	lost := int64(n / devices)
	if num(t, s, "failed") != lost || num(t, s, "sent") != n-lost || num(t, s, "retried") != 2*lost {
		t.Errorf("summary %v; want failed=%d sent=%d retried=%d", s, lost, n-lost, 2*lost)
	}
	got := readAll(t, admin, "telemetry")
	all := expected(t, telemetrygen.Config{Devices: devices, Start: time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC), Interval: time.Minute,
		Seed: 5, AnomalyFraction: 0.01, Format: telemetrygen.FormatJSON}, n)
	want := slices.DeleteFunc(all, func(r telemetrygen.Record) bool { return r.PartitionKey == hot })
	compareWithExpected(t, got, want)
}

// TestIntegrationThroughput measures the producer against the local server.
// It logs the figure and asserts no time: kinesalite's speed says nothing
// about Kinesis, only about the producer's overhead.
func TestIntegrationThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("throughput run skipped in -short mode")
	}
	endpoint := startKinesalite(t)
	useLocalAWS(t, endpoint)
	createStream(t, adminClient(t), "telemetry", 4)
	const n = 20000
	code, stdout, stderr := runProduce(t, context.Background(), newKinesisClient,
		"--stream", "telemetry", "--count", strconv.Itoa(n), "--devices", "100", "--rate", "0", "--malformed-fraction", "0.02")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := summary(t, stdout)
	if num(t, s, "sent") != n {
		t.Fatalf("summary %v", s)
	}
	t.Logf("throughput against kinesalite: %s records/s (%d records in %s, %d per PutRecords)", s["records_per_s"], n, s["elapsed"], maxBatchRecords)
}
