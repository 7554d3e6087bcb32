package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/refdatalake/datalake/internal/anomaly"
	"github.com/refdatalake/datalake/internal/emf"
	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/lake/layout"
)

// objectStore is the part of S3 the function uses.
type objectStore interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CopyObject(context.Context, *s3.CopyObjectInput, ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
}

// publisher is the part of SNS the function uses.
type publisher interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// settings come from the environment (lake/ingest sets them).
type settings struct {
	bucket, keyARN, topicARN, functionName string
	alertEvery                             time.Duration
	checkpointEvery                        time.Duration
	// maxCheckpoint is the largest checkpoint saved: what restore reads.
	maxCheckpoint int
	detector      anomaly.Config
}

// detector runs one model per shard of the stream. Lambda gives each shard
// to one invocation at a time (parallelization factor 1), and an execution
// environment keeps the models between invocations; a new environment
// resumes a shard from its checkpoint. An environment may serve a shard,
// lose it to another environment that carries it on, and get it back: each
// batch first compares the model in memory with the checkpoint's last
// sequence number and resumes from whichever is newer.
type detector struct {
	s       settings
	store   objectStore
	topic   publisher
	log     *slog.Logger
	metrics io.Writer
	now     func() time.Time
	shards  map[string]*shard
	// counts of the invocation under way, emitted at its end.
	counts counts
}

// counts are one invocation's figures, written as embedded metric format.
type counts struct {
	readings, skipped, anomalies int
	// batchFailures are shard batches reported for retry: Lambda's Errors
	// metric never sees them (the invocation itself succeeds).
	batchFailures int
	// checkpointErrors are checkpoints that could not be read or saved.
	checkpointErrors int
}

// shard is one shard's model and bookkeeping.
type shard struct {
	model *anomaly.Detector
	// lastSeq is the last sequence number processed; a retried batch's
	// records up to it are skipped, so nothing is counted twice.
	lastSeq        string
	checkpointedAt time.Time
	dirty          bool
	// lastAlert rate-limits alerts per device.
	lastAlert map[string]time.Time
}

// checkpoint is the bookkeeping a new execution environment needs besides
// the model. The object is "DCKP", a version byte, the length of this
// header as a uvarint, the header as JSON, then the model's own bytes
// (anomaly.Detector.MarshalBinary), so the model is not base64-inflated.
type checkpoint struct {
	LastSeq   string               `json:"lastSequenceNumber"`
	LastAlert map[string]time.Time `json:"lastAlert"`
}

const checkpointVersion = 1

var checkpointMagic = []byte("DCKP")

func encodeCheckpoint(c checkpoint, model []byte) ([]byte, error) {
	header, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	b := append(append([]byte{}, checkpointMagic...), checkpointVersion)
	b = binary.AppendUvarint(b, uint64(len(header)))
	return append(append(b, header...), model...), nil
}

func decodeCheckpoint(body []byte) (checkpoint, []byte, error) {
	var c checkpoint
	if len(body) < 5 || !bytes.Equal(body[:4], checkpointMagic) {
		return c, nil, errors.New("not a detector checkpoint")
	}
	if body[4] != checkpointVersion {
		return c, nil, fmt.Errorf("checkpoint version %d, this function reads %d", body[4], checkpointVersion)
	}
	n, k := binary.Uvarint(body[5:])
	if k <= 0 || n > uint64(len(body)-5-k) {
		return c, nil, errors.New("checkpoint header damaged")
	}
	if err := json.Unmarshal(body[5+k:5+k+int(n)], &c); err != nil {
		return c, nil, fmt.Errorf("checkpoint header: %w", err)
	}
	return c, body[5+k+int(n):], nil
}

