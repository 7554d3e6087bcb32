package localharness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/refdatalake/datalake/internal/anomaly"
	"github.com/refdatalake/datalake/internal/telemetrygen"
	"github.com/refdatalake/datalake/lake/layout"
)

// The injected anomaly: a battery reading 14.5 V on a device whose battery
// reads about 3.9 V. It lies inside the schema's range (0 to 15 V), so the
// transform delivers it like any other reading; only the detector can tell.
const (
	SpikeField = "battery_v"
	SpikeValue = 14.5
)

// DetectorBatch is readings for the stream's anomaly detector
// (lambdas/detect): Devices devices send Readings readings each, Interval
// apart from Start, as telemetrygen.Labeled generates them (no labeled
// episodes), and the last reading of the first device carries the spike.
// The detector reports nothing for a device until it has seen its warm-up
// (DetectorWarmUp), so Readings must be larger than that.
type DetectorBatch struct {
	// DevicePrefix names the devices DevicePrefix-0, DevicePrefix-1, ...
	DevicePrefix      string
	Devices, Readings int
	Start             time.Time
	Interval          time.Duration
	Seed              int64
}

// Device is the id of device i.
func (b DetectorBatch) Device(i int) string { return b.DevicePrefix + "-" + strconv.Itoa(i) }

// SpikedDevice is the device whose last reading carries the spike.
func (b DetectorBatch) SpikedDevice() string { return b.Device(0) }

// SpikeTime is the event time of the spiked reading.
func (b DetectorBatch) SpikeTime() time.Time {
	return b.Start.UTC().Add(time.Duration(b.Readings-1) * b.Interval).Truncate(time.Millisecond)
}

// Count is how many records the batch sends.
func (b DetectorBatch) Count() int { return b.Devices * b.Readings }

// Records returns the batch as Kinesis entries in event-time order (devices
// take turns), each keyed by its device as the producer keys them.
func (b DetectorBatch) Records() ([]ktypes.PutRecordsRequestEntry, error) {
	rs, _, err := telemetrygen.Labeled(telemetrygen.LabeledConfig{Devices: b.Devices, Start: b.Start.UTC(), Interval: b.Interval,
		Readings: b.Readings, WarmUp: 1, Seed: b.Seed})
	if err != nil {
		return nil, fmt.Errorf("generate the detector's readings: %w", err)
	}
	out := make([]ktypes.PutRecordsRequestEntry, 0, len(rs))
	for _, r := range rs {
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(r.Data))
		dec.UseNumber() // numbers go out as they were generated
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("generate the detector's readings: %w", err)
		}
		dev := b.Device(r.Device)
		obj["device_id"] = dev
		if r.Device == 0 && r.Index == b.Readings-1 {
			obj[SpikeField] = SpikeValue
		}
		data, err := json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("generate the detector's readings: %w", err)
		}
		out = append(out, ktypes.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(dev)})
	}
	return out, nil
}

// putRecordsBatch is how many records go into one PutRecords call.
const putRecordsBatch = 100

// SendRecords puts entries on stream through the target's Kinesis and fails
// unless every record was accepted.
func SendRecords(ctx context.Context, t Target, stream string, entries []ktypes.PutRecordsRequestEntry) error {
	kc := kinesis.NewFromConfig(t.AWSConfig())
	for i := 0; i < len(entries); i += putRecordsBatch {
		out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &stream, Records: entries[i:min(i+putRecordsBatch, len(entries))]})
		if err != nil {
			return fmt.Errorf("put records on %s: %w", stream, err)
		}
		if n := aws.ToInt32(out.FailedRecordCount); n > 0 {
			return fmt.Errorf("put records on %s: %d of %d records failed", stream, n, len(out.Records))
		}
	}
	return nil
}

// Anomaly is one event the detector wrote under anomalies/ (one JSON line
// each; lambdas/detect Event).
type Anomaly struct {
	DeviceID       string             `json:"device_id"`
	Ts             string             `json:"ts"`
	Detector       string             `json:"detector"`
	Score          float64            `json:"score"`
	Fields         []string           `json:"fields"`
	Attribution    map[string]float64 `json:"attribution"`
	Shard          string             `json:"shard"`
	SequenceNumber string             `json:"sequence_number"`
	DetectedAt     string             `json:"detected_at"`
	// Key is the object the line was read from.
	Key string `json:"-"`
}

