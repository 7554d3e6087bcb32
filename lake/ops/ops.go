// Package ops is the lake's Operations stack: the EventBridge rules that
// send every Glue, data quality and workflow failure to the alarm topic,
// one CloudWatch dashboard of the deployment, and its monthly AWS budget.
// It deploys last: it reads the other stacks and nothing reads it.
package ops

import (
	"fmt"
	"math"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbudgets"
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
)

// Props configures the Operations stack.
type Props struct {
	awscdk.StackProps
	// Deployment names the jobs, crawler, ruleset, workgroups and budget. Required.
	Deployment layout.Deployment
	// LakeKey encrypts the rules' dead-letter queue. Required.
	LakeKey awskms.IKey
	// AlarmTopicArn is the Streaming stack's alarm topic, whose policy lets
	// EventBridge and AWS Budgets publish. Required.
	AlarmTopicArn *string
	// Stream, DeliveryStreamName and Transform are the ingestion path. Required.
	Stream             awskinesis.IStream
	DeliveryStreamName *string
	Transform          awslambda.IFunction
	// IngestAlarms are shown by state on the dashboard.
	IngestAlarms []awscloudwatch.IAlarm
	// StateMachines are the ML workflows, by name. Required.
	StateMachines map[string]awsstepfunctions.IStateMachine
	// Evaluate writes the model metrics the dashboard shows. Required.
	Evaluate awslambda.IFunction
	// Detect is the stream's anomaly detector; nil leaves its row out.
	Detect awslambda.IFunction
	// MonthlyBudgetUsd is the monthly cost budget of the account in US
	// dollars; 0 creates none. Check it with CheckBudget.
	MonthlyBudgetUsd float64
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
	// Budget is the monthly cost budget, nil without one.
	Budget awsbudgets.CfnBudget
}

// NewStack creates the rules, the dashboard and the budget.
func NewStack(scope constructs.Construct, id string, props *Props) (*Stack, error) {
	if err := CheckBudget(props.MonthlyBudgetUsd); err != nil {
		return nil, err
	}
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
	dlqReason := "It is itself the dead-letter queue of the failure rules' targets; a queue behind it would only move the question. Its depth is on the dashboard."
	baseline.Suppress(s.DeadLetters, baseline.NagReason{Rule: "AwsSolutions-SQS3", Reason: dlqReason}, baseline.NagReason{Rule: "Serverless-SQSRedrivePolicy", Reason: dlqReason})

	machineArns := make([]*string, 0, len(props.StateMachines))
	for _, name := range sortedKeys(props.StateMachines) {
		machineArns = append(machineArns, props.StateMachines[name].StateMachineArn())
	}
	jobs := make([]string, len(layout.Jobs))
	for i, j := range layout.Jobs {
		jobs[i] = d.Job(j)
	}
	s.addRules(topic, s.DeadLetters, Rules(jobs, []string{d.Crawler()}, []string{d.QualityRuleset()}, machineArns))
	s.addDashboard(props, jobs)
	if props.MonthlyBudgetUsd > 0 {
		s.addBudget(d, props.MonthlyBudgetUsd, props.AlarmTopicArn)
	}
	awscdk.NewCfnOutput(stack, jsii.String("DashboardName"), &awscdk.CfnOutputProps{Value: s.Dashboard.DashboardName()})
	return s, nil
}

// Budget limits: AWS Budgets takes the amount as a decimal string; the
// bounds keep typos (an extra zero, cents for dollars) from passing.
const (
	MinBudgetUsd = 1
	MaxBudgetUsd = 1_000_000
)

// CheckBudget refuses a monthly budget AWS Budgets would refuse or that is
// surely a typo, in one line naming the setting.
func CheckBudget(usd float64) error {
	if usd == 0 {
		return nil
	}
	if math.IsNaN(usd) || usd < MinBudgetUsd || usd > MaxBudgetUsd || math.Round(usd*100) != usd*100 {
		return fmt.Errorf("monthlyBudgetUsd=%v: want 0 (no budget) or US dollars from %d to %d with at most 2 decimals", usd, MinBudgetUsd, MaxBudgetUsd)
	}
	return nil
}

// addBudget creates a monthly cost budget that tells the alarm topic at 80%
// of actual spend and when the month's forecast passes 100%.
//
// It covers the whole account: filtering by the lake's "project" tag works
// only once that tag is activated as a cost allocation tag in the Billing
// console, and until then a filtered budget reads $0 and never warns.
// https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/custom-tags.html
// AWS Budgets has no L2; the L1 is AWS::Budgets::Budget.
// https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
func (s *Stack) addBudget(d layout.Deployment, usd float64, topicArn *string) {
	notify := func(kind string, percent float64) *awsbudgets.CfnBudget_NotificationWithSubscribersProperty {
		return &awsbudgets.CfnBudget_NotificationWithSubscribersProperty{
			Notification: &awsbudgets.CfnBudget_NotificationProperty{
				NotificationType:   jsii.String(kind),
				ComparisonOperator: jsii.String("GREATER_THAN"),
				Threshold:          jsii.Number(percent),
				ThresholdType:      jsii.String("PERCENTAGE"),
			},
			Subscribers: &[]any{&awsbudgets.CfnBudget_SubscriberProperty{SubscriptionType: jsii.String("SNS"), Address: topicArn}},
		}
	}
	s.Budget = awsbudgets.NewCfnBudget(s.Stack, jsii.String("MonthlyBudget"), &awsbudgets.CfnBudgetProps{
		Budget: &awsbudgets.CfnBudget_BudgetDataProperty{
			BudgetName:  jsii.String(BudgetName(d)),
			BudgetType:  jsii.String("COST"),
			TimeUnit:    jsii.String("MONTHLY"),
			BudgetLimit: &awsbudgets.CfnBudget_SpendProperty{Amount: jsii.Number(usd), Unit: jsii.String("USD")},
		},
		NotificationsWithSubscribers: &[]any{notify("ACTUAL", 80), notify("FORECASTED", 100)},
	})
}

// BudgetName is the budget's name: "<project>-<profile>-monthly".
func BudgetName(d layout.Deployment) string { return d.Prefix() + "-monthly" }
