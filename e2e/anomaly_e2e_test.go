//go:build e2e

package e2e

// The stream anomaly detector end to end: readings with one injected spike
// go onto the emulator's stream; its event source mapping runs the real
// detect bootstrap; the anomaly must land under anomalies/, the
// detected_anomalies named query must read it, and the alarm topic must
// carry the alert.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/refdatalake/datalake/internal/localharness"
	"github.com/refdatalake/datalake/internal/queries"
	"github.com/refdatalake/datalake/internal/telemetrygen"
	"github.com/refdatalake/datalake/lake/layout"
)

// anomalyDevices send anomalyReadings each; the last reading of the first
// device carries a battery spike. The local profile's detector warms up
// after 48 readings (lake/ingest).
const (
	anomalyDevices  = 3
	anomalyReadings = 120
)

func checkAnomalies(t *testing.T, ctx context.Context, target localharness.Target, outputs localharness.Outputs, analyticsBucket, stream string) {
	cfg := target.AWSConfig()
	topic, err := outputs.Get(localharness.StackStreaming, "AlarmTopicArn")
	if err != nil {
		t.Fatal(err)
	}
	// A queue on the alarm topic, to see the alert.
	sq, sn := sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("datalake-local-e2e-anomalies")})
	if err != nil {
		t.Fatal(err)
	}
	defer sq.DeleteQueue(context.WithoutCancel(ctx), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl})
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])})
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Unsubscribe(context.WithoutCancel(ctx), &sns.UnsubscribeInput{SubscriptionArn: sub.SubscriptionArn})

	rs, _, err := telemetrygen.Labeled(telemetrygen.LabeledConfig{Devices: anomalyDevices, Start: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC),
		Interval: time.Minute, Readings: anomalyReadings, WarmUp: 1, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	var entries []ktypes.PutRecordsRequestEntry
	spiked := "anomaly-e2e-0"
	var spikeAt string
	for _, r := range rs {
		var obj map[string]any
		if err := json.Unmarshal(r.Data, &obj); err != nil {
			t.Fatal(err)
		}
		dev := fmt.Sprintf("anomaly-e2e-%d", r.Device)
		obj["device_id"] = dev
		if dev == spiked && r.Index == anomalyReadings-1 {
			obj["battery_v"] = 14.5 // inside the schema's range: the transform passes it, the detector must not
			spikeAt = r.EventTime.UTC().Format("2006-01-02 15:04:05")
		}
		data, _ := json.Marshal(obj)
		entries = append(entries, ktypes.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(dev)})
	}
	kc := kinesis.NewFromConfig(cfg)
	for i := 0; i < len(entries); i += 100 {
		out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &stream, Records: entries[i:min(i+100, len(entries))]})
		if err != nil || aws.ToInt32(out.FailedRecordCount) > 0 {
			t.Fatalf("PutRecords: %v (%v failed)", err, out)
		}
	}

	// The anomaly lands under anomalies/year=2026/month=03/day=20/.
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	prefix := layout.AnomaliesPrefix + "year=2026/month=03/day=20/"
	var found []map[string]any
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) && len(found) == 0 {
		list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &analyticsBucket, Prefix: &prefix})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list.Contents {
			obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: &analyticsBucket, Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			for _, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
				var e map[string]any
				if json.Unmarshal(line, &e) == nil && e["device_id"] == spiked {
					found = append(found, e)
				}
			}
		}
		if len(found) == 0 {
			time.Sleep(2 * time.Second)
		}
	}
	if len(found) == 0 {
		t.Fatalf("no anomaly of %s under s3://%s/%s after 2 minutes", spiked, analyticsBucket, prefix)
	}
	e := found[len(found)-1]
	fields, _ := e["fields"].([]any)
	if !strings.HasPrefix(fmt.Sprint(e["ts"]), spikeAt) || len(fields) == 0 || fields[0] != "battery_v" || e["detector"] != "rcf" {
		t.Errorf("anomaly %v: want the spike at %s, found by the forest, driven by battery_v", e, spikeAt)
	}
	t.Logf("anomaly: %v", e)

	// The named query reads it (as of the spike's day).
	var qs []queries.Query
	all, _ := queries.All()
	for _, q := range all {
		if q.Reads(queries.DetectedAnomalies) {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		t.Fatal("no named query reads detected_anomalies")
	}
	for _, q := range qs {
		res, err := localharness.Query(ctx, target, analyticsBucket, queries.AsOf(q.SQL, time.Date(2026, 3, 21, 0, 0, 0, 0, time.UTC)), 2*time.Minute)
		if err != nil {
			t.Errorf("named query %s: %v", q.Name, err)
			continue
		}
		hit := false
		for _, row := range res.Rows {
			hit = hit || (len(row) > 0 && row[0] == spiked)
		}
		if !hit {
			t.Errorf("named query %s: no row of %s in %v", q.Name, spiked, res.Rows)
		}
	}

	// And the alert reaches the alarm topic.
	deadline = time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		msgs, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs.Messages {
			if strings.Contains(aws.ToString(m.Body), "Anomaly on device "+spiked) {
				t.Logf("alert: %.200s", aws.ToString(m.Body))
				return
			}
		}
	}
	t.Errorf("no alert about %s on the alarm topic", spiked)
}