// Event is one anomaly, as written under anomalies/ (one JSON line each;
// times in schema.TimeLayout, UTC, which Athena reads as timestamps).
type Event struct {
	DeviceID       string             `json:"device_id"`
	Ts             string             `json:"ts"`
	Detector       string             `json:"detector"`
	Score          float64            `json:"score"`
	Fields         []string           `json:"fields"`
	Attribution    map[string]float64 `json:"attribution"`
	Shard          string             `json:"shard"`
	SequenceNumber string             `json:"sequence_number"`
	DetectedAt     string             `json:"detected_at"`
}

// Handle processes one batch. Records it cannot read are skipped and
// counted; a failure to save what it found reports the batch from its
// first record as failed, so Lambda retries it (and, after the retries,
// sends it to the on-failure destination).
func (d *detector) Handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	byShard := map[string][]events.KinesisEventRecord{}
	var order []string
	for _, r := range ev.Records {
		id := shardID(r)
		if _, ok := byShard[id]; !ok {
			order = append(order, id)
		}
		byShard[id] = append(byShard[id], r)
	}
	var resp events.KinesisEventResponse
	d.counts = counts{}
	for _, id := range order {
		recs := byShard[id]
		if err := d.processShard(ctx, id, recs); err != nil {
			d.counts.batchFailures++
			d.log.Error("batch not saved: reporting it for retry", "shard", id, "error", err.Error(), "firstSequenceNumber", recs[0].Kinesis.SequenceNumber)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: recs[0].Kinesis.SequenceNumber})
		}
	}
	d.emit()
	return resp, nil
}

func (d *detector) processShard(ctx context.Context, id string, recs []events.KinesisEventRecord) error {
	sh, err := d.shard(ctx, id)
	if err != nil {
		return err
	}
	var found []Event
	var alerts []Event
	readings, skipped, replayed := 0, 0, 0
	last := sh.lastSeq
	for _, r := range recs {
		seq := r.Kinesis.SequenceNumber
		if last != "" && !seqAfter(seq, last) {
			replayed++
			continue
		}
		last = seq
		rd, err := parse(r.Kinesis.Data)
		if err != nil {
			skipped++
			if skipped <= 10 {
				d.log.Warn("record skipped", "shard", id, "sequenceNumber", seq, "reason", err.Error())
			}
			continue
		}
		readings++
		res, err := sh.model.Process(anomaly.Reading{Device: rd.device, Time: rd.at, Values: rd.values})
		if err != nil {
			return err
		}
		if !res.Anomaly {
			continue
		}
		// Every anomalous reading goes to the table; an alert goes out for
		// the first reading of an event (the detector's budget holds there),
		// then at most once per device per alertEvery.
		e := Event{DeviceID: rd.device, Ts: rd.at.UTC().Format(schema.TimeLayout), Detector: res.Detector, Score: round(res.Score),
			Fields: res.Fields, Attribution: map[string]float64{}, Shard: id, SequenceNumber: seq, DetectedAt: d.now().UTC().Format(schema.TimeLayout)}
		for i, f := range sh.model.Config().Fields {
			if res.Attribution[i] > 0 {
				e.Attribution[f] = round(res.Attribution[i])
			}
		}
		found = append(found, e)
		if !res.Alert {
			continue
		}
		if t, ok := sh.lastAlert[rd.device]; !ok || d.now().Sub(t) >= d.s.alertEvery {
			sh.lastAlert[rd.device] = d.now()
			alerts = append(alerts, e)
		}
	}
	if err := d.writeEvents(ctx, id, found); err != nil {
		return err
	}
	for _, e := range alerts {
		d.alert(ctx, e)
	}
	sh.lastSeq = last
	sh.dirty = sh.dirty || readings > 0
	d.counts.readings += readings
	d.counts.skipped += skipped
	d.counts.anomalies += len(found)
	d.log.Info("batch", "shard", id, "records", len(recs), "readings", readings, "skipped", skipped, "replayed", replayed, "anomalies", len(found), "alerts", len(alerts), "devices", sh.model.Devices())
	if sh.dirty && d.now().Sub(sh.checkpointedAt) >= d.s.checkpointEvery {
		if err := d.saveCheckpoint(ctx, id, sh); err != nil {
			// The model is still in memory and the next batch tries again,
			// but a new execution environment would start from an older
			// model: counted, so the checkpoint alarm pages.
			d.counts.checkpointErrors++
			d.log.Error("checkpoint not saved", "shard", id, "error", err.Error())
		}
	}
	return nil
}

