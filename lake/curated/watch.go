package curated

import (
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/golambda"
	"github.com/refdatalake/datalake/lake/layout"
)

// WatchPeriodHours is how often the watch reads the optimizers: their
// failures reach the alarm topic within this long. Retention and orphan-file
// deletion run about once a day; compaction when the table needs it.
const WatchPeriodHours = 6

// Watch is the function that reads the optimizers' last runs on a schedule
// (lambdas/tablewatch) and the alarms on what it finds.
type Watch struct {
	Function *golambda.Function
	Schedule awsevents.Rule
	// DeadLetters holds the scheduled invocations EventBridge could not deliver.
	DeadLetters awssqs.Queue
	// Alarms: a failed run or a turned-off optimizer, the function failing,
	// and the function not being run.
	Alarms []awscloudwatch.Alarm
}

func newWatch(stack awscdk.Stack, cfg UpkeepProps, optimizers map[string]awsglue.CfnTableOptimizer) (*Watch, error) {
	names := make([]string, 0, len(optimizers))
	for k := range optimizers {
		names = append(names, k)
	}
	sort.Strings(names)
	fn, err := golambda.New(stack, "TableWatch", golambda.Props{
		Arch: cfg.LambdaArch, LogRetentionDays: cfg.LogRetentionDays, AllowDestroy: cfg.AllowDestroy,
		Package:     "./lambdas/tablewatch",
		Description: "Tells the alarm topic about failed or turned-off Glue table optimizers of the lake's Iceberg tables",
		LakeKey:     cfg.LakeKey,
		Timeout:     awscdk.Duration_Minutes(jsii.Number(1)),
		Environment: map[string]string{
			"CATALOG_ID": *awscdk.Aws_ACCOUNT_ID(), "DATABASE": cfg.Deployment.Database(),
			"OPTIMIZERS": strings.Join(names, ","), "PERIOD_MINUTES": strconv.Itoa(WatchPeriodHours * 60),
		},
		OutsideVpcReason: "It calls only the Glue API, which has no gateway endpoint; an interface endpoint would cost more than the lake idles at.",
		NoDlqReason:      "EventBridge invokes it asynchronously on a schedule; a failed invocation raises the function's error alarm, and the next scheduled run reads the optimizers again.",
	})
	if err != nil {
		return nil, err
	}
	fn.Policy.AddStatements(baseline.Statement("ReadTableOptimizers", []string{"glue:GetTableOptimizer"}, glueArns(stack, cfg.Deployment)...))
	w := &Watch{Function: fn}
	// An invocation the rule could not deliver (the function missing,
	// throttled, refused) lands here after the retries, and its alarm
	// pages: a watch that silently stopped running would report nothing.
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
	w.DeadLetters = awssqs.NewQueue(stack, jsii.String("TableWatchDeadLetters"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: cfg.LakeKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
	})
	dlqReason := "It is itself the dead-letter queue of the table watch's schedule; its alarm pages on any message."
	baseline.Suppress(w.DeadLetters, baseline.NagReason{Rule: "AwsSolutions-SQS3", Reason: dlqReason}, baseline.NagReason{Rule: "Serverless-SQSRedrivePolicy", Reason: dlqReason})
	w.Schedule = awsevents.NewRule(stack, jsii.String("TableWatchSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Runs the table optimizer watch every " + strconv.Itoa(WatchPeriodHours) + " hours"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Hours(jsii.Number(WatchPeriodHours))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn.Function, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: w.DeadLetters,
			RetryAttempts:   jsii.Number(3),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
		})},
	})
	topic := awssns.Topic_FromTopicArn(stack, jsii.String("AlarmTopicRef"), cfg.AlarmTopicArn)
	period := awscdk.Duration_Hours(jsii.Number(WatchPeriodHours))
	for _, a := range []struct {
		id, description string
		metric          awscloudwatch.IMetric
	}{
		{"TableOptimizerAlarm", "A Glue table optimizer run of the lake's Iceberg tables failed, or Glue turned an optimizer off: the function's log names the table, the optimizer and the error",
			awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String(layout.MetricsNamespace), MetricName: jsii.String(layout.MetricTableOptimizerProblems),
				DimensionsMap: &map[string]*string{layout.DimensionFunction: fn.Function.FunctionName()},
				Statistic:     jsii.String("Maximum"), Period: period,
			})},
		{"TableWatchErrorsAlarm", "The table optimizer watch could not read an optimizer (its log says which and why)",
			fn.Function.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period})},
		{"TableWatchDeadLettersAlarm", "EventBridge could not run the table optimizer watch (the message in the queue says why)",
			w.DeadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5))})},
	} {
		alarm := a.metric.(awscloudwatch.Metric).CreateAlarm(stack, jsii.String(a.id), &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:   jsii.String(a.description),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
		w.Alarms = append(w.Alarms, alarm)
	}
	return w, nil
}
