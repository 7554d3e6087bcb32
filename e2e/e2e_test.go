//go:build e2e

package e2e

// The end-to-end test of the local path: a ministack emulator on loopback,
// every stack of the local profile deployed with cdklocal, telemetry sent
// with the producer, and what Firehose delivered read back and compared with
// the records the producer sent, regenerated here from the same seed.
//
//	go test -tags e2e -count=1 -timeout 20m ./e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refdatalake/datalake/internal/localharness"
	"github.com/refdatalake/datalake/internal/proctree"
	"github.com/refdatalake/datalake/internal/queries"
	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// e2eBatches are sent in turn: JSON and CSV, each with malformed records,
// and event times that cross a month and a year boundary, so partitioning
// by event time is tested where it is easiest to get wrong.
var e2eBatches = []localharness.Batch{
	{Count: 90, BatchSize: 30, Config: telemetrygen.Config{
		Devices: 5, Interval: 7 * time.Minute, Seed: 20260228,
		Start:           time.Date(2026, 2, 28, 22, 30, 0, 0, time.UTC),
		AnomalyFraction: 0.02, MalformedFraction: 0.1, Format: telemetrygen.FormatJSON,
	}},
	{Count: 80, BatchSize: 30, Config: telemetrygen.Config{
		Devices: 4, Interval: 9 * time.Minute, Seed: 20251231,
		Start:           time.Date(2025, 12, 31, 22, 40, 0, 0, time.UTC),
		AnomalyFraction: 0.02, MalformedFraction: 0.1, Format: telemetrygen.FormatCSV,
	}},
}

// phases records the wall time of each phase for the log.
type phases struct {
	mu    sync.Mutex
	names []string
	took  map[string]time.Duration
}

// time runs f and records how long it took under name.
func (p *phases) time(name string, f func()) {
	began := time.Now()
	defer func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.took == nil {
			p.took = map[string]time.Duration{}
		}
		p.names = append(p.names, name)
		p.took[name] = time.Since(began)
	}()
	f()
}

func (p *phases) get(name string) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.took[name]
}

func (p *phases) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	var total time.Duration
	for _, n := range p.names {
		fmt.Fprintf(&b, " %s=%s", n, p.took[n].Round(time.Millisecond))
		total += p.took[n]
	}
	fmt.Fprintf(&b, " total=%s", total.Round(time.Millisecond))
	return strings.TrimSpace(b.String())
}

