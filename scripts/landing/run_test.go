package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// fakeS3 keeps every PutObject in memory.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string]storedObject // "bucket/key"
	fail    map[string]error        // key -> error to return
}

type storedObject struct {
	body                 []byte
	contentType          string
	sse                  types.ServerSideEncryption
	kmsKey               string
	bucketKey            bool
	contentLength        int64
	contentLengthWasSent bool
}

func newFake() *fakeS3 { return &fakeS3{objects: map[string]storedObject{}, fail: map[string]error{}} }

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if err := f.fail[aws.ToString(in.Key)]; err != nil {
		return nil, err
	}
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)] = storedObject{
		body: body, contentType: aws.ToString(in.ContentType), sse: in.ServerSideEncryption,
		kmsKey: aws.ToString(in.SSEKMSKeyId), bucketKey: aws.ToBool(in.BucketKeyEnabled),
		contentLength: aws.ToInt64(in.ContentLength), contentLengthWasSent: in.ContentLength != nil,
	}
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeS3) keys() []string {
	var out []string
	for k := range f.objects {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// tree writes files (relative path -> content) under a temporary directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var sampleTree = map[string]string{
	"devices/devices.csv":              "device_id,site\ndevice-0000,\"a, b\"\n",
	"maintenance/2026/03/events.jsonl": `{"device_id":"device-0000"}` + "\n",
	"maintenance/2026/04/events.jsonl": `{"device_id":"device-0001"}` + "\n",
	".DS_Store":                        "junk",
	"maintenance/.cache/skip.jsonl":    "{}",
	"maintenance/2026/04/.events.swp":  "junk",
}

func runWith(t *testing.T, fake *fakeS3, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, func(context.Context) (PutObjectAPI, error) {
		if fake == nil {
			t.Fatal("the client was created")
		}
		return fake, nil
	})
	return code, stdout.String(), stderr.String()
}

