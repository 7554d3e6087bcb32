package smoke

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/refdatalake/datalake/lake/layout"
)

// ModelFamily is the registry's partition key for the telemetry failure
// model: the newest item of the family is the
// newest registered model.
const ModelFamily = layout.ModelFamily

// errorBelowThreshold is the error of train-and-transform's ModelRejected
// state: the quality gate turned the model down.
const errorBelowThreshold = "ModelBelowThreshold"

// validJSONObject reports whether s is a JSON object.
func validJSONObject(s string) bool {
	var m map[string]any
	return json.Unmarshal([]byte(s), &m) == nil
}

// mlInput is the execution input: the configured one, or runFeatures false
// when the etl step just built the training set (its workflow ends with the
// features job, which would otherwise run again and cost about $0.04).
func (r *runner) mlInput() string {
	if r.cfg.MlInput != "" {
		return r.cfg.MlInput
	}
	if r.passed(StepETL) {
		return `{"runFeatures": false}`
	}
	return `{"runFeatures": true}`
}

// ml is the ml step: run train-and-transform, wait for the execution to
// end and read the newest item of the model registry.
//
// A run the quality gate rejects (ModelBelowThreshold) passes: every state
// ran, up to the gate's decision, which on smoke-sized data may well be no.
// Any other failure fails the step.
func (r *runner) ml(ctx context.Context) (string, error) {
	machine, err := r.stacks.Output(stackML, "TrainStateMachineArn")
	if err != nil {
		return "", err
	}
	table, err := r.stacks.Output(stackML, "ModelRegistryTableName")
	if err != nil {
		return "", err
	}
	target := machine
	if r.cfg.MlTestCase != "" {
		target += "#" + r.cfg.MlTestCase // Step Functions Local mock test case
	}
	input := r.mlInput()
	started, err := r.cfg.Clients.SFN.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(target),
		Name:            aws.String("smoke-" + r.cfg.runID),
		Input:           aws.String(input),
	})
	if err != nil {
		return "", fmt.Errorf("start %s: %w", machine, err)
	}
	exec := aws.ToString(started.ExecutionArn)
	r.logf("ml: execution %s started with %s", exec, input)
	finished := false
	// SageMaker bills while a job runs: an execution the run leaves (Ctrl-C,
	// deadline) is stopped, which stops the job its .sync task waits for.
	r.defer_("stop execution "+exec, func(ctx context.Context) error {
		if finished {
			return errNothingToDo
		}
		_, err := r.cfg.Clients.SFN.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec), Cause: aws.String("make smoke ended before the execution")})
		return err
	})
	var d *sfn.DescribeExecutionOutput
	err = r.poll(ctx, r.every(30*time.Second), func() (bool, string, error) {
		out, err := r.cfg.Clients.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
		if err != nil {
			return false, "", fmt.Errorf("execution %s: %w", exec, err)
		}
		d = out
		return out.Status != sfntypes.ExecutionStatusRunning && out.Status != sfntypes.ExecutionStatusPendingRedrive,
			fmt.Sprintf("%s (execution %s)", out.Status, exec), nil
	})
	if err != nil {
		return "", err
	}
	finished = true
	newest, err := r.newestModel(ctx, table)
	if err != nil {
		return "", err
	}
	took := aws.ToTime(d.StopDate).Sub(aws.ToTime(d.StartDate))
	switch {
	case d.Status == sfntypes.ExecutionStatusSucceeded:
		if newest == nil || newest.executionArn != exec {
			return "", fmt.Errorf("execution %s SUCCEEDED but the newest item of %s in %s is %s, not its model", exec, ModelFamily, table, newest)
		}
		return fmt.Sprintf("execution %s SUCCEEDED in %s; newest registry item in %s: %s", exec, formatDuration(took), table, newest), nil
	case d.Status == sfntypes.ExecutionStatusFailed && aws.ToString(d.Error) == errorBelowThreshold:
		return fmt.Sprintf("execution %s ran every state in %s and the quality gate rejected the model (%s); newest registry item in %s: %s",
			exec, formatDuration(took), aws.ToString(d.Cause), table, newest), nil
	}
	return "", fmt.Errorf("execution %s ended %s: %s: %s", exec, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
}

// registryItem is what the step reports of a registry item.
type registryItem struct {
	modelName, registeredAt, executionArn, auc string
}

func (i *registryItem) String() string {
	if i == nil {
		return "none"
	}
	return fmt.Sprintf("model %s registered %s with auc %s", i.modelName, i.registeredAt, i.auc)
}

// newestModel reads the newest registry item of the model family: the sort
// key is registeredAt, so the last item in key order; nil for none.
func (r *runner) newestModel(ctx context.Context, table string) (*registryItem, error) {
	out, err := r.cfg.Clients.DynamoDB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("modelFamily = :f"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":f": &ddbtypes.AttributeValueMemberS{Value: ModelFamily}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("query the model registry %s: %w", table, err)
	}
	if len(out.Items) == 0 {
		return nil, nil
	}
	it := out.Items[0]
	str := func(k string) string {
		switch v := it[k].(type) {
		case *ddbtypes.AttributeValueMemberS:
			return v.Value
		case *ddbtypes.AttributeValueMemberN:
			return v.Value
		}
		return ""
	}
	return &registryItem{modelName: str("modelName"), registeredAt: str("registeredAt"), executionArn: str("executionArn"), auc: str("auc")}, nil
}

func (r *runner) mlHint() string {
	return fmt.Sprintf("the execution's history in the Step Functions console, the evaluate Lambda's log group, and SageMaker training and transform jobs named %s-%s-*",
		r.cfg.Project, r.cfg.Profile)
}
