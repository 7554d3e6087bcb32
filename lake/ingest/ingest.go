// Package ingest is the lake's Streaming stack: the Kinesis stream producers
// write to, the Go transform Lambda, Firehose converting to Parquet with
// event-time dynamic partitioning, and the ingestion alarms and their topic.
package ingest

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesisfirehose"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/golambda"
	"github.com/refdatalake/datalake/lake/layout"
)

// TransformBatchMB is how much data Firehose hands the transform per call.
const TransformBatchMB = "0.5"

// Props configures the Streaming stack. Zero values take the defaults given.
type Props struct {
	awscdk.StackProps
	// Deployment names the topic. Required.
	Deployment layout.Deployment
	// LakeKey encrypts the stream, the topic, the logs and the Parquet. Required.
	LakeKey awskms.IKey
	// RawBucket receives telemetry/ and errors/. Required.
	RawBucket awss3.IBucket
	// Database and TelemetryTable give Firehose the Parquet schema. Required.
	Database       awsglue.IDatabase
	TelemetryTable awsglue.CfnTable
	// OnDemand makes the stream on-demand (billed per stream hour and GB)
	// instead of provisioned. Default false.
	OnDemand bool
	// Shards is the shard count in provisioned mode, each 1 MB/s or 1,000
	// records/s of writes. Default 1.
	Shards int
	// RetentionHours keeps records in the stream for replay (24 to 8760). Default 24.
	RetentionHours int
	// BufferSeconds flushes Firehose's buffer at least this often (60 to 900). Default 300.
	BufferSeconds int
	// BufferMB flushes at this size; Parquet conversion needs at least 64. Default 64.
	BufferMB int
	// TransformReservedConcurrency reserves concurrency for the transform; 0
	// (default) reserves none, because a new account cannot reserve any.
	TransformReservedConcurrency int
	// LambdaArch is the transform's GOARCH. Default arm64.
	LambdaArch string
	// LogRetentionDays keeps the transform's and Firehose's logs. Default 30.
	LogRetentionDays int
	// AllowDestroy makes the stream and log groups DESTROY instead of RETAIN. Default false.
	AllowDestroy bool
	// AlarmEmail, when set, subscribes this address to the alarm topic.
	AlarmEmail string
	// AnalyticsBucket receives the anomaly detector's events (anomalies/)
	// and its per-shard models (detector/checkpoints/). Required.
	AnalyticsBucket awss3.IBucket
	// AnomalyAlertMinutes is the least time between two anomaly alerts of
	// one device. Default 60.
	AnomalyAlertMinutes int
	// AnomalyAlertsPerDay is the detector's false-alert budget per device
	// and day, from which each device's alert levels are set. Default 1.
	AnomalyAlertsPerDay float64
	// Emulator shrinks the detector's forest and warm-up (32 points, 20
	// trees, 48 readings, no day of device time) so a short local run can
	// see an anomaly.
	Emulator bool
}

func (p Props) withDefaults() Props {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.Shards, 1)
	def(&p.RetentionHours, 24)
	def(&p.BufferSeconds, 300)
	def(&p.BufferMB, 64)
	def(&p.LogRetentionDays, 30)
	def(&p.AnomalyAlertMinutes, 60)
	if p.AnomalyAlertsPerDay == 0 {
		p.AnomalyAlertsPerDay = 1
	}
	return p
}

// Stack owns ingestion: stream, transform Lambda, Firehose, alarms.
type Stack struct {
	awscdk.Stack
	// Stream receives producer records (KMS-encrypted with the lake key).
	Stream awskinesis.Stream
	// Transform validates and partitions each record.
	Transform *golambda.Function
	// DeliveryStream converts to Parquet and writes to the raw bucket.
	DeliveryStream awskinesisfirehose.DeliveryStream
	// AlarmTopic receives every ingestion alarm, the failure events the
	// Operations stack routes and the budget's warnings (KMS-encrypted).
	AlarmTopic awssns.Topic
	// Alarms are the ingestion alarms.
	Alarms []awscloudwatch.IAlarm
	// Detect is the anomaly detector on the stream; DetectFailures its
	// event source mapping's on-failure destination.
	Detect         *golambda.Function
	DetectFailures awssqs.Queue
}

