// Command produce sends synthetic device telemetry to a Kinesis data stream.
//
//	go run ./scripts/produce --stream NAME --count 10000 --rate 500
//	go run ./scripts/produce --stream NAME --duration 5m --malformed-fraction 0.02 --format csv
//
// Records come from internal/telemetrygen, so they follow internal/schema.
// AWS settings come from the environment like any SDK program: AWS_REGION,
// AWS_PROFILE, and AWS_ENDPOINT_URL_KINESIS (or AWS_ENDPOINT_URL) for a local
// Kinesis-compatible server. The summary goes to stdout, progress to stderr.
// The exit status is 1 if any record was lost, 2 for a usage error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling: the run
		// flushes and exits, and a second Ctrl-C ends it at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, newKinesisClient)
	stop()
	os.Exit(code)
}
