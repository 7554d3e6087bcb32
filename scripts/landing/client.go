package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/refdatalake/datalake/internal/landing"
)

// PutObjectAPI is the part of the S3 client the upload uses.
type PutObjectAPI = landing.PutObjectAPI

// newS3Client builds an S3 client from the standard AWS configuration chain.
// The endpoint is never set here: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL
// point the SDK at a local server, which then gets path-style addressing
// (bucket.localhost names do not resolve).
func newS3Client(ctx context.Context) (PutObjectAPI, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: set AWS_REGION or a region in your AWS profile")
	}
	pathStyle := customEndpoint(os.Getenv)
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }), nil
}

// customEndpoint reports whether the environment points S3 at another endpoint.
func customEndpoint(getenv func(string) string) bool {
	return getenv("AWS_ENDPOINT_URL_S3") != "" || getenv("AWS_ENDPOINT_URL") != ""
}