// shardID is the shard of a record: its eventID is "<shardId>:<sequenceNumber>".
func shardID(r events.KinesisEventRecord) string {
	id, _, _ := strings.Cut(r.EventID, ":")
	if id == "" {
		return "unknown-shard"
	}
	return id
}

// seqAfter compares Kinesis sequence numbers: decimal strings of up to 128 bits.
func seqAfter(a, b string) bool {
	x, okA := new(big.Int).SetString(a, 10)
	y, okB := new(big.Int).SetString(b, 10)
	if !okA || !okB {
		return a > b
	}
	return x.Cmp(y) > 0
}

func (s settings) maxCheckpointBytes() int {
	if s.maxCheckpoint > 0 {
		return s.maxCheckpoint
	}
	return anomaly.MaxCheckpointBytes
}

// seqMetadata is the checkpoint's user metadata with the last sequence
// number it covers, so a HEAD tells whether it is newer than a model in
// memory.
const seqMetadata = "last-sequence-number"

func (d *detector) checkpointKey(id string) string {
	return layout.DetectorCheckpointPrefix + id + ".bin"
}

// shard returns the shard's model: the one in memory, unless the
// checkpoint is newer (another execution environment carried the shard on
// meanwhile); else the checkpoint's; else a new one. A checkpoint that
// cannot be read or restored is loud: logged as an error, counted
// (DetectCheckpointErrors, which an alarm watches), and, when it is damaged
// or of another version, copied aside before the shard warms up again.
func (d *detector) shard(ctx context.Context, id string) (*shard, error) {
	key := d.checkpointKey(id)
	if sh, ok := d.shards[id]; ok {
		saved, err := d.store.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &d.s.bucket, Key: &key})
		switch {
		case isNotFound(err):
			return sh, nil
		case err != nil:
			d.counts.checkpointErrors++
			d.log.Error("checkpoint not checked for a newer model", "shard", id, "key", key, "error", err.Error())
			return nil, fmt.Errorf("head checkpoint s3://%s/%s: %w", d.s.bucket, key, err)
		}
		newer := saved.Metadata[seqMetadata]
		if newer == "" || sh.lastSeq != "" && !seqAfter(newer, sh.lastSeq) {
			return sh, nil
		}
		d.log.Info("the checkpoint is newer than the model in memory: resuming from it", "shard", id,
			"inMemory", sh.lastSeq, "checkpoint", newer)
		delete(d.shards, id)
	}
	sh := &shard{lastAlert: map[string]time.Time{}, checkpointedAt: d.now()}
	out, err := d.store.GetObject(ctx, &s3.GetObjectInput{Bucket: &d.s.bucket, Key: &key})
	switch {
	case isNotFound(err):
		d.log.Info("no checkpoint: the shard starts warming up", "shard", id)
	case isAccessDenied(err):
		// Not "no checkpoint yet": S3 answers a missing key with 403 as
		// well when the role may not list the bucket, so warming up here
		// could throw away a model every cold start. The batch fails and
		// is retried; the checkpoint alarm pages.
		d.counts.checkpointErrors++
		d.log.Error("checkpoint unreadable: access denied (the role needs s3:GetObject on it and s3:ListBucket on the bucket)", "shard", id, "key", key, "error", err.Error())
		return nil, fmt.Errorf("read checkpoint s3://%s/%s: access denied: %w", d.s.bucket, key, err)
	case err != nil:
		d.counts.checkpointErrors++
		d.log.Error("checkpoint unreadable", "shard", id, "key", key, "error", err.Error())
		return nil, fmt.Errorf("read checkpoint s3://%s/%s: %w", d.s.bucket, key, err)
	default:
		body, err := io.ReadAll(io.LimitReader(out.Body, anomaly.MaxCheckpointBytes+1))
		out.Body.Close()
		if err != nil {
			d.counts.checkpointErrors++
			d.log.Error("checkpoint unreadable", "shard", id, "key", key, "error", err.Error())
			return nil, fmt.Errorf("read checkpoint s3://%s/%s: %w", d.s.bucket, key, err)
		}
		began := time.Now()
		if err := d.restore(sh, body); err != nil {
			d.counts.checkpointErrors++
			aside := key + ".set-aside-" + d.now().UTC().Format("20060102T150405Z")
			d.log.Error("checkpoint not restored: copied aside, the shard warms up again", "shard", id, "reason", err.Error(), "bytes", len(body), "setAside", aside)
			_, cerr := d.store.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &d.s.bucket, Key: &aside, CopySource: aws.String(d.s.bucket + "/" + key),
				ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: d.keyID()})
			if cerr != nil {
				d.log.Error("could not copy the checkpoint aside", "error", cerr.Error())
			}
			sh = &shard{lastAlert: map[string]time.Time{}, checkpointedAt: d.now()}
		} else {
			d.log.Info("resumed from checkpoint", "shard", id, "lastSequenceNumber", sh.lastSeq, "devices", sh.model.Devices(),
				"bytes", len(body), "restoreMs", time.Since(began).Milliseconds())
		}
	}
	if sh.model == nil {
		m, err := anomaly.New(d.s.detector)
		if err != nil {
			return nil, err
		}
		sh.model = m
	}
	d.shards[id] = sh
	return sh, nil
}