// TopField is the field that drove the anomaly most, or "".
func (a Anomaly) TopField() string {
	if len(a.Fields) == 0 {
		return ""
	}
	return a.Fields[0]
}

// AnomalyPrefix is where the detector writes the anomalies of readings
// taken on day (UTC).
func AnomalyPrefix(day time.Time) string {
	return layout.AnomaliesPrefix + day.UTC().Format("year=2006/month=01/day=02/")
}

// Anomalies reads every anomaly under prefix of the reader's bucket (the
// analytics bucket, for the detector's output).
func (lr *LakeReader) Anomalies(ctx context.Context, prefix string) ([]Anomaly, error) {
	objs, err := lr.list(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []Anomaly
	for _, o := range objs {
		key := aws.ToString(o.Key)
		body, err := lr.get(ctx, key)
		if err != nil {
			return nil, err
		}
		for _, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var a Anomaly
			if err := json.Unmarshal(line, &a); err != nil {
				return nil, fmt.Errorf("s3://%s/%s: %w", lr.Bucket, key, err)
			}
			a.Key = key
			out = append(out, a)
		}
	}
	return out, nil
}

// WaitForAnomaly polls the anomalies of readings taken on at's day until
// the one of device at the reading at (to the second) is there, or timeout
// passes. It returns that device's anomalies of the day, and how long the
// wait took.
func (lr *LakeReader) WaitForAnomaly(ctx context.Context, device string, at time.Time, timeout time.Duration) ([]Anomaly, time.Duration, error) {
	day := at
	began := time.Now()
	prefix := AnomalyPrefix(day)
	for {
		all, err := lr.Anomalies(ctx, prefix)
		if err != nil {
			return nil, time.Since(began), err
		}
		var found []Anomaly
		hit := false
		stamp := at.UTC().Format("2006-01-02 15:04:05")
		for _, a := range all {
			if a.DeviceID == device {
				found = append(found, a)
				hit = hit || strings.HasPrefix(a.Ts, stamp)
			}
		}
		if hit {
			return found, time.Since(began), nil
		}
		if time.Since(began) > timeout {
			return found, time.Since(began), fmt.Errorf("no anomaly of %s at %s under s3://%s/%s after %s (%d others of that device)", device, stamp, lr.Bucket, prefix, timeout, len(found))
		}
		select {
		case <-ctx.Done():
			return nil, time.Since(began), ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// detectFunctionPrefix starts the logical id of the detector's function in
// the Streaming stack (lake/ingest: golambda "Detect").
const detectFunctionPrefix = "DetectFunction"

// DetectorWarmUp is how many readings a device sends before the deployed
// detector may report anything about it: DETECT_WARM_UP in the environment
// of the detect function, as the Streaming stack's deployed template sets
// it, or else the detector's default for its sample size.
func DetectorWarmUp(ctx context.Context, t Target) (int, error) {
	cfn := cloudformation.NewFromConfig(t.AWSConfig())
	res, err := cfn.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(StackStreaming)})
	if err != nil {
		return 0, fmt.Errorf("read the template of %s: %w", StackStreaming, err)
	}
	return detectorWarmUp(aws.ToString(res.TemplateBody))
}

// detectorWarmUp reads the detector's warm-up from a template body.
func detectorWarmUp(body string) (int, error) {
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				Environment struct {
					Variables map[string]any
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &tpl); err != nil {
		return 0, fmt.Errorf("read the template of %s: %w", StackStreaming, err)
	}
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Lambda::Function" || !strings.HasPrefix(id, detectFunctionPrefix) {
			continue
		}
		vars := r.Properties.Environment.Variables
		setting := func(name string) (int, error) {
			v, ok := vars[name].(string)
			if !ok {
				return 0, nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("%s=%q in the template of %s is not a whole number", name, v, StackStreaming)
			}
			return n, nil
		}
		warm, err := setting("DETECT_WARM_UP")
		if err != nil || warm > 0 {
			return warm, err
		}
		sample, err := setting("DETECT_SAMPLE_SIZE")
		if err != nil {
			return 0, err
		}
		// What the function does without the setting (lambdas/detect).
		d, err := anomaly.New(anomaly.Config{Fields: telemetrygen.NumericFields(), SampleSize: sample})
		if err != nil {
			return 0, err
		}
		return d.Config().WarmUp, nil
	}
	return 0, errors.New("the template of " + StackStreaming + " has no " + detectFunctionPrefix + "* function")
}
