package landing

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestContentType(t *testing.T) {
	tests := map[string]string{
		"devices/devices.csv":              "text/csv",
		"maintenance/2026/03/events.jsonl": "application/x-ndjson",
		"x.NDJSON":                         "application/x-ndjson",
		"manifest.json":                    "application/json",
		"README.md":                        "text/plain; charset=utf-8",
		"data.parquet":                     "application/octet-stream",
		"no-extension":                     "application/octet-stream",
	}
	for name, want := range tests {
		if got := ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestListFilesSkipsHidden(t *testing.T) {
	root := t.TempDir()
	for _, rel := range []string{"b/two.csv", "a/one.jsonl", ".DS_Store", "a/.swp", ".git/config", "c/.hidden/x.csv"} {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := ListFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	var rels []string
	for _, f := range files {
		rels = append(rels, f.Rel)
	}
	if want := []string{"a/one.jsonl", "b/two.csv"}; !slices.Equal(rels, want) {
		t.Errorf("files %v, want %v", rels, want)
	}
}

type recorder struct {
	in   *s3.PutObjectInput
	body string
}

func (r *recorder) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	b, err := io.ReadAll(in.Body)
	r.in, r.body = in, string(b)
	return &s3.PutObjectOutput{}, err
}

func TestPut(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "devices.csv")
	if err := os.WriteFile(p, []byte("device_id\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key string
		wantSSE   types.ServerSideEncryption
	}{
		{"with the lake key: SSE-KMS and a bucket key", "arn:aws:kms:us-east-1:111122223333:key/1", types.ServerSideEncryptionAwsKms},
		{"without a key: the bucket default", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ObjectFor(File{Path: p, Rel: "devices/devices.csv", Size: 10}, "raw", Prefix, tc.key)
			if o.URL() != "s3://raw/landing/devices/devices.csv" {
				t.Errorf("URL %s", o.URL())
			}
			rec := &recorder{}
			if err := Put(t.Context(), rec, o); err != nil {
				t.Fatal(err)
			}
			in := rec.in
			if in.ServerSideEncryption != tc.wantSSE || aws.ToString(in.SSEKMSKeyId) != tc.key || aws.ToBool(in.BucketKeyEnabled) != (tc.key != "") {
				t.Errorf("SSE %q key %q bucket key %v", in.ServerSideEncryption, aws.ToString(in.SSEKMSKeyId), aws.ToBool(in.BucketKeyEnabled))
			}
			if rec.body != "device_id\n" || aws.ToString(in.ContentType) != "text/csv" || aws.ToInt64(in.ContentLength) != 10 {
				t.Errorf("body %q type %q length %d", rec.body, aws.ToString(in.ContentType), aws.ToInt64(in.ContentLength))
			}
		})
	}
}
