// Command detect is the stream's anomaly detector: a second consumer of the
// telemetry stream (a Kinesis event source mapping), one model per shard
// (internal/anomaly), anomaly events under anomalies/ in the analytics
// bucket, alerts through the alarm topic, and counts as embedded metric
// format lines. See docs/anomalies.md.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/refdatalake/datalake/internal/anomaly"
)

// The environment lake/ingest sets.
const (
	envBucket       = "LAKE_BUCKET"
	envKey          = "LAKE_KEY_ARN"
	envTopic        = "ALERT_TOPIC_ARN"
	envAlertMinutes = "ALERT_INTERVAL_MINUTES"
	envAlertsPerDay = "ALERTS_PER_DAY"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	s, err := settingsFromEnv(os.Getenv)
	if err != nil {
		log.Error("bad configuration", "error", err.Error())
		os.Exit(1)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	// A local emulator on 127.0.0.1 needs path-style addressing.
	pathStyle := os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	d := &detector{s: s, log: log, metrics: os.Stdout, now: time.Now, shards: map[string]*shard{},
		store: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }), topic: sns.NewFromConfig(cfg)}
	lambda.Start(d.Handle)
}

func settingsFromEnv(get func(string) string) (settings, error) {
	s := settings{bucket: get(envBucket), keyARN: get(envKey), topicARN: get(envTopic), functionName: get("AWS_LAMBDA_FUNCTION_NAME"),
		alertEvery: time.Hour, checkpointEvery: time.Minute, detector: anomaly.Config{Fields: fieldNames()}}
	if s.bucket == "" {
		return s, fmt.Errorf("%s is not set", envBucket)
	}
	// Smaller models for a short local run (the local profile sets these).
	for _, o := range []struct {
		env      string
		field    *int
		min, max int
	}{{"DETECT_SAMPLE_SIZE", &s.detector.SampleSize, 8, 4096}, {"DETECT_TREES", &s.detector.Trees, 1, 200}, {"DETECT_WARM_UP", &s.detector.WarmUp, 1, 100000}} {
		if v := get(o.env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < o.min || n > o.max {
				return s, fmt.Errorf("%s=%q: want a whole number from %d to %d", o.env, v, o.min, o.max)
			}
			*o.field = n
		}
	}
	if v := get(envAlertsPerDay); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 1000) {
			return s, fmt.Errorf("%s=%q: want a number of alerts per device and day above 0, at most 1000", envAlertsPerDay, v)
		}
		s.detector.AlertsPerDay = f
	}
	// A short demonstration stream (the local profile) scores readings in
	// hours of the day the profile has not learnt yet.
	if v := get("DETECT_ANY_HOUR"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s, fmt.Errorf("DETECT_ANY_HOUR=%q: want true or false", v)
		}
		s.detector.AnyHour = b
	}
	if v := get(envAlertMinutes); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 7*24*60 {
			return s, fmt.Errorf("%s=%q: want whole minutes from 1 to 10080", envAlertMinutes, v)
		}
		s.alertEvery = time.Duration(n) * time.Minute
	}
	return s, nil
}
