package ops

import (
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/layout"
)

// Namespaces the dashboard reads, with the documented dimensions of each
// metric it shows:
//   - AWS/Kinesis, StreamName: https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html
//   - AWS/Firehose, DeliveryStreamName: https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html
//   - Glue, JobName/JobRunId=ALL/Type=count: https://docs.aws.amazon.com/glue/latest/dg/monitoring-awsglue-with-cloudwatch-metrics.html
//   - AWS/Events, RuleName: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
//   - AWS/Athena, QueryState/QueryType/WorkGroup: https://docs.aws.amazon.com/athena/latest/ug/query-metrics-viewing.html
//   - AWS/States, StateMachineArn: https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
//   - AWS/Lambda, FunctionName: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
//   - AWS/SQS, QueueName: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
//   - DataLake (layout.MetricsNamespace), FunctionName: the lake's functions, through the embedded metric format.
//   - Glue Data Quality: its dimension names are not documented, so that
//     widget searches the namespace for the ruleset's name.
const (
	nsKinesis  = "AWS/Kinesis"
	nsFirehose = "AWS/Firehose"
	nsGlue     = "Glue"
	nsEvents   = "AWS/Events"
	nsAthena   = "AWS/Athena"
	nsStates   = "AWS/States"
	nsSQS      = "AWS/SQS"
	nsLambda   = "AWS/Lambda"
	nsQuality  = "Glue Data Quality"
)

