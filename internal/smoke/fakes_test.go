package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	atypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gtypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/parquet-go/parquet-go"
)

// Names of the fake deployment (project datalake, profile sandbox).
const (
	fakeStream      = "datalake-sandbox-streaming-TelemetryStream-abc"
	fakeRaw         = "datalake-sandbox-storage-rawbucket-abc"
	fakeKey         = "arn:aws:kms:us-east-1:111122223333:key/1234"
	fakeWorkflow    = "datalake-sandbox-etl"
	fakeMachine     = "arn:aws:states:us-east-1:111122223333:stateMachine:datalake-sandbox-train-and-transform"
	fakeTuneMachine = "arn:aws:states:us-east-1:111122223333:stateMachine:datalake-sandbox-tune"
	fakeTable       = "datalake-sandbox-ml-ModelRegistry-abc"
	fakeTopic       = "arn:aws:sns:us-east-1:111122223333:datalake-sandbox-streaming-AlarmTopicD01E77F9-X"
	fakeAlarm       = "datalake-sandbox-streaming-TransformThrottlesAlarm8941FEF9-Y"
	fakeQueueArn    = "arn:aws:sqs:us-east-1:111122223333:queue"
	fakeQueueURL    = "https://sqs.us-east-1.amazonaws.com/111122223333/queue"
	fakeExecPref    = "arn:aws:states:us-east-1:111122223333:execution:datalake-sandbox-train-and-transform:"
)

// apiError is an AWS error as the SDK returns it.
type apiError struct{ code, msg string }

