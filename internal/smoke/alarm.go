package smoke

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// alarmTopicOutput is the Streaming stack's output for the alarm topic, if
// it has one; otherwise the topic is found among the stack's resources by
// its construct ID, AlarmTopic (cdk/streaming.go).
const (
	alarmTopicOutput = "AlarmTopicArn"
	alarmTopicID     = "AlarmTopic"
)

// subscribeSettle is how long SNS gets on AWS between a new subscription
// and the first message it should deliver: a subscription takes a moment
// to become active everywhere, and a notification published before that is
// lost, not delayed.
const subscribeSettle = 5 * time.Second

// snsEnvelope is an SNS message as delivered to SQS without raw delivery.
type snsEnvelope struct {
	Type     string `json:"Type"`
	TopicArn string `json:"TopicArn"`
	Message  string `json:"Message"`
	Token    string `json:"Token"`
}

// alarmMessage is the part of CloudWatch's alarm notification the step
// checks.
type alarmMessage struct {
	AlarmName      string `json:"AlarmName"`
	NewStateValue  string `json:"NewStateValue"`
	NewStateReason string `json:"NewStateReason"`
}

// alarmTopic returns the ARN of the ingestion alarm topic.
func (r *runner) alarmTopic(ctx context.Context) (string, error) {
	if err := r.stacks.Usable(stackStreaming); err != nil {
		return "", err
	}
	if arn, err := r.stacks.Output(stackStreaming, alarmTopicOutput); err == nil {
		return arn, nil
	}
	topics, err := r.stacks.Resources(ctx, stackStreaming, "AWS::SNS::Topic")
	if err != nil {
		return "", err
	}
	t, ok := resourceByPrefix(topics, alarmTopicID)
	if !ok {
		return "", fmt.Errorf("stack %s has no SNS topic %s*", StackName(r.cfg.Project, r.cfg.Profile, stackStreaming), alarmTopicID)
	}
	return t.physicalID, nil // a topic's physical ID is its ARN
}

// alarmName returns the name of the Streaming stack's alarm whose logical
// ID starts with cfg.Alarm.
func (r *runner) alarmName(ctx context.Context) (string, error) {
	alarms, err := r.stacks.Resources(ctx, stackStreaming, "AWS::CloudWatch::Alarm")
	if err != nil {
		return "", err
	}
	a, ok := resourceByPrefix(alarms, r.cfg.Alarm)
	if !ok {
		ids := make([]string, len(alarms))
		for i, x := range alarms {
			ids[i] = x.logicalID
		}
		return "", fmt.Errorf("stack %s has no alarm %s*; it has %v", StackName(r.cfg.Project, r.cfg.Profile, stackStreaming), r.cfg.Alarm, ids)
	}
	return a.physicalID, nil // an alarm's physical ID is its name
}

// alarm is the alarm step: subscribe a temporary queue to the ingestion
// alarm topic, set one of the ingestion alarms to ALARM and wait for its
// notification on the queue. It proves the whole notification path: the
// alarm's action, the topic's policy and key, and delivery.
func (r *runner) alarm(ctx context.Context) (string, error) {
	topic, err := r.alarmTopic(ctx)
	if err != nil {
		return "", err
	}
	name, err := r.alarmName(ctx)
	if err != nil {
		return "", err
	}
	described, err := r.cfg.Clients.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		return "", fmt.Errorf("describe alarm %s: %w", name, err)
	}
	if len(described.MetricAlarms) != 1 {
		return "", fmt.Errorf("alarm %s: DescribeAlarms found %d metric alarms", name, len(described.MetricAlarms))
	}
	al := described.MetricAlarms[0]
	if !slices.Contains(al.AlarmActions, topic) {
		return "", fmt.Errorf("alarm %s does not notify the alarm topic %s (its alarm actions: %v)", name, topic, al.AlarmActions)
	}
	if !aws.ToBool(al.ActionsEnabled) {
		return "", fmt.Errorf("alarm %s has its actions disabled", name)
	}

	queueURL, queueArn, err := r.createQueue(ctx, topic, "alarm")
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

	// A transition is what fires the action: from ALARM to ALARM nothing
	// is sent, so an alarm already in ALARM goes to OK first.
	if al.StateValue == cwtypes.StateValueAlarm {
		if err := r.setAlarmState(ctx, name, cwtypes.StateValueOk, "make smoke "+r.cfg.runID+": reset before a test notification"); err != nil {
			return "", err
		}
	}
	reason := "make smoke " + r.cfg.runID + ": test notification, not a real alarm; the alarm returns to its real state at its next evaluation"
	if err := r.setAlarmState(ctx, name, cwtypes.StateValueAlarm, reason); err != nil {
		return "", err
	}
	// OK sends nothing: the alarms have no OK actions (cdk/streaming.go).
	r.defer_("set alarm "+name+" back to OK", func(ctx context.Context) error {
		return r.setAlarmState(ctx, name, cwtypes.StateValueOk, "make smoke "+r.cfg.runID+": test over")
	})
	set := r.cfg.now()

	err = r.poll(ctx, 0, func() (bool, string, error) {
		found, err := r.receive(ctx, queueURL, func(env snsEnvelope) bool {
			var m alarmMessage
			if env.Type != "Notification" || env.TopicArn != topic || json.Unmarshal([]byte(env.Message), &m) != nil {
				return false
			}
			return m.AlarmName == name && m.NewStateValue == string(cwtypes.StateValueAlarm) && strings.Contains(m.NewStateReason, r.cfg.runID)
		})
		return found, fmt.Sprintf("waiting for the ALARM notification of %s on queue %s", name, queueArn), err
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("ALARM of %s reached a temporary SSE-SQS queue through %s after %s", name, topic, formatDuration(r.cfg.now().Sub(set))), nil
}

// setAlarmState sets an alarm's state by hand.
func (r *runner) setAlarmState(ctx context.Context, name string, state cwtypes.StateValue, reason string) error {
	_, err := r.cfg.Clients.CloudWatch.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String(name), StateValue: state, StateReason: aws.String(reason),
	})
	if err != nil {
		return fmt.Errorf("set alarm %s to %s: %w", name, state, err)
	}
	return nil
}

