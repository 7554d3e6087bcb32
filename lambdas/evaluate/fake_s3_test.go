package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// fakeS3 is an in-memory objectStore: listing with pagination, streamed
// reads, writes recorded with their encryption settings.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[location]fakeObject
	// pageSize caps a listing page when the request sets no MaxKeys, so the
	// tests page through listings without thousands of objects.
	pageSize   int
	listCalls  int
	openBodies int
	puts       []*s3.PutObjectInput
	getErr     map[location]error
}

// fakeObject holds data, or generates it on each read (for objects too big
// to keep in a test).
type fakeObject struct {
	data []byte
	gen  func() io.Reader
	size int64
}

func newFakeS3() *fakeS3 {
	return &fakeS3{objects: map[location]fakeObject{}, pageSize: 2, getErr: map[location]error{}}
}

// put stores data at an s3:// URI.
func (f *fakeS3) put(t testing.TB, uri, data string) {
	t.Helper()
	loc := mustObject(t, uri)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[loc] = fakeObject{data: []byte(data), size: int64(len(data))}
}

// stream stores an object whose size bytes gen produces on each read.
func (f *fakeS3) stream(t testing.TB, uri string, size int64, gen func() io.Reader) {
	t.Helper()
	loc := mustObject(t, uri)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[loc] = fakeObject{gen: gen, size: size}
}

func (f *fakeS3) get(t testing.TB, uri string) (fakeObject, bool) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[mustObject(t, uri)]
	return o, ok
}

func mustObject(t testing.TB, uri string) location {
	t.Helper()
	rest, ok := strings.CutPrefix(uri, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		t.Fatalf("bad test URI %q", uri)
	}
	return location{bucket, key}
}

func (f *fakeS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listCalls++
	var keys []string
	for loc := range f.objects {
		if loc.Bucket == aws.ToString(in.Bucket) && strings.HasPrefix(loc.Key, aws.ToString(in.Prefix)) && loc.Key > aws.ToString(in.ContinuationToken) {
			keys = append(keys, loc.Key)
		}
	}
	// Pages follow key order, as S3's do, but each page lists its keys in
	// reverse, so nothing can rely on the order within a page.
	slices.Sort(keys)
	limit := f.pageSize
	if in.MaxKeys != nil {
		limit = int(*in.MaxKeys)
	}
	out := &s3.ListObjectsV2Output{}
	if len(keys) > limit {
		keys = keys[:limit]
		out.IsTruncated = aws.Bool(true)
		out.NextContinuationToken = aws.String(keys[limit-1])
	}
	for _, k := range slices.Backward(keys) {
		out.Contents = append(out.Contents, types.Object{Key: aws.String(k), Size: aws.Int64(f.objects[location{aws.ToString(in.Bucket), k}].size)})
	}
	out.KeyCount = aws.Int32(int32(len(out.Contents)))
	return out, nil
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	loc := location{aws.ToString(in.Bucket), aws.ToString(in.Key)}
	if err := f.getErr[loc]; err != nil {
		return nil, err
	}
	o, ok := f.objects[loc]
	if !ok {
		return nil, &types.NoSuchKey{Message: aws.String("The specified key does not exist.")}
	}
	var r io.Reader = bytes.NewReader(o.data)
	if o.gen != nil {
		r = o.gen()
	}
	f.openBodies++
	return &s3.GetObjectOutput{Body: &fakeBody{Reader: r, f: f}, ContentLength: aws.Int64(o.size)}, nil
}

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	data, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts = append(f.puts, in)
	f.objects[location{aws.ToString(in.Bucket), aws.ToString(in.Key)}] = fakeObject{data: data, size: int64(len(data))}
	return &s3.PutObjectOutput{}, nil
}

// fakeBody counts open bodies, so a test can check that every one is closed.
type fakeBody struct {
	io.Reader
	f      *fakeS3
	closed bool
}

func (b *fakeBody) Close() error {
	b.f.mu.Lock()
	defer b.f.mu.Unlock()
	if !b.closed {
		b.closed = true
		b.f.openBodies--
	}
	return nil
}

// testNow is the clock of the tests' evaluators.
var testNow = time.Date(2026, 3, 7, 9, 15, 0, 0, time.FixedZone("CET", 3600))

// testEvaluator runs against store and logs into the returned buffer.
func testEvaluator(store objectStore, keyARN string) (*evaluator, *bytes.Buffer) {
	var logs bytes.Buffer
	e := newEvaluator(slog.New(slog.NewJSONHandler(&logs, nil)), keyARN, func(context.Context) (objectStore, error) { return store, nil })
	e.now = func() time.Time { return testNow }
	return e, &logs
}
