package localharness

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/refdatalake/datalake/lake/layout"
)

// Prefixes Firehose writes to in the raw bucket.
const (
	TelemetryPrefix = layout.RawTelemetryPrefix
	ErrorsPrefix    = layout.TelemetryErrorsPrefix
)

// Partition is the Hive partition of an object under telemetry/.
type Partition struct{ Year, Month, Day, Hour string }

// String formats p as it appears in keys.
func (p Partition) String() string {
	return "year=" + p.Year + "/month=" + p.Month + "/day=" + p.Day + "/hour=" + p.Hour
}

// partitionKey matches the partition folders right after telemetry/. What
// follows is not checked: ministack appends an arrival-time yyyy/MM/dd/HH/
// after the custom prefix, which AWS does not do with dynamic partitioning.
var partitionKey = regexp.MustCompile(`^telemetry/year=(\d{4})/month=(\d{2})/day=(\d{2})/hour=(\d{2})/`)

// partitionOf parses the partition of a telemetry key.
func partitionOf(key string) (Partition, bool) {
	m := partitionKey.FindStringSubmatch(key)
	if m == nil {
		return Partition{}, false
	}
	return Partition{m[1], m[2], m[3], m[4]}, true
}

// LandedReading is a reading read back from the lake, with where it was.
type LandedReading struct {
	Reading
	Key       string
	Partition Partition
}

// Landing is everything Firehose delivered to the raw bucket.
type Landing struct {
	// Objects are the keys under telemetry/.
	Objects []string
	// Readings are the rows of every object under telemetry/.
	Readings []LandedReading
	// Unpartitioned are keys under telemetry/ without year=/month=/day=/hour=.
	Unpartitioned []string
	// Errors counts objects under errors/telemetry/ by error output type
	// (processing-failed, format-conversion-failed, ...).
	Errors map[string]int
	// ErrorKeys are the keys under errors/telemetry/.
	ErrorKeys []string
}

// ByPartition counts objects and readings per partition.
func (l Landing) ByPartition() map[Partition][2]int {
	out := map[Partition][2]int{}
	seen := map[string]bool{}
	for _, r := range l.Readings {
		c := out[r.Partition]
		if !seen[r.Key] {
			seen[r.Key] = true
			c[0]++
		}
		c[1]++
		out[r.Partition] = c
	}
	return out
}

// LakeReader reads the raw bucket. It caches parsed objects by key and
// ETag, so polling until delivery settles downloads each object once.
type LakeReader struct {
	S3     *s3.Client
	Bucket string
	cache  map[string]cachedObject
}

type cachedObject struct {
	etag     string
	readings []Reading
}

// NewLakeReader reads bucket through the target's S3 endpoint.
func NewLakeReader(t Target, bucket string) *LakeReader {
	cfg := t.AWSConfig()
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(t.S3Endpoint)
		// Emulators serve buckets by path, not by virtual host name.
		o.UsePathStyle = true
	})
	return &LakeReader{S3: client, Bucket: bucket, cache: map[string]cachedObject{}}
}

// Read lists the bucket and reads every telemetry object.
func (lr *LakeReader) Read(ctx context.Context) (Landing, error) {
	l := Landing{Errors: map[string]int{}}
	objs, err := lr.list(ctx, TelemetryPrefix)
	if err != nil {
		return l, err
	}
	for _, o := range objs {
		key := aws.ToString(o.Key)
		l.Objects = append(l.Objects, key)
		p, ok := partitionOf(key)
		if !ok {
			l.Unpartitioned = append(l.Unpartitioned, key)
		}
		readings, err := lr.readings(ctx, key, aws.ToString(o.ETag))
		if err != nil {
			return l, err
		}
		for _, r := range readings {
			l.Readings = append(l.Readings, LandedReading{Reading: r, Key: key, Partition: p})
		}
	}
	errs, err := lr.list(ctx, ErrorsPrefix)
	if err != nil {
		return l, err
	}
	for _, o := range errs {
		key := aws.ToString(o.Key)
		l.ErrorKeys = append(l.ErrorKeys, key)
		kind, _, _ := strings.Cut(strings.TrimPrefix(key, ErrorsPrefix), "/")
		l.Errors[kind]++
	}
	return l, nil
}