func (e apiError) Error() string                 { return e.code + ": " + e.msg }
func (e apiError) ErrorCode() string             { return e.code }
func (e apiError) ErrorMessage() string          { return e.msg }
func (e apiError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// fakeAWS is every service the smoke test calls, in memory. Its zero
// configuration (newFake) is a healthy deployment where everything
// succeeds; tests change fields to break one thing.
type fakeAWS struct {
	mu    sync.Mutex
	calls []string // "Service.Operation" in call order

	// CloudFormation
	stacks       map[string]cftypes.Stack // by name
	describeErr  error                    // for every DescribeStacks
	stackRes     map[string][]cftypes.StackResourceSummary
	outputsDrop  map[string]bool // output keys to leave out
	statusByName map[string]cftypes.StackStatus

	// Kinesis: refuse[i] is the error code for the i-th record of every
	// call, consumed per call (refuse[0] for the first call).
	refuse [][]string
	putErr error
	put    [][]ktypes.PutRecordsRequestEntry

	// S3: objects by key; deliverAfter lists of telemetry/ make the put
	// readings appear as one Parquet object (0 = never).
	objects      map[string][]byte
	deliverAfter int
	deliverBody  func(rows int) []byte
	lists        int
	putObjects   []*s3.PutObjectInput
	putObjectErr error

	// Athena
	namedQueries []atypes.NamedQuery
	queryStates  []atypes.QueryExecutionState // one per GetQueryExecution, last repeats
	queryReason  string
	resultRows   int
	queryStarted []*athena.StartQueryExecutionInput
	queryStopped []string

	// Glue
	workflowStates []gtypes.WorkflowRunStatus // one per GetWorkflowRun, last repeats
	workflowStats  *gtypes.WorkflowRunStatistics
	workflowGraph  *gtypes.WorkflowGraph
	startWfErr     error
	workflowStops  int

	// SQS and SNS
	queues        map[string]bool // live queue URLs
	queueAttrs    map[string]string
	messages      []string
	subscriptions map[string]bool
	pendingSub    bool // Subscribe asks for confirmation
	deliver       bool // SetAlarmState ALARM notifies the topic's subscribers
	deliverAlarm  string
	// deliverFailure: the failure step's execution reaches the topic
	deliverFailure bool

	// CloudWatch
	alarmState   cwtypes.StateValue
	alarmActions []string
	alarmSets    []cwtypes.StateValue

	// Step Functions and DynamoDB
	execStates  []sfntypes.ExecutionStatus // one per DescribeExecution, last repeats
	execError   string
	execCause   string
	started     []*sfn.StartExecutionInput
	execStopped []string
	registry    []map[string]ddbtypes.AttributeValue // newest first
	registerOwn bool                                 // a SUCCEEDED execution registers its model

	// onCall runs before every call; tests cancel contexts from it.
	onCall func(op string)
}

func newFake() *fakeAWS {
	f := &fakeAWS{
		objects:        map[string][]byte{},
		deliverAfter:   2,
		deliverBody:    parquetRowsBody,
		namedQueries:   []atypes.NamedQuery{{Name: aws.String("data_freshness"), QueryString: aws.String("SELECT 1"), Database: aws.String("datalake_sandbox"), NamedQueryId: aws.String("nq-1")}},
		queryStates:    []atypes.QueryExecutionState{atypes.QueryExecutionStateRunning, atypes.QueryExecutionStateSucceeded},
		resultRows:     10,
		workflowStates: []gtypes.WorkflowRunStatus{gtypes.WorkflowRunStatusRunning, gtypes.WorkflowRunStatusCompleted},
		workflowStats:  &gtypes.WorkflowRunStatistics{SucceededActions: 3, TotalActions: 3},
		queues:         map[string]bool{},
		queueAttrs:     map[string]string{},
		subscriptions:  map[string]bool{},
		deliver:        true,
		deliverFailure: true,
		alarmState:     cwtypes.StateValueOk,
		alarmActions:   []string{fakeTopic},
		execStates:     []sfntypes.ExecutionStatus{sfntypes.ExecutionStatusRunning, sfntypes.ExecutionStatusSucceeded},
		registerOwn:    true,
		statusByName:   map[string]cftypes.StackStatus{},
		outputsDrop:    map[string]bool{},
	}
	outputs := map[string]map[string]string{
		"storage":   {"RawBucketName": fakeRaw, "LakeKeyArn": fakeKey, "AnalyticsBucketName": "analytics"},
		"network":   {},
		"catalog":   {"EtlWorkflowName": fakeWorkflow},
		"streaming": {"TelemetryStreamName": fakeStream},
		"analytics": {},
		"ml":        {"TrainStateMachineArn": fakeMachine, "TuneStateMachineArn": fakeTuneMachine, "ModelRegistryTableName": fakeTable},
		"ops":       {"DashboardName": "datalake-sandbox"},
	}
	f.stacks = map[string]cftypes.Stack{}
	for short, outs := range outputs {
		name := "datalake-sandbox-" + short
		st := cftypes.Stack{StackName: aws.String(name), StackStatus: cftypes.StackStatusCreateComplete}
		for k, v := range outs {
			st.Outputs = append(st.Outputs, cftypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
		}
		f.stacks[name] = st
	}
	f.stackRes = map[string][]cftypes.StackResourceSummary{
		"datalake-sandbox-streaming": {
			{LogicalResourceId: aws.String("IteratorAgeAlarmB1C2D3E4"), PhysicalResourceId: aws.String("datalake-sandbox-streaming-IteratorAgeAlarm-Z"), ResourceType: aws.String("AWS::CloudWatch::Alarm")},
			{LogicalResourceId: aws.String("TransformThrottlesAlarm8941FEF9"), PhysicalResourceId: aws.String(fakeAlarm), ResourceType: aws.String("AWS::CloudWatch::Alarm")},
			{LogicalResourceId: aws.String("AlarmTopicD01E77F9"), PhysicalResourceId: aws.String(fakeTopic), ResourceType: aws.String("AWS::SNS::Topic")},
			{LogicalResourceId: aws.String("TelemetryStream9D62E5EC"), PhysicalResourceId: aws.String(fakeStream), ResourceType: aws.String("AWS::Kinesis::Stream")},
		},
	}
	return f
}

func (f *fakeAWS) clients() Clients {
	return Clients{CloudFormation: f, Kinesis: f, S3: f, Athena: f, Glue: f, SQS: f, SNS: f, CloudWatch: f, SFN: f, DynamoDB: f}
}

func (f *fakeAWS) call(op string) {
	f.mu.Lock()
	f.calls = append(f.calls, op)
	hook := f.onCall
	f.mu.Unlock()
	if hook != nil {
		hook(op)
	}
}

func (f *fakeAWS) called(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == op {
			n++
		}
	}
	return n
}

// nth returns states[i], or the last one past the end.
func nth[T any](states []T, i int) T { return states[min(i, len(states)-1)] }

// parquetRowsBody is a Parquet file with rows rows.
func parquetRowsBody(rows int) []byte {
	type row struct {
		DeviceID string `parquet:"device_id"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	data := make([]row, rows)
	for i := range data {
		data[i].DeviceID = fmt.Sprintf("device-%04d", i)
	}
	if _, err := w.Write(data); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// --- CloudFormation

func (f *fakeAWS) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.call("CloudFormation.DescribeStacks")
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	name := aws.ToString(in.StackName)
	st, ok := f.stacks[name]
	if !ok {
		return nil, apiError{"ValidationError", "Stack with id " + name + " does not exist"}
	}
	if s, ok := f.statusByName[name]; ok {
		st.StackStatus = s
	}
	st.Outputs = slices.DeleteFunc(slices.Clone(st.Outputs), func(o cftypes.Output) bool { return f.outputsDrop[aws.ToString(o.OutputKey)] })
	return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{st}}, nil
}

func (f *fakeAWS) ListStackResources(_ context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	f.call("CloudFormation.ListStackResources")
	return &cloudformation.ListStackResourcesOutput{StackResourceSummaries: f.stackRes[aws.ToString(in.StackName)]}, nil
}

// --- Kinesis

func (f *fakeAWS) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.call("Kinesis.PutRecords")
	if f.putErr != nil {
		return nil, f.putErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var codes []string
	if len(f.refuse) > 0 {
		codes, f.refuse = f.refuse[0], f.refuse[1:]
	}
	out := &kinesis.PutRecordsOutput{}
	var stored []ktypes.PutRecordsRequestEntry
	for i, e := range in.Records {
		res := ktypes.PutRecordsResultEntry{}
		if i < len(codes) && codes[i] != "" {
			res.ErrorCode, res.ErrorMessage = aws.String(codes[i]), aws.String("refused")
			out.FailedRecordCount = aws.Int32(aws.ToInt32(out.FailedRecordCount) + 1)
		} else {
			res.SequenceNumber, res.ShardId = aws.String("1"), aws.String("shardId-000000000000")
			stored = append(stored, e)
		}
		out.Records = append(out.Records, res)
	}
	f.put = append(f.put, stored)
	return out, nil
}

func (f *fakeAWS) putCount() int {
	n := 0
	for _, b := range f.put {
		n += len(b)
	}
	return n
}

// --- S3

func (f *fakeAWS) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	f.call("S3.ListObjectsV2")
	f.mu.Lock()
	defer f.mu.Unlock()
	prefix := aws.ToString(in.Prefix)
	if strings.HasPrefix(prefix, telemetryPrefix) && f.putCount() > 0 {
		f.lists++
		if f.lists == f.deliverAfter {
			f.objects[prefix+"delivery-1.parquet"] = f.deliverBody(f.putCount())
		}
	}
	var keys []string
	for k := range f.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := &s3.ListObjectsV2Output{}
	for _, k := range keys {
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(k), Size: aws.Int64(int64(len(f.objects[k])))})
	}
	return out, nil
}

func (f *fakeAWS) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.call("S3.GetObject")
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[aws.ToString(in.Key)]
	if !ok {
		return nil, apiError{"NoSuchKey", "no such key"}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func (f *fakeAWS) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.call("S3.PutObject")
	if f.putObjectErr != nil {
		return nil, f.putObjectErr
	}
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[aws.ToString(in.Key)] = body
	f.putObjects = append(f.putObjects, in)
	return &s3.PutObjectOutput{}, nil
}

// --- Athena

func (f *fakeAWS) ListNamedQueries(_ context.Context, in *athena.ListNamedQueriesInput, _ ...func(*athena.Options)) (*athena.ListNamedQueriesOutput, error) {
	f.call("Athena.ListNamedQueries")
	out := &athena.ListNamedQueriesOutput{}
	for _, q := range f.namedQueries {
		out.NamedQueryIds = append(out.NamedQueryIds, aws.ToString(q.NamedQueryId))
	}
	return out, nil
}

func (f *fakeAWS) BatchGetNamedQuery(_ context.Context, in *athena.BatchGetNamedQueryInput, _ ...func(*athena.Options)) (*athena.BatchGetNamedQueryOutput, error) {
	f.call("Athena.BatchGetNamedQuery")
	out := &athena.BatchGetNamedQueryOutput{}
	for _, q := range f.namedQueries {
		if slices.Contains(in.NamedQueryIds, aws.ToString(q.NamedQueryId)) {
			out.NamedQueries = append(out.NamedQueries, q)
		}
	}
	return out, nil
}

func (f *fakeAWS) StartQueryExecution(_ context.Context, in *athena.StartQueryExecutionInput, _ ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error) {
	f.call("Athena.StartQueryExecution")
	f.queryStarted = append(f.queryStarted, in)
	return &athena.StartQueryExecutionOutput{QueryExecutionId: aws.String("q-1")}, nil
}

func (f *fakeAWS) GetQueryExecution(_ context.Context, in *athena.GetQueryExecutionInput, _ ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error) {
	f.call("Athena.GetQueryExecution")
	st := nth(f.queryStates, f.called("Athena.GetQueryExecution")-1)
	return &athena.GetQueryExecutionOutput{QueryExecution: &atypes.QueryExecution{
		QueryExecutionId: in.QueryExecutionId,
		Status:           &atypes.QueryExecutionStatus{State: st, StateChangeReason: aws.String(f.queryReason)},
		Statistics:       &atypes.QueryExecutionStatistics{DataScannedInBytes: aws.Int64(1234)},
	}}, nil
}

func (f *fakeAWS) GetQueryResults(_ context.Context, in *athena.GetQueryResultsInput, _ ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error) {
	f.call("Athena.GetQueryResults")
	rows := []atypes.Row{{Data: []atypes.Datum{{VarCharValue: aws.String("device_id")}}}}
	for i := range f.resultRows {
		rows = append(rows, atypes.Row{Data: []atypes.Datum{{VarCharValue: aws.String(fmt.Sprint(i))}}})
	}
	return &athena.GetQueryResultsOutput{ResultSet: &atypes.ResultSet{Rows: rows}}, nil
}

func (f *fakeAWS) StopQueryExecution(_ context.Context, in *athena.StopQueryExecutionInput, _ ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error) {
	f.call("Athena.StopQueryExecution")
	f.queryStopped = append(f.queryStopped, aws.ToString(in.QueryExecutionId))
	return &athena.StopQueryExecutionOutput{}, nil
}

// --- Glue

func (f *fakeAWS) StartWorkflowRun(_ context.Context, in *glue.StartWorkflowRunInput, _ ...func(*glue.Options)) (*glue.StartWorkflowRunOutput, error) {
	f.call("Glue.StartWorkflowRun")
	if f.startWfErr != nil {
		return nil, f.startWfErr
	}
	return &glue.StartWorkflowRunOutput{RunId: aws.String("wr_1")}, nil
}

func (f *fakeAWS) GetWorkflowRun(_ context.Context, in *glue.GetWorkflowRunInput, _ ...func(*glue.Options)) (*glue.GetWorkflowRunOutput, error) {
	f.call("Glue.GetWorkflowRun")
	st := nth(f.workflowStates, f.called("Glue.GetWorkflowRun")-1)
	stats := f.workflowStats
	if st == gtypes.WorkflowRunStatusRunning {
		stats = &gtypes.WorkflowRunStatistics{RunningActions: 1, TotalActions: 1}
	}
	return &glue.GetWorkflowRunOutput{Run: &gtypes.WorkflowRun{Name: in.Name, WorkflowRunId: in.RunId, Status: st, Statistics: stats, Graph: f.workflowGraph}}, nil
}

func (f *fakeAWS) StopWorkflowRun(context.Context, *glue.StopWorkflowRunInput, ...func(*glue.Options)) (*glue.StopWorkflowRunOutput, error) {
	f.call("Glue.StopWorkflowRun")
	f.workflowStops++
	return &glue.StopWorkflowRunOutput{}, nil
}

// --- SQS

func (f *fakeAWS) CreateQueue(_ context.Context, in *sqs.CreateQueueInput, _ ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error) {
	f.call("SQS.CreateQueue")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queues[fakeQueueURL] = true
	for k, v := range in.Attributes {
		f.queueAttrs[k] = v
	}
	return &sqs.CreateQueueOutput{QueueUrl: aws.String(fakeQueueURL)}, nil
}

func (f *fakeAWS) GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	f.call("SQS.GetQueueAttributes")
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{"QueueArn": fakeQueueArn}}, nil
}

func (f *fakeAWS) SetQueueAttributes(_ context.Context, in *sqs.SetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error) {
	f.call("SQS.SetQueueAttributes")
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, v := range in.Attributes {
		f.queueAttrs[k] = v
	}
	return &sqs.SetQueueAttributesOutput{}, nil
}

func (f *fakeAWS) ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.call("SQS.ReceiveMessage")
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &sqs.ReceiveMessageOutput{}
	for i, m := range f.messages {
		out.Messages = append(out.Messages, sqsMessage(m, i))
	}
	return out, nil
}

func sqsMessage(body string, i int) sqstypes.Message {
	return sqstypes.Message{Body: aws.String(body), ReceiptHandle: aws.String(fmt.Sprint(i))}
}

func (f *fakeAWS) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	f.call("SQS.DeleteMessage")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.messages = f.messages[1:] // messages are received and deleted in order
	return &sqs.DeleteMessageOutput{}, nil
}

func (f *fakeAWS) DeleteQueue(_ context.Context, in *sqs.DeleteQueueInput, _ ...func(*sqs.Options)) (*sqs.DeleteQueueOutput, error) {
	f.call("SQS.DeleteQueue")
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.queues, aws.ToString(in.QueueUrl))
	return &sqs.DeleteQueueOutput{}, nil
}

// --- SNS

const fakeSubArn = fakeTopic + ":sub-1"

func (f *fakeAWS) Subscribe(_ context.Context, in *sns.SubscribeInput, _ ...func(*sns.Options)) (*sns.SubscribeOutput, error) {
	f.call("SNS.Subscribe")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pendingSub {
		f.messages = append(f.messages, mustJSON(map[string]string{"Type": "SubscriptionConfirmation", "TopicArn": aws.ToString(in.TopicArn), "Token": "tok-1"}))
		return &sns.SubscribeOutput{SubscriptionArn: aws.String(pendingConfirmation)}, nil
	}
	f.subscriptions[fakeSubArn] = true
	return &sns.SubscribeOutput{SubscriptionArn: aws.String(fakeSubArn)}, nil
}

func (f *fakeAWS) ConfirmSubscription(_ context.Context, in *sns.ConfirmSubscriptionInput, _ ...func(*sns.Options)) (*sns.ConfirmSubscriptionOutput, error) {
	f.call("SNS.ConfirmSubscription")
	if aws.ToString(in.Token) != "tok-1" {
		return nil, apiError{"InvalidParameter", "bad token"}
	}
	f.subscriptions[fakeSubArn] = true
	return &sns.ConfirmSubscriptionOutput{SubscriptionArn: aws.String(fakeSubArn)}, nil
}

func (f *fakeAWS) Unsubscribe(_ context.Context, in *sns.UnsubscribeInput, _ ...func(*sns.Options)) (*sns.UnsubscribeOutput, error) {
	f.call("SNS.Unsubscribe")
	delete(f.subscriptions, aws.ToString(in.SubscriptionArn))
	return &sns.UnsubscribeOutput{}, nil
}

// --- CloudWatch

func (f *fakeAWS) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f.call("CloudWatch.DescribeAlarms")
	if !slices.Contains(in.AlarmNames, fakeAlarm) {
		return &cloudwatch.DescribeAlarmsOutput{}, nil
	}
	return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: []cwtypes.MetricAlarm{{
		AlarmName: aws.String(fakeAlarm), StateValue: f.alarmState, AlarmActions: f.alarmActions, ActionsEnabled: aws.Bool(true),
	}}}, nil
}

func (f *fakeAWS) SetAlarmState(_ context.Context, in *cloudwatch.SetAlarmStateInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.SetAlarmStateOutput, error) {
	f.call("CloudWatch.SetAlarmState")
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.alarmState
	f.alarmState = in.StateValue
	f.alarmSets = append(f.alarmSets, in.StateValue)
	if old != in.StateValue && in.StateValue == cwtypes.StateValueAlarm && f.deliver && len(f.subscriptions) > 0 {
		name := aws.ToString(in.AlarmName)
		if f.deliverAlarm != "" {
			name = f.deliverAlarm
		}
		msg := mustJSON(map[string]string{"AlarmName": name, "NewStateValue": "ALARM", "NewStateReason": aws.ToString(in.StateReason)})
		f.messages = append(f.messages, mustJSON(map[string]string{"Type": "Notification", "TopicArn": fakeTopic, "Message": msg}))
	}
	return &cloudwatch.SetAlarmStateOutput{}, nil
}

// --- Step Functions and DynamoDB

func (f *fakeAWS) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.call("SFN.StartExecution")
	f.mu.Lock()
	// The Ops stack's WorkflowFailed rule tells the topic about an
	// execution that fails on its input, as EventBridge would deliver it:
	// the input transformer's text as a JSON string.
	if aws.ToString(in.StateMachineArn) == fakeTuneMachine && aws.ToString(in.Input) == failureInput && f.deliverFailure && len(f.subscriptions) > 0 {
		text := "Step Functions execution " + aws.ToString(in.Name) + " of " + fakeTuneMachine + " ended FAILED at 2026-12-02T10:00:00Z. Error and cause: https://..."
		f.messages = append(f.messages, mustJSON(map[string]string{"Type": "Notification", "TopicArn": fakeTopic, "Message": mustJSON(text)}))
	}
	f.mu.Unlock()
	f.started = append(f.started, in)
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(fakeExecPref + aws.ToString(in.Name))}, nil
}

func (f *fakeAWS) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.call("SFN.DescribeExecution")
	st := nth(f.execStates, f.called("SFN.DescribeExecution")-1)
	out := &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Status: st, StartDate: aws.Time(time.Unix(0, 0)), StopDate: aws.Time(time.Unix(600, 0))}
	if st == sfntypes.ExecutionStatusFailed {
		out.Error, out.Cause = aws.String(f.execError), aws.String(f.execCause)
	}
	// RegisterModel writes the newest item before the execution ends.
	exec := aws.ToString(in.ExecutionArn)
	registered := len(f.registry) > 0 && itemString(f.registry[0], "executionArn") == exec
	if st == sfntypes.ExecutionStatusSucceeded && f.registerOwn && !registered {
		f.registry = append([]map[string]ddbtypes.AttributeValue{registryAttrs("datalake-sandbox-model-abc", exec)}, f.registry...)
	}
	return out, nil
}

func (f *fakeAWS) StopExecution(_ context.Context, in *sfn.StopExecutionInput, _ ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error) {
	f.call("SFN.StopExecution")
	f.execStopped = append(f.execStopped, aws.ToString(in.ExecutionArn))
	return &sfn.StopExecutionOutput{}, nil
}

func (f *fakeAWS) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.call("DynamoDB.Query")
	if aws.ToBool(in.ScanIndexForward) || aws.ToInt32(in.Limit) != 1 {
		return nil, errors.New("the fake serves only the newest item: ScanIndexForward false, Limit 1")
	}
	if len(f.registry) == 0 {
		return &dynamodb.QueryOutput{}, nil
	}
	return &dynamodb.QueryOutput{Items: f.registry[:1]}, nil
}

func registryAttrs(model, execArn string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		"modelFamily":  &ddbtypes.AttributeValueMemberS{Value: ModelFamily},
		"registeredAt": &ddbtypes.AttributeValueMemberS{Value: "2026-12-02T10:00:00Z"},
		"modelName":    &ddbtypes.AttributeValueMemberS{Value: model},
		"executionArn": &ddbtypes.AttributeValueMemberS{Value: execArn},
		"auc":          &ddbtypes.AttributeValueMemberN{Value: "0.91"},
	}
}

func itemString(it map[string]ddbtypes.AttributeValue, k string) string {
	if v, ok := it[k].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// fakeClock is the run's clock in tests: sleeping advances it at once.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(max(d, time.Second)) // a poll without a pause still moves on
	return nil
}