func (d *detector) restore(sh *shard, body []byte) error {
	c, model, err := decodeCheckpoint(body)
	if err != nil {
		return err
	}
	m, err := anomaly.Restore(d.s.detector, model)
	if err != nil {
		return err
	}
	sh.model, sh.lastSeq = m, c.LastSeq
	if c.LastAlert != nil {
		sh.lastAlert = c.LastAlert
	}
	return nil
}

func (d *detector) saveCheckpoint(ctx context.Context, id string, sh *shard) error {
	model, err := sh.model.MarshalBinary()
	if err != nil {
		return err
	}
	body, err := encodeCheckpoint(checkpoint{LastSeq: sh.lastSeq, LastAlert: sh.lastAlert}, model)
	if err != nil {
		return err
	}
	if limit := d.s.maxCheckpointBytes(); len(body) > limit {
		// Restore would refuse it: saving it would throw the model away on
		// the next cold start without a word.
		return fmt.Errorf("checkpoint of %d bytes (%d devices) is over the %d-byte limit restore reads", len(body), sh.model.Devices(), limit)
	}
	key := d.checkpointKey(id)
	if _, err := d.store.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.s.bucket, Key: &key, Body: bytes.NewReader(body),
		ContentType: aws.String("application/octet-stream"), ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: d.keyID(),
		Metadata: map[string]string{seqMetadata: sh.lastSeq}}); err != nil {
		return err
	}
	sh.checkpointedAt, sh.dirty = d.now(), false
	d.log.Info("checkpoint saved", "shard", id, "bytes", len(body), "devices", sh.model.Devices(), "lastSequenceNumber", sh.lastSeq)
	return nil
}