type s3Object struct {
	Key, ETag *string
}

// list returns every object under prefix.
func (lr *LakeReader) list(ctx context.Context, prefix string) ([]s3Object, error) {
	var out []s3Object
	p := s3.NewListObjectsV2Paginator(lr.S3, &s3.ListObjectsV2Input{Bucket: &lr.Bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", lr.Bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, s3Object{Key: o.Key, ETag: o.ETag})
		}
	}
	return out, nil
}

// readings returns the readings of one object, from the cache when its ETag
// has not changed.
func (lr *LakeReader) readings(ctx context.Context, key, etag string) ([]Reading, error) {
	if c, ok := lr.cache[key]; ok && c.etag == etag {
		return c.readings, nil
	}
	body, err := lr.get(ctx, key)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(key, ".parquet") && !isParquet(body) {
		return nil, fmt.Errorf("s3://%s/%s is not Parquet: Firehose should convert every record", lr.Bucket, key)
	}
	readings, err := parquetReadings(body)
	if err != nil {
		return nil, fmt.Errorf("s3://%s/%s: %w", lr.Bucket, key, err)
	}
	lr.cache[key] = cachedObject{etag: etag, readings: readings}
	return readings, nil
}

func isParquet(b []byte) bool { return len(b) >= 4 && string(b[:4]) == "PAR1" }

// get downloads one object.
func (lr *LakeReader) get(ctx context.Context, key string) ([]byte, error) {
	out, err := lr.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &lr.Bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", lr.Bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", lr.Bucket, key, err)
	}
	return b, nil
}

// ErrorRecords returns the original data of every record Firehose wrote
// under errors/telemetry/<kind>/: each object holds JSON documents with the
// record's base64 rawData.
func (lr *LakeReader) ErrorRecords(ctx context.Context, l Landing, kind string) ([][]byte, error) {
	var out [][]byte
	for _, key := range l.ErrorKeys {
		if !strings.HasPrefix(key, ErrorsPrefix+kind+"/") {
			continue
		}
		body, err := lr.get(ctx, key)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		for {
			var doc struct {
				RawData string `json:"rawData"`
			}
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("s3://%s/%s: %w", lr.Bucket, key, err)
			}
			raw, err := base64.StdEncoding.DecodeString(doc.RawData)
			if err != nil {
				return nil, fmt.Errorf("s3://%s/%s: rawData: %w", lr.Bucket, key, err)
			}
			out = append(out, raw)
		}
	}
	return out, nil
}

// WaitSettled polls the bucket until at least want readings landed and
// nothing changed for quiet, or until timeout, and returns the last landing
// either way, with how long it took until want readings were first there
// (-1 if never). Firehose buffers (60 s in the local profile on AWS);
// ministack delivers inside PutRecords, so there it is at once.
func (lr *LakeReader) WaitSettled(ctx context.Context, want int, quiet, timeout time.Duration) (Landing, time.Duration, error) {
	began := time.Now()
	deadline := began.Add(timeout)
	reached := time.Duration(-1)
	lastCount, lastErrs := -1, -1
	stableSince := began
	for {
		l, err := lr.Read(ctx)
		if err != nil {
			return l, reached, err
		}
		if len(l.Readings) != lastCount || len(l.ErrorKeys) != lastErrs {
			lastCount, lastErrs, stableSince = len(l.Readings), len(l.ErrorKeys), time.Now()
		}
		if len(l.Readings) >= want && reached < 0 {
			reached = time.Since(began)
		}
		if len(l.Readings) >= want && time.Since(stableSince) >= quiet {
			return l, reached, nil
		}
		if time.Now().After(deadline) {
			return l, reached, fmt.Errorf("delivery did not settle within %s: %d of %d readings under s3://%s/%s", timeout, len(l.Readings), want, lr.Bucket, TelemetryPrefix)
		}
		select {
		case <-ctx.Done():
			return l, reached, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// SortedPartitions returns the partitions of counts in key order.
func SortedPartitions[V any](counts map[Partition]V) []Partition {
	ps := make([]Partition, 0, len(counts))
	for p := range counts {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b Partition) int { return strings.Compare(a.String(), b.String()) })
	return ps
}
