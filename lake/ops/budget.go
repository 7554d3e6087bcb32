package ops

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbudgets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/layout"
)

// BudgetProps configures the Budget stack.
type BudgetProps struct {
	awscdk.StackProps
	// Deployment names the budget. Required.
	Deployment layout.Deployment
	// AlarmTopicArn is the Streaming stack's alarm topic, whose policy lets
	// AWS Budgets publish. Required.
	AlarmTopicArn *string
	// MonthlyBudgetUsd is the monthly cost budget of the account in US
	// dollars, at least MinBudgetUsd. Check it with CheckBudget.
	MonthlyBudgetUsd float64
}

// BudgetStack holds the account's monthly cost budget, apart from the Ops
// stack: AWS::Budgets::Budget is not a CloudFormation type in every region
// (NoBudgetRegions), and a template that names an unknown type fails there
// even under a false condition. In such a region this stack alone fails, its
// rule says which setting turns it off, and the rest of the lake deploys.
type BudgetStack struct {
	awscdk.Stack
	// Budget is the monthly cost budget.
	Budget awsbudgets.CfnBudget
}

// NoBudgetRegions are the regions whose CloudFormation has no
// AWS::Budgets::Budget, as cfn-lint 1.58's per-region resource schemas
// list them (cfnlint/data/schemas/providers/<region>.json); AWS tracks the
// gap in https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/2177
// ("Template format error: Unrecognized resource types: [AWS::Budgets::Budget]").
// `make lint-templates` runs cfn-lint over the budget template in every
// region the app supports but these, so a region missing here fails it.
var NoBudgetRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-3", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-north-1", "eu-south-1",
	"eu-south-2", "il-central-1", "me-central-1", "mx-central-1", "us-gov-east-1", "us-gov-west-1",
}

// BudgetAvailable reports whether region's CloudFormation has AWS::Budgets::Budget.
func BudgetAvailable(region string) bool {
	for _, r := range NoBudgetRegions {
		if r == region {
			return false
		}
	}
	return true
}

// BudgetRegions is regions without those that have no budget type, sorted.
func BudgetRegions(regions []string) []string {
	var out []string
	for _, r := range regions {
		if BudgetAvailable(r) {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
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

// CheckBudgetRegion refuses a budget in a region whose CloudFormation has
// no budget type, in one line naming the setting that turns it off; whose
// says where the region came from ("" for a pinned region).
func CheckBudgetRegion(usd float64, region, whose string) error {
	if usd == 0 || region == "" || BudgetAvailable(region) {
		return nil
	}
	if whose != "" {
		whose = " (" + whose + ")"
	}
	return fmt.Errorf("monthlyBudgetUsd=%v: CloudFormation has no AWS::Budgets::Budget in %s%s: set -c monthlyBudgetUsd=0 for this region; a budget covers the whole account, so one deployment in a region that has the type is enough", usd, region, whose)
}

// NewBudgetStack creates a monthly cost budget that tells the alarm topic
// at 80% of actual spend and when the month's forecast passes 100%.
//
// It covers the whole account: filtering by the lake's "project" tag works
// only once that tag is activated as a cost allocation tag in the Billing
// console, and until then a filtered budget reads $0 and never warns.
// https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/custom-tags.html
// AWS Budgets has no L2; the L1 is AWS::Budgets::Budget.
// https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
func NewBudgetStack(scope constructs.Construct, id string, props *BudgetProps) (*BudgetStack, error) {
	if props.MonthlyBudgetUsd == 0 {
		return nil, fmt.Errorf("the Budget stack needs monthlyBudgetUsd above 0")
	}
	if err := CheckBudget(props.MonthlyBudgetUsd); err != nil {
		return nil, err
	}
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	if err := CheckBudgetRegion(props.MonthlyBudgetUsd, regionOf(stack), ""); err != nil {
		return nil, err
	}
	// An environment-agnostic template says in its own words why it cannot
	// go to such a region. CloudFormation may reject the unknown type before
	// it evaluates rules; either message names the region's gap.
	awscdk.NewCfnRule(stack, jsii.String("BudgetsRegion"), &awscdk.CfnRuleProps{
		Assertions: &[]*awscdk.CfnRuleAssertion{{
			Assert:            awscdk.Fn_ConditionNot(awscdk.Fn_ConditionContains(jsii.Strings(NoBudgetRegions...), awscdk.Aws_REGION())),
			AssertDescription: jsii.String("CloudFormation has no AWS::Budgets::Budget in this region (" + strings.Join(NoBudgetRegions, ", ") + "): deploy with -c monthlyBudgetUsd=0, and keep one budget from a deployment in another region (a budget covers the whole account)"),
		}},
	})
	notify := func(kind string, percent float64) *awsbudgets.CfnBudget_NotificationWithSubscribersProperty {
		return &awsbudgets.CfnBudget_NotificationWithSubscribersProperty{
			Notification: &awsbudgets.CfnBudget_NotificationProperty{
				NotificationType:   jsii.String(kind),
				ComparisonOperator: jsii.String("GREATER_THAN"),
				Threshold:          jsii.Number(percent),
				ThresholdType:      jsii.String("PERCENTAGE"),
			},
			Subscribers: &[]any{&awsbudgets.CfnBudget_SubscriberProperty{SubscriptionType: jsii.String("SNS"), Address: props.AlarmTopicArn}},
		}
	}
	s := &BudgetStack{Stack: stack}
	s.Budget = awsbudgets.NewCfnBudget(stack, jsii.String("MonthlyBudget"), &awsbudgets.CfnBudgetProps{
		Budget: &awsbudgets.CfnBudget_BudgetDataProperty{
			BudgetName:  BudgetName(stack, props.Deployment),
			BudgetType:  jsii.String("COST"),
			TimeUnit:    jsii.String("MONTHLY"),
			BudgetLimit: &awsbudgets.CfnBudget_SpendProperty{Amount: jsii.Number(props.MonthlyBudgetUsd), Unit: jsii.String("USD")},
		},
		NotificationsWithSubscribers: &[]any{notify("ACTUAL", 80), notify("FORECASTED", 100)},
	})
	return s, nil
}

// BudgetName is "<project>-<profile>-<region>-monthly". Budget names are
// unique per account, not per region ("Budget names must be unique within
// an account", AWS Budgets DuplicateRecordException), so the same profile in
// two regions of one account needs the region in the name.
func BudgetName(stack awscdk.Stack, d layout.Deployment) *string {
	return AccountWideName(stack, d, "monthly")
}

// AccountWideName is "<project>-<profile>-<region>[-suffix]": the name of a
// resource whose names are unique per account across regions (budgets,
// CloudWatch dashboards), which therefore carries the stack's region.
func AccountWideName(stack awscdk.Stack, d layout.Deployment, suffix string) *string {
	parts := []*string{jsii.String(d.Prefix()), stack.Region()}
	if suffix != "" {
		parts = append(parts, jsii.String(suffix))
	}
	return awscdk.Fn_Join(jsii.String("-"), &parts)
}

// regionOf is the stack's region when it is pinned, "" when the template is
// environment-agnostic.
func regionOf(stack awscdk.Stack) string {
	if r := stack.Region(); r != nil && !*awscdk.Token_IsUnresolved(r) {
		return *r
	}
	return ""
}
