package ops

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
	"github.com/refdatalake/datalake/statemachines"
)

// QualityProps is what the data quality run after curate needs.
type QualityProps struct {
	// Role is the role evaluation runs assume (the Catalog stack's
	// DataQualityRole), passed to Glue. Required.
	Role awsiam.IRole
	// LogRetentionDays keeps the machine's execution logs; AllowDestroy
	// lets the log group go with the stack.
	LogRetentionDays int
	AllowDestroy     bool
}

// addQualityRun makes the curated table's ruleset actually run: an
// EventBridge rule on each curate job run that SUCCEEDED starts the
// data-quality state machine (statemachines/data-quality.asl.json), which
// starts one evaluation run, waits for it, and tells the alarm topic when
// the run cannot start or does not finish. The verdict on the rules comes
// as a results event, which the DataQualityFailed rule routes. A Glue
// workflow cannot do this: its triggers start only jobs and crawlers
// (https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html), and
// Step Functions reaches StartDataQualityRulesetEvaluationRun only through
// its AWS SDK integration.
func (s *Stack) addQualityRun(p *Props, deadLetters awssqs.IQueue) (awsstepfunctions.StateMachine, error) {
	q := p.Quality
	d := p.Deployment
	stack := s.Stack
	ruleset := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("glue"), Resource: jsii.String("dataQualityRuleset"),
		ResourceName: jsii.String(d.QualityRuleset()), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})
	// GetDataQualityRulesetEvaluationRun names a run id, not a ruleset; the
	// Glue Data Quality IAM page lists the run actions on
	// ::dataQualityRuleset/*, so the read covers this account's rulesets.
	// https://docs.aws.amazon.com/glue/latest/dg/data-quality-authorization.html
	anyRuleset := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("glue"), Resource: jsii.String("dataQualityRuleset"),
		ResourceName: jsii.String("*"), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})
	role, _ := baseline.ServiceRole(stack, baseline.ServiceRoleProps{
		RoleID: "QualityRunRole", PolicyID: "QualityRunPolicy", Service: "states.amazonaws.com",
		Description:       "Assumed by the data quality state machine of " + d.Prefix(),
		PolicyDescription: "Lets the data quality state machine start and watch evaluation runs of " + d.QualityRuleset() + " and tell the alarm topic",
		Statements: []awsiam.PolicyStatement{
			baseline.Statement("StartEvaluation", []string{"glue:StartDataQualityRulesetEvaluationRun"}, ruleset),
			baseline.Statement("WatchEvaluation", []string{"glue:GetDataQualityRulesetEvaluationRun"}, anyRuleset),
			baseline.StatementWhen("PassEvaluationRole", []string{"iam:PassRole"},
				map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "glue.amazonaws.com"}}, q.Role.RoleArn()),
			baseline.Statement("Notify", []string{"sns:Publish"}, p.AlarmTopicArn),
			baseline.StatementWhen("UseLakeKeyViaSns", []string{"kms:Decrypt", "kms:GenerateDataKey"},
				map[string]any{"StringEquals": map[string]any{"kms:ViaService": baseline.ViaService("sns")}}, p.LakeKey.KeyArn()),
			// Step Functions' documented policy for logging and tracing:
			// log delivery accepts only "*", narrowed to the region; X-Ray's
			// trace writes accept only "*" and have no condition key.
			// https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy
			baseline.StatementWhen("DeliverExecutionLogs", []string{"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
				"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"},
				map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": awscdk.Aws_REGION()}}, jsii.String("*")),
			baseline.Statement("Trace", []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"}, jsii.String("*")),
		},
		WildcardReason: "Evaluation runs are read by run id, which Glue authorizes on ::dataQualityRuleset/*; log delivery accepts no resource but *, narrowed to the region; X-Ray's trace writes accept only *, with no condition key of their own.",
	})

	// The /aws/vendedlogs/states prefix keeps CloudWatch Logs' resource
	// policy small (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html);
	// the name ends in the stack's id, so a retained group never blocks a
	// deploy after a destroy.
	stackUUID := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), awscdk.Aws_STACK_ID(), nil))
	logs := awslogs.NewLogGroup(stack, jsii.String("QualityRunLogs"), &awslogs.LogGroupProps{
		LogGroupName:  awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("/aws/vendedlogs/states/" + d.Prefix() + "-quality-"), stackUUID}),
		EncryptionKey: p.LakeKey,
		Retention:     baseline.Retention(q.LogRetentionDays),
		RemovalPolicy: baseline.Removal(q.AllowDestroy),
	})
	raw, err := statemachines.Raw(statemachines.DataQuality)
	if err != nil {
		return nil, err
	}
	subs := map[string]*string{
		"Partition": awscdk.Aws_PARTITION(), "Database": jsii.String(d.Database()), "Table": jsii.String(layout.CuratedTelemetryTable),
		"Ruleset": jsii.String(d.QualityRuleset()), "QualityRoleArn": q.Role.RoleArn(), "TopicArn": p.AlarmTopicArn,
	}
	provided := map[string]string{}
	for k := range subs {
		provided[k] = "set"
	}
	if err := statemachines.Check(statemachines.DataQuality, provided); err != nil {
		return nil, fmt.Errorf("ops: %w", err)
	}
	machine := awsstepfunctions.NewStateMachine(stack, jsii.String("QualityRun"), &awsstepfunctions.StateMachineProps{
		StateMachineName:        jsii.String(d.StateMachine(statemachines.DataQuality)),
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(string(raw))),
		DefinitionSubstitutions: &subs,
		Role:                    role,
		TracingEnabled:          jsii.Bool(true),
		Logs:                    &awsstepfunctions.LogOptions{Destination: logs, Level: awsstepfunctions.LogLevel_ALL, IncludeExecutionData: jsii.Bool(true)},
		RemovalPolicy:           awscdk.RemovalPolicy_DESTROY,
	})
	// cfn-lint's ASL check runs before DefinitionSubstitutions and refuses
	// arn:${Partition}:states:::...; asl-validator checks the definition
	// with the partition filled in (make lint-asl).
	machine.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("cfn-lint"),
		map[string]any{"config": map[string]any{"ignore_checks": []string{"E3601"}}})

	startRole, _ := baseline.ServiceRole(stack, baseline.ServiceRoleProps{
		RoleID: "QualityAfterCurateRole", PolicyID: "QualityAfterCuratePolicy", Service: "events.amazonaws.com",
		Description:       "Assumed by EventBridge to start the data quality run after curate in " + d.Prefix(),
		PolicyDescription: "Lets the rule start the data quality state machine",
		Statements:        []awsiam.PolicyStatement{baseline.Statement("StartQualityRun", []string{"states:StartExecution"}, machine.StateMachineArn())},
	})
	// Glue job state events: https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
	awsevents.NewRule(stack, jsii.String("QualityAfterCurate"), &awsevents.RuleProps{
		Description: jsii.String("Starts the data quality run of " + d.QualityRuleset() + " when a curate job run succeeds"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.glue"),
			DetailType: jsii.Strings("Glue Job State Change"),
			Detail:     &map[string]any{"jobName": []string{d.Job(layout.JobCurate)}, "state": []string{"SUCCEEDED"}},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(machine, &awseventstargets.SfnStateMachineProps{
			Input:           awsevents.RuleTargetInput_FromObject(map[string]any{"jobRunId": awsevents.EventField_FromPath(jsii.String("$.detail.jobRunId"))}),
			Role:            startRole,
			DeadLetterQueue: deadLetters,
			RetryAttempts:   jsii.Number(8),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
		})},
	})
	awscdk.NewCfnOutput(stack, jsii.String("QualityStateMachineArn"), &awscdk.CfnOutputProps{Value: machine.StateMachineArn()})
	return machine, nil
}
