// Command tablewatch tells the alarm topic when a Glue table optimizer of
// the lake's Iceberg tables fails. Glue documents no event for optimizer
// runs and publishes their metrics only after successful ones
// (https://docs.aws.amazon.com/glue/latest/dg/view-optimization-metrics.html);
// what it documents is each optimizer's last run, with its state and error
// (GetTableOptimizer, https://docs.aws.amazon.com/glue/latest/webapi/API_GetTableOptimizer.html).
// An EventBridge schedule runs this function every PERIOD_MINUTES; it reads
// every optimizer, logs each run that failed within the period and each
// optimizer Glue has turned off (it suspends compaction after four failed
// runs in a row), and writes their count as the TableOptimizerProblems
// metric (embedded metric format), which an alarm watches.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/glue"
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
	w := &watcher{s: s, glue: glue.NewFromConfig(cfg), log: log, metrics: os.Stdout, now: time.Now}
	lambda.Start(w.Handle)
}