func TestUploadsEveryFileWithKeysEncryptionAndContentTypes(t *testing.T) {
	dir := tree(t, sampleTree)
	fake := newFake()
	const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	code, stdout, stderr := runWith(t, fake, "--bucket", "raw-bucket", "--kms-key", key, "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := []string{
		"raw-bucket/landing/devices/devices.csv",
		"raw-bucket/landing/maintenance/2026/03/events.jsonl",
		"raw-bucket/landing/maintenance/2026/04/events.jsonl",
	}
	if got := fake.keys(); !slices.Equal(got, want) {
		t.Fatalf("keys %q, want %q", got, want)
	}
	types := map[string]string{
		"raw-bucket/landing/devices/devices.csv":              "text/csv",
		"raw-bucket/landing/maintenance/2026/03/events.jsonl": "application/x-ndjson",
		"raw-bucket/landing/maintenance/2026/04/events.jsonl": "application/x-ndjson",
	}
	for k, obj := range fake.objects {
		rel := strings.TrimPrefix(k, "raw-bucket/landing/")
		if string(obj.body) != sampleTree[rel] {
			t.Errorf("%s: body %q, want %q", k, obj.body, sampleTree[rel])
		}
		if !obj.contentLengthWasSent || obj.contentLength != int64(len(sampleTree[rel])) {
			t.Errorf("%s: content length %d (sent %v)", k, obj.contentLength, obj.contentLengthWasSent)
		}
		if obj.contentType != types[k] {
			t.Errorf("%s: content type %q, want %q", k, obj.contentType, types[k])
		}
		if obj.sse != "aws:kms" || obj.kmsKey != key || !obj.bucketKey {
			t.Errorf("%s: sse %q key %q bucket key %v", k, obj.sse, obj.kmsKey, obj.bucketKey)
		}
	}
	n := 0
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "uploaded ") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d object lines:\n%s", n, stdout)
	}
	if !strings.Contains(stdout, "landing: uploaded 3 of 3 objects") || !strings.Contains(stdout, "failed=0") {
		t.Errorf("summary missing:\n%s", stdout)
	}
	if stderr != "" {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestWithoutKMSKeyNoEncryptionHeadersAndAWarning(t *testing.T) {
	fake := newFake()
	code, _, stderr := runWith(t, fake, "--bucket", "b", "--dir", tree(t, sampleTree), "--prefix", "incoming")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for k, obj := range fake.objects {
		if !strings.HasPrefix(k, "b/incoming/") {
			t.Errorf("key %s: prefix without its slash", k)
		}
		if obj.sse != "" || obj.kmsKey != "" || obj.bucketKey {
			t.Errorf("%s: encryption headers %q %q %v without --kms-key", k, obj.sse, obj.kmsKey, obj.bucketKey)
		}
	}
	if !strings.Contains(stderr, "denies") {
		t.Errorf("no warning about the bucket policy: %q", stderr)
	}
}

func TestDryRunCallsNoS3(t *testing.T) {
	code, stdout, stderr := runWith(t, nil, "--bucket", "b", "--dir", tree(t, sampleTree), "--dry-run", "--prefix", "")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "would upload") || !strings.Contains(stdout, "s3://b/devices/devices.csv") ||
		!strings.Contains(stdout, "landing: would upload 3 of 3 objects") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestAFailedUploadIsReportedAndExitsOne(t *testing.T) {
	fake := newFake()
	fake.fail["landing/devices/devices.csv"] = errors.New("AccessDenied: explicit deny in a resource-based policy")
	code, stdout, _ := runWith(t, fake, "--bucket", "b", "--kms-key", "arn:aws:kms:r:1:key/k", "--dir", tree(t, sampleTree))
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if len(fake.objects) != 2 || !strings.Contains(stdout, "FAILED") || !strings.Contains(stdout, "failed=1") {
		t.Errorf("%d objects stored\n%s", len(fake.objects), stdout)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	dir := tree(t, sampleTree)
	for name, args := range map[string][]string{
		"no bucket":       {"--dir", dir},
		"unknown flag":    {"--bucket", "b", "--nope"},
		"extra argument":  {"--bucket", "b", "extra"},
		"bucket as a URL": {"--bucket", "s3://b"},
		"absolute prefix": {"--bucket", "b", "--prefix", "/landing/"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runWith(t, nil, args...)
			if code != 2 || !strings.Contains(stderr, "usage: landing") || stdout != "" {
				t.Errorf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
			}
		})
	}
	if code, _, stderr := runWith(t, nil, "-h"); code != 0 || !strings.Contains(stderr, "-kms-key") {
		t.Errorf("-h: exit %d, %q", code, stderr)
	}
}

func TestMissingOrEmptyDirFails(t *testing.T) {
	if code, _, _ := runWith(t, nil, "--bucket", "b", "--dir", filepath.Join(t.TempDir(), "absent")); code != 1 {
		t.Errorf("missing dir: exit %d", code)
	}
	if code, _, _ := runWith(t, nil, "--bucket", "b", "--dir", t.TempDir()); code != 1 {
		t.Errorf("empty dir: exit %d", code)
	}
}

func TestCustomEndpointMeansPathStyle(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if customEndpoint(env(nil)) {
		t.Error("no endpoint variable, path style")
	}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		if !customEndpoint(env(map[string]string{k: "http://127.0.0.1:4566"})) {
			t.Errorf("%s set, virtual-host style", k)
		}
	}
}

// The repository's own samples upload as landing/devices/... and landing/maintenance/....
func TestRepositorySamplesDryRun(t *testing.T) {
	dir := filepath.Join("..", "..", "glue", "samples", "landing")
	code, stdout, stderr := runWith(t, nil, "--bucket", "b", "--dir", dir, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"s3://b/landing/devices/devices.csv (", "s3://b/landing/maintenance/2026/03/events.jsonl ("} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %s in\n%s", want, stdout)
		}
	}
}
