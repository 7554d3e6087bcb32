package main

// The access test: every call the deployed lake makes at run time, as a row
// (principal, action, resource, the request context AWS sends), decided by
// the IAM policy evaluator @cloud-copilot/iam-simulate against the policies
// of the synthesized templates: identity and trust policies, bucket, key,
// topic and function policies, VPC endpoint policies. The emulator enforces
// none of these, so this is what stands between a green local run and an
// AccessDenied on the user's first `make deploy`.
//
// Each row cites the AWS page that says the service makes that call, or
// that the call must be refused. Rows that must be denied prove the
// guardrails (TLS only, SSE-KMS with the lake key only, one zone per role).

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/refdatalake/datalake/internal/iamsim"
	"github.com/refdatalake/datalake/lake/layout"
)

// AWS pages the rows cite.
const (
	docS3KMS             = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"
	docS3BucketKey       = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html"
	docS3Multipart       = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions"
	docS3TLS             = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit"
	docS3Endpoint        = "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html#edit-vpc-endpoint-policy-s3"
	docKinesisKMS        = "https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html"
	docFirehoseAccess    = "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html"
	docFirehoseAssume    = "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#firehose-assume-role"
	docLogsKMS           = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
	docLambdaRole        = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"
	docSNSKMS            = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services"
	docAlarmSNS          = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions.html"
	docSNSDefault        = "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html"
	docGlueIAM           = "https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html"
	docGlueLogs          = "https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html"
	docGlueCatalog       = "https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html"
	docGlueDQ            = "https://docs.aws.amazon.com/glue/latest/dg/data-quality-authorization.html"
	docCrawler           = "https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html"
	docSfnConfused       = "https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html#prevent-cross-service-confused-deputy"
	docSfnSageMaker      = "https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html"
	docSfnGlue           = "https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html"
	docSfnDdb            = "https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html"
	docSfnSns            = "https://docs.aws.amazon.com/step-functions/latest/dg/connect-sns.html"
	docSfnLambda         = "https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html"
	docSfnLogs           = "https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy"
	docDdbKMS            = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html"
	docSageMakerRole     = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html"
	docSageMakerTrust    = "https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html"
	docSageMakerVpc      = "https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html"
	docEventsTrust       = "https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html"
	docEventsSfn         = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html"
	docFlowLogsRole      = "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html"
	docPutMetricData     = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html"
	docHeadObject        = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html"
	docFolderMarker      = "https://repost.aws/knowledge-center/emr-s3-empty-files"
	docEventsDLQ         = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html"
	docLambdaTracing     = "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html"
	docEventsSNS         = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions"
	docBudgetsSNS        = "https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html"
	docTrailBucket       = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html"
	docTrailKMS          = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html"
	docKinesisESM        = "https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#events-kinesis-permissions"
	docESMOnFailure      = "https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html"
	docSNSPublishKMS     = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#sns-what-permissions-for-sse"
	docSQSSendKMS        = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html"
	docGetObject404      = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html"
	docXRayActions       = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html"
	docStartDQRun        = "https://docs.aws.amazon.com/glue/latest/webapi/API_StartDataQualityRulesetEvaluationRun.html"
	docIcebergGlue       = "https://iceberg.apache.org/docs/1.7.1/aws/#glue-catalog"
	docSfnSdk            = "https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html"
	docIcebergDQ         = "https://docs.aws.amazon.com/prescriptive-guidance/latest/apache-iceberg-on-aws/measuring-data-quality-for-iceberg-tables.html"
	docOptimizerRole     = "https://docs.aws.amazon.com/glue/latest/dg/optimization-prerequisites.html"
	docGetTableOptimizer = "https://docs.aws.amazon.com/glue/latest/webapi/API_GetTableOptimizer.html"
)

// accessRow is one run-time call and the decision AWS must reach.
type accessRow struct {
	what      string
	principal string // role ARN, or a service principal
	action    string
	resource  string
	ctx       map[string]any
	endpoints []string // VPC endpoint policies the call passes through (logical ID prefixes)
	allow     bool
	doc       string
}

// accessEnv resolves the names the rows refer to in one synthesized profile.
type accessEnv struct {
	r    *iamsim.Resolved
	errs []string
}

const (
	testAccount = "111122223333"
	testRegion  = "eu-west-1"
)

func (e *accessEnv) res(stack, prefix, typ string) *iamsim.Resource {
	r, err := e.r.Find(stack, prefix, typ)
	if err != nil {
		e.errs = append(e.errs, err.Error())
		return &iamsim.Resource{Name: "missing-" + prefix, Arn: "arn:aws:s3:::missing-" + prefix}
	}
	return r
}

func (e *accessEnv) role(stack, prefix string) string {
	return e.res(stack, prefix, "AWS::IAM::Role").Arn
}

// has reports whether the profile has the stack.
func (e *accessEnv) has(stack string) bool { return e.r.HasStack(stack) }

func (e *accessEnv) key() string { return e.res("Storage", "LakeKey", "AWS::KMS::Key").Arn }

func (e *accessEnv) bucket(prefix string) *iamsim.Resource {
	return e.res("Storage", prefix, "AWS::S3::Bucket")
}

func (e *accessEnv) obj(bucketPrefix, key string) string {
	return e.bucket(bucketPrefix).Arn + "/" + key
}

func (e *accessEnv) arnOf(service, rest string) string {
	return "arn:aws:" + service + ":" + testRegion + ":" + testAccount + ":" + rest
}

func via(service string) map[string]any {
	return map[string]any{"kms:ViaService": service + "." + testRegion + ".amazonaws.com", "kms:CallerAccount": testAccount}
}

func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// s3Get is a GetObject and the KMS Decrypt S3 makes for it with the
// caller's credentials; with a bucket key the encryption context is the bucket ARN.
func (e *accessEnv) s3Get(what, principal, bucketPrefix, key string, endpoints ...string) []accessRow {
	b := e.bucket(bucketPrefix)
	return []accessRow{
		{what: what, principal: principal, action: "s3:GetObject", resource: b.Arn + "/" + key, endpoints: endpoints, allow: true, doc: docS3KMS},
		{what: what + " (S3 decrypts with the lake key)", principal: principal, action: "kms:Decrypt", resource: e.key(),
			ctx: merge(via("s3"), map[string]any{"kms:EncryptionContext:aws:s3:arn": b.Arn}), allow: true, doc: docS3BucketKey},
	}
}

// s3Put is a PutObject with the lake's SSE-KMS headers, and the KMS calls S3
// makes for it: GenerateDataKey, and Decrypt for multipart uploads.
func (e *accessEnv) s3Put(what, principal, bucketPrefix, key string, endpoints ...string) []accessRow {
	b := e.bucket(bucketPrefix)
	return []accessRow{
		{what: what, principal: principal, action: "s3:PutObject", resource: b.Arn + "/" + key, ctx: e.sseKMS(), endpoints: endpoints, allow: true, doc: docS3KMS},
		{what: what + " (S3 asks for a data key)", principal: principal, action: "kms:GenerateDataKey", resource: e.key(),
			ctx: merge(via("s3"), map[string]any{"kms:EncryptionContext:aws:s3:arn": b.Arn}), allow: true, doc: docS3BucketKey},
		{what: what + " (multipart: S3 decrypts the parts)", principal: principal, action: "kms:Decrypt", resource: e.key(),
			ctx: merge(via("s3"), map[string]any{"kms:EncryptionContext:aws:s3:arn": b.Arn}), allow: true, doc: docS3Multipart},
	}
}

func (e *accessEnv) sseKMS() map[string]any {
	return map[string]any{"s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": e.key()}
}

func (e *accessEnv) list(what, principal, bucketPrefix, prefix string, allow bool, endpoints ...string) accessRow {
	return accessRow{what: what, principal: principal, action: "s3:ListBucket", resource: e.bucket(bucketPrefix).Arn,
		ctx: map[string]any{"s3:prefix": prefix}, endpoints: endpoints, allow: allow, doc: docGlueIAM}
}

// assume is the service assuming a role, with the context keys the service
// documents that it sends (and no others: a condition on a key the service
// does not send denies the role to it).
func assume(what, service, role string, ctx map[string]any, doc string) accessRow {
	return accessRow{what: what, principal: service, action: "sts:AssumeRole", resource: role, ctx: ctx, allow: true, doc: doc}
}

