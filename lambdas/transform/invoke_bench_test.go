package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// BenchmarkInvokeCSV measures a whole invocation as the deployed function
// runs it, through aws-lambda-go's handler: the event JSON the Firehose
// service sends (with the Kinesis metadata of every record, about five times
// the record data) in, the response JSON out. MB/s counts the decoded record
// data, as the other benchmarks do, so the difference to
// BenchmarkTransformCSV is what reading the rest of the event costs.
func BenchmarkInvokeCSV(b *testing.B) {
	payload, data := firehoseEventJSON(b, newGenerator(42, genOptions{nulls: 0.05}).batch(benchRecords))
	h := lambda.NewHandler(quietTransformer())
	ctx := context.Background()
	if _, err := h.Invoke(ctx, payload); err != nil {
		b.Fatal(err)
	}
	loopBatches(b, data, benchRecords, func() {
		if _, err := h.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
	})
}

// firehoseEventJSON returns the event Firehose sends for recs when its source
// is a Kinesis stream, and the bytes of record data in it.
func firehoseEventJSON(b *testing.B, recs []events.KinesisFirehoseEventRecord) ([]byte, int) {
	b.Helper()
	arrival := time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC)
	data := 0
	for i := range recs {
		recs[i].RecordID = fmt.Sprintf("49546986683135544286507457936321625675700192471156785154%012d", i)
		recs[i].ApproximateArrivalTimestamp = events.MilliSecondsEpochTime{Time: arrival}
		recs[i].KinesisFirehoseRecordMetadata = events.KinesisFirehoseRecordMetadata{
			ShardID:                     "shardId-000000000000",
			PartitionKey:                fmt.Sprintf("deviceid-%03d", i%50),
			ApproximateArrivalTimestamp: events.MilliSecondsEpochTime{Time: arrival},
			SequenceNumber:              fmt.Sprintf("49546986683135544286507457936321625675700192471156785154%05d", i),
		}
		data += len(recs[i].Data)
	}
	payload, err := json.Marshal(events.KinesisFirehoseEvent{
		InvocationID:           "00540a87-5050-496a-84e4-e7d92bbaf5e2",
		DeliveryStreamArn:      "arn:aws:firehose:us-east-1:123456789012:deliverystream/datalake-sandbox-telemetry",
		SourceKinesisStreamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/datalake-sandbox-telemetry",
		Region:                 "us-east-1",
		Records:                recs,
	})
	if err != nil {
		b.Fatal(err)
	}
	return payload, data
}
