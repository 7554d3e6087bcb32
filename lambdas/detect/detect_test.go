package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/refdatalake/datalake/internal/anomaly"
	"github.com/refdatalake/datalake/internal/telemetrygen"
	"github.com/refdatalake/datalake/lake/layout"
)

// fakeS3 keeps objects in memory; failPuts makes PutObject fail under a prefix.
type fakeS3 struct {
	mu       sync.Mutex
	objects  map[string][]byte
	meta     map[string]map[string]string
	sse      map[string]string
	copies   []string
	failPuts string
	// getErr, when set, is what every GetObject answers.
	getErr error
}

func newFakeS3() *fakeS3 {
	return &fakeS3{objects: map[string][]byte{}, sse: map[string]string{}, meta: map[string]map[string]string{}}
}

func (f *fakeS3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.getErr != nil {
		return nil, f.getErr
	}
	if _, ok := f.objects[*in.Key]; !ok {
		return nil, &s3types.NotFound{}
	}
	return &s3.HeadObjectOutput{Metadata: f.meta[*in.Key]}, nil
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.getErr != nil {
		return nil, f.getErr
	}
	b, ok := f.objects[*in.Key]
	if !ok {
		return nil, &s3types.NoSuchKey{}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failPuts != "" && strings.HasPrefix(*in.Key, f.failPuts) {
		return nil, errors.New("injected failure")
	}
	b, _ := io.ReadAll(in.Body)
	f.objects[*in.Key] = b
	f.meta[*in.Key] = in.Metadata
	f.sse[*in.Key] = string(in.ServerSideEncryption) + " " + deref(in.SSEKMSKeyId)
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeS3) CopyObject(_ context.Context, in *s3.CopyObjectInput, _ ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	src := strings.SplitN(*in.CopySource, "/", 2)[1]
	f.objects[*in.Key] = f.objects[src]
	f.copies = append(f.copies, *in.Key)
	return &s3.CopyObjectOutput{}, nil
}

func (f *fakeS3) keys(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

type fakeSNS struct{ messages []string }

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.messages = append(f.messages, *in.Subject+": "+*in.Message)
	return &sns.PublishOutput{}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

const testKey = "arn:aws:kms:eu-west-1:111122223333:key/abc"

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestDetector(store *fakeS3, topic *fakeSNS, c *clock, metrics io.Writer) *detector {
	return &detector{
		s: settings{bucket: "analytics", keyARN: testKey, topicARN: "arn:aws:sns:eu-west-1:111122223333:alarms", functionName: "lake-detect",
			alertEvery: time.Hour, checkpointEvery: time.Minute, detector: anomaly.Config{Fields: fieldNames()}},
		store: store, topic: topic, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), metrics: metrics, now: c.now, shards: map[string]*shard{},
	}
}

// labeled generates readings of two devices with a spike in the third day.
func labeled(t *testing.T) ([]telemetrygen.LabeledReading, []telemetrygen.Episode) {
	t.Helper()
	rs, eps, err := telemetrygen.Labeled(telemetrygen.LabeledConfig{Devices: 2, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Interval: time.Minute,
		Readings: 3 * 1440, WarmUp: 2 * 1440, Kinds: []telemetrygen.AnomalyKind{telemetrygen.Spike}, Every: 700, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	return rs, eps
}

// batches cuts records into Kinesis events of n records on one shard.
func batches(rs []telemetrygen.LabeledReading, n int, extra map[int][]byte) []events.KinesisEvent {
	var out []events.KinesisEvent
	seq := new(big.Int).SetUint64(49_000_000_000_000_000)
	var ev events.KinesisEvent
	for i, r := range rs {
		seq.Add(seq, big.NewInt(7))
		data := r.Data
		if b, ok := extra[i]; ok {
			data = b
		}
		rec := events.KinesisEventRecord{EventID: "shardId-000000000000:" + seq.String()}
		rec.Kinesis.SequenceNumber, rec.Kinesis.Data = seq.String(), data
		ev.Records = append(ev.Records, rec)
		if len(ev.Records) == n {
			out = append(out, ev)
			ev = events.KinesisEvent{}
		}
	}
	if len(ev.Records) > 0 {
		out = append(out, ev)
	}
	return out
}

// The whole path on generated telemetry: spikes become anomaly events
// under anomalies/<day>/ encrypted with the lake key, each device is
// alerted at most once an hour, malformed records are skipped and counted,
// the counts go out as embedded metric format, and the model is
// checkpointed at most once a minute and resumed by a new instance.
func TestDetectsSavesAlertsAndResumes(t *testing.T) {
	rs, eps := labeled(t)
	store, topic, c := newFakeS3(), &fakeSNS{}, &clock{t: time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)}
	var metrics bytes.Buffer
	d := newTestDetector(store, topic, c, &metrics)
	// Every 500th record is damaged; the detector must skip it and go on.
	bad := map[int][]byte{}
	for i := 250; i < len(rs); i += 500 {
		bad[i] = []byte(`{"device_id":"device-0000","ts":"yesterday","temperature_c":21}`)
	}
	evs := batches(rs, 200, bad)
	for i, ev := range evs {
		c.t = c.t.Add(20 * time.Second)
		resp, err := d.Handle(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("batch %d: %v %+v", i, err, resp)
		}
	}
	spikes := 0
	for _, e := range eps {
		if e.Kind == telemetrygen.Spike {
			spikes++
		}
	}
	var found []Event
	for _, k := range store.keys(layout.AnomaliesPrefix) {
		if !strings.HasPrefix(k, "anomalies/year=2026/month=03/day=03/shardId-000000000000-") {
			t.Errorf("anomaly object %s outside the third day's partition", k)
		}
		if store.sse[k] != "aws:kms "+testKey {
			t.Errorf("%s encrypted with %q", k, store.sse[k])
		}
		for _, line := range bytes.Split(bytes.TrimSpace(store.objects[k]), []byte("\n")) {
			var e Event
			if err := json.Unmarshal(line, &e); err != nil {
				t.Fatal(err)
			}
			found = append(found, e)
		}
	}
	if spikes == 0 || len(found) < spikes {
		t.Fatalf("%d anomalies for %d spikes", len(found), spikes)
	}
	if len(topic.messages) == 0 || len(topic.messages) > 2*24 {
		t.Errorf("%d alerts for 2 devices over a day of processing at 20 s a batch", len(topic.messages))
	}
	if len(topic.messages) > len(found) {
		t.Errorf("%d alerts for %d anomalies: an alert is the first anomaly of an event", len(topic.messages), len(found))
	}
	if m := topic.messages[0]; !strings.Contains(m, "device-") || !strings.Contains(m, "score") || !strings.Contains(m, "driven by") {
		t.Errorf("alert %q", m)
	}
	if !bytes.Contains(metrics.Bytes(), []byte(`"`+layout.MetricDetectSkipped+`":1`)) || !bytes.Contains(metrics.Bytes(), []byte(`"`+layout.MetricDetectAnomalies+`"`)) {
		t.Errorf("metrics %s", metrics.String()[:200])
	}
	ck := layout.DetectorCheckpointPrefix + "shardId-000000000000.bin"
	if store.sse[ck] != "aws:kms "+testKey {
		t.Fatalf("checkpoint %s: %q", ck, store.sse[ck])
	}
	t.Logf("%d readings, %d spikes, %d anomalies, %d alerts, checkpoint %d bytes", len(rs), spikes, len(found), len(topic.messages), len(store.objects[ck]))

	// A new instance resumes: same last sequence number, warm devices.
	c.t = c.t.Add(time.Minute)
	if err := d.saveCheckpoint(context.Background(), "shardId-000000000000", d.shards["shardId-000000000000"]); err != nil {
		t.Fatal(err)
	}
	e := newTestDetector(store, topic, c, nil)
	sh, err := e.shard(context.Background(), "shardId-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	if sh.lastSeq != d.shards["shardId-000000000000"].lastSeq || sh.model.Devices() != 2 {
		t.Errorf("resumed at %s with %d devices", sh.lastSeq, sh.model.Devices())
	}
	// A retried batch (records already processed) adds nothing.
	before := len(store.keys(layout.AnomaliesPrefix))
	if resp, _ := e.Handle(context.Background(), evs[len(evs)-1]); len(resp.BatchItemFailures) != 0 || len(store.keys(layout.AnomaliesPrefix)) != before {
		t.Errorf("replay: %+v, anomaly objects %d -> %d", resp, before, len(store.keys(layout.AnomaliesPrefix)))
	}
}

// When the anomalies cannot be written the batch is reported from its
// first record, so Lambda retries it; the retry, once S3 works, saves them.
func TestFailedWriteIsRetried(t *testing.T) {
	rs, _ := labeled(t)
	store, c := newFakeS3(), &clock{t: time.Now()}
	d := newTestDetector(store, &fakeSNS{}, c, nil)
	evs := batches(rs, 1000, nil)
	for _, ev := range evs[:len(evs)-1] {
		if _, err := d.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	last := evs[len(evs)-1]
	// Include an anomaly: make the last reading of device 0 a spike.
	var r map[string]any
	_ = json.Unmarshal(last.Records[len(last.Records)-2].Kinesis.Data, &r)
	r["battery_v"] = 14.5
	last.Records[len(last.Records)-2].Kinesis.Data, _ = json.Marshal(r)
	store.failPuts = layout.AnomaliesPrefix
	resp, err := d.Handle(context.Background(), last)
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != last.Records[0].Kinesis.SequenceNumber {
		t.Fatalf("failed write: %v %+v", err, resp)
	}
	store.failPuts = ""
	before := len(store.keys(layout.AnomaliesPrefix))
	if resp, _ := d.Handle(context.Background(), last); len(resp.BatchItemFailures) != 0 || len(store.keys(layout.AnomaliesPrefix)) <= before {
		t.Errorf("retry: %+v, anomaly objects %d -> %d", resp, before, len(store.keys(layout.AnomaliesPrefix)))
	}
}

// A checkpoint that cannot be read is copied aside and the shard starts
// warming up, rather than failing every batch.
func TestCorruptCheckpointIsSetAside(t *testing.T) {
	rs, _ := labeled(t)
	store, c := newFakeS3(), &clock{t: time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)}
	key := layout.DetectorCheckpointPrefix + "shardId-000000000000.bin"
	for name, body := range map[string]string{
		"not a checkpoint": "garbage",
		"other version":    "DCKP\x63\x02{}",
		"damaged model":    "DCKP\x01\x02{}ADET\x01garbage",
	} {
		t.Run(name, func(t *testing.T) {
			store.objects[key] = []byte(body)
			store.copies = nil
			var metrics, logs bytes.Buffer
			d := newTestDetector(store, &fakeSNS{}, c, &metrics)
			d.log = slog.New(slog.NewJSONHandler(&logs, nil))
			// The whole invocation: the batch is scored on a fresh model,
			// and the set-aside checkpoint reaches the alarm's metric and
			// the error log.
			if _, err := d.Handle(context.Background(), batches(rs[:10], 10, nil)[0]); err != nil {
				t.Fatal(err)
			}
			sh := d.shards["shardId-000000000000"]
			if sh == nil || sh.model == nil || sh.model.Devices() == 0 || len(store.copies) != 1 || !strings.HasPrefix(store.copies[0], key+".set-aside-") {
				t.Fatalf("shard %+v, copies %v", sh, store.copies)
			}
			if !strings.Contains(metrics.String(), `"`+layout.MetricDetectCheckpointErrors+`":1`) || !strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("not loud: metrics %s\nlogs %s", metrics.String(), logs.String())
			}
		})
	}
}

func TestParse(t *testing.T) {
	good := []string{
		`{"device_id":"d-1","ts":"2026-03-07T09:15:00.000Z","temperature_c":21.5,"humidity_pct":40,"battery_v":3.7,"status":"ok"}`,
		`{"device_id":"d-1","ts":1772874900000,"temperature_c":21.5}`,
		`{"device_id":"d-1","ts":"2026-03-07 09:15:00","pressure_kpa":null}`,
	}
	for _, g := range good {
		if _, err := parse([]byte(g)); err != nil {
			t.Errorf("%s: %v", g, err)
		}
	}
	for _, b := range []string{
		``, `not json`, `{"device_id":"d-1"}`, `{"device_id":"d-1","ts":"2026-03-07T09:15:00Z","temperature_c":"hot"}`,
		`{"device_id":"d-1","ts":"2026-03-07T09:15:00Z","temperature_c":900}`, `{"device_id":"","ts":"2026-03-07T09:15:00Z"}`,
		`{"device_id":"d-1","ts":"1970-01-01T00:00:00Z"}`,
	} {
		if _, err := parse([]byte(b)); err == nil {
			t.Errorf("%q accepted", b)
		}
	}
	// CSV in the schema's column order, as the generator writes it.
	g, _ := telemetrygen.New(telemetrygen.Config{Devices: 1, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Interval: time.Minute, Format: telemetrygen.FormatCSV, Seed: 1})
	rec := g.Next()
	r, err := parse(rec.Data)
	if err != nil || r.device != rec.PartitionKey || !r.at.Equal(rec.EventTime) {
		t.Errorf("CSV %s: %+v %v", rec.Data, r, err)
	}
}

func TestSettings(t *testing.T) {
	env := map[string]string{envBucket: "b", envAlertMinutes: "15"}
	s, err := settingsFromEnv(func(k string) string { return env[k] })
	if err != nil || s.alertEvery != 15*time.Minute {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []map[string]string{{}, {envBucket: "b", envAlertMinutes: "0"}, {envBucket: "b", envAlertMinutes: "soon"}} {
		if _, err := settingsFromEnv(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// S3's 403 for a checkpoint is not "no checkpoint yet": without
// s3:ListBucket a missing key reads as 403 too, and warming up on it would
// throw a model away on every cold start. The batch is reported for retry,
// the error is logged and counted for the checkpoint alarm; a 404 starts
// warming up quietly.
func TestCheckpointAccessDeniedIsLoud(t *testing.T) {
	rs, _ := labeled(t)
	ev := batches(rs[:50], 50, nil)[0]
	for _, c := range []struct {
		name              string
		err               error
		failed, ckptError bool
	}{
		{"missing key (404)", &s3types.NoSuchKey{}, false, false},
		{"access denied (403)", &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}, true, true},
		{"other failure", &smithy.GenericAPIError{Code: "InternalError", Message: "We encountered an internal error"}, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			store := newFakeS3()
			store.getErr = c.err
			var metrics, logs bytes.Buffer
			d := newTestDetector(store, &fakeSNS{}, &clock{t: time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)}, &metrics)
			d.log = slog.New(slog.NewJSONHandler(&logs, nil))
			resp, err := d.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(resp.BatchItemFailures) == 1; got != c.failed {
				t.Errorf("batch reported failed: %v, want %v", got, c.failed)
			}
			want := map[bool]string{true: `"` + layout.MetricDetectCheckpointErrors + `":1`, false: `"` + layout.MetricDetectCheckpointErrors + `":0`}[c.ckptError]
			if !strings.Contains(metrics.String(), want) {
				t.Errorf("metrics %s lack %s", metrics.String(), want)
			}
			wantFailures := map[bool]string{true: `"` + layout.MetricDetectBatchFailures + `":1`, false: `"` + layout.MetricDetectBatchFailures + `":0`}[c.failed]
			if !strings.Contains(metrics.String(), wantFailures) {
				t.Errorf("metrics %s lack %s", metrics.String(), wantFailures)
			}
			if c.ckptError && !strings.Contains(logs.String(), `"level":"ERROR","msg":"checkpoint unreadable`) {
				t.Errorf("no error logged: %s", logs.String())
			}
			if c.name == "access denied (403)" && !strings.Contains(logs.String(), "s3:ListBucket") {
				t.Errorf("the log does not say what the role needs: %s", logs.String())
			}
		})
	}
}

// An execution environment that served a shard, lost it to another that
// carried it on, and gets it back resumes from the newer checkpoint rather
// than from its own stale model; with no newer checkpoint it keeps its own.
func TestStaleModelResumesFromTheNewerCheckpoint(t *testing.T) {
	rs, _ := labeled(t)
	evs := batches(rs, 200, nil)
	store, c := newFakeS3(), &clock{t: time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)}
	a := newTestDetector(store, &fakeSNS{}, c, nil)
	b := newTestDetector(store, &fakeSNS{}, c, nil)
	const id = "shardId-000000000000"
	half := len(evs) / 2
	for _, ev := range evs[:half] {
		c.t = c.t.Add(90 * time.Second) // every batch checkpoints
		if _, err := a.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	stale := a.shards[id].lastSeq
	for _, ev := range evs[half : len(evs)-1] {
		c.t = c.t.Add(90 * time.Second)
		if _, err := b.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	newer := b.shards[id].lastSeq
	if !seqAfter(newer, stale) || store.meta[layout.DetectorCheckpointPrefix+id+".bin"][seqMetadata] != newer {
		t.Fatalf("b's checkpoint at %s, a's model at %s", store.meta[layout.DetectorCheckpointPrefix+id+".bin"][seqMetadata], stale)
	}
	// a gets the shard back: it must carry on from b's model.
	last := evs[len(evs)-1]
	if _, err := a.Handle(context.Background(), last); err != nil {
		t.Fatal(err)
	}
	if got := a.shards[id].lastSeq; got != last.Records[len(last.Records)-1].Kinesis.SequenceNumber {
		t.Errorf("a ended at %s, want the last record's %s", got, last.Records[len(last.Records)-1].Kinesis.SequenceNumber)
	}
	// b's readings count once: a resumed b's model, whose devices have seen
	// every reading of the first len(evs)-1 batches through a or b.
	for _, dev := range []string{"device-0000", "device-0001"} {
		if n := a.shards[id].model.Readings(dev); n != len(rs)/2 {
			t.Errorf("%s: %d readings in a's model, want %d", dev, n, len(rs)/2)
		}
	}
	// Without a newer checkpoint the model in memory stays.
	sh := a.shards[id]
	c.t = c.t.Add(time.Second)
	if _, err := a.shard(context.Background(), id); err != nil || a.shards[id] != sh {
		t.Errorf("no newer checkpoint: the model was replaced (%v)", err)
	}
}

// A checkpoint restore would refuse is not written: the model stays in
// memory, and the failure is logged and counted for the alarm.
func TestOversizedCheckpointIsLoud(t *testing.T) {
	rs, _ := labeled(t)
	store, c := newFakeS3(), &clock{t: time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)}
	var metrics, logs bytes.Buffer
	d := newTestDetector(store, &fakeSNS{}, c, &metrics)
	d.log = slog.New(slog.NewJSONHandler(&logs, nil))
	d.s.maxCheckpoint = 1000
	for _, ev := range batches(rs[:400], 200, nil) {
		if _, err := d.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(2 * time.Minute)
	}
	if len(store.keys(layout.DetectorCheckpointPrefix)) != 0 {
		t.Error("an oversized checkpoint was written")
	}
	if !strings.Contains(metrics.String(), `"`+layout.MetricDetectCheckpointErrors+`":1`) || !strings.Contains(logs.String(), "over the 1000-byte limit") {
		t.Errorf("metrics %s\nlogs %s", metrics.String(), logs.String())
	}
}
