// Package landing uploads the sample landing files (device metadata CSV,
// maintenance events as JSON lines) to the lake's raw bucket, where the Glue
// crawler catalogues them and the curate job joins them. scripts/landing is
// the command around it; the sandbox smoke test (internal/smoke) uploads the
// same files the same way.
package landing

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/refdatalake/datalake/lake/layout"
)

// Prefix is where landing files go in the raw bucket: the crawler reads
// landing/devices/ and landing/maintenance/ (cdk/etl.go).
const Prefix = layout.LandingPrefix

// PutObjectAPI is the part of the S3 client an upload uses.
type PutObjectAPI interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// File is one local file to upload.
type File struct {
	// Path is the file as found on disk.
	Path string
	// Rel is the path relative to the root, with forward slashes: the key
	// suffix.
	Rel  string
	Size int64
}

// ListFiles returns the regular files under root in lexical order. Hidden
// files and folders (.DS_Store, editor swap files) are skipped.
func ListFiles(root string) ([]File, error) {
	var out []File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, File{Path: p, Rel: filepath.ToSlash(rel), Size: info.Size()})
		return nil
	})
	return out, err
}

// ContentType is an object's Content-Type, from the file extension.
func ContentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		return "text/csv"
	case ".jsonl", ".ndjson":
		return "application/x-ndjson"
	case ".json":
		return "application/json"
	case ".txt", ".md":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// Object is one upload of a local file.
type Object struct {
	Bucket, Key string
	// Path is the local file.
	Path        string
	ContentType string
	// KMSKey is the ARN of the key to encrypt with (SSE-KMS); "" leaves the
	// bucket's default encryption, which the lake's bucket policy denies.
	KMSKey string
	Size   int64
}

// ObjectFor is the upload of f to bucket under prefix, encrypted with kmsKey.
func ObjectFor(f File, bucket, prefix, kmsKey string) Object {
	return Object{Bucket: bucket, Key: prefix + f.Rel, Path: f.Path, ContentType: ContentType(f.Rel), KMSKey: kmsKey, Size: f.Size}
}

// URL is the object's s3:// address.
func (o Object) URL() string { return "s3://" + o.Bucket + "/" + o.Key }

// Put uploads one file. The body is the open file: seekable, so the SDK can
// sign the payload and retry without buffering it.
func Put(ctx context.Context, client PutObjectAPI, o Object) error {
	f, err := os.Open(o.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	in := &s3.PutObjectInput{
		Bucket:        &o.Bucket,
		Key:           &o.Key,
		Body:          f,
		ContentLength: &o.Size,
		ContentType:   &o.ContentType,
	}
	if o.KMSKey != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = &o.KMSKey
		// An S3 Bucket Key cuts KMS requests; the lake's buckets use one by default too.
		in.BucketKeyEnabled = aws.Bool(true)
	}
	_, err = client.PutObject(ctx, in)
	return err
}
