package smoke

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// failureInput makes the tune workflow fail in its first state
// (ValidateInput: runFeatures must be a boolean), for two state transitions
// and no job.
const failureInput = `{"runFeatures": "yes"}`

// failure is the failure-routing step: subscribe a temporary queue to the
// alarm topic, start a tune execution that fails at once on its input, and
// wait for the Ops stack's WorkflowFailed rule to tell the topic. It proves
// the path no emulator runs: Step Functions' event, the rule's pattern and
// input transformer, the topic policy for EventBridge, and the lake key's
// statement for EventBridge-to-encrypted-topic delivery.
func (r *runner) failure(ctx context.Context) (string, error) {
	if err := r.stacks.Usable(stackOps); err != nil {
		return "", err
	}
	topic, err := r.alarmTopic(ctx)
	if err != nil {
		return "", err
	}
	machine, err := r.stacks.Output(stackML, "TuneStateMachineArn")
	if err != nil {
		return "", err
	}
	queueURL, queueArn, err := r.createQueue(ctx, topic, "failure")
	if err != nil {
		return "", err
	}
	if err := r.subscribe(ctx, topic, queueURL, queueArn); err != nil {
		return "", err
	}
	if !r.cfg.Emulator {
		if err := r.cfg.sleep(ctx, subscribeSettle); err != nil {
			return "", err
		}
	}
	name := "smoke-failure-" + r.cfg.runID
	started, err := r.cfg.Clients.SFN.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(failureInput),
	})
	if err != nil {
		return "", fmt.Errorf("start execution %s of %s: %w", name, machine, err)
	}
	began := r.cfg.now()
	err = r.poll(ctx, 0, func() (bool, string, error) {
		found, err := r.receive(ctx, queueURL, func(env snsEnvelope) bool {
			return env.Type == "Notification" && env.TopicArn == topic && failureMessageNames(env.Message, name)
		})
		return found, fmt.Sprintf("waiting for the WorkflowFailed message about %s on queue %s", aws.ToString(started.ExecutionArn), queueArn), err
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("the failed execution %s reached a temporary SSE-SQS queue through the WorkflowFailed rule and %s after %s", name, topic, formatDuration(r.cfg.now().Sub(began))), nil
}

// failureMessageNames reports whether an SNS message is the rule's text
// about the execution: the input transformer sends a JSON string.
func failureMessageNames(msg, execution string) bool {
	var text string
	if json.Unmarshal([]byte(msg), &text) != nil {
		text = msg
	}
	return strings.Contains(text, "Step Functions execution "+execution+" ") && strings.Contains(text, "FAILED")
}

func (r *runner) failureHint() string {
	return "the Ops stack's WorkflowFailed rule (its FailedInvocations metric, the FailureRoutingDeadLetters queue), the alarm topic's policy for events.amazonaws.com, the lake key's AllowEventBridgeToEncryptedTargets statement and the topic's NumberOfNotificationsFailed metric"
}