// NewStack creates the ingestion path.
func NewStack(scope constructs.Construct, id string, props *Props) (*Stack, error) {
	cfg := props.withDefaults()
	props = &cfg
	stack := awscdk.NewStack(scope, &id, &cfg.StackProps)
	s := &Stack{Stack: stack}

	streamProps := &awskinesis.StreamProps{
		Encryption:      awskinesis.StreamEncryption_KMS,
		EncryptionKey:   props.LakeKey,
		RetentionPeriod: awscdk.Duration_Hours(jsii.Number(float64(cfg.RetentionHours))),
		RemovalPolicy:   baseline.Removal(cfg.AllowDestroy),
	}
	if cfg.OnDemand {
		streamProps.StreamMode = awskinesis.StreamMode_ON_DEMAND
	} else {
		streamProps.StreamMode = awskinesis.StreamMode_PROVISIONED
		streamProps.ShardCount = jsii.Number(float64(cfg.Shards))
	}
	s.Stream = awskinesis.NewStream(stack, jsii.String("TelemetryStream"), streamProps)
	baseline.Suppress(s.Stream, baseline.NagReason{Rule: "AwsSolutions-KDS3", Reason: "The lake's customer-managed key is deliberate: one key, one key policy and one CloudTrail trail of use for all lake data; its cost ($1/month plus requests) is in docs/deploy.md."})

	transform, err := golambda.New(stack, "Transform", golambda.Props{
		Arch: cfg.LambdaArch, LogRetentionDays: cfg.LogRetentionDays, AllowDestroy: cfg.AllowDestroy,
		Package:             "./lambdas/transform",
		Description:         "Firehose transform: CSV or JSON telemetry -> schema-valid JSON + event-time partition keys",
		LakeKey:             props.LakeKey,
		MemoryMB:            512, // CPU scales with memory; a 1 MB batch finishes in milliseconds either way
		Timeout:             awscdk.Duration_Minutes(jsii.Number(1)),
		ReservedConcurrency: cfg.TransformReservedConcurrency,
		OutsideVpcReason:    "The transform makes no network calls at all (Firehose passes records in and takes results back), so a VPC adds no isolation, only ENI permissions on * to its role.",
		NoDlqReason:         "Firehose invokes the transform synchronously and routes failed records to its error prefix; a DLQ only applies to asynchronous invocations.",
	})
	if err != nil {
		return nil, err
	}
	s.Transform = transform

	firehoseLogs := awslogs.NewLogGroup(stack, jsii.String("DeliveryLogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: props.LakeKey,
		Retention:     baseline.Retention(cfg.LogRetentionDays),
		RemovalPolicy: baseline.Removal(cfg.AllowDestroy),
	})
	role := s.firehoseRole(props, firehoseLogs)

	dest := awskinesisfirehose.NewS3Bucket(props.RawBucket, &awskinesisfirehose.S3BucketProps{
		Role:              role,
		DataOutputPrefix:  jsii.String(layout.TelemetryDataPrefix),
		ErrorOutputPrefix: jsii.String(layout.TelemetryErrorPrefix),
		EncryptionKey:     props.LakeKey,
		BufferingInterval: awscdk.Duration_Seconds(jsii.Number(float64(cfg.BufferSeconds))),
		BufferingSize:     awscdk.Size_Mebibytes(jsii.Number(float64(cfg.BufferMB))),
		LoggingConfig:     awskinesisfirehose.NewEnableLogging(firehoseLogs),
		Processors: &[]awskinesisfirehose.IDataProcessor{awskinesisfirehose.NewLambdaFunctionProcessor(transform.Function, &awskinesisfirehose.DataProcessorProps{
			// Lowered to 0.5 MB below (Size cannot say half a MiB).
			BufferSize:     awscdk.Size_Mebibytes(jsii.Number(1)),
			BufferInterval: awscdk.Duration_Seconds(jsii.Number(60)),
			Retries:        jsii.Number(3),
		})},
		DataFormatConversion: &awskinesisfirehose.DataFormatConversionProps{
			SchemaConfiguration: awskinesisfirehose.SchemaConfiguration_FromCfnTable(props.TelemetryTable, nil),
			// The transform writes ts in Hive's default timestamp format, which this deserializer reads as is.
			InputFormat: awskinesisfirehose.InputFormat_HIVE_JSON(),
			OutputFormat: awskinesisfirehose.NewParquetOutputFormat(&awskinesisfirehose.ParquetOutputFormatProps{
				Compression: awskinesisfirehose.ParquetCompression_SNAPPY(),
			}),
		},
		DynamicPartitioning: &awskinesisfirehose.DynamicPartitioningProps{
			Enabled:       jsii.Bool(true),
			RetryDuration: awscdk.Duration_Minutes(jsii.Number(5)),
		},
	})
	s.DeliveryStream = awskinesisfirehose.NewDeliveryStream(stack, jsii.String("TelemetryDelivery"), &awskinesisfirehose.DeliveryStreamProps{
		Source:      awskinesisfirehose.NewKinesisStreamSource(s.Stream),
		Destination: dest,
		Role:        role,
	})
	// A 100-byte CSV reading comes back as ~630 bytes of response (JSON with
	// field names, base64, partition keys) and a Lambda response is capped at
	// 6 MiB: 0.5 MB batches convert fully with room to spare, where the 1 MB
	// default pushed a third of a batch of small CSV readings past the
	// transform's response budget into the error prefix. Firehose accepts
	// 0.2 to 3 MB here; the parameter's position is checked by a test.
	s.DeliveryStream.Node().DefaultChild().(awscdk.CfnResource).AddPropertyOverride(
		jsii.String("ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors.0.Parameters.3.ParameterValue"),
		jsii.String(TransformBatchMB))
	baseline.Suppress(s.DeliveryStream, baseline.NagReason{Rule: "AwsSolutions-KDF1", Reason: "Firehose server-side encryption exists only for Direct PUT; with a stream source, data at rest is in the stream (SSE-KMS, lake key) and in S3 (SSE-KMS, lake key)."})
	// The L2 always adds a mapping of Firehose's CIDR blocks, which only
	// Redshift and OpenSearch destinations read; unused, it is template noise
	// that CloudFormation's validation flags (W7001).
	if !*stack.Node().TryRemoveChild(jsii.String("@aws-cdk--aws-kinesisfirehose.CidrBlocks")) {
		return nil, fmt.Errorf("streaming: the Firehose CIDR mapping moved; update the removal in lake/ingest")
	}

	s.AlarmTopic = awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String(cfg.Deployment.Project + " " + cfg.Deployment.Profile + " ingestion alarms"),
		MasterKey:   props.LakeKey,
		EnforceSSL:  jsii.Bool(true),
	})
	// The topic policy CDK writes for EnforceSSL replaces SNS's default policy,
	// which is what let CloudWatch alarms of the owner account publish
	// (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html):
	// without this statement no alarm would ever reach the topic.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions.html
	s.AlarmTopic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.AlarmTopic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike": map[string]any{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"),
				ResourceName: jsii.String("*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})},
		},
	}))
	// The Operations stack's rules send Glue, data quality and workflow
	// failures here. EventBridge documents no condition for this grant: "You
	// can't use Condition blocks in Amazon SNS topic policies for
	// EventBridge", so any rule's events may reach the topic; what reaches a
	// subscriber is only what a rule matched.
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
	s.AlarmTopic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeRules"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.AlarmTopic.TopicArn()},
	}))
	// The monthly budget warns here; Budgets sends its account and the
	// budget's ARN, and its topic must be in the same account.
	// https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
	s.AlarmTopic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowBudgetsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("budgets.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.AlarmTopic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike":      map[string]any{"aws:SourceArn": "arn:" + *awscdk.Aws_PARTITION() + ":budgets::" + *awscdk.Aws_ACCOUNT_ID() + ":*"},
		},
	}))
	if cfg.AlarmEmail != "" {
		s.AlarmTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(&cfg.AlarmEmail, nil))
	}
	if err := s.addDetector(cfg); err != nil {
		return nil, err
	}
	s.addAlarms(cfg)
	awscdk.NewCfnOutput(stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{
		Value: s.AlarmTopic.TopicArn(), Description: jsii.String("Ingestion alarms: subscribe to be told (make smoke checks an alarm arrives)"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TelemetryStreamName"), &awscdk.CfnOutputProps{
		Value: s.Stream.StreamName(), Description: jsii.String("Stream the producer writes to: go run ./scripts/produce --stream <this>"),
	})
	return s, nil
}

