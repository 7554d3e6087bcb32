package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
)

type fake struct {
	items   []map[string]ddbtypes.AttributeValue
	query   *dynamodb.QueryInput
	started *glue.StartJobRunInput
	states  []gluetypes.JobRunState
}

func (f *fake) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	outs := map[string][]cftypes.Output{
		"datalake-sandbox-ml":      {{OutputKey: aws.String("ModelRegistryTableName"), OutputValue: aws.String("registry")}},
		"datalake-sandbox-catalog": {{OutputKey: aws.String("TrainingSetJobName"), OutputValue: aws.String("datalake-sandbox-training-set")}},
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{{Outputs: outs[aws.ToString(in.StackName)]}}}, nil
}

func (f *fake) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.query = in
	return &dynamodb.QueryOutput{Items: f.items}, nil
}

func (f *fake) StartJobRun(_ context.Context, in *glue.StartJobRunInput, _ ...func(*glue.Options)) (*glue.StartJobRunOutput, error) {
	f.started = in
	return &glue.StartJobRunOutput{JobRunId: aws.String("jr_1")}, nil
}

func (f *fake) GetJobRun(context.Context, *glue.GetJobRunInput, ...func(*glue.Options)) (*glue.GetJobRunOutput, error) {
	s := f.states[0]
	if len(f.states) > 1 {
		f.states = f.states[1:]
	}
	return &glue.GetJobRunOutput{JobRun: &gluetypes.JobRun{JobRunState: s, ErrorMessage: aws.String("LineageError: the rebuilt train rows differ")}}, nil
}

func item(snapshot string) map[string]ddbtypes.AttributeValue {
	s := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	it := map[string]ddbtypes.AttributeValue{
		"registeredAt": s("2026-03-15T04:12:09.123Z"), "modelName": s("m-1"),
		"trainingDataUri": s("s3://a/training/telemetry/snapshots/" + snapshot + "/train/"),
		"manifestUri":     s("s3://a/training/telemetry/snapshots/" + snapshot + "/manifest.json"),
	}
	if snapshot != "" {
		it["featuresSnapshotId"] = s(snapshot)
	}
	return it
}

// The job gets the registered snapshot, manifest and set to compare with,
// and the command reports success only when the run succeeded.
func TestRebuildsTheRegisteredSnapshot(t *testing.T) {
	f := &fake{items: []map[string]ddbtypes.AttributeValue{item("8744736658442914487")},
		states: []gluetypes.JobRunState{gluetypes.JobRunStateRunning, gluetypes.JobRunStateSucceeded}}
	var out bytes.Buffer
	o := options{project: "datalake", profile: "sandbox", registeredAt: "2026-03-15T04:12:09.123Z", poll: time.Millisecond}
	if err := run(context.Background(), clients{f, f, f}, o, &out); err != nil {
		t.Fatal(err)
	}
	args := f.started.Arguments
	if aws.ToString(f.started.JobName) != "datalake-sandbox-training-set" || args["--features_snapshot_id"] != "8744736658442914487" ||
		args["--compare_with"] != "s3://a/training/telemetry/snapshots/8744736658442914487/" ||
		!strings.HasSuffix(args["--manifest_uri"], "/manifest.json") {
		t.Errorf("started %+v", f.started)
	}
	if !strings.Contains(aws.ToString(f.query.KeyConditionExpression), "registeredAt = :t") || !strings.Contains(out.String(), "rebuilt:") {
		t.Errorf("query %v, output %s", aws.ToString(f.query.KeyConditionExpression), out.String())
	}
	f.states = []gluetypes.JobRunState{gluetypes.JobRunStateFailed}
	if err := run(context.Background(), clients{f, f, f}, o, io.Discard); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("a failed run: %v", err)
	}
}

func TestAModelWithoutASnapshotIsRefused(t *testing.T) {
	f := &fake{items: []map[string]ddbtypes.AttributeValue{item("")}}
	err := run(context.Background(), clients{f, f, f}, options{project: "datalake", profile: "sandbox", registeredAt: "latest"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "records no training_features snapshot") || f.started != nil {
		t.Errorf("error %v, started %+v", err, f.started)
	}
	if aws.ToBool(f.query.ScanIndexForward) || aws.ToInt32(f.query.Limit) != 1 {
		t.Errorf("latest: %+v", f.query)
	}
}