func TestLocalEndToEnd(t *testing.T) {
	repo, err := localharness.FindRepo()
	if err != nil {
		t.Fatal(err)
	}
	if missing := repo.MissingTools(); len(missing) > 0 {
		t.Skipf("%s not installed: run make deps", strings.Join(missing, ", "))
	}
	// Two minutes short of the 20m the Makefile gives go test: a test binary
	// that hits -timeout exits without running Cleanup, which would leave
	// the emulator running; a step that overruns fails here instead.
	ctx, cancel := context.WithTimeout(t.Context(), 18*time.Minute)
	defer cancel()
	work := t.TempDir()
	var ph phases
	t.Cleanup(func() { t.Logf("wall time by phase: %s", &ph) })

	var emu *localharness.Emulator
	ph.time("start", func() { emu = startEmulator(t, ctx, repo, work) })
	bootstraps := &bootstrapWatch{}
	sampler := localharness.SampleMemory(emu.PID, emu.Marker, 200*time.Millisecond, bootstraps.see)
	stop := stopOnce(t, emu, sampler)
	t.Cleanup(stop)

	target := localharness.LocalTarget(emu)
	cdkLog := &proctree.Buffer{}
	d := localharness.Deployer{Repo: repo, Target: target, OutDir: filepath.Join(work, "cdk.out"), TempDir: filepath.Join(work, "tmp"), Log: cdkLog}
	ph.time("bootstrap", func() {
		if err := d.Bootstrap(ctx); err != nil {
			t.Fatalf("%v\n%s", err, tail(cdkLog.String(), 30))
		}
	})
	var outputs localharness.Outputs
	ph.time("deploy", func() {
		if outputs, err = d.Deploy(ctx, filepath.Join(work, "outputs.json")); err != nil {
			t.Fatalf("%v\n%s", err, tail(cdkLog.String(), 40))
		}
	})
	// Each check is a subtest: one failing check leaves the others to report.
	// Only the steps the later checks need (deploy, produce, delivery) stop the test.
	t.Run("stacks complete", func(t *testing.T) { checkStacksComplete(t, ctx, target) })
	t.Run("every stack listed", func(t *testing.T) { checkEveryStackListed(t, d.OutDir) })
	lake, err := outputs.Lake()
	if err != nil {
		t.Fatal(err)
	}

	sent := regenerate(t)
	t.Logf("sending %d records: %d valid, %d malformed (%v)", len(sent.valid)+len(sent.malformed), len(sent.valid), len(sent.malformed), sent.kinds())
	ph.time("produce", func() { produceAll(t, ctx, repo, target, lake.Stream) })

	reader := localharness.NewLakeReader(target, lake.RawBucket)
	var landing localharness.Landing
	var reached time.Duration
	ph.time("delivery", func() {
		// The settle window (3 s without change) is part of this phase.
		landing, reached, err = reader.WaitSettled(ctx, len(sent.valid), 3*time.Second, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("delivery: all %d valid readings visible %s after the last PutRecords returned", len(sent.valid), reached.Round(time.Millisecond))
	total := len(sent.valid) + len(sent.malformed)
	local := ph.get("produce") + ph.get("delivery")
	t.Logf("local path: %d records sent and settled in %s = %.1f records/s (%d objects for %d readings)",
		total, local.Round(time.Millisecond), float64(total)/local.Seconds(), len(landing.Objects), len(landing.Readings))

	t.Run("delivered", func(t *testing.T) { checkDelivered(t, landing, sent.valid) })
	t.Run("rejected", func(t *testing.T) { checkRejected(t, ctx, target, reader, landing, sent.malformed) })
	t.Run("bootstrap ran", func(t *testing.T) { checkBootstrapRan(t, bootstraps, d.OutDir) })
	t.Run("athena", func(t *testing.T) { checkAthena(t, ctx, target, lake.AnalyticsBucket, sent.valid) })
	t.Run("named queries", func(t *testing.T) { checkNamedQueries(t, ctx, target, lake.AnalyticsBucket, sent.valid) })
	ph.time("anomalies", func() {
		t.Run("anomalies", func(t *testing.T) { checkAnomalies(t, ctx, target, outputs, lake.AnalyticsBucket, lake.Stream) })
	})
	ph.time("ml", func() {
		t.Run("ml workflows", func(t *testing.T) { checkMlWorkflows(t, ctx, target, outputs, lake.AnalyticsBucket) })
	})
	ph.time("lineage", func() {
		t.Run("iceberg lineage", func(t *testing.T) { checkLineage(t, ctx, repo, target, outputs, lake) })
	})
	// Last of the data checks: its readings and registry item change no count above.
	ph.time("smoke", func() {
		t.Run("smoke", func(t *testing.T) { checkSmoke(t, ctx, repo, target, outputs, lake.AnalyticsBucket) })
	})
	t.Run("loopback only", func(t *testing.T) { checkLoopbackOnly(t, emu) })

	ph.time("teardown", stop)
}

// startEmulator starts ministack for the test with its log in work.
func startEmulator(t *testing.T, ctx context.Context, repo localharness.Repo, work string) *localharness.Emulator {
	t.Helper()
	emu, err := localharness.StartEmulator(ctx, repo, localharness.StartOptions{LogPath: filepath.Join(work, "ministack.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ministack pid %d on %s, state %s", emu.PID, emu.Endpoint(), emu.StateDir)
	return emu
}

// stopOnce returns the teardown: stop the emulator and check that none of
// its processes is left and its port is closed. It runs once, from the end
// of the test (to time it) or from Cleanup after a failure.
func stopOnce(t *testing.T, emu *localharness.Emulator, sampler *localharness.MemorySampler) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			sampler.Stop()
			t.Logf("emulator memory: %s", sampler.Peak())
			if t.Failed() {
				t.Logf("ministack log ends with:\n%s", localharness.LogTail(emu.LogPath, 60))
			}
			seen := emu.Processes()
			if err := emu.Stop(); err != nil {
				t.Errorf("stop the emulator: %v", err)
			}
			for _, p := range seen {
				if proctree.Alive(p) {
					t.Errorf("process %d of the emulator still runs after teardown", p)
				}
			}
			if left := localharness.MarkedProcesses(emu.Marker); len(left) > 0 {
				t.Errorf("processes %v spawned by the emulator still run after teardown", left)
			}
			if localharness.PortOpen(emu.Port) {
				t.Errorf("%s still accepts connections after teardown", emu.Endpoint())
			}
			if _, err := os.Stat(emu.StateDir); err == nil {
				t.Errorf("state folder %s still exists after teardown", emu.StateDir)
			}
		})
	}
}

// checkEveryStackListed fails when the app has a stack the harness does not
// know, so a new stack cannot slip past checkStacksComplete.
func checkEveryStackListed(t *testing.T, cdkOut string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(cdkOut, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type       string `json:"type"`
			Properties struct {
				StackName string `json:"stackName"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	var inApp []string
	for _, a := range manifest.Artifacts {
		if a.Type == "aws:cloudformation:stack" {
			inApp = append(inApp, a.Properties.StackName)
		}
	}
	slices.Sort(inApp)
	listed := slices.Sorted(slices.Values(localharness.Stacks))
	if !slices.Equal(inApp, listed) {
		t.Fatalf("the app's stacks %v differ from the harness's list %v (internal/localharness/target.go)", inApp, listed)
	}
}

// checkStacksComplete asserts that CloudFormation created every stack.
func checkStacksComplete(t *testing.T, ctx context.Context, target localharness.Target) {
	t.Helper()
	st, err := localharness.StackStatuses(ctx, target, localharness.Stacks)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range localharness.Stacks {
		if st[s] != "CREATE_COMPLETE" {
			t.Errorf("stack %s is %s, want CREATE_COMPLETE", s, st[s])
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// sentRecords are the records of every batch, regenerated.
type sentRecords struct {
	valid     []telemetrygen.Record
	malformed []telemetrygen.Record
}

func (s sentRecords) kinds() map[telemetrygen.Kind]int {
	out := map[telemetrygen.Kind]int{}
	for _, r := range s.malformed {
		out[r.Malformed]++
	}
	return out
}

// regenerate rebuilds what the producer will send for e2eBatches.
func regenerate(t *testing.T) sentRecords {
	t.Helper()
	var s sentRecords
	for _, b := range e2eBatches {
		recs, err := b.Records()
		if err != nil {
			t.Fatal(err)
		}
		valid, malformed := localharness.SplitRecords(recs)
		if len(malformed) == 0 {
			t.Fatalf("the %s batch has no malformed record: pick another seed", b.Format)
		}
		s.valid = append(s.valid, valid...)
		s.malformed = append(s.malformed, malformed...)
	}
	return s
}

// produceAll sends every batch and checks that the producer's own counts
// agree with the regenerated records: the test and the producer must be
// looking at the same data.
func produceAll(t *testing.T, ctx context.Context, repo localharness.Repo, target localharness.Target, stream string) {
	t.Helper()
	prodLog := &proctree.Buffer{}
	p := &localharness.Producer{Repo: repo, Target: target, Log: prodLog}
	if err := p.Build(ctx, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	for _, b := range e2eBatches {
		recs, _ := b.Records()
		var malformed, anomalies int
		for _, r := range recs {
			if r.Malformed != "" {
				malformed++
			}
			if r.Anomaly {
				anomalies++
			}
		}
		res, err := p.Send(ctx, stream, b)
		if err != nil {
			t.Fatalf("%v\n%s", err, tail(prodLog.String(), 20))
		}
		t.Logf("%s", res.Line)
		if res.Int("malformed") != malformed || res.Int("anomalies") != anomalies {
			t.Fatalf("%s batch: the producer sent %d malformed and %d anomalous records, the test regenerated %d and %d: it does not reproduce the producer",
				b.Format, res.Int("malformed"), res.Int("anomalies"), malformed, anomalies)
		}
	}
}

// readingKey identifies a reading by value: time.Time is not a safe map
// key (its location pointer and monotonic reading take part in ==).
type readingKey struct {
	device string
	unixNs int64
}

func keyOf(r localharness.Reading) readingKey { return readingKey{r.DeviceID, r.TS.UnixNano()} }

func (k readingKey) String() string {
	return localharness.Reading{DeviceID: k.device, TS: time.Unix(0, k.unixNs)}.String()
}

// checkDelivered asserts that exactly the valid readings landed under
// telemetry/, each once, in the partition of its own event time.
func checkDelivered(t *testing.T, l localharness.Landing, valid []telemetrygen.Record) {
	t.Helper()
	if len(l.Readings) != len(valid) {
		t.Errorf("%d readings under %s, want %d (the valid records sent)", len(l.Readings), localharness.TelemetryPrefix, len(valid))
	}
	want := map[readingKey]int{}
	for _, r := range valid {
		want[keyOf(localharness.Reading{DeviceID: r.PartitionKey, TS: r.EventTime})]++
	}
	got := map[readingKey]int{}
	for _, r := range l.Readings {
		got[keyOf(r.Reading)]++
	}
	var lost, extra []string
	for r, n := range want {
		if got[r] < n {
			lost = append(lost, fmt.Sprintf("%s (×%d)", r, n-got[r]))
		}
	}
	for r, n := range got {
		if n > want[r] {
			extra = append(extra, fmt.Sprintf("%s (×%d)", r, n-want[r]))
		}
	}
	if len(lost) > 0 {
		slices.Sort(lost)
		t.Errorf("%d readings sent but not delivered, e.g. %v", len(lost), lost[:min(5, len(lost))])
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		t.Errorf("%d readings delivered that were not sent as valid records (duplicates or malformed ones), e.g. %v", len(extra), extra[:min(5, len(extra))])
	}
	if len(l.Unpartitioned) > 0 {
		t.Errorf("%d objects under %s without year=/month=/day=/hour=, e.g. %s", len(l.Unpartitioned), localharness.TelemetryPrefix, l.Unpartitioned[0])
	}
	misplaced := 0
	for _, r := range l.Readings {
		v := schema.PartitionValues(r.TS)
		if (localharness.Partition{Year: v[0], Month: v[1], Day: v[2], Hour: v[3]}) != r.Partition {
			if misplaced++; misplaced <= 5 {
				t.Errorf("reading %s is in %s, want the partition of its event time %s", r.Reading, r.Key, localharness.Partition{Year: v[0], Month: v[1], Day: v[2], Hour: v[3]})
			}
		}
	}
	parts := l.ByPartition()
	t.Logf("%d readings in %d objects over %d partitions:", len(l.Readings), len(l.Objects), len(parts))
	for _, p := range localharness.SortedPartitions(parts) {
		t.Logf("  %s: %d objects, %d readings", p, parts[p][0], parts[p][1])
	}
}

// checkRejected asserts what happened to the malformed records.
//
// On AWS, Firehose writes records the transform returns as ProcessingFailed
// under errors/telemetry/processing-failed/. ministack 1.5.x drops them
// instead (an emulator limitation): then the evidence is the transform's own
// log, one "record failed" line per record with its recordId and reason,
// which the emulator keeps in the function's log group. Either way nothing
// of them may land under telemetry/ (checkDelivered) and no valid record may
// fail Parquet conversion.
func checkRejected(t *testing.T, ctx context.Context, target localharness.Target, reader *localharness.LakeReader, l localharness.Landing, malformed []telemetrygen.Record) {
	t.Helper()
	if n := l.Errors["format-conversion-failed"]; n > 0 {
		t.Errorf("%d objects under %sformat-conversion-failed/: valid records failed Parquet conversion", n, localharness.ErrorsPrefix)
	}
	for kind := range l.Errors {
		if kind != "processing-failed" && kind != "format-conversion-failed" {
			t.Errorf("objects under %s%s/: unexpected error output type", localharness.ErrorsPrefix, kind)
		}
	}
	wantData := map[string]int{}
	for _, r := range malformed {
		wantData[string(r.Data)]++
	}
	if l.Errors["processing-failed"] > 0 {
		raw, err := reader.ErrorRecords(ctx, l, "processing-failed")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range raw {
			got[string(r)]++
		}
		if !maps.Equal(got, wantData) {
			t.Errorf("processing-failed holds %d records, want the %d malformed ones sent", len(raw), len(malformed))
		}
	} else {
		t.Logf("emulator limitation: no object under %sprocessing-failed/ for %d rejected records (ministack drops ProcessingFailed records); checking the transform's log instead", localharness.ErrorsPrefix, len(malformed))
	}

	tl := waitFailureLogs(t, ctx, target, len(malformed))
	if len(tl.Failures) != len(malformed) {
		t.Errorf("the transform logged %d rejected records, want %d", len(tl.Failures), len(malformed))
	}
	// Each malformed record's first bytes must appear in exactly one failure
	// line with a reason: the records the transform rejected are the ones
	// sent malformed, no more, no fewer.
	wantPrefix := map[string]int{}
	for _, r := range malformed {
		wantPrefix[localharness.LogPrefix(r.Data)]++
	}
	gotPrefix := map[string]int{}
	ids := map[string]bool{}
	for _, f := range tl.Failures {
		gotPrefix[f.DataPrefix]++
		if f.Reason == "" || f.RecordID == "" {
			t.Errorf("failure log without reason or recordId: %+v", f)
		}
		if ids[f.RecordID] {
			t.Errorf("recordId %s logged twice", f.RecordID)
		}
		ids[f.RecordID] = true
	}
	if missing, unexpected := diffCounts(gotPrefix, wantPrefix); len(missing)+len(unexpected) > 0 {
		t.Errorf("the records the transform rejected are not the malformed ones sent:\n sent malformed, no failure logged: %q\n failure logged, not sent malformed: %q", missing, unexpected)
	}
	kindOf := map[string]telemetrygen.Kind{}
	for _, r := range malformed {
		kindOf[localharness.LogPrefix(r.Data)] = r.Malformed
	}
	t.Logf("transform log group %s: %d events, %d REPORT lines, %d rejected records:", tl.Group, tl.Events, tl.Reports, len(tl.Failures))
	for _, f := range tl.Failures {
		t.Logf("  %-18s %s", kindOf[f.DataPrefix], f.Reason)
	}
}

// waitFailureLogs polls the transform's log until want failures are there
// (logs may trail delivery) or a minute passes.
func waitFailureLogs(t *testing.T, ctx context.Context, target localharness.Target, want int) localharness.TransformLogs {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		tl, err := localharness.ReadTransformLogs(ctx, target)
		if err != nil {
			t.Fatalf("the transform's log is not readable through the emulator's CloudWatch Logs: %v", err)
		}
		if len(tl.Failures) >= want || time.Now().After(deadline) {
			return tl
		}
		time.Sleep(time.Second)
	}
}

// diffCounts lists the keys want has more of than got (missing) and those
// got has more of than want (unexpected).
func diffCounts(got, want map[string]int) (missing, unexpected []string) {
	for k, n := range want {
		if got[k] < n {
			missing = append(missing, k)
		}
	}
	for k, n := range got {
		if n > want[k] {
			unexpected = append(unexpected, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(unexpected)
	return missing, unexpected
}

// bootstrapWatch records the executables named bootstrap that run under
// the emulator, with a hash of their contents, while they exist.
type bootstrapWatch struct {
	mu     sync.Mutex
	hashes map[string]int // sha256 of the executable -> processes seen
}

func (w *bootstrapWatch) see(pid int) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil || filepath.Base(exe) != "bootstrap" {
		return
	}
	// Through /proc the running image is read even if its file is replaced.
	sum, err := fileSHA256(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hashes == nil {
		w.hashes = map[string]int{}
	}
	w.hashes[sum]++
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkBootstrapRan asserts that the emulator ran the transform as the very
// Go bootstrap the CDK app built and packaged, as a process of its own
// (REPORT lines alone would not show it: the emulator writes those for any
// invocation).
func checkBootstrapRan(t *testing.T, w *bootstrapWatch, cdkOut string) {
	t.Helper()
	assets, _ := filepath.Glob(filepath.Join(cdkOut, "asset.*", "bootstrap"))
	want := map[string]string{}
	for _, a := range assets {
		if sum, err := fileSHA256(a); err == nil {
			want[sum] = a
		}
	}
	if len(want) == 0 {
		t.Errorf("no bootstrap asset in %s", cdkOut)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for sum, n := range w.hashes {
		if asset, ok := want[sum]; ok {
			t.Logf("the transform ran as %d process(es) of the packaged Go bootstrap %s", n, filepath.Base(filepath.Dir(asset)))
			return
		}
	}
	t.Errorf("no process running the packaged bootstrap was seen under the emulator (saw %d bootstrap images)", len(w.hashes))
}

// checkAthena queries the raw table through the emulator's Athena: the
// count per partition must equal the valid readings per event hour, which
// shows the Glue table, the Parquet files and the key layout agree.
func checkAthena(t *testing.T, ctx context.Context, target localharness.Target, bucket string, valid []telemetrygen.Record) {
	t.Helper()
	want := map[localharness.Partition]int{}
	for _, r := range valid {
		v := schema.PartitionValues(r.EventTime)
		want[localharness.Partition{Year: v[0], Month: v[1], Day: v[2], Hour: v[3]}]++
	}
	sql := "SELECT year, month, day, hour, count(*) FROM " + localharness.RawTable + " GROUP BY year, month, day, hour"
	res, err := localharness.Query(ctx, target, bucket, sql, 2*time.Minute)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	got := map[localharness.Partition]int{}
	for _, row := range res.Rows {
		if len(row) != 5 {
			t.Fatalf("athena row %v: want 5 columns", row)
		}
		n, err := strconv.Atoi(row[4])
		if err != nil {
			t.Fatalf("athena row %v: count %q", row, row[4])
		}
		got[localharness.Partition{Year: row[0], Month: row[1], Day: row[2], Hour: row[3]}] += n
	}
	if !maps.Equal(got, want) {
		g, _ := json.Marshal(partitionCounts(got))
		w, _ := json.Marshal(partitionCounts(want))
		t.Errorf("athena counts per partition:\n got  %s\n want %s", g, w)
	}
	t.Logf("athena: %d partitions, counts match (%s)", len(got), res.Elapsed.Round(time.Millisecond))
}

// checkNamedQueries runs every named query of internal/queries that reads
// raw telemetry through the emulator's Athena (DuckDB underneath) on the
// Parquet this run delivered.
// The emulator rejects AWS::Athena::NamedQuery, so the SQL is run directly:
// what is checked is that Athena-compatible SQL also runs here and computes
// what the data says.
func checkNamedQueries(t *testing.T, ctx context.Context, target localharness.Target, bucket string, valid []telemetrygen.Record) {
	t.Helper()
	qs, err := queries.All()
	if err != nil {
		t.Fatal(err)
	}
	march, devices := 0, map[string]bool{}
	var last time.Time // the newest event time sent: queries that look back from today run as of it
	for _, r := range valid {
		if r.EventTime.After(last) {
			last = r.EventTime
		}
		v := schema.PartitionValues(r.EventTime)
		if v[0] == "2026" && v[1] == "03" {
			march++
		}
		devices[r.PartitionKey] = true
	}
	for _, q := range qs {
		if !q.Reads(queries.RawTelemetry) {
			// This run delivers telemetry only; the training-set queries run on
			// DuckDB over the features job's real output in glue/tests.
			t.Logf("named query %-26s skipped here: reads %v", q.Name, q.Tables)
			continue
		}
		res, err := localharness.Query(ctx, target, bucket, queries.AsOf(q.SQL, last), 2*time.Minute)
		if err != nil {
			t.Errorf("named query %s: %v", q.Name, err)
			continue
		}
		switch q.Name {
		case "hourly_device_aggregates":
			sum := 0
			for _, row := range res.Rows {
				n, err := strconv.Atoi(row[5])
				if err != nil {
					t.Fatalf("%s row %v: readings %q", q.Name, row, row[5])
				}
				sum += n
			}
			if sum != march {
				t.Errorf("%s: %d readings in 2026-03, sent %d", q.Name, sum, march)
			}
		case "data_freshness":
			if len(res.Rows) != len(devices) {
				t.Errorf("%s: %d devices, sent readings of %d", q.Name, len(res.Rows), len(devices))
			}
		}
		t.Logf("named query %-26s %3d rows (%s)", q.Name, len(res.Rows), res.Elapsed.Round(time.Millisecond))
	}
}

func partitionCounts(m map[localharness.Partition]int) map[string]int {
	out := map[string]int{}
	for p, n := range m {
		out[p.String()] = n
	}
	return out
}

// checkLoopbackOnly asserts that the emulator and its workers listen on
// 127.0.0.1 only.
func checkLoopbackOnly(t *testing.T, emu *localharness.Emulator) {
	t.Helper()
	addrs, err := localharness.ListeningAddrs(emu.Processes())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if host, _, _ := net.SplitHostPort(a); host != "127.0.0.1" {
			t.Errorf("the emulator listens on %s, not loopback", a)
		}
	}
	t.Logf("emulator listeners: %v", addrs)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
