package smoke

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"

	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/internal/telemetrygen"
	"github.com/refdatalake/datalake/lake/layout"
)

// telemetryPrefix is where Firehose writes converted telemetry in the raw
// bucket, partitioned by event time.
const telemetryPrefix = layout.RawTelemetryPrefix

// maxPutRecords is the PutRecords limit on records per call: the smoke test
// sends its readings in one call.
const maxPutRecords = 500

// putAttempts bounds how often records the stream refused for a transient
// reason are sent again.
const putAttempts = 5

// generateReadings makes n valid readings with event times from start on,
// one second apart per device, so they fall in at most two event hours.
// scripts/produce sends the same records; the seed makes them reproducible
// from the log line.
func generateReadings(n int, start time.Time, seed int64) ([]telemetrygen.Record, error) {
	gen, err := telemetrygen.New(telemetrygen.Config{
		Devices:  min(n, telemetrygen.DefaultDevices),
		Start:    start.UTC().Truncate(time.Millisecond),
		Interval: time.Second,
		Seed:     seed,
		Format:   telemetrygen.FormatJSON,
	})
	if err != nil {
		return nil, err
	}
	out := make([]telemetrygen.Record, n)
	for i := range out {
		out[i] = gen.Next()
	}
	return out, nil
}

// partitionPrefixes are the keys under which Firehose writes the records:
// telemetry/year=/month=/day=/hour=/ of each event hour, sorted.
func partitionPrefixes(recs []telemetrygen.Record) []string {
	var out []string
	for _, rec := range recs {
		v := schema.PartitionValues(rec.EventTime)
		p := fmt.Sprintf("%syear=%s/month=%s/day=%s/hour=%s/", telemetryPrefix, v[0], v[1], v[2], v[3])
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// putReadings sends recs in one PutRecords call and sends again the entries
// the stream refused with a transient error (throttling, internal failure),
// with backoff. The SDK retries a failed call itself.
func (r *runner) putReadings(ctx context.Context, stream string, recs []telemetrygen.Record) error {
	pending := make([]ktypes.PutRecordsRequestEntry, len(recs))
	for i, rec := range recs {
		pending[i] = ktypes.PutRecordsRequestEntry{Data: rec.Data, PartitionKey: aws.String(rec.PartitionKey)}
	}
	for attempt := 1; ; attempt++ {
		in := &kinesis.PutRecordsInput{Records: pending}
		if strings.HasPrefix(stream, "arn:") {
			in.StreamARN = aws.String(stream)
		} else {
			in.StreamName = aws.String(stream)
		}
		out, err := r.cfg.Clients.Kinesis.PutRecords(ctx, in)
		if err != nil {
			return fmt.Errorf("PutRecords to %s: %w", stream, err)
		}
		if len(out.Records) != len(pending) {
			return fmt.Errorf("PutRecords to %s: %d results for %d records", stream, len(out.Records), len(pending))
		}
		var retry []ktypes.PutRecordsRequestEntry
		var lastCode string
		for i, res := range out.Records {
			switch code := aws.ToString(res.ErrorCode); code {
			case "":
			case "ProvisionedThroughputExceededException", "InternalFailure":
				retry, lastCode = append(retry, pending[i]), code
			default:
				return fmt.Errorf("PutRecords to %s: a record was refused: %s: %s", stream, code, aws.ToString(res.ErrorMessage))
			}
		}
		if len(retry) == 0 {
			return nil
		}
		if attempt == putAttempts {
			return fmt.Errorf("PutRecords to %s: %d records still refused after %d attempts (%s)", stream, len(retry), attempt, lastCode)
		}
		// Shard limits reset every second; half a second plus jitter.
		if err := r.cfg.sleep(ctx, 500*time.Millisecond+rand.N(500*time.Millisecond)); err != nil {
			return err
		}
		pending = retry
	}
}

// listKeys lists every key under prefix with its size.
func (r *runner) listKeys(ctx context.Context, bucket, prefix string) (map[string]int64, error) {
	out := map[string]int64{}
	p := s3.NewListObjectsV2Paginator(r.cfg.Clients.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
	}
	return out, nil
}

// parquetRows reads a delivered object and returns its row count from the
// Parquet footer; an object that is not Parquet is an error (Firehose
// converts every record it delivers under telemetry/).
func (r *runner) parquetRows(ctx context.Context, bucket, key string) (int64, error) {
	out, err := r.cfg.Clients.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return 0, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		return 0, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	if len(body) < 8 || string(body[:4]) != "PAR1" || string(body[len(body)-4:]) != "PAR1" {
		return 0, fmt.Errorf("s3://%s/%s is not Parquet (%d bytes): Firehose's record format conversion is off or failed", bucket, key, len(body))
	}
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return 0, fmt.Errorf("s3://%s/%s: %w", bucket, key, err)
	}
	return f.NumRows(), nil
}

// ingest is the ingest step: put readings on the stream and wait until at
// least as many rows are in Parquet objects that appeared since under the
// partitions of their event times.
//
// New objects are told from old ones by listing the partitions before the
// readings are sent, not by LastModified, so a skewed local clock cannot
// hide or invent a delivery.
func (r *runner) ingest(ctx context.Context) (string, error) {
	stream, err := r.stacks.Output(stackStreaming, "TelemetryStreamName")
	if err != nil {
		return "", err
	}
	bucket, err := r.stacks.Output(stackStorage, "RawBucketName")
	if err != nil {
		return "", err
	}
	seed := r.cfg.now().UnixNano()
	recs, err := generateReadings(r.cfg.Readings, r.cfg.now(), seed)
	if err != nil {
		return "", err
	}
	prefixes := partitionPrefixes(recs)
	before := map[string]bool{}
	for _, p := range prefixes {
		keys, err := r.listKeys(ctx, bucket, p)
		if err != nil {
			return "", err
		}
		for k := range keys {
			before[k] = true
		}
	}
	if err := r.putReadings(ctx, stream, recs); err != nil {
		return "", err
	}
	put := r.cfg.now()
	r.logf("ingest: put %d readings on %s (seed %d); waiting for Parquet under s3://%s/%s (Firehose flushes at the end of its buffer interval)",
		len(recs), stream, seed, bucket, strings.Join(prefixes, ", "))

	rowsOf := map[string]int64{} // new key -> rows
	var rows int64
	err = r.poll(ctx, r.every(15*time.Second), func() (bool, string, error) {
		for _, p := range prefixes {
			keys, err := r.listKeys(ctx, bucket, p)
			if err != nil {
				return false, "", err
			}
			for k := range keys {
				if before[k] {
					continue
				}
				if _, seen := rowsOf[k]; seen {
					continue
				}
				n, err := r.parquetRows(ctx, bucket, k)
				if err != nil {
					return false, "", err
				}
				rowsOf[k], rows = n, rows+n
			}
		}
		return rows >= int64(len(recs)), fmt.Sprintf("waiting: %d of %d rows in %d new Parquet object(s) under s3://%s/%s", rows, len(recs), len(rowsOf), bucket, prefixes[0]), nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d readings put on %s, %d rows in %d new Parquet object(s) under s3://%s/%s after %s",
		len(recs), stream, rows, len(rowsOf), bucket, strings.Join(prefixes, " "), formatDuration(r.cfg.now().Sub(put))), nil
}

func (r *runner) ingestHint() string {
	return "the transform Lambda's log group, the delivery stream's DeliveryToS3.* and ExecuteProcessing.* metrics, and s3://<RawBucketName>/errors/telemetry/"
}