func logWrite(what, principal, logGroupArn string, doc string) []accessRow {
	group := strings.TrimSuffix(logGroupArn, ":*")
	return []accessRow{
		{what: what, principal: principal, action: "logs:CreateLogStream", resource: group + ":log-stream:stream", allow: true, doc: doc},
		{what: what, principal: principal, action: "logs:PutLogEvents", resource: group + ":log-stream:stream", allow: true, doc: doc},
	}
}

// accessRows is every run-time call of the lake in one profile.
func accessRows(e *accessEnv) []accessRow {
	var rows []accessRow
	add := func(rs ...accessRow) { rows = append(rows, rs...) }
	key := e.key()
	account := map[string]any{"aws:SourceAccount": testAccount}

	// --- Ingestion: Firehose reads the stream, calls the transform, reads the
	// table schema and writes Parquet and errors to the raw bucket.
	firehose := e.role("Streaming", "DeliveryRole")
	stream := e.res("Streaming", "TelemetryStream", "AWS::Kinesis::Stream")
	transform := e.res("Streaming", "TransformFunction", "AWS::Lambda::Function")
	db := e.res("Catalog", "LakeDatabase", "AWS::Glue::Database")
	add(assume("Firehose assumes its role", "firehose.amazonaws.com", firehose, map[string]any{"sts:ExternalId": testAccount}, docFirehoseAssume))
	for _, a := range []string{"kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"} {
		add(accessRow{what: "Firehose reads the stream", principal: firehose, action: a, resource: stream.Arn, allow: true, doc: docFirehoseAccess})
	}
	add(accessRow{what: "Firehose decrypts stream records", principal: firehose, action: "kms:Decrypt", resource: key,
		ctx: merge(via("kinesis"), map[string]any{"kms:EncryptionContext:aws:kinesis:arn": stream.Arn}), allow: true, doc: docKinesisKMS})
	add(accessRow{what: "Firehose calls the transform", principal: firehose, action: "lambda:InvokeFunction", resource: transform.Arn, allow: true, doc: docFirehoseAccess},
		accessRow{what: "Firehose reads the transform's configuration", principal: firehose, action: "lambda:GetFunctionConfiguration", resource: transform.Arn, allow: true, doc: docFirehoseAccess})
	for _, res := range []string{e.arnOf("glue", "catalog"), db.Arn, e.arnOf("glue", "table/"+db.Name+"/"+layout.RawTelemetryTable)} {
		add(accessRow{what: "Firehose reads the Parquet schema", principal: firehose, action: "glue:GetTableVersions", resource: res, allow: true, doc: docFirehoseAccess})
	}
	add(e.s3Put("Firehose writes Parquet", firehose, "RawBucket", "telemetry/year=2026/month=03/day=01/hour=00/delivery-1.parquet")...)
	add(e.s3Put("Firehose writes failed records", firehose, "RawBucket", "errors/telemetry/processing-failed/year=2026/month=03/day=01/hour=00/delivery-1")...)
	add(accessRow{what: "Firehose lists the raw bucket", principal: firehose, action: "s3:ListBucket", resource: e.bucket("RawBucket").Arn, allow: true, doc: docFirehoseAccess},
		accessRow{what: "Firehose aborts a failed upload", principal: firehose, action: "s3:AbortMultipartUpload", resource: e.obj("RawBucket", "telemetry/x.parquet"), allow: true, doc: docFirehoseAccess})
	add(logWrite("Firehose logs delivery errors", firehose, e.res("Streaming", "DeliveryLogGroup", "AWS::Logs::LogGroup").Arn, docFirehoseAccess)...)
	add(accessRow{what: "Firehose may not write outside telemetry/ and errors/", principal: firehose, action: "s3:PutObject", resource: e.obj("RawBucket", "landing/devices/x.csv"), ctx: e.sseKMS(), doc: docFirehoseAccess},
		accessRow{what: "Firehose may not write the curated zone", principal: firehose, action: "s3:PutObject", resource: e.obj("CuratedBucket", "telemetry/x.parquet"), ctx: e.sseKMS(), doc: docFirehoseAccess})

	transformRole := e.role("Streaming", "TransformRole")
	add(assume("Lambda assumes the transform's role", "lambda.amazonaws.com", transformRole, nil, docLambdaRole))
	add(logWrite("the transform logs", transformRole, e.res("Streaming", "TransformLogGroup", "AWS::Logs::LogGroup").Arn, docLambdaRole)...)
	add(accessRow{what: "the transform reads no lake data", principal: transformRole, action: "s3:GetObject", resource: e.obj("RawBucket", "telemetry/x.parquet"), doc: docLambdaRole})

	// --- The anomaly detector: its event source mapping polls the stream
	// with the function's role; the function keeps its models and writes
	// anomalies in the analytics bucket, alerts the alarm topic, and the
	// mapping describes batches that gave up in an encrypted queue.
	detectRole := e.role("Streaming", "DetectRole")
	telemetryStream := e.res("Streaming", "TelemetryStream", "AWS::Kinesis::Stream").Arn
	add(assume("Lambda assumes the detector's role", "lambda.amazonaws.com", detectRole, nil, docLambdaRole))
	for _, a := range []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"} {
		add(accessRow{what: "the detector's mapping reads the stream", principal: detectRole, action: a, resource: telemetryStream, allow: true, doc: docKinesisESM})
	}
	add(accessRow{what: "Kinesis decrypts records for the detector", principal: detectRole, action: "kms:Decrypt", resource: key,
		ctx: merge(via("kinesis"), map[string]any{"kms:EncryptionContext:aws:kinesis:arn": telemetryStream}), allow: true, doc: docKinesisKMS})
	add(e.s3Put("the detector writes anomalies", detectRole, "AnalyticsBucket", "anomalies/year=2026/month=03/day=01/shardId-000000000000-4959.json")...)
	add(e.s3Put("the detector saves a shard's model", detectRole, "AnalyticsBucket", "detector/checkpoints/shardId-000000000000.bin")...)
	add(e.s3Get("the detector resumes a shard's model", detectRole, "AnalyticsBucket", "detector/checkpoints/shardId-000000000000.bin")...)
	// GetObject of a missing key answers 404 only if the caller may
	// s3:ListBucket the bucket; that check carries no prefix (the request
	// has none), so it is evaluated without s3:prefix.
	add(accessRow{what: "S3 decides a new shard's missing checkpoint is 404, not 403 (ListBucket without a prefix)", principal: detectRole, action: "s3:ListBucket",
		resource: e.bucket("AnalyticsBucket").Arn, allow: true, doc: docGetObject404},
		accessRow{what: "the detector may not list another bucket", principal: detectRole, action: "s3:ListBucket", resource: e.bucket("RawBucket").Arn, doc: docGetObject404})
	add(accessRow{what: "the detector alerts the alarm topic", principal: detectRole, action: "sns:Publish", resource: alarmTopicArn(e), allow: true, doc: docSNSPublishKMS},
		accessRow{what: "SNS encrypts the alert with the lake key", principal: detectRole, action: "kms:GenerateDataKey", resource: key, ctx: via("sns"), allow: true, doc: docSNSPublishKMS},
		accessRow{what: "SNS encrypts the alert with the lake key", principal: detectRole, action: "kms:Decrypt", resource: key, ctx: via("sns"), allow: true, doc: docSNSPublishKMS},
		accessRow{what: "the mapping describes a failed batch", principal: detectRole, action: "sqs:SendMessage", resource: e.res("Streaming", "DetectFailures", "AWS::SQS::Queue").Arn, allow: true, doc: docESMOnFailure},
		accessRow{what: "SQS encrypts the description with the lake key", principal: detectRole, action: "kms:GenerateDataKey", resource: key, ctx: via("sqs"), allow: true, doc: docSQSSendKMS},
		accessRow{what: "the detector may not read raw telemetry files", principal: detectRole, action: "s3:GetObject", resource: e.obj("RawBucket", "telemetry/x.parquet"), doc: docLambdaRole},
		accessRow{what: "the detector may not write models of the ML workflows", principal: detectRole, action: "s3:PutObject", resource: e.obj("AnalyticsBucket", "models/x/model.tar.gz"), ctx: e.sseKMS(), doc: docLambdaRole},
		accessRow{what: "the detector may not write to the stream", principal: detectRole, action: "kinesis:PutRecord", resource: telemetryStream, doc: docKinesisESM})
	add(logWrite("the detector logs", detectRole, e.res("Streaming", "DetectLogGroup", "AWS::Logs::LogGroup").Arn, docLambdaRole)...)

	// --- Bucket guardrails, for any principal that may otherwise write.
	add(accessRow{what: "an upload without SSE-KMS is refused", principal: firehose, action: "s3:PutObject", resource: e.obj("RawBucket", "telemetry/x.parquet"),
		ctx: map[string]any{"s3:x-amz-server-side-encryption": "AES256"}, doc: docS3KMS},
		accessRow{what: "an upload naming another KMS key is refused", principal: firehose, action: "s3:PutObject", resource: e.obj("RawBucket", "telemetry/x.parquet"),
			ctx: map[string]any{"s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/other"}, doc: docS3KMS},
		accessRow{what: "plain HTTP is refused", principal: firehose, action: "s3:GetObject", resource: e.obj("RawBucket", "telemetry/x.parquet"),
			ctx: map[string]any{"aws:SecureTransport": "false"}, doc: docS3TLS})

	// --- CloudWatch Logs encrypts every log group with the lake key.
	for _, lg := range e.r.All("AWS::Logs::LogGroup") {
		if lg.Properties["KmsKeyId"] == nil {
			continue
		}
		group := strings.TrimSuffix(lg.Arn, ":*")
		for _, a := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
			add(accessRow{what: "CloudWatch Logs encrypts " + lg.Stack + "/" + lg.LogicalID, principal: "logs." + testRegion + ".amazonaws.com", action: a, resource: key,
				ctx: map[string]any{"kms:EncryptionContext:aws:logs:arn": group}, allow: true, doc: docLogsKMS})
		}
	}

	// --- Alarms publish to the encrypted alarm topic as cloudwatch.amazonaws.com.
	for _, alarm := range e.r.All("AWS::CloudWatch::Alarm") {
		for _, action := range iamsimList(alarm.Properties["AlarmActions"]) {
			ctx := map[string]any{"aws:SourceArn": alarm.Arn, "aws:SourceAccount": testAccount}
			add(accessRow{what: "alarm " + alarm.LogicalID + " notifies its topic", principal: "cloudwatch.amazonaws.com", action: "sns:Publish", resource: fmt.Sprint(action), ctx: ctx, allow: true, doc: docAlarmSNS})
		}
	}
	alarmTopic := e.res("Streaming", "AlarmTopic", "AWS::SNS::Topic").Arn
	add(accessRow{what: "CloudWatch encrypts alarm messages with the lake key", principal: "cloudwatch.amazonaws.com", action: "kms:GenerateDataKey", resource: key,
		ctx: merge(via("sns"), account), allow: true, doc: docSNSKMS},
		accessRow{what: "CloudWatch encrypts alarm messages with the lake key", principal: "cloudwatch.amazonaws.com", action: "kms:Decrypt", resource: key,
			ctx: merge(via("sns"), account), allow: true, doc: docSNSKMS},
		accessRow{what: "another account's alarm may not publish", principal: "cloudwatch.amazonaws.com", action: "sns:Publish", resource: alarmTopic,
			ctx: map[string]any{"aws:SourceArn": "arn:aws:cloudwatch:" + testRegion + ":999988887777:alarm:x", "aws:SourceAccount": "999988887777"}, doc: docAlarmSNS},
		accessRow{what: "publishing over plain HTTP is refused", principal: e.role("ML", "WorkflowRole"), action: "sns:Publish", resource: alarmTopic,
			ctx: map[string]any{"aws:SecureTransport": "false"}, doc: docSNSKMS})

	// --- Glue: the landing crawler, the curate and features jobs, data quality.
	crawler := e.role("Catalog", "CrawlerRole")
	add(assume("Glue assumes the crawler role", "glue.amazonaws.com", crawler, nil, docGlueIAM),
		e.list("the crawler lists landing/", crawler, "RawBucket", "landing/devices/", true))
	add(e.s3Get("the crawler reads landing files", crawler, "RawBucket", "landing/devices/2026-03-01/devices.csv")...)
	for _, a := range []string{"glue:GetDatabase", "glue:CreateTable", "glue:UpdateTable", "glue:BatchCreatePartition"} {
		res := e.arnOf("glue", "table/"+db.Name+"/landing_devices")
		if a == "glue:GetDatabase" {
			res = db.Arn
		}
		add(accessRow{what: "the crawler catalogues landing tables", principal: crawler, action: a, resource: res, allow: true, doc: docCrawler})
	}
	add(accessRow{what: "the crawler may not replace the stream's table", principal: crawler, action: "glue:UpdateTable", resource: e.arnOf("glue", "table/"+db.Name+"/"+layout.RawTelemetryTable), doc: docGlueCatalog},
		accessRow{what: "the crawler may not read telemetry", principal: crawler, action: "s3:GetObject", resource: e.obj("RawBucket", "telemetry/x.parquet"), doc: docCrawler})
	add(logWrite("the crawler logs", crawler, e.arnOf("logs", "log-group:/aws-glue/crawlers"), docGlueLogs)...)

	curate := e.role("Catalog", "CurateRole")
	features := e.role("Catalog", "FeaturesRole")
	migrate := e.role("Catalog", "MigrateRole")
	trainingSet := e.role("Catalog", "TrainingSetRole")
	table := func(name string) string { return e.arnOf("glue", "table/"+db.Name+"/"+name) }
	curated, featuresTable := table(layout.CuratedTelemetryTable), table(layout.TrainingFeaturesTable)
	// Iceberg's GlueCatalog loads a table with GetTable and commits each new
	// metadata file with UpdateTable; Glue authorizes both on the catalog,
	// the database and the table.
	icebergCommit := func(what, role, tableArn string, write bool) []accessRow {
		actions := []string{"glue:GetTable"}
		if write {
			actions = append(actions, "glue:UpdateTable")
		}
		rows := []accessRow{
			{what: what, principal: role, action: "glue:GetDatabase", resource: e.arnOf("glue", "catalog"), allow: true, doc: docIcebergGlue},
			{what: what, principal: role, action: "glue:GetDatabase", resource: db.Arn, allow: true, doc: docIcebergGlue},
		}
		for _, a := range actions {
			for _, res := range []string{e.arnOf("glue", "catalog"), db.Arn, tableArn} {
				rows = append(rows, accessRow{what: what, principal: role, action: a, resource: res, allow: true, doc: docIcebergGlue})
			}
		}
		return rows
	}
	curatedFile := func(rest string) string { return "iceberg/curated_telemetry/4a1b2c3d-stack/" + rest }
	featuresFile := func(rest string) string { return "iceberg/training_features/4a1b2c3d-stack/" + rest }
	add(assume("Glue assumes the curate role", "glue.amazonaws.com", curate, nil, docGlueIAM),
		e.list("curate lists raw telemetry", curate, "RawBucket", "telemetry/", true),
		e.list("curate lists device metadata", curate, "RawBucket", "landing/devices/", true),
		e.list("Iceberg lists curated_telemetry's files", curate, "CuratedBucket", curatedFile("metadata/"), true))
	add(e.s3Get("curate reads raw Parquet", curate, "RawBucket", "telemetry/year=2026/month=03/day=01/hour=00/delivery-1.parquet")...)
	add(e.s3Get("curate reads device metadata", curate, "RawBucket", "landing/devices/2026-03-01/devices.csv")...)
	add(e.s3Get("curate reads curated_telemetry's metadata", curate, "CuratedBucket", curatedFile("metadata/00004-1f.metadata.json"))...)
	add(e.s3Put("curate writes Iceberg data files", curate, "CuratedBucket", curatedFile("data/ts_day=2026-03-01/00000-0-a1.parquet"))...)
	add(e.s3Put("curate commits a metadata file", curate, "CuratedBucket", curatedFile("metadata/00005-2a.metadata.json"))...)
	add(e.s3Put("curate writes rejects", curate, "CuratedBucket", "quarantine/telemetry/part-00000.json")...)
	add(icebergCommit("curate merges into curated_telemetry (GlueCatalog commit)", curate, curated, true)...)
	add(accessRow{what: "Spark commits quarantine by deleting _temporary/", principal: curate, action: "s3:DeleteObject", resource: e.obj("CuratedBucket", "quarantine/telemetry/_temporary/0/part-0"), allow: true, doc: docGlueIAM},
		accessRow{what: "Iceberg deletes the files of a commit that failed", principal: curate, action: "s3:DeleteObject", resource: e.obj("CuratedBucket", curatedFile("data/ts_day=2026-03-01/00000-0-a1.parquet")), allow: true, doc: docIcebergGlue},
		accessRow{what: "curate may not commit to training_features", principal: curate, action: "glue:UpdateTable", resource: featuresTable, doc: docIcebergGlue},
		accessRow{what: "curate may not drop curated_telemetry", principal: curate, action: "glue:DeleteTable", resource: curated, doc: docGlueCatalog},
		accessRow{what: "curate may not write the Hive-era telemetry/ folder", principal: curate, action: "s3:PutObject", resource: e.obj("CuratedBucket", "telemetry/year=2026/month=03/day=01/part-0.parquet"), ctx: e.sseKMS(), doc: docGlueIAM},
		accessRow{what: "curate may not write the analytics zone", principal: curate, action: "s3:PutObject", resource: e.obj("AnalyticsBucket", "training/telemetry/current.json"), ctx: e.sseKMS(), doc: docGlueIAM},
		accessRow{what: "curate may not read maintenance uploads", principal: curate, action: "s3:GetObject", resource: e.obj("RawBucket", "landing/maintenance/x.json"), doc: docGlueIAM})
	for _, c := range []struct {
		role, bucket, dir string
		write             bool
	}{{curate, "CuratedBucket", "quarantine/telemetry", true}, {curate, "RawBucket", "telemetry", false},
		{features, "AnalyticsBucket", "training/telemetry", true}, {migrate, "CuratedBucket", "telemetry", false},
		{trainingSet, "AnalyticsBucket", "training/telemetry", false}, {trainingSet, "AnalyticsBucket", "training/rebuilt", true}} {
		// Hadoop probes the path itself before listing under it; S3 answers a
		// missing key with 404 only to a caller that may list the bucket.
		add(accessRow{what: "Spark probes " + c.dir + " (HEAD of the path key)", principal: c.role, action: "s3:GetObject", resource: e.obj(c.bucket, c.dir), allow: true, doc: docHeadObject},
			accessRow{what: "Spark lists from the bucket root", principal: c.role, action: "s3:ListBucket", resource: e.bucket(c.bucket).Arn, ctx: map[string]any{"s3:prefix": ""}, allow: true, doc: docHeadObject})
		if c.write {
			add(accessRow{what: "EMRFS writes the folder marker of " + c.dir, principal: c.role, action: "s3:PutObject", resource: e.obj(c.bucket, c.dir+"_$folder$"), ctx: e.sseKMS(), allow: true, doc: docFolderMarker})
		}
	}
	add(accessRow{what: "curate publishes job metrics", principal: curate, action: "cloudwatch:PutMetricData", resource: "*", ctx: map[string]any{"cloudwatch:namespace": "Glue"}, allow: true, doc: docPutMetricData},
		accessRow{what: "curate may not publish to other namespaces", principal: curate, action: "cloudwatch:PutMetricData", resource: "*", ctx: map[string]any{"cloudwatch:namespace": "AWS/Billing"}, doc: docPutMetricData})

	add(assume("Glue assumes the features role", "glue.amazonaws.com", features, nil, docGlueIAM),
		e.list("features lists curated_telemetry's files", features, "CuratedBucket", curatedFile("data/"), true),
		e.list("features lists its output", features, "AnalyticsBucket", "training/telemetry/", true))
	add(e.s3Get("features reads curated_telemetry as of a snapshot", features, "CuratedBucket", curatedFile("data/ts_day=2026-03-01/00000-0-a1.parquet"))...)
	add(icebergCommit("features reads curated_telemetry (GlueCatalog load)", features, curated, false)...)
	add(icebergCommit("features replaces training_features' rows and tags the snapshot", features, featuresTable, true)...)
	add(e.s3Put("features writes training_features' files", features, "AnalyticsBucket", featuresFile("data/split=train/00000-0-b2.parquet"))...)
	add(e.s3Put("features exports the training CSV of its snapshot", features, "AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/train/part-00000.csv")...)
	add(e.s3Put("features names the set in current.json", features, "AnalyticsBucket", "training/telemetry/current.json")...)
	add(accessRow{what: "features sweeps non-data objects from the channels", principal: features, action: "s3:DeleteObject", resource: e.obj("AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/train/_SUCCESS"), allow: true, doc: docGlueIAM},
		accessRow{what: "features may not commit to curated_telemetry", principal: features, action: "glue:UpdateTable", resource: curated, doc: docIcebergGlue},
		accessRow{what: "features may not write curated_telemetry's files", principal: features, action: "s3:PutObject", resource: e.obj("CuratedBucket", curatedFile("data/x.parquet")), ctx: e.sseKMS(), doc: docGlueIAM},
		accessRow{what: "features may not read raw data", principal: features, action: "s3:GetObject", resource: e.obj("RawBucket", "telemetry/x.parquet"), doc: docGlueIAM},
		accessRow{what: "features may not overwrite models", principal: features, action: "s3:PutObject", resource: e.obj("AnalyticsBucket", "models/x/model.tar.gz"), ctx: e.sseKMS(), doc: docGlueIAM})

	add(assume("Glue assumes the migrate-curated role", "glue.amazonaws.com", migrate, nil, docGlueIAM),
		e.list("migrate-curated lists the Hive-era curated Parquet", migrate, "CuratedBucket", "telemetry/", true))
	add(e.s3Get("migrate-curated reads the Hive-era curated Parquet", migrate, "CuratedBucket", "telemetry/year=2026/month=03/day=01/part-00000.snappy.parquet")...)
	add(e.s3Put("migrate-curated writes Iceberg data files", migrate, "CuratedBucket", curatedFile("data/ts_day=2026-03-01/00000-0-c3.parquet"))...)
	add(icebergCommit("migrate-curated merges into curated_telemetry", migrate, curated, true)...)
	add(accessRow{what: "migrate-curated may not delete the Parquet it copies", principal: migrate, action: "s3:DeleteObject", resource: e.obj("CuratedBucket", "telemetry/year=2026/month=03/day=01/part-00000.snappy.parquet"), doc: docGlueIAM},
		accessRow{what: "migrate-curated may not commit to training_features", principal: migrate, action: "glue:UpdateTable", resource: featuresTable, doc: docIcebergGlue})

	add(assume("Glue assumes the training-set role", "glue.amazonaws.com", trainingSet, nil, docGlueIAM))
	add(e.s3Get("training-set reads training_features as of the registered snapshot", trainingSet, "AnalyticsBucket", featuresFile("data/split=train/00000-0-b2.parquet"))...)
	add(icebergCommit("training-set loads training_features", trainingSet, featuresTable, false)...)
	add(e.s3Get("training-set reads the registered set and its manifest", trainingSet, "AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/manifest.json")...)
	add(e.s3Put("training-set writes the rebuilt set", trainingSet, "AnalyticsBucket", "training/rebuilt/snapshots/8744736658442914487/train/part-00000.csv")...)
	add(accessRow{what: "training-set may not change training_features", principal: trainingSet, action: "glue:UpdateTable", resource: featuresTable, doc: docIcebergGlue},
		accessRow{what: "training-set may not overwrite a registered set", principal: trainingSet, action: "s3:PutObject", resource: e.obj("AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/train/part-00000.csv"), ctx: e.sseKMS(), doc: docGlueIAM})

	for _, r := range []string{curate, features, migrate, trainingSet} {
		add(accessRow{what: "the job creates its encrypted log groups", principal: r, action: "logs:CreateLogGroup", resource: e.arnOf("logs", "log-group:/aws-glue/jobs/sec-role/job-role/error"), allow: true, doc: docGlueLogs},
			accessRow{what: "the job associates the lake key with its log groups", principal: r, action: "logs:AssociateKmsKey", resource: e.arnOf("logs", "log-group:/aws-glue/jobs/sec-role/job-role/output"), allow: true, doc: docGlueLogs})
		add(logWrite("the job logs", r, e.arnOf("logs", "log-group:/aws-glue/jobs/sec-role/job-role/error"), docGlueLogs)...)
	}

	dq := e.role("Curated", "DataQualityRole")
	add(assume("Glue assumes the data quality role", "glue.amazonaws.com", dq, nil, docGlueDQ))
	add(accessRow{what: "data quality loads curated_telemetry (an Iceberg table)", principal: dq, action: "glue:GetDatabase", resource: db.Arn, allow: true, doc: docIcebergDQ},
		accessRow{what: "data quality loads curated_telemetry (an Iceberg table)", principal: dq, action: "glue:GetTable", resource: curated, allow: true, doc: docIcebergDQ})
	add(e.list("data quality lists curated_telemetry's files", dq, "CuratedBucket", curatedFile("metadata/"), true))
	add(e.s3Get("data quality reads curated_telemetry's files", dq, "CuratedBucket", curatedFile("data/ts_day=2026-03-01/00000-0-a1.parquet"))...)
	add(accessRow{what: "data quality publishes results", principal: dq, action: "glue:PublishDataQuality", resource: e.arnOf("glue", "dataQualityRuleset/datalake-"+e.profile()+"-"+layout.CuratedTelemetryTable), allow: true, doc: docGlueDQ},
		accessRow{what: "data quality may not change the table", principal: dq, action: "glue:UpdateTable", resource: curated, doc: docGlueDQ},
		accessRow{what: "data quality may not read quarantined rows", principal: dq, action: "s3:GetObject", resource: e.obj("CuratedBucket", "quarantine/telemetry/x.parquet"), doc: docGlueDQ})

	// --- Upkeep: Glue's table optimizers, and the watch that reads their runs.
	if e.has("Upkeep") {
		opt := e.role("Upkeep", "TableOptimizerRole")
		add(assume("Glue assumes the table optimizer role", "glue.amazonaws.com", opt, nil, docOptimizerRole))
		for _, f := range []struct{ bucket, key string }{{"CuratedBucket", curatedFile("data/ts_day=2026-03-01/00001-compacted.parquet")}, {"AnalyticsBucket", featuresFile("data/split=train/00001-compacted.parquet")}} {
			b := e.bucket(f.bucket)
			add(e.list("an optimizer lists a table's files", opt, f.bucket, f.key[:strings.Index(f.key, "data/")], true))
			add(e.s3Get("an optimizer reads a table's files", opt, f.bucket, f.key)...)
			// Glue's optimizers rely on the bucket's default encryption (the
			// lake key): a bare upload under iceberg/ is allowed there.
			add(accessRow{what: "an optimizer writes a compacted file without SSE headers", principal: opt, action: "s3:PutObject", resource: b.Arn + "/" + f.key, allow: true, doc: docOptimizerRole},
				accessRow{what: "S3 asks for a data key of the bucket default (the lake key)", principal: opt, action: "kms:GenerateDataKey", resource: key,
					ctx: merge(via("s3"), map[string]any{"kms:EncryptionContext:aws:s3:arn": b.Arn}), allow: true, doc: docOptimizerRole},
				accessRow{what: "an optimizer deletes expired and orphan files", principal: opt, action: "s3:DeleteObject", resource: b.Arn + "/" + f.key, allow: true, doc: docOptimizerRole},
				accessRow{what: "an upload under iceberg/ with SSE-S3 is refused", principal: opt, action: "s3:PutObject", resource: b.Arn + "/" + f.key,
					ctx: map[string]any{"s3:x-amz-server-side-encryption": "AES256"}, doc: docS3KMS},
				accessRow{what: "an upload under iceberg/ that asks for SSE-KMS without naming the key is refused", principal: opt, action: "s3:PutObject", resource: b.Arn + "/" + f.key,
					ctx: map[string]any{"s3:x-amz-server-side-encryption": "aws:kms"}, doc: docS3KMS},
				accessRow{what: "an upload under iceberg/ naming another KMS key is refused", principal: opt, action: "s3:PutObject", resource: b.Arn + "/" + f.key,
					ctx: map[string]any{"s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/other"}, doc: docS3KMS},
				accessRow{what: "an upload under iceberg/ naming the lake key is allowed", principal: opt, action: "s3:PutObject", resource: b.Arn + "/" + f.key, ctx: e.sseKMS(), allow: true, doc: docS3KMS})
		}
		for _, t := range []string{curated, featuresTable} {
			for _, a := range []string{"glue:GetTable", "glue:UpdateTable"} {
				add(accessRow{what: "an optimizer commits its rewrite", principal: opt, action: a, resource: t, allow: true, doc: docOptimizerRole})
			}
		}
		add(accessRow{what: "an optimizer may not change the stream's table", principal: opt, action: "glue:UpdateTable", resource: table(layout.RawTelemetryTable), doc: docOptimizerRole},
			accessRow{what: "an optimizer may not write outside the tables' folders", principal: opt, action: "s3:PutObject", resource: e.obj("CuratedBucket", "quarantine/telemetry/x.parquet"), ctx: e.sseKMS(), doc: docOptimizerRole},
			accessRow{what: "a bare upload outside iceberg/ is refused", principal: curate, action: "s3:PutObject", resource: e.obj("CuratedBucket", "quarantine/telemetry/x.parquet"), doc: docS3KMS},
			accessRow{what: "an optimizer may not use the lake key outside S3", principal: opt, action: "kms:Decrypt", resource: key, ctx: via("sqs"), doc: docOptimizerRole})
		for _, g := range []string{"/aws-glue/iceberg-compaction/logs", "/aws-glue/iceberg-retention/logs", "/aws-glue/iceberg-orphan-file-deletion/logs"} {
			add(accessRow{what: "an optimizer creates its log group", principal: opt, action: "logs:CreateLogGroup", resource: e.arnOf("logs", "log-group:"+g), allow: true, doc: docOptimizerRole})
			add(logWrite("an optimizer logs", opt, e.arnOf("logs", "log-group:"+g), docOptimizerRole)...)
		}
		watch := e.role("Upkeep", "TableWatchRole")
		add(assume("Lambda assumes the table watch's role", "lambda.amazonaws.com", watch, nil, docLambdaRole))
		for _, t := range []string{curated, featuresTable} {
			add(accessRow{what: "the watch reads an optimizer's last run", principal: watch, action: "glue:GetTableOptimizer", resource: t, allow: true, doc: docGetTableOptimizer})
		}
		add(accessRow{what: "the watch may not change an optimizer", principal: watch, action: "glue:UpdateTableOptimizer", resource: curated, doc: docGetTableOptimizer},
			accessRow{what: "the watch may not read table data", principal: watch, action: "s3:GetObject", resource: e.obj("CuratedBucket", curatedFile("data/x.parquet")), doc: docLambdaRole})
		add(logWrite("the watch logs", watch, e.res("Upkeep", "TableWatchLogGroup", "AWS::Logs::LogGroup").Arn, docLambdaRole)...)
	}

	// --- ML workflows: Step Functions runs the features job and SageMaker,
	// evaluates, registers in DynamoDB and notifies.
	wf := e.role("ML", "WorkflowRole")
	sm := e.role("ML", "SageMakerExecutionRole")
	registry := e.res("ML", "ModelRegistry", "AWS::DynamoDB::Table")
	mlTopic := e.res("ML", "MlNotifications", "AWS::SNS::Topic").Arn
	evaluate := e.res("ML", "EvaluateFunction", "AWS::Lambda::Function")
	machine := e.res("ML", "TrainAndTransform", "AWS::StepFunctions::StateMachine")
	prefix := "datalake-" + e.profile()
	add(assume("Step Functions assumes the workflow role", "states.amazonaws.com", wf, map[string]any{"aws:SourceArn": machine.Arn, "aws:SourceAccount": testAccount}, docSfnConfused))
	for _, a := range []string{"glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"} {
		add(accessRow{what: "GenerateDataset runs the features job", principal: wf, action: a, resource: e.arnOf("glue", "job/"+prefix+"-features"), allow: true, doc: docSfnGlue})
	}
	for _, c := range []struct{ kind, create, describe, stop, rule string }{
		{"training-job", "CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob", "StepFunctionsGetEventsForSageMakerTrainingJobsRule"},
		{"transform-job", "CreateTransformJob", "DescribeTransformJob", "StopTransformJob", "StepFunctionsGetEventsForSageMakerTransformJobsRule"},
		{"hyper-parameter-tuning-job", "CreateHyperParameterTuningJob", "DescribeHyperParameterTuningJob", "StopHyperParameterTuningJob", "StepFunctionsGetEventsForSageMakerTuningJobsRule"},
	} {
		job := e.arnOf("sagemaker", c.kind+"/"+prefix+"-a1b2c3d4")
		for _, a := range []string{c.create, c.describe, c.stop, "AddTags", "ListTags"} {
			add(accessRow{what: "the workflow runs a SageMaker " + c.kind, principal: wf, action: "sagemaker:" + a, resource: job, allow: true, doc: docSfnSageMaker})
		}
		for _, a := range []string{"events:PutTargets", "events:PutRule", "events:DescribeRule"} {
			add(accessRow{what: ".sync waits on " + c.rule, principal: wf, action: a, resource: e.arnOf("events", "rule/"+c.rule), allow: true, doc: docSfnSageMaker})
		}
		add(accessRow{what: "the workflow may not touch other projects' jobs", principal: wf, action: "sagemaker:" + c.stop, resource: e.arnOf("sagemaker", c.kind+"/other-a1b2c3d4"), doc: docSfnSageMaker})
	}
	add(accessRow{what: "the workflow creates the model", principal: wf, action: "sagemaker:CreateModel", resource: e.arnOf("sagemaker", "model/"+prefix+"-a1b2c3d4"), allow: true, doc: docSfnSageMaker},
		accessRow{what: "the workflow passes the SageMaker role", principal: wf, action: "iam:PassRole", resource: sm, ctx: map[string]any{"iam:PassedToService": "sagemaker.amazonaws.com"}, allow: true, doc: docSfnSageMaker},
		accessRow{what: "the SageMaker role goes to SageMaker only", principal: wf, action: "iam:PassRole", resource: sm, ctx: map[string]any{"iam:PassedToService": "glue.amazonaws.com"}, doc: docSfnSageMaker},
		accessRow{what: "the workflow invokes evaluate", principal: wf, action: "lambda:InvokeFunction", resource: evaluate.Arn, allow: true, doc: docSfnLambda},
		accessRow{what: "the workflow registers the model", principal: wf, action: "dynamodb:PutItem", resource: registry.Arn, allow: true, doc: docSfnDdb})
	ddbCtx := merge(via("dynamodb"), map[string]any{"kms:EncryptionContext:aws:dynamodb:tableName": registry.Name, "kms:EncryptionContext:aws:dynamodb:subscriberId": testAccount})
	add(accessRow{what: "DynamoDB decrypts the registry's table key for the workflow", principal: wf, action: "kms:Decrypt", resource: key, ctx: ddbCtx, allow: true, doc: docDdbKMS},
		accessRow{what: "the workflow notifies", principal: wf, action: "sns:Publish", resource: mlTopic, allow: true, doc: docSfnSns},
		accessRow{what: "SNS encrypts the workflow's message with the lake key", principal: wf, action: "kms:GenerateDataKey", resource: key, ctx: via("sns"), allow: true, doc: docSNSKMS},
		accessRow{what: "SNS encrypts the workflow's message with the lake key", principal: wf, action: "kms:Decrypt", resource: key, ctx: via("sns"), allow: true, doc: docSNSKMS},
		accessRow{what: "the workflow may not use the key directly", principal: wf, action: "kms:Decrypt", resource: key, ctx: map[string]any{"kms:CallerAccount": testAccount}, doc: docDdbKMS},
		accessRow{what: "the workflow may not read lake objects", principal: wf, action: "s3:GetObject", resource: e.obj("AnalyticsBucket", "models/x/model.tar.gz"), doc: docSfnSageMaker},
		accessRow{what: "the workflow may not read a training set's rows", principal: wf, action: "s3:GetObject", resource: e.obj("AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/train/part-00000.csv"), doc: docSfnSdk})
	// ReadDataset: the SDK integration calls GetObject with the workflow's role.
	add(accessRow{what: "ReadDataset reads current.json", principal: wf, action: "s3:GetObject", resource: e.obj("AnalyticsBucket", "training/telemetry/current.json"), allow: true, doc: docSfnSdk},
		accessRow{what: "S3 decrypts current.json with the lake key", principal: wf, action: "kms:Decrypt", resource: key,
			ctx: merge(via("s3"), map[string]any{"kms:EncryptionContext:aws:s3:arn": e.bucket("AnalyticsBucket").Arn}), allow: true, doc: docS3BucketKey})
	for _, a := range []string{"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"} {
		add(accessRow{what: "Step Functions delivers execution logs", principal: wf, action: a, resource: "*", allow: true, doc: docSfnLogs})
	}

	trainJob := e.arnOf("sagemaker", "training-job/"+prefix+"-a1b2c3d4")
	add(assume("SageMaker assumes its role for a training job", "sagemaker.amazonaws.com", sm, map[string]any{"aws:SourceArn": trainJob}, docSageMakerTrust),
		assume("SageMaker assumes its role for a transform job", "sagemaker.amazonaws.com", sm, map[string]any{"aws:SourceArn": e.arnOf("sagemaker", "transform-job/"+prefix+"-a1b2c3d4")}, docSageMakerTrust),
		assume("SageMaker assumes its role for a model", "sagemaker.amazonaws.com", sm, map[string]any{"aws:SourceArn": e.arnOf("sagemaker", "*")}, docSageMakerTrust))
	add(e.list("training lists the training channel", sm, "AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/train/", true, "LakeVpcS3Endpoint"))
	add(e.s3Get("training reads the training channel", sm, "AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/train/part-00000.csv", "LakeVpcS3Endpoint")...)
	add(e.s3Put("training saves the model", sm, "AnalyticsBucket", "models/"+prefix+"-a1b2c3d4/output/model.tar.gz", "LakeVpcS3Endpoint")...)
	add(e.s3Get("the transform job loads the model", sm, "AnalyticsBucket", "models/"+prefix+"-a1b2c3d4/output/model.tar.gz", "LakeVpcS3Endpoint")...)
	add(e.s3Get("the transform job reads the validation set", sm, "AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/validation/part-00000.csv", "LakeVpcS3Endpoint")...)
	add(e.s3Put("the transform job writes predictions", sm, "AnalyticsBucket", "batch-transform/"+prefix+"-a1b2c3d4/part-00000.csv.out", "LakeVpcS3Endpoint")...)
	add(accessRow{what: "SageMaker may not read the curated zone", principal: sm, action: "s3:GetObject", resource: e.obj("CuratedBucket", curatedFile("data/x.parquet")), endpoints: []string{"LakeVpcS3Endpoint"}, doc: docSageMakerRole},
		accessRow{what: "SageMaker may not overwrite training sets", principal: sm, action: "s3:PutObject", resource: e.obj("AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/train/x.csv"), ctx: e.sseKMS(), endpoints: []string{"LakeVpcS3Endpoint"}, doc: docSageMakerRole},
		accessRow{what: "SageMaker encrypts job volumes with the lake key", principal: sm, action: "kms:CreateGrant", resource: key, ctx: map[string]any{"kms:GrantIsForAWSResource": "true"}, allow: true, doc: docSageMakerRole},
		accessRow{what: "SageMaker pulls the XGBoost image", principal: sm, action: "ecr:BatchGetImage", resource: "arn:aws:ecr:" + testRegion + ":141502667606:repository/sagemaker-xgboost", allow: true, doc: docSageMakerRole},
		accessRow{what: "SageMaker authenticates to ECR", principal: sm, action: "ecr:GetAuthorizationToken", resource: "*", allow: true, doc: docSageMakerRole},
		accessRow{what: "SageMaker attaches jobs to the isolated subnets", principal: sm, action: "ec2:CreateNetworkInterface", resource: e.arnOf("ec2", "network-interface/eni-1"), allow: true, doc: docSageMakerVpc},
		accessRow{what: "SageMaker describes the VPC", principal: sm, action: "ec2:DescribeSubnets", resource: "*", allow: true, doc: docSageMakerVpc},
		accessRow{what: "SageMaker writes job logs", principal: sm, action: "logs:PutLogEvents", resource: e.arnOf("logs", "log-group:/aws/sagemaker/TrainingJobs:log-stream:"+prefix+"-a1b2c3d4/algo-1"), allow: true, doc: docSageMakerRole})

	evalRole := e.role("ML", "EvaluateFunctionRole")
	add(assume("Lambda assumes evaluate's role", "lambda.amazonaws.com", evalRole, nil, docLambdaRole),
		e.list("evaluate lists predictions", evalRole, "AnalyticsBucket", "batch-transform/"+prefix+"-a1b2c3d4/", true),
		e.list("evaluate lists the validation set", evalRole, "AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/validation/", true),
		e.list("evaluate may not list the training channel", evalRole, "AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/train/", false))
	add(e.s3Get("evaluate reads predictions", evalRole, "AnalyticsBucket", "batch-transform/"+prefix+"-a1b2c3d4/part-00000.csv.out")...)
	add(e.s3Get("evaluate reads the labels", evalRole, "AnalyticsBucket", "training/telemetry/snapshots/8744736658442914487/validation/part-00000.csv")...)
	add(e.s3Put("evaluate writes metrics.json", evalRole, "AnalyticsBucket", "batch-transform/"+prefix+"-a1b2c3d4/metrics.json")...)
	add(accessRow{what: "evaluate may not write models", principal: evalRole, action: "s3:PutObject", resource: e.obj("AnalyticsBucket", "models/x/model.tar.gz"), ctx: e.sseKMS(), doc: docLambdaRole})
	add(logWrite("evaluate logs", evalRole, e.res("ML", "EvaluateFunctionLogGroup", "AWS::Logs::LogGroup").Arn, docLambdaRole)...)

	schedule := e.role("ML", "TrainScheduleRole")
	rule := e.res("ML", "TrainSchedule", "AWS::Events::Rule")
	add(assume("EventBridge assumes the schedule's role", "events.amazonaws.com", schedule, map[string]any{"aws:SourceArn": rule.Arn, "aws:SourceAccount": testAccount}, docEventsTrust),
		accessRow{what: "the schedule starts train-and-transform", principal: schedule, action: "states:StartExecution", resource: machine.Arn, allow: true, doc: docEventsSfn},
		accessRow{what: "the schedule starts nothing else", principal: schedule, action: "states:StartExecution", resource: e.res("ML", "Tune", "AWS::StepFunctions::StateMachine").Arn, doc: docEventsSfn})
	deadLetters := e.res("ML", "TrainScheduleDeadLetters", "AWS::SQS::Queue").Arn
	ruleCtx := map[string]any{"aws:SourceArn": rule.Arn, "aws:SourceAccount": testAccount}
	add(accessRow{what: "EventBridge parks an undeliverable schedule event", principal: "events.amazonaws.com", action: "sqs:SendMessage", resource: deadLetters, ctx: ruleCtx, allow: true, doc: docEventsDLQ},
		accessRow{what: "EventBridge encrypts the parked event with the lake key", principal: "events.amazonaws.com", action: "kms:GenerateDataKey", resource: key, ctx: ruleCtx, allow: true, doc: docEventsDLQ},
		accessRow{what: "another account's rule may not park events here", principal: "events.amazonaws.com", action: "sqs:SendMessage", resource: deadLetters,
			ctx: map[string]any{"aws:SourceArn": "arn:aws:events:" + testRegion + ":999988887777:rule/x", "aws:SourceAccount": "999988887777"}, doc: docEventsDLQ})
	// --- Operations: failure rules and the budget tell the alarm topic.
	failureDLQ := e.res("Ops", "FailureRoutingDeadLetters", "AWS::SQS::Queue").Arn
	for _, r := range e.r.All("AWS::Events::Rule") {
		if r.Stack != "Ops" || strings.HasPrefix(r.LogicalID, "QualityAfterCurate") {
			continue // the quality rule starts a state machine (below)
		}
		ctx := map[string]any{"aws:SourceArn": r.Arn, "aws:SourceAccount": testAccount}
		add(accessRow{what: "rule " + r.LogicalID + " publishes to the alarm topic", principal: "events.amazonaws.com", action: "sns:Publish", resource: alarmTopic, ctx: ctx, allow: true, doc: docEventsSNS},
			accessRow{what: "rule " + r.LogicalID + " parks an undeliverable failure event", principal: "events.amazonaws.com", action: "sqs:SendMessage", resource: failureDLQ, ctx: ctx, allow: true, doc: docEventsDLQ})
	}
	// SNS documents that source conditions on this key statement are not
	// supported, so EventBridge's use of the key carries no request context.
	add(accessRow{what: "EventBridge encrypts failure messages for the alarm topic", principal: "events.amazonaws.com", action: "kms:GenerateDataKey", resource: key, allow: true, doc: docSNSKMS},
		accessRow{what: "EventBridge encrypts failure messages for the alarm topic", principal: "events.amazonaws.com", action: "kms:Decrypt", resource: key, allow: true, doc: docSNSKMS},
		accessRow{what: "another account's rule may not park events in the failure queue", principal: "events.amazonaws.com", action: "sqs:SendMessage", resource: failureDLQ,
			ctx: map[string]any{"aws:SourceArn": "arn:aws:events:" + testRegion + ":999988887777:rule/x", "aws:SourceAccount": "999988887777"}, doc: docEventsDLQ},
		accessRow{what: "EventBridge may not receive from the failure queue", principal: "events.amazonaws.com", action: "sqs:ReceiveMessage", resource: failureDLQ, doc: docEventsDLQ})
	for _, b := range e.r.All("AWS::Budgets::Budget") {
		ctx := map[string]any{"aws:SourceArn": b.Arn, "aws:SourceAccount": testAccount}
		add(accessRow{what: "budget " + b.LogicalID + " warns the alarm topic", principal: "budgets.amazonaws.com", action: "sns:Publish", resource: alarmTopic, ctx: ctx, allow: true, doc: docBudgetsSNS},
			accessRow{what: "AWS Budgets encrypts its warning with the lake key", principal: "budgets.amazonaws.com", action: "kms:GenerateDataKey", resource: key, ctx: ctx, allow: true, doc: docSNSKMS},
			accessRow{what: "another account's budget may not warn here", principal: "budgets.amazonaws.com", action: "sns:Publish", resource: alarmTopic,
				ctx: map[string]any{"aws:SourceArn": "arn:aws:budgets::999988887777:budget/x", "aws:SourceAccount": "999988887777"}, doc: docBudgetsSNS})
	}

	// --- The data quality run after curate: a rule starts the machine with
	// its own role; the machine starts and watches one evaluation run as
	// the data quality role, and tells the alarm topic when it cannot.
	qualityMachine := e.res("Ops", "QualityRun", "AWS::StepFunctions::StateMachine")
	qualityRule := e.res("Ops", "QualityAfterCurate", "AWS::Events::Rule")
	startRole := e.role("Ops", "QualityAfterCurateRole")
	runRole := e.role("Ops", "QualityRunRole")
	ruleset := e.arnOf("glue", "dataQualityRuleset/datalake-"+e.profile()+"-"+layout.CuratedTelemetryTable)
	qualityCtx := map[string]any{"aws:SourceArn": qualityRule.Arn, "aws:SourceAccount": testAccount}
	add(assume("EventBridge assumes the quality rule's role", "events.amazonaws.com", startRole, qualityCtx, docEventsTrust),
		accessRow{what: "the quality rule starts the data quality machine", principal: startRole, action: "states:StartExecution", resource: qualityMachine.Arn, allow: true, doc: docEventsSfn},
		accessRow{what: "the quality rule starts no ML workflow", principal: startRole, action: "states:StartExecution", resource: machine.Arn, doc: docEventsSfn},
		accessRow{what: "EventBridge parks an undeliverable curate event", principal: "events.amazonaws.com", action: "sqs:SendMessage", resource: failureDLQ, ctx: qualityCtx, allow: true, doc: docEventsDLQ},
		assume("Step Functions assumes the quality run's role", "states.amazonaws.com", runRole, map[string]any{"aws:SourceArn": qualityMachine.Arn, "aws:SourceAccount": testAccount}, docSfnConfused),
		accessRow{what: "the quality run starts an evaluation of the ruleset", principal: runRole, action: "glue:StartDataQualityRulesetEvaluationRun", resource: ruleset, allow: true, doc: docGlueDQ},
		accessRow{what: "the quality run reads the evaluation run's status", principal: runRole, action: "glue:GetDataQualityRulesetEvaluationRun", resource: ruleset, allow: true, doc: docGlueDQ},
		accessRow{what: "the quality run evaluates no other ruleset", principal: runRole, action: "glue:StartDataQualityRulesetEvaluationRun", resource: e.arnOf("glue", "dataQualityRuleset/other"), doc: docGlueDQ},
		accessRow{what: "the quality run passes the data quality role to Glue", principal: runRole, action: "iam:PassRole", resource: dq, ctx: map[string]any{"iam:PassedToService": "glue.amazonaws.com"}, allow: true, doc: docStartDQRun},
		accessRow{what: "the data quality role goes to Glue only", principal: runRole, action: "iam:PassRole", resource: dq, ctx: map[string]any{"iam:PassedToService": "sagemaker.amazonaws.com"}, doc: docStartDQRun},
		accessRow{what: "the quality run passes no other role", principal: runRole, action: "iam:PassRole", resource: curate, ctx: map[string]any{"iam:PassedToService": "glue.amazonaws.com"}, doc: docStartDQRun},
		accessRow{what: "the quality run tells the alarm topic", principal: runRole, action: "sns:Publish", resource: alarmTopic, allow: true, doc: docSfnSns},
		accessRow{what: "SNS encrypts the quality run's message with the lake key", principal: runRole, action: "kms:GenerateDataKey", resource: key, ctx: via("sns"), allow: true, doc: docSNSPublishKMS},
		accessRow{what: "the quality run delivers its execution logs", principal: runRole, action: "logs:CreateLogDelivery", resource: "*", allow: true, doc: docSfnLogs})

	// --- Audit: CloudTrail writes the data events of the lake buckets (prod,
	// or -c auditTrail=true).
	for _, trail := range e.r.All("AWS::CloudTrail::Trail") {
		ctx := map[string]any{"aws:SourceArn": trail.Arn, "aws:SourceAccount": testAccount}
		other := map[string]any{"aws:SourceArn": "arn:aws:cloudtrail:" + testRegion + ":" + testAccount + ":trail/other", "aws:SourceAccount": testAccount}
		audit := e.bucket("AuditBucket")
		logKey := e.obj("AuditBucket", "AWSLogs/"+testAccount+"/CloudTrail/"+testRegion+"/2026/12/02/"+testAccount+"_CloudTrail_"+testRegion+"_x.json.gz")
		put := merge(ctx, map[string]any{"s3:x-amz-acl": "bucket-owner-full-control"})
		add(accessRow{what: "CloudTrail checks the audit bucket's ACL", principal: "cloudtrail.amazonaws.com", action: "s3:GetBucketAcl", resource: audit.Arn, ctx: ctx, allow: true, doc: docTrailBucket},
			accessRow{what: "CloudTrail writes a log file", principal: "cloudtrail.amazonaws.com", action: "s3:PutObject", resource: logKey, ctx: put, allow: true, doc: docTrailBucket},
			accessRow{what: "another trail may not write into the audit bucket", principal: "cloudtrail.amazonaws.com", action: "s3:PutObject", resource: logKey,
				ctx: merge(other, map[string]any{"s3:x-amz-acl": "bucket-owner-full-control"}), doc: docTrailBucket},
			accessRow{what: "CloudTrail may not write outside AWSLogs/<account>/", principal: "cloudtrail.amazonaws.com", action: "s3:PutObject", resource: e.obj("AuditBucket", "elsewhere/x.json.gz"), ctx: put, doc: docTrailBucket},
			accessRow{what: "CloudTrail encrypts a log file with the lake key", principal: "cloudtrail.amazonaws.com", action: "kms:GenerateDataKey", resource: key,
				ctx: merge(ctx, map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": trail.Arn}), allow: true, doc: docTrailKMS},
			accessRow{what: "CloudTrail reads the key's description", principal: "cloudtrail.amazonaws.com", action: "kms:DescribeKey", resource: key, ctx: ctx, allow: true, doc: docTrailKMS},
			accessRow{what: "another trail may not encrypt with the lake key", principal: "cloudtrail.amazonaws.com", action: "kms:GenerateDataKey", resource: key,
				ctx: merge(other, map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": other["aws:SourceArn"]}), doc: docTrailKMS},
			accessRow{what: "S3 encrypts a log file with the lake key for CloudTrail", principal: "cloudtrail.amazonaws.com", action: "kms:GenerateDataKey", resource: key,
				ctx: merge(ctx, via("s3"), map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": trail.Arn}), allow: true, doc: docTrailKMS})
	}

	// X-Ray: each traced function's role, and the workflows' role, may
	// write traces whatever the request context: Lambda checks the role at
	// CreateFunction in a way AWS does not document, so the rows drop the
	// region key a run-time call would carry.
	for _, fn := range []string{transformRole, evalRole, detectRole, e.role("ML", "WorkflowRole"), runRole} {
		for _, a := range []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"} {
			add(accessRow{what: "a traced function or workflow sends its X-Ray trace", principal: fn, action: a, resource: "*", allow: true, doc: docLambdaTracing},
				accessRow{what: "tracing is checked without a region in the request", principal: fn, action: a, resource: "*", ctx: map[string]any{"aws:RequestedRegion": nil}, allow: true, doc: docXRayActions})
		}
	}

	flow := e.role("Network", "FlowLogRole")
	add(assume("VPC Flow Logs assumes its role", "vpc-flow-logs.amazonaws.com", flow,
		map[string]any{"aws:SourceAccount": testAccount, "aws:SourceArn": e.arnOf("ec2", "vpc-flow-log/fl-0123456789abcdef0")}, docFlowLogsRole))
	add(logWrite("VPC Flow Logs delivers", flow, e.res("Network", "FlowLogGroup", "AWS::Logs::LogGroup").Arn, docFlowLogsRole)...)
	add(accessRow{what: "another account's flow log may not use the role", principal: "vpc-flow-logs.amazonaws.com", action: "sts:AssumeRole", resource: flow,
		ctx: map[string]any{"aws:SourceAccount": "999988887777", "aws:SourceArn": "arn:aws:ec2:" + testRegion + ":999988887777:vpc-flow-log/fl-1"}, doc: docFlowLogsRole})
	return rows
}

// profile is the profile name of the synthesized templates (from a stack name).
func (e *accessEnv) profile() string {
	for _, s := range e.r.Stacks {
		parts := strings.Split(s.Name, "-")
		if len(parts) >= 3 {
			return parts[len(parts)-2]
		}
	}
	return ""
}

func iamsimList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return nil
}

// evaluateAccess resolves one profile's templates and decides every row.
func evaluateAccess(t *testing.T, overrides map[string]any) ([]accessRow, []iamsim.Decision) {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := iamsim.NewSimulator(root)
	if errors.Is(err, iamsim.ErrNoEvaluator) {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := synth(t, overrides)
	if r.err != nil {
		t.Fatalf("synth: %v", r.err)
	}
	var stacks []iamsim.Stack
	for _, id := range sortedKeys(r.templates) {
		stacks = append(stacks, iamsim.Stack{ID: id, Name: r.names[id], Template: r.templates[id]})
	}
	resolved, err := iamsim.Resolve(iamsim.Deployment{Account: testAccount, Region: testRegion, Partition: "aws"}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	policies, err := iamsim.Collect(resolved)
	if err != nil {
		t.Fatal(err)
	}
	env := &accessEnv{r: resolved}
	rows := accessRows(env)
	if len(env.errs) > 0 {
		t.Fatalf("rows refer to resources the templates lack:\n%s", strings.Join(env.errs, "\n"))
	}
	reqs := make([]iamsim.Request, len(rows))
	for i, row := range rows {
		ctx := map[string]any{"aws:SecureTransport": "true", "aws:RequestedRegion": testRegion}
		if strings.HasPrefix(row.principal, "arn:") {
			ctx["aws:PrincipalAccount"] = testAccount
			ctx["aws:PrincipalArn"] = row.principal
		} else {
			ctx["aws:PrincipalServiceName"] = row.principal
		}
		for k, v := range row.ctx {
			if v == nil { // a key the call does not carry
				delete(ctx, k)
				continue
			}
			ctx[k] = v
		}
		reqs[i] = iamsim.Request{Principal: row.principal, Action: row.action, Resource: row.resource, Context: ctx, Endpoints: row.endpoints}
	}
	ds, err := sim.Evaluate(policies, reqs)
	if err != nil {
		t.Fatal(err)
	}
	return rows, ds
}

func TestAccess(t *testing.T) {
	for _, p := range []struct {
		name string
		ctx  map[string]any
	}{{"sandbox", sandbox}, {"prod", prod}, {"local", local}} {
		t.Run(p.name, func(t *testing.T) {
			rows, ds := evaluateAccess(t, p.ctx)
			allowed, denied := 0, 0
			for i, row := range rows {
				got := ds[i].Allowed()
				if got {
					allowed++
				} else {
					denied++
				}
				if got != row.allow {
					want := "allowed"
					if !row.allow {
						want = "denied"
					}
					t.Errorf("%s: %s %s on %s should be %s, evaluator says %s\n\tcontext %v\n\tpolicies %s\n\tdecided by %v\n\tsee %s",
						row.what, short(row.principal), row.action, row.resource, want, ds[i].Result, row.ctx, strings.Join(ds[i].Policies, ", "), ds[i].Explain, row.doc)
				}
				if row.doc == "" {
					t.Errorf("%s: the row cites no AWS page", row.what)
				}
			}
			t.Logf("%s: %d calls, %d allowed, %d denied", p.name, len(rows), allowed, denied)
		})
	}
}

func short(principal string) string {
	if i := strings.LastIndex(principal, "/"); i >= 0 && strings.HasPrefix(principal, "arn:") {
		return "role " + principal[i+1:]
	}
	return principal
}

func alarmTopicArn(e *accessEnv) string {
	return e.res("Streaming", "AlarmTopic", "AWS::SNS::Topic").Arn
}