func (s *Stack) addDashboard(p *Props, jobs []string, machines map[string]awsstepfunctions.IStateMachine) {
	five, hour, day := awscdk.Duration_Minutes(jsii.Number(5)), awscdk.Duration_Hours(jsii.Number(1)), awscdk.Duration_Days(jsii.Number(1))
	metric := func(ns, name, stat string, period awscdk.Duration, label string, dims map[string]*string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(ns), MetricName: jsii.String(name), DimensionsMap: &dims,
			Statistic: jsii.String(stat), Period: period, Label: jsii.String(label),
		})
	}
	graph := func(title string, width float64, left []awscloudwatch.IMetric, right ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		props := &awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6), Left: &left}
		if len(right) > 0 {
			props.Right = &right
		}
		return awscloudwatch.NewGraphWidget(props)
	}
	header := func(md string) awscloudwatch.IWidget {
		return awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{Markdown: jsii.String(md), Width: jsii.Number(24), Height: jsii.Number(1)})
	}
	fn := func(f *string) map[string]*string { return map[string]*string{layout.DimensionFunction: f} }
	stream := map[string]*string{"StreamName": p.Stream.StreamName()}
	delivery := map[string]*string{"DeliveryStreamName": p.DeliveryStreamName}

	rows := [][]awscloudwatch.IWidget{
		{header("## Ingestion: stream, transform, Firehose to raw/")},
		{
			graph("Incoming records (per 5 min)", 6, []awscloudwatch.IMetric{metric(nsKinesis, "IncomingRecords", "Sum", five, "records", stream)}),
			graph("Iterator age (ms, max)", 6, []awscloudwatch.IMetric{metric(nsKinesis, "GetRecords.IteratorAgeMilliseconds", "Maximum", five, "oldest unread", stream)}),
			graph("Delivery freshness (s, max)", 6, []awscloudwatch.IMetric{metric(nsFirehose, "DeliveryToS3.DataFreshness", "Maximum", five, "oldest undelivered", delivery)}),
			graph("Transform: records by result", 6, []awscloudwatch.IMetric{
				metric(layout.MetricsNamespace, layout.MetricTransformOk, "Sum", five, "Ok", fn(p.Transform.FunctionName())),
				metric(layout.MetricsNamespace, layout.MetricTransformFailed, "Sum", five, "ProcessingFailed (to errors/)", fn(p.Transform.FunctionName())),
				metric(nsFirehose, "FailedConversion.Records", "Sum", five, "failed Parquet conversion", delivery),
			}),
		},
	}
	if len(p.IngestAlarms) > 0 {
		alarms := make([]interfacesawscloudwatch.IAlarmRef, len(p.IngestAlarms))
		for i, a := range p.IngestAlarms {
			alarms[i] = a
		}
		rows = append(rows, []awscloudwatch.IWidget{awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title: jsii.String("Ingestion alarms"), Alarms: &alarms, Width: jsii.Number(24), Height: jsii.Number(3),
		})})
	}

	var durations, failures []awscloudwatch.IMetric
	for _, j := range jobs {
		durations = append(durations, metric(nsGlue, "glue.driver.aggregate.elapsedTime", "Sum", day, j,
			map[string]*string{"JobName": jsii.String(j), "JobRunId": jsii.String("ALL"), "Type": jsii.String("count")}))
	}
	for _, id := range sortedKeys(s.Rules) {
		failures = append(failures, metric(nsEvents, "TriggeredRules", "Sum", day, id, map[string]*string{"RuleName": s.Rules[id].RuleName()}))
	}
	ruleset := p.Deployment.QualityRuleset()
	quality := func(name, label string) awscloudwatch.IMetric {
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String("SUM(SEARCH('{\"" + nsQuality + "\"} MetricName=\"" + name + "\" \"" + ruleset + "\"', 'Sum', 86400))"),
			Label:      jsii.String(label), Period: day, UsingMetrics: &map[string]awscloudwatch.IMetric{},
		})
	}
	rows = append(rows,
		[]awscloudwatch.IWidget{header("## ETL and data quality")},
		[]awscloudwatch.IWidget{
			graph("Glue job run time (ms per day)", 8, durations),
			graph("Failures sent to the alarm topic (per day)", 8, failures),
			graph("Data quality rules of "+ruleset+" (per day)", 8, []awscloudwatch.IMetric{
				quality("glue.data.quality.rules.passed", "passed"), quality("glue.data.quality.rules.failed", "failed"),
			}),
		},
	)

	var scanned []awscloudwatch.IMetric
	for _, wg := range layout.Workgroups {
		name := p.Deployment.Workgroup(wg)
		using := map[string]awscloudwatch.IMetric{}
		// Athena bills the bytes of failed and cancelled queries too. Ids
		// are unique per graph.
		var ids []string
		for _, state := range []string{"SUCCEEDED", "FAILED", "CANCELED"} {
			id := strings.ToLower(state) + "_" + strings.ReplaceAll(wg, "-", "_")
			ids = append(ids, "FILL("+id+", 0)")
			using[id] = metric(nsAthena, "ProcessedBytes", "Sum", hour, state,
				map[string]*string{"WorkGroup": jsii.String(name), "QueryState": jsii.String(state), "QueryType": jsii.String("DML")})
		}
		scanned = append(scanned, awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(strings.Join(ids, " + ")), Label: jsii.String(name), Period: hour, UsingMetrics: &using,
		}))
	}
	var executions, models []awscloudwatch.IMetric
	for _, name := range sortedKeys(machines) {
		arn := map[string]*string{"StateMachineArn": machines[name].StateMachineArn()}
		for _, m := range []string{"ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"} {
			executions = append(executions, metric(nsStates, m, "Sum", day, name+" "+m[len("Executions"):], arn))
		}
	}
	evaluate := fn(p.Evaluate.FunctionName())
	models = append(models,
		metric(layout.MetricsNamespace, layout.MetricModelAuc, "Maximum", day, "ROC AUC", evaluate),
		metric(layout.MetricsNamespace, layout.MetricModelF1, "Maximum", day, "F1", evaluate))
	rows = append(rows,
		[]awscloudwatch.IWidget{header("## Athena, ML, alert delivery")},
		[]awscloudwatch.IWidget{
			graph("Athena bytes scanned per workgroup (per hour)", 6, scanned),
			graph("Workflow executions by outcome (per day)", 6, executions),
			graph("Last evaluation (validation set)", 6, models),
			graph("Failure events not delivered (dead-letter queue)", 6, []awscloudwatch.IMetric{
				metric(nsSQS, "ApproximateNumberOfMessagesVisible", "Maximum", five, "waiting", map[string]*string{"QueueName": s.DeadLetters.QueueName()}),
			}),
		},
	)

	if p.Detect != nil {
		det := fn(p.Detect.FunctionName())
		rows = append(rows,
			[]awscloudwatch.IWidget{header("## Anomalies on the stream (detector: a Random Cut Forest per shard and five detectors per field, alert levels from each device's own history)")},
			[]awscloudwatch.IWidget{
				graph("Anomalies found (per hour)", 8, []awscloudwatch.IMetric{metric(layout.MetricsNamespace, layout.MetricDetectAnomalies, "Sum", hour, "anomalies", det)}),
				graph("Readings scored and records skipped (per 5 min)", 8, []awscloudwatch.IMetric{
					metric(layout.MetricsNamespace, layout.MetricDetectReadings, "Sum", five, "scored", det),
					metric(layout.MetricsNamespace, layout.MetricDetectSkipped, "Sum", five, "skipped (malformed)", det),
				}),
				graph("Detector behind the stream (ms, max) and its failures", 8, []awscloudwatch.IMetric{
					metric(nsLambda, "IteratorAge", "Maximum", five, "iterator age", map[string]*string{"FunctionName": p.Detect.FunctionName()}),
				},
					metric(layout.MetricsNamespace, layout.MetricDetectBatchFailures, "Sum", five, "batches reported for retry", det),
					metric(layout.MetricsNamespace, layout.MetricDetectCheckpointErrors, "Sum", five, "checkpoint errors", det)),
			})
	}
	widgets := make([]*[]awscloudwatch.IWidget, len(rows))
	for i := range rows {
		widgets[i] = &rows[i]
	}
	s.Dashboard = awscloudwatch.NewDashboard(s.Stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		// A fixed name, so the console link in the docs works; it holds no data.
		// Dashboards are "global, not region-specific" (AWS::CloudWatch::Dashboard):
		// the region in the name keeps two regions of one account apart.
		DashboardName:   AccountWideName(s.Stack, p.Deployment, ""),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(7)),
		Widgets:         &widgets,
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
