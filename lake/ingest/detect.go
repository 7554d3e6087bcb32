package ingest

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/golambda"
	"github.com/refdatalake/datalake/lake/layout"
)

// addDetector adds the stream's second consumer: the Go anomaly detector
// (lambdas/detect) on a Kinesis event source mapping. Batches wait up to
// 30 s to fill; a batch that fails is split in two until the failing
// record is alone, retried 5 times, then described in the encrypted
// on-failure queue, so one poison record never holds up its shard (the
// records themselves stay in the stream and in raw/). Records of any age
// the stream still holds are scored.
// https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
// https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
func (s *Stack) addDetector(cfg Props) error {
	bucket := cfg.AnalyticsBucket
	env := map[string]string{
		"LAKE_BUCKET":            *bucket.BucketName(),
		"LAKE_KEY_ARN":           *cfg.LakeKey.KeyArn(),
		"ALERT_TOPIC_ARN":        *s.AlarmTopic.TopicArn(),
		"ALERT_INTERVAL_MINUTES": strconv.Itoa(cfg.AnomalyAlertMinutes),
		"ALERTS_PER_DAY":         strconv.FormatFloat(cfg.AnomalyAlertsPerDay, 'f', -1, 64),
	}
	if cfg.Emulator {
		// A local run sends a few minutes of readings: a small forest, a
		// short warm-up, and any hour of the day scored.
		env["DETECT_SAMPLE_SIZE"], env["DETECT_TREES"], env["DETECT_WARM_UP"], env["DETECT_ANY_HOUR"] = "32", "20", "48", "true"
	}
	det, err := golambda.New(s.Stack, "Detect", golambda.Props{
		Arch: cfg.LambdaArch, LogRetentionDays: cfg.LogRetentionDays, AllowDestroy: cfg.AllowDestroy,
		Package:     "./lambdas/detect",
		Description: "Streaming anomaly detection on the telemetry stream: a Random Cut Forest per shard and jump, volatility, context, drift, repeat and correlation detectors per field, alert levels from each device's history; anomalies to S3, alerts to SNS",
		LakeKey:     cfg.LakeKey,
		// A shard's state is small (about 2 KB a device in memory: 10,000
		// devices take 18 MiB); 1 GB is for the CPU share, about half a vCPU,
		// which scores some 10,000 readings a second against a shard's
		// 1,000 records a second at most.
		MemoryMB:         1024,
		Timeout:          awscdk.Duration_Minutes(jsii.Number(2)),
		Environment:      env,
		OutsideVpcReason: "It reads the stream and writes S3 and SNS with its role; the VPC has no route to Kinesis or SNS (no NAT, no interface endpoints), so attaching it would need paid interface endpoints for no isolation gained.",
		NoDlqReason:      "Kinesis invokes it synchronously through an event source mapping, whose own on-failure destination (an encrypted SQS queue) takes what fails; a function DLQ applies only to asynchronous invocations.",
		WildcardReason:   "Object wildcards are confined to the analytics bucket's anomalies/ and detector/checkpoints/ prefixes, whose keys name days and shards.",
	})
	if err != nil {
		return err
	}
	s.Detect = det
	s.DetectFailures = awssqs.NewQueue(s.Stack, jsii.String("DetectFailures"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: cfg.LakeKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
	})
	reason := "It is itself the on-failure destination of the detector's event source mapping; it holds descriptions of failed batches (the records stay in the stream and raw/), and an alarm watches its depth."
	baseline.Suppress(s.DetectFailures, baseline.NagReason{Rule: "AwsSolutions-SQS3", Reason: reason}, baseline.NagReason{Rule: "Serverless-SQSRedrivePolicy", Reason: reason})

	via := func(services ...string) map[string]any {
		return map[string]any{"StringEquals": map[string]any{"kms:ViaService": baseline.ViaServices(services...)}}
	}
	checkpoints := bucket.ArnForObjects(jsii.String(layout.DetectorCheckpointPrefix + "*"))
	// The event source mapping polls with the function's role.
	// https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#events-kinesis-permissions
	det.Policy.AddStatements(
		baseline.Statement("ReadStream", []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"},
			s.Stream.StreamArn()),
		baseline.StatementWhen("DecryptStream", []string{"kms:Decrypt"}, via("kinesis"), cfg.LakeKey.KeyArn()),
		baseline.Statement("WriteAnomalies", []string{"s3:PutObject"}, baseline.Objects(bucket, layout.AnomaliesPrefix)),
		baseline.Statement("ReadWriteCheckpoints", []string{"s3:GetObject", "s3:PutObject"}, checkpoints),
		// Without s3:ListBucket on the bucket, S3 answers a missing
		// checkpoint (a new shard) with 403 instead of 404. That check
		// sends no prefix, so an s3:prefix condition would not satisfy it:
		// the grant is unconditioned, as for the Glue roles' Spark probes.
		// Listing shows key names only; reading stays on the checkpoints.
		// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
		baseline.Statement("FindCheckpoints", []string{"s3:ListBucket"}, bucket.BucketArn()),
		baseline.StatementWhen("UseLakeKeyViaS3SnsSqs", []string{"kms:Decrypt", "kms:GenerateDataKey"}, via("s3", "sns", "sqs"), cfg.LakeKey.KeyArn()),
		baseline.Statement("AlertTopic", []string{"sns:Publish"}, s.AlarmTopic.TopicArn()),
		baseline.Statement("DescribeFailedBatches", []string{"sqs:SendMessage"}, s.DetectFailures.QueueArn()),
	)
	source := awslambdaeventsources.NewKinesisEventSource(s.Stream, &awslambdaeventsources.KinesisEventSourceProps{
		// Everything the stream retains first: a new detector warms up on it.
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(500),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(30)),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(5),
		ReportBatchItemFailures: jsii.Bool(true),
		// One invocation per shard at a time: the shard's model is in one place.
		ParallelizationFactor: jsii.Number(1),
		OnFailure:             awslambdaeventsources.NewSqsDlq(s.DetectFailures),
	})
	det.Function.AddEventSource(source)
	// No record is too old to score: the mapping starts at TRIM_HORIZON, so
	// on a first deploy or after an outage it reads everything the stream
	// still holds (24 h in sandbox, 168 h in prod, up to 8,760 h), and a
	// maximum record age below the retention would send those records to
	// DetectFailures unscored and page. -1 is "infinite: Lambda doesn't
	// discard records (Kinesis Data Streams data retention settings still
	// apply)"; failing records still end after 5 retries. The L2 takes only
	// 60 s to 7 days, so the property is set on the L1.
	// https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html
	mapping := det.Function.Node().FindChild(jsii.String("KinesisEventSource:" + *awscdk.Names_NodeUniqueId(s.Stream.Node())))
	mapping.Node().DefaultChild().(awslambda.CfnEventSourceMapping).AddPropertyOverride(jsii.String("MaximumRecordAgeInSeconds"), jsii.Number(-1))
	return nil
}
