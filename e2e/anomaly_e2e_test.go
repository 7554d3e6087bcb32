//go:build e2e

package e2e

// The stream anomaly detector end to end: readings with one injected spike
// go onto the emulator's stream; its event source mapping runs the real
// detect bootstrap; the anomaly must land under anomalies/, the
// detected_anomalies named query must read it, and the alarm topic must
// carry the alert.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/refdatalake/datalake/internal/localharness"
	"github.com/refdatalake/datalake/internal/queries"
)

// anomalyDevices send anomalyReadings each; the last reading of the first
// device carries a battery spike (localharness.DetectorBatch, which make
// local sends too). The local profile's detector warms up after 48 readings
// (lake/ingest).
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

	b := localharness.DetectorBatch{DevicePrefix: "anomaly-e2e", Devices: anomalyDevices, Readings: anomalyReadings,
		Start: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), Interval: time.Minute, Seed: 11}
	entries, err := b.Records()
	if err != nil {
		t.Fatal(err)
	}
	if err := localharness.SendRecords(ctx, target, stream, entries); err != nil {
		t.Fatal(err)
	}

	// The anomaly lands under anomalies/year=2026/month=03/day=20/.
	spiked, spikeAt := b.SpikedDevice(), b.SpikeTime().Format("2006-01-02 15:04:05")
	found, _, err := localharness.NewLakeReader(target, analyticsBucket).WaitForAnomaly(ctx, spiked, b.SpikeTime(), 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var e localharness.Anomaly
	for _, a := range found {
		if strings.HasPrefix(a.Ts, spikeAt) {
			e = a
		}
	}
	if e.TopField() != localharness.SpikeField {
		t.Errorf("anomaly %+v: want the spike at %s driven by %s", e, spikeAt, localharness.SpikeField)
	}
	t.Logf("anomaly: %+v (%d anomalies of %s in all)", e, len(found), spiked)

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
	deadline := time.Now().Add(time.Minute)
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
