// Command landing uploads the sample landing files (device metadata CSV,
// maintenance events as JSON lines) to the raw bucket, where the Glue
// crawlers catalogue them as landing_devices and landing_maintenance.
//
//	go run ./scripts/landing --bucket RAW_BUCKET --kms-key LAKE_KEY_ARN
//	go run ./scripts/landing --bucket RAW_BUCKET --dry-run
//
// Every file under --dir (default glue/samples/landing) becomes the object
// s3://BUCKET/<prefix><path relative to --dir>, so devices/devices.csv lands
// at landing/devices/devices.csv. The raw bucket's policy denies PutObject
// without SSE-KMS under the lake key: pass the key's ARN as --kms-key.
//
// AWS settings come from the environment like any SDK program: AWS_REGION,
// AWS_PROFILE, and AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) for a local
// S3-compatible server, which is then addressed path-style. One line per
// object goes to stdout, then a summary. The exit status is 1 if any upload
// failed, 2 for a usage error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, newS3Client)
	stop()
	os.Exit(code)
}