// createQueue creates the temporary queue with a policy that lets only the
// topic send to it, and registers its deletion.
//
// The queue uses SSE-SQS, not the lake key: SNS encrypts what it delivers
// to a KMS-encrypted queue as the service principal sns.amazonaws.com,
// which then needs kms:GenerateDataKey and kms:Decrypt in the key's policy.
// The lake key's policy grants service principals only CloudWatch Logs and
// CloudWatch alarms (cdk/storage.go), IAM cannot grant a service principal
// anything, and a smoke test must not change a key policy; with the lake
// key SNS's deliveries would fail silently and the step would time out
// for a reason that is no fault of the lake. The queue holds one test
// notification for a few minutes and is deleted at the end.
func (r *runner) createQueue(ctx context.Context, topic, step string) (url, arn string, err error) {
	name := fmt.Sprintf("%s-%s-smoke-%s-%s", r.cfg.Project, r.cfg.Profile, step, r.cfg.runID)
	created, err := r.cfg.Clients.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(name),
		Attributes: map[string]string{
			"SqsManagedSseEnabled": "true",
			// Visibility timeout 0: a response lost on the way (the SDK
			// retries the receive) must not hide the notification for 30 s.
			"VisibilityTimeout":      "0",
			"MessageRetentionPeriod": "3600",
		},
	})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	url = aws.ToString(created.QueueUrl)
	r.defer_("delete queue "+name, func(ctx context.Context) error {
		_, err := r.cfg.Clients.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
		return err
	})
	attrs, err := r.cfg.Clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("queue %s: %w", name, err)
	}
	arn = attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", "", fmt.Errorf("queue %s has no ARN", name)
	}
	if _, err := r.cfg.Clients.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(url), Attributes: map[string]string{"Policy": queuePolicy(arn, topic)},
	}); err != nil {
		return "", "", fmt.Errorf("set the policy of queue %s: %w", name, err)
	}
	return url, arn, nil
}

// queuePolicy lets SNS send to the queue on behalf of the topic only.
func queuePolicy(queueArn, topicArn string) string {
	b, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "AlarmTopicSends",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "sns.amazonaws.com"},
			"Action":    "sqs:SendMessage",
			"Resource":  queueArn,
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topicArn}},
		}},
	})
	return string(b)
}

// pendingConfirmation is what Subscribe returns for a subscription that
// waits for its confirmation message.
const pendingConfirmation = "pending confirmation"

// subscribe subscribes the queue to the topic and registers the
// unsubscribe. In one account SNS confirms an SQS subscription at once;
// when it asks for confirmation instead, the token arrives on the queue.
func (r *runner) subscribe(ctx context.Context, topic, queueURL, queueArn string) error {
	sub, err := r.cfg.Clients.SNS.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topic), Protocol: aws.String("sqs"), Endpoint: aws.String(queueArn),
	})
	if err != nil {
		return fmt.Errorf("subscribe queue %s to %s: %w", queueArn, topic, err)
	}
	arn := aws.ToString(sub.SubscriptionArn)
	if arn == pendingConfirmation || arn == "" {
		err := r.poll(ctx, 0, func() (bool, string, error) {
			found, err := r.receive(ctx, queueURL, func(env snsEnvelope) bool {
				if env.Type != "SubscriptionConfirmation" || env.Token == "" {
					return false
				}
				c, err := r.cfg.Clients.SNS.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(topic), Token: aws.String(env.Token)})
				if err != nil {
					return false
				}
				arn = aws.ToString(c.SubscriptionArn)
				return true
			})
			return found, "waiting for the subscription's confirmation on " + queueArn, err
		})
		if err != nil {
			return err
		}
	}
	r.defer_("unsubscribe the queue from "+topic, func(ctx context.Context) error {
		_, err := r.cfg.Clients.SNS.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(arn)})
		return err
	})
	return nil
}

// receive takes what the queue holds (waiting a little for it), deletes
// each message and reports whether one matched.
func (r *runner) receive(ctx context.Context, queueURL string, match func(snsEnvelope) bool) (bool, error) {
	wait := int32(10) // long polling: one call waits for the message
	if r.cfg.Emulator {
		wait = 1
	}
	out, err := r.cfg.Clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
	})
	if err != nil {
		return false, fmt.Errorf("receive from %s: %w", queueURL, err)
	}
	found := false
	for _, m := range out.Messages {
		var env snsEnvelope
		if json.Unmarshal([]byte(aws.ToString(m.Body)), &env) == nil && match(env) {
			found = true
		}
		if _, err := r.cfg.Clients.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
			return false, fmt.Errorf("delete a message from %s: %w", queueURL, err)
		}
	}
	return found, nil
}

func (r *runner) alarmHint() string {
	return "the alarm's actions, the alarm topic's access policy (cloudwatch.amazonaws.com must be allowed to publish), the lake key's policy for cloudwatch.amazonaws.com and the topic's NumberOfNotificationsFailed metric"
}
