package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// newKinesisClient builds a Kinesis client from the standard AWS
// configuration chain. Endpoints are never set here: AWS_ENDPOINT_URL_KINESIS
// or AWS_ENDPOINT_URL (or endpoint_url in a profile) point it at a local
// server.
func newKinesisClient(ctx context.Context) (PutRecordsAPI, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: set AWS_REGION or a region in your AWS profile")
	}
	return kinesis.NewFromConfig(cfg, func(o *kinesis.Options) {
		// One attempt per call: the sender retries, and only the entries
		// that failed, so --max-retries bounds every retry and each is
		// counted in the summary.
		o.RetryMaxAttempts = 1
	}), nil
}