// firehoseRole is written by hand: the L2 would add an inline policy with
// wildcards; this one names each resource and prefix.
func (s *Stack) firehoseRole(props *Props, logs awslogs.LogGroup) awsiam.IRole {
	bucket := props.RawBucket.BucketArn()
	statements := []awsiam.PolicyStatement{
		baseline.Statement("ReadStream", []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"},
			s.Stream.StreamArn()),
		baseline.StatementWhen("UseLakeKeyViaKinesisAndS3", []string{"kms:Decrypt", "kms:GenerateDataKey"},
			map[string]any{"StringEquals": map[string]any{"kms:ViaService": baseline.ViaServices("kinesis", "s3")}},
			props.LakeKey.KeyArn()),
		baseline.Statement("ListRawBucket", []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}, bucket),
		baseline.Statement("WriteTelemetryAndErrors", []string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"},
			props.RawBucket.ArnForObjects(jsii.String(layout.RawTelemetryPrefix+"*")), props.RawBucket.ArnForObjects(jsii.String(layout.RawErrorsPrefix+"*"))),
		baseline.Statement("InvokeTransform", []string{"lambda:InvokeFunction", "lambda:GetFunctionConfiguration"}, s.Transform.Function.FunctionArn()),
		baseline.Statement("ReadTableSchema", []string{"glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"},
			s.FormatArn(&awscdk.ArnComponents{Service: jsii.String("glue"), Resource: jsii.String("catalog")}),
			props.Database.DatabaseArn(),
			s.FormatArn(&awscdk.ArnComponents{Service: jsii.String("glue"), Resource: jsii.String("table"),
				ResourceName: jsii.String(*props.Database.DatabaseName() + "/" + layout.RawTelemetryTable), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})),
		baseline.Statement("WriteDeliveryLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, logs.LogGroupArn()),
	}
	policy := awsiam.NewManagedPolicy(s.Stack, jsii.String("DeliveryPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Lets Firehose read the telemetry stream, call the transform, read the table schema and write raw telemetry"),
		Statements:  &statements,
	})
	role := awsiam.NewRole(s.Stack, jsii.String("DeliveryRole"), &awsiam.RoleProps{
		Description: jsii.String("Assumed by Firehose for the telemetry delivery stream"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("firehose.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: baseline.TrustConditions("firehose.amazonaws.com"),
		}),
		ManagedPolicies: &[]awsiam.IManagedPolicy{policy},
	})
	baseline.Suppress(policy, baseline.NagReason{Rule: "AwsSolutions-IAM5", Reason: "Object wildcards are confined to the raw bucket's telemetry/ and errors/ prefixes, where Firehose creates objects whose keys are not known in advance."})
	// The L2 would grant the same rights again as an inline policy; the immutable view drops those.
	return role.WithoutPolicyUpdates(nil)
}