// writeEvents writes a batch's anomalies: one JSON-lines object per day of
// the readings, under anomalies/year=/month=/day=/.
func (d *detector) writeEvents(ctx context.Context, id string, found []Event) error {
	byDay := map[string][]Event{}
	for _, e := range found {
		byDay[e.Ts[:10]] = append(byDay[e.Ts[:10]], e)
	}
	days := make([]string, 0, len(byDay))
	for day := range byDay {
		days = append(days, day)
	}
	sort.Strings(days)
	for _, day := range days {
		var b bytes.Buffer
		for _, e := range byDay[day] {
			line, err := json.Marshal(e)
			if err != nil {
				return err
			}
			b.Write(append(line, '\n'))
		}
		first := byDay[day][0].SequenceNumber
		key := fmt.Sprintf("%syear=%s/month=%s/day=%s/%s-%s.json", layout.AnomaliesPrefix, day[:4], day[5:7], day[8:10], id, first)
		if _, err := d.store.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.s.bucket, Key: &key, Body: bytes.NewReader(b.Bytes()),
			ContentType: aws.String("application/x-ndjson"), ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: d.keyID()}); err != nil {
			return fmt.Errorf("write anomalies s3://%s/%s: %w", d.s.bucket, key, err)
		}
	}
	return nil
}

// alert tells the alarm topic. A failed publish is logged, not retried:
// the anomaly is already in the table, and a retry would count the
// batch's readings again.
func (d *detector) alert(ctx context.Context, e Event) {
	if d.s.topicARN == "" {
		return
	}
	subject := "Anomaly on " + e.DeviceID
	if len(subject) > 100 {
		subject = subject[:100]
	}
	msg := fmt.Sprintf("Anomaly on device %s at %s: score %.2f (1 is the alert level), found by %s, driven by %s.\nShard %s, sequence number %s. Query: SELECT * FROM %s WHERE device_id = '%s' ORDER BY ts DESC (named query %s).\nFurther anomalies of this device are not sent for %s; they are all in the table.",
		e.DeviceID, e.Ts, e.Score, e.Detector, strings.Join(e.Fields, ", "), e.Shard, e.SequenceNumber, layout.DetectedAnomaliesTable, e.DeviceID, layout.DetectedAnomaliesTable, d.s.alertEvery)
	if _, err := d.topic.Publish(ctx, &sns.PublishInput{TopicArn: &d.s.topicARN, Subject: &subject, Message: &msg}); err != nil {
		d.log.Error("alert not sent", "device", e.DeviceID, "error", err.Error())
	}
}

// emit writes the invocation's counts as embedded metric format, zeros
// included, so the alarms on them see data rather than silence.
func (d *detector) emit() {
	if d.metrics == nil || d.s.functionName == "" {
		return
	}
	c := d.counts
	if err := emf.Write(d.metrics, layout.MetricsNamespace, map[string]string{layout.DimensionFunction: d.s.functionName}, d.now(),
		emf.Metric{Name: layout.MetricDetectReadings, Unit: emf.Count, Value: float64(c.readings)},
		emf.Metric{Name: layout.MetricDetectSkipped, Unit: emf.Count, Value: float64(c.skipped)},
		emf.Metric{Name: layout.MetricDetectAnomalies, Unit: emf.Count, Value: float64(c.anomalies)},
		emf.Metric{Name: layout.MetricDetectBatchFailures, Unit: emf.Count, Value: float64(c.batchFailures)},
		emf.Metric{Name: layout.MetricDetectCheckpointErrors, Unit: emf.Count, Value: float64(c.checkpointErrors)}); err != nil {
		d.log.Warn("metrics not emitted", "error", err.Error())
	}
}

func (d *detector) keyID() *string {
	if d.s.keyARN == "" {
		return nil
	}
	return &d.s.keyARN
}

// isNotFound is S3's 404 for a missing key (NoSuchKey on GetObject).
func isNotFound(err error) bool {
	var missing *s3types.NoSuchKey
	var api smithy.APIError
	return errors.As(err, &missing) || errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound")
}

// isAccessDenied is S3's 403, which GetObject also returns for a missing
// key when the caller may not list the bucket.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
func isAccessDenied(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && (api.ErrorCode() == "AccessDenied" || api.ErrorCode() == "Forbidden") {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == 403
}

func round(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
