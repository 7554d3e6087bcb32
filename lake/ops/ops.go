// Package ops is the lake's Operations stack: the EventBridge rules that
// send every Glue, data quality and workflow failure to the alarm topic and
// one CloudWatch dashboard of the deployment; and the Budget stack with the
// account's monthly AWS budget. Both deploy last: they read the other
// stacks and nothing reads them.
package ops

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
	"github.com/refdatalake/datalake/statemachines"
)

// Props configures the Operations stack.
type Props struct {
	awscdk.StackProps
	// Deployment names the jobs, crawler, ruleset, workgroups and budget. Required.
	Deployment layout.Deployment
	// LakeKey encrypts the rules' dead-letter queue. Required.
	LakeKey awskms.IKey
	// AlarmTopicArn is the Streaming stack's alarm topic, whose policy lets
	// EventBridge publish. Required.
	AlarmTopicArn *string
	// Stream, DeliveryStreamName and Transform are the ingestion path. Required.
	Stream             awskinesis.IStream
	DeliveryStreamName *string
	Transform          awslambda.IFunction
	// IngestAlarms are shown by state on the dashboard.
	IngestAlarms []awscloudwatch.IAlarm
	// StateMachines are the ML workflows, by name. Required.
	StateMachines map[string]awsstepfunctions.IStateMachine
	// Quality, when set, runs the curated table's data quality ruleset
	// after every curate run that succeeds (addQualityRun).
	Quality *QualityProps
	// Evaluate writes the model metrics the dashboard shows. Required.
	Evaluate awslambda.IFunction
	// Detect is the stream's anomaly detector; nil leaves its row out.
	Detect awslambda.IFunction
}

// Stack is the Operations stack.
type Stack struct {
	awscdk.Stack
	// Rules by ID (FailureRule.ID).
	Rules map[string]awsevents.Rule
	// DeadLetters holds events a rule could not deliver to the topic.
	DeadLetters awssqs.Queue
	// Dashboard is the deployment's one dashboard.
	Dashboard awscloudwatch.Dashboard
	// QualityRun is the data quality state machine, nil without Props.Quality.
	QualityRun awsstepfunctions.StateMachine
}

// NewStack creates the rules and the dashboard.
func NewStack(scope constructs.Construct, id string, props *Props) (*Stack, error) {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	s := &Stack{Stack: stack}
	d := props.Deployment
	topic := awssns.Topic_FromTopicArn(stack, jsii.String("AlarmTopic"), props.AlarmTopicArn)

	s.DeadLetters = awssqs.NewQueue(stack, jsii.String("FailureRoutingDeadLetters"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: props.LakeKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
	})
	dlqReason := "It is itself the dead-letter queue of the failure rules' and the data quality rule's targets; a queue behind it would only move the question. Its depth is on the dashboard."
	baseline.Suppress(s.DeadLetters, baseline.NagReason{Rule: "AwsSolutions-SQS3", Reason: dlqReason}, baseline.NagReason{Rule: "Serverless-SQSRedrivePolicy", Reason: dlqReason})

	machines := map[string]awsstepfunctions.IStateMachine{}
	for name, m := range props.StateMachines {
		machines[name] = m
	}
	if props.Quality != nil {
		var err error
		if s.QualityRun, err = s.addQualityRun(props, s.DeadLetters); err != nil {
			return nil, err
		}
		machines[statemachines.DataQuality] = s.QualityRun
	}
	machineArns := make([]*string, 0, len(machines))
	for _, name := range sortedKeys(machines) {
		machineArns = append(machineArns, machines[name].StateMachineArn())
	}
	jobs := make([]string, len(layout.Jobs))
	for i, j := range layout.Jobs {
		jobs[i] = d.Job(j)
	}
	s.addRules(topic, s.DeadLetters, Rules(jobs, []string{d.Crawler()}, []string{d.QualityRuleset()}, machineArns))
	s.addDashboard(props, jobs, machines)
	awscdk.NewCfnOutput(stack, jsii.String("DashboardName"), &awscdk.CfnOutputProps{Value: s.Dashboard.DashboardName()})
	return s, nil
}
