package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/refdatalake/datalake/internal/landing"
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
	fs.StringVar(&o.prefix, "prefix", landing.Prefix, "key `prefix` the relative paths are appended to")
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
	files, err := landing.ListFiles(o.dir)
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
		obj := landing.ObjectFor(f, o.bucket, o.prefix, o.kmsKey)
		if o.dryRun {
			fmt.Fprintf(stdout, "would upload %s -> %s (%d bytes, %s)\n", f.Path, obj.URL(), f.Size, obj.ContentType)
			uploaded++
			bytes += f.Size
			continue
		}
		if err := landing.Put(ctx, client, obj); err != nil {
			fmt.Fprintf(stdout, "FAILED %s -> %s: %v\n", f.Path, obj.URL(), err)
			failed++
			if ctx.Err() != nil {
				break
			}
			continue
		}
		fmt.Fprintf(stdout, "uploaded %s -> %s (%d bytes, %s)\n", f.Path, obj.URL(), f.Size, obj.ContentType)
		uploaded++
		bytes += f.Size
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
