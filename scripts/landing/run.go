package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const shortUsage = "usage: landing --bucket NAME [--kms-key ARN] [--dir DIR] [--prefix PREFIX] [--dry-run]; -h lists every flag"

// options are the parsed flags.
type options struct {
	bucket string
	kmsKey string
	dir    string
	prefix string
	dryRun bool
}

// errUsage marks a usage error (exit status 2).
var errUsage = errors.New("usage")

func usagef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("landing", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.bucket, "bucket", "", "destination bucket `name`, the lake's raw bucket (required)")
	fs.StringVar(&o.kmsKey, "kms-key", "", "KMS key `ARN` to encrypt every object with (SSE-KMS); the raw bucket's policy requires the lake key")
	fs.StringVar(&o.dir, "dir", filepath.Join("glue", "samples", "landing"), "local `directory` whose files are uploaded")
	fs.StringVar(&o.prefix, "prefix", "landing/", "key `prefix` the relative paths are appended to")
	fs.BoolVar(&o.dryRun, "dry-run", false, "list what would be uploaded without calling S3")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "%s\n\nUploads the sample landing files to s3://BUCKET/PREFIX<relative path>.\nAWS settings come from the environment (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_S3, ...).\n\n", shortUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return options{}, err
		}
		return options{}, usagef("%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return options{}, usagef("unexpected argument %q", fs.Arg(0))
	case strings.TrimSpace(o.bucket) == "":
		return options{}, usagef("--bucket is required")
	case strings.ContainsAny(o.bucket, "/ "):
		return options{}, usagef("--bucket %q: want a bucket name, not a URL or path", o.bucket)
	case strings.HasPrefix(o.prefix, "/"):
		return options{}, usagef("--prefix %q: an S3 key does not start with /", o.prefix)
	case o.dir == "":
		return options{}, usagef("--dir is empty")
	}
	if o.prefix != "" && !strings.HasSuffix(o.prefix, "/") {
		o.prefix += "/"
	}
	return o, nil
}

// run is the whole command: parse flags, list the files, upload them.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, newClient func(context.Context) (PutObjectAPI, error)) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "landing: %v\n%s\n", err, shortUsage)
		return 2
	}
	files, err := listFiles(o.dir)
	if err != nil {
		fmt.Fprintf(stderr, "landing: %v\n", err)
		return 1
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "landing: no files under %s\n", o.dir)
		return 1
	}
	if o.kmsKey == "" && !o.dryRun {
		fmt.Fprintln(stderr, "landing: no --kms-key: objects get the bucket's default encryption, and the lake's raw bucket policy denies such uploads")
	} else if o.kmsKey != "" && !strings.HasPrefix(o.kmsKey, "arn:") {
		fmt.Fprintln(stderr, "landing: --kms-key is not an ARN: the lake's bucket policy compares the key ARN, so an id or alias is denied")
	}

	var client PutObjectAPI
	if !o.dryRun {
		if client, err = newClient(ctx); err != nil {
			fmt.Fprintf(stderr, "landing: %v\n", err)
			return 1
		}
	}
	var uploaded, failed int
	var bytes int64
	for _, f := range files {
		obj := object{bucket: o.bucket, key: o.prefix + f.rel, path: f.path, size: f.size, contentType: contentType(f.rel), kmsKey: o.kmsKey}
		if o.dryRun {
			fmt.Fprintf(stdout, "would upload %s -> %s (%d bytes, %s)\n", f.path, obj.url(), f.size, obj.contentType)
			uploaded++
			bytes += f.size
			continue
		}
		if err := put(ctx, client, obj); err != nil {
			fmt.Fprintf(stdout, "FAILED %s -> %s: %v\n", f.path, obj.url(), err)
			failed++
			if ctx.Err() != nil {
				break
			}
			continue
		}
		fmt.Fprintf(stdout, "uploaded %s -> %s (%d bytes, %s)\n", f.path, obj.url(), f.size, obj.contentType)
		uploaded++
		bytes += f.size
	}
	verb, enc := "uploaded", "bucket default"
	if o.dryRun {
		verb = "would upload"
	}
	if o.kmsKey != "" {
		enc = "aws:kms " + o.kmsKey
	}
	fmt.Fprintf(stdout, "landing: %s %d of %d objects (%d bytes) to s3://%s/%s failed=%d encryption=%s\n",
		verb, uploaded, len(files), bytes, o.bucket, o.prefix, failed, enc)
	if failed > 0 {
		return 1
	}
	return 0
}

// localFile is one file to upload.
type localFile struct {
	path string // as found on disk
	rel  string // relative to the root, with forward slashes: the key suffix
	size int64
}

// listFiles returns the regular files under root in lexical order. Hidden
// files and folders (.DS_Store, editor swap files) are skipped.
func listFiles(root string) ([]localFile, error) {
	var out []localFile
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
		out = append(out, localFile{path: p, rel: filepath.ToSlash(rel), size: info.Size()})
		return nil
	})
	return out, err
}

// contentType is the object's Content-Type, from the file extension.
func contentType(name string) string {
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

// object is one upload.
type object struct {
	bucket, key, path, contentType, kmsKey string
	size                                   int64
}

func (o object) url() string { return "s3://" + o.bucket + "/" + o.key }

// put uploads one file. The body is the open file: seekable, so the SDK
// can sign the payload and retry without buffering it.
func put(ctx context.Context, client PutObjectAPI, o object) error {
	f, err := os.Open(o.path)
	if err != nil {
		return err
	}
	defer f.Close()
	in := &s3.PutObjectInput{
		Bucket:        &o.bucket,
		Key:           &o.key,
		Body:          f,
		ContentLength: &o.size,
		ContentType:   &o.contentType,
	}
	if o.kmsKey != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = &o.kmsKey
		// An S3 Bucket Key cuts KMS requests; the lake's buckets use one by default too.
		in.BucketKeyEnabled = aws.Bool(true)
	}
	_, err = client.PutObject(ctx, in)
	return err
}