// addAlarms wires every ingestion alarm to the alarm topic.
func (s *Stack) addAlarms(cfg Props) {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	alarm := func(id, description string, metric awscloudwatch.IMetric, op awscloudwatch.ComparisonOperator, threshold float64, periods int) {
		a := metric.(awscloudwatch.Metric).CreateAlarm(s.Stack, &id, &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:   jsii.String(description),
			ComparisonOperator: op,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(float64(periods)),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(s.AlarmTopic))
		s.Alarms = append(s.Alarms, a)
	}
	max5 := &awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: five}
	sum5 := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five}
	min5 := &awscloudwatch.MetricOptions{Statistic: jsii.String("Minimum"), Period: five}
	gt, lt := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD

	alarm("IteratorAgeAlarm", "Firehose is falling behind the stream: oldest unread record older than 15 minutes",
		s.Stream.MetricGetRecordsIteratorAgeMilliseconds(max5), gt, 15*60*1000, 3)
	// Freshness legitimately reaches the buffer interval; beyond it plus 15 minutes, delivery is stuck.
	alarm("DataFreshnessAlarm", "Oldest record in Firehose not yet in S3 is older than the buffer interval + 15 minutes",
		s.DeliveryStream.Metric(jsii.String("DeliveryToS3.DataFreshness"), max5), gt, float64(cfg.BufferSeconds+15*60), 1)
	alarm("ProcessingFailureAlarm", "A Firehose call of the transform Lambda failed (records went to the error prefix)",
		s.DeliveryStream.Metric(jsii.String("ExecuteProcessing.Success"), min5), lt, 1, 1)
	alarm("ConversionFailureAlarm", "Records failed Parquet conversion (they went to the error prefix)",
		s.DeliveryStream.Metric(jsii.String("FailedConversion.Records"), sum5), gt, 0, 1)
	// Firehose keeps at most 500 partitions (event hours here) open per
	// buffer; the records of any further hour go to errors/telemetry/
	// activePartitionExceeded/, e.g. when a backfill spans more than 500
	// hours. They are kept, not lost, but must be sent again after the limit
	// is raised or the backfill split.
	// https://docs.aws.amazon.com/firehose/latest/dev/buffering.html
	// https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html
	alarm("PartitionLimitAlarm", "More than 500 event hours in one Firehose buffer: records went to errors/telemetry/activePartitionExceeded/ (split the backfill, then send them again)",
		s.DeliveryStream.Metric(jsii.String("PartitionCountExceeded"), max5), gt, 0, 1)
	alarm("TransformErrorsAlarm", "The transform Lambda returned errors",
		s.Transform.Function.MetricErrors(sum5), gt, 0, 1)
	alarm("TransformThrottlesAlarm", "The transform Lambda was throttled",
		s.Transform.Function.MetricThrottles(sum5), gt, 0, 1)
	alarm("DetectErrorsAlarm", "The anomaly detector's invocation failed: crashed, timed out or out of memory (Lambda retries the batch, then describes it in the DetectFailures queue)",
		s.Detect.Function.MetricErrors(sum5), gt, 0, 1)
	// A batch the detector reports failed (a partial batch response) is
	// not a Lambda error: the function says so itself.
	own := func(name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(layout.MetricsNamespace), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{layout.DimensionFunction: s.Detect.Function.FunctionName()}, Statistic: jsii.String("Sum"), Period: five})
	}
	alarm("DetectBatchFailuresAlarm", "The anomaly detector could not save a batch's anomalies and reported it for retry (its log says why)",
		own(layout.MetricDetectBatchFailures), gt, 0, 1)
	alarm("DetectCheckpointAlarm", "The anomaly detector could not read, restore or save a shard's checkpoint (access, damage or size: its log says which)",
		own(layout.MetricDetectCheckpointErrors), gt, 0, 1)
	// IteratorAge of an event source mapping: how far behind the stream the detector is.
	// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
	alarm("DetectIteratorAgeAlarm", "The anomaly detector is more than 15 minutes behind the stream",
		s.Detect.Function.Metric(jsii.String("IteratorAge"), max5), gt, 15*60*1000, 3)
	alarm("DetectFailuresAlarm", "A batch of the stream gave up on the anomaly detector: see the DetectFailures queue for its shard and sequence numbers",
		s.DetectFailures.MetricApproximateNumberOfMessagesVisible(max5), gt, 0, 1)
}
