package smoke

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// The interfaces below hold only the calls the steps make, so unit tests
// pass fakes. The SDK's clients implement them.

// CloudFormationAPI reads the deployed stacks.
type CloudFormationAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	ListStackResources(ctx context.Context, in *cloudformation.ListStackResourcesInput, optFns ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
}

// KinesisAPI puts readings on the stream.
type KinesisAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// S3API lists and reads what Firehose delivered and uploads landing files.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// AthenaAPI finds and runs the named query.
type AthenaAPI interface {
	ListNamedQueries(ctx context.Context, in *athena.ListNamedQueriesInput, optFns ...func(*athena.Options)) (*athena.ListNamedQueriesOutput, error)
	BatchGetNamedQuery(ctx context.Context, in *athena.BatchGetNamedQueryInput, optFns ...func(*athena.Options)) (*athena.BatchGetNamedQueryOutput, error)
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, optFns ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
	StopQueryExecution(ctx context.Context, in *athena.StopQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
}

// GlueAPI runs the ETL workflow.
type GlueAPI interface {
	StartWorkflowRun(ctx context.Context, in *glue.StartWorkflowRunInput, optFns ...func(*glue.Options)) (*glue.StartWorkflowRunOutput, error)
	GetWorkflowRun(ctx context.Context, in *glue.GetWorkflowRunInput, optFns ...func(*glue.Options)) (*glue.GetWorkflowRunOutput, error)
	StopWorkflowRun(ctx context.Context, in *glue.StopWorkflowRunInput, optFns ...func(*glue.Options)) (*glue.StopWorkflowRunOutput, error)
}

// SQSAPI manages the temporary queue the alarm notification arrives on.
type SQSAPI interface {
	CreateQueue(ctx context.Context, in *sqs.CreateQueueInput, optFns ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	SetQueueAttributes(ctx context.Context, in *sqs.SetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	DeleteQueue(ctx context.Context, in *sqs.DeleteQueueInput, optFns ...func(*sqs.Options)) (*sqs.DeleteQueueOutput, error)
}

// SNSAPI subscribes the temporary queue to the alarm topic.
type SNSAPI interface {
	Subscribe(ctx context.Context, in *sns.SubscribeInput, optFns ...func(*sns.Options)) (*sns.SubscribeOutput, error)
	ConfirmSubscription(ctx context.Context, in *sns.ConfirmSubscriptionInput, optFns ...func(*sns.Options)) (*sns.ConfirmSubscriptionOutput, error)
	Unsubscribe(ctx context.Context, in *sns.UnsubscribeInput, optFns ...func(*sns.Options)) (*sns.UnsubscribeOutput, error)
}

// CloudWatchAPI reads and sets the alarm.
type CloudWatchAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	SetAlarmState(ctx context.Context, in *cloudwatch.SetAlarmStateInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.SetAlarmStateOutput, error)
}

// SFNAPI runs train-and-transform.
type SFNAPI interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	StopExecution(ctx context.Context, in *sfn.StopExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
}

// DynamoDBAPI reads the model registry.
type DynamoDBAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Clients are the AWS clients a run uses.
type Clients struct {
	CloudFormation CloudFormationAPI
	Kinesis        KinesisAPI
	S3             S3API
	Athena         AthenaAPI
	Glue           GlueAPI
	SQS            SQSAPI
	SNS            SNSAPI
	CloudWatch     CloudWatchAPI
	SFN            SFNAPI
	DynamoDB       DynamoDBAPI
}

// NewClients builds every client from cfg. pathStyle addresses S3 buckets
// by path, which emulators need (bucket.localhost names do not resolve).
// An endpoint in cfg.BaseEndpoint, or AWS_ENDPOINT_URL as the SDK reads it,
// points every client at an emulator.
func NewClients(cfg aws.Config, pathStyle bool) Clients {
	return Clients{
		CloudFormation: cloudformation.NewFromConfig(cfg),
		Kinesis:        kinesis.NewFromConfig(cfg),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = pathStyle
			// Emulators send no response checksums; the SDK would log a line
			// for every GetObject. AWS sends them and they are still checked.
			o.DisableLogOutputChecksumValidationSkipped = true
		}),
		Athena:     athena.NewFromConfig(cfg),
		Glue:       glue.NewFromConfig(cfg),
		SQS:        sqs.NewFromConfig(cfg),
		SNS:        sns.NewFromConfig(cfg),
		CloudWatch: cloudwatch.NewFromConfig(cfg),
		SFN:        sfn.NewFromConfig(cfg),
		DynamoDB:   dynamodb.NewFromConfig(cfg),
	}
}
