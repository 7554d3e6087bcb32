package ops

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// FailureRule routes one kind of failure event to the alarm topic.
type FailureRule struct {
	// ID is the rule's construct ID.
	ID string
	// What names the failure in the rule's description.
	What string
	// Pattern is the event pattern: source, detail-type and detail.
	Source, DetailType string
	Detail             map[string]any
	// Message is the sentence sent to the topic; <$.path> placeholders name
	// event fields by JSON path and become the rule's input transformer.
	// Only fields AWS fills with identifiers, times and numbers may appear
	// in it: EventBridge "doesn't escape values extracted by Input Path"
	// into a string of the template, so a quote or newline in free text
	// would break the message.
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
	Message string
	// Values are fields sent beside the sentence as JSON values, by key:
	// free text (an error message) and arrays go here, where EventBridge
	// inserts each as the JSON value it is in the event.
	Values map[string]string
	// Link is a console page about the failure, with placeholders as in Message.
	Link string
}

// consoleBase starts every console link: the event's own region.
const consoleBase = "https://<$.region>.console.aws.amazon.com/"

// Rules are the failures the lake routes to its alarm topic, matched on the
// events each service sends to the default event bus. Their field names come
// from the services' documented events:
//   - Glue job runs and crawls: https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
//   - Glue Data Quality: https://docs.aws.amazon.com/glue/latest/dg/data-quality-alerts.html
//   - Step Functions: https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
//
// jobs, crawlers, rulesets and machineArns limit each rule to this
// deployment's resources; Step Functions events name the machine by ARN.
func Rules(jobs, crawlers, rulesets []string, machineArns []*string) []FailureRule {
	return []FailureRule{
		{
			ID: "GlueJobFailed", What: "a Glue job run failed, timed out, was stopped or could not start",
			Source: "aws.glue", DetailType: "Glue Job State Change",
			Detail:  map[string]any{"jobName": jobs, "state": []string{"FAILED", "TIMEOUT", "STOPPED", "ERROR"}},
			Message: "Glue job <$.detail.jobName> run <$.detail.jobRunId> ended <$.detail.state> at <$.time> (account <$.account>)",
			Values:  map[string]string{"error": "$.detail.message"},
			Link:    consoleBase + "gluestudio/home?region=<$.region>#/editor/job/<$.detail.jobName>/runs",
		},
		{
			ID: "GlueCrawlerFailed", What: "a Glue crawl failed",
			Source: "aws.glue", DetailType: "Glue Crawler State Change",
			Detail:  map[string]any{"crawlerName": crawlers, "state": []string{"Failed"}},
			Message: "Glue crawler <$.detail.crawlerName> failed at <$.time> (account <$.account>)",
			Values:  map[string]string{"error": "$.detail.errorMessage"},
			Link:    consoleBase + "glue/home?region=<$.region>#/v2/data-catalog/crawlers/view/<$.detail.crawlerName>",
		},
		{
			ID: "DataQualityFailed", What: "a Glue Data Quality evaluation of the curated table failed its rules",
			Source: "aws.glue-dataquality", DetailType: "Data Quality Evaluation Results Available",
			// A failing verdict is state FAILED in every event seen, but
			// the documented sample (rulesFailed) and events captured from
			// AWS (numRulesFailed) name the count differently, and a result
			// with failed rules must page whatever its state says: any of
			// the three matches.
			Detail: map[string]any{"rulesetNames": rulesets, "$or": []any{
				map[string]any{"state": []string{"FAILED"}},
				map[string]any{"rulesFailed": []any{map[string]any{"numeric": []any{">", 0}}}},
				map[string]any{"numRulesFailed": []any{map[string]any{"numeric": []any{">", 0}}}},
			}},
			Message: "Data quality of <$.detail.context.databaseName>.<$.detail.context.tableName> failed with score <$.detail.score> (run <$.detail.context.runId>) at <$.time>",
			Values:  map[string]string{"rulesets": "$.detail.rulesetNames"},
			Link:    consoleBase + "glue/home?region=<$.region>#/v2/data-catalog/tables/view/<$.detail.context.tableName>?database=<$.detail.context.databaseName>&tab=dataQuality",
		},
		{
			ID: "WorkflowFailed", What: "an ML workflow execution failed, timed out or was aborted",
			Source: "aws.states", DetailType: "Step Functions Execution Status Change",
			Detail: map[string]any{"stateMachineArn": machineArns, "status": []string{"FAILED", "TIMED_OUT", "ABORTED"}},
			// The event carries no error or cause; the execution's page shows them.
			Message: "Step Functions execution <$.detail.name> of <$.detail.stateMachineArn> ended <$.detail.status> at <$.time>",
			Link:    consoleBase + "states/home?region=<$.region>#/v2/executions/details/<$.detail.executionArn>",
		},
	}
}

// addRules creates each rule with the alarm topic as its target. Events the
// rule cannot deliver after the retries land in deadLetters.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
func (s *Stack) addRules(topic awssns.ITopic, deadLetters awssqs.IQueue, rules []FailureRule) {
	s.Rules = map[string]awsevents.Rule{}
	for _, r := range rules {
		detail := r.Detail
		s.Rules[r.ID] = awsevents.NewRule(s.Stack, jsii.String(r.ID), &awsevents.RuleProps{
			Description: jsii.String("Tells the alarm topic when " + r.What),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings(r.Source),
				DetailType: jsii.Strings(r.DetailType),
				Detail:     &detail,
			},
			// The topic is imported, so the target adds no statement to its
			// policy: the Streaming stack's topic policy allows EventBridge.
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSnsTopic(topic, &awseventstargets.SnsTopicProps{
				Message:         r.input(),
				DeadLetterQueue: deadLetters,
				RetryAttempts:   jsii.Number(8),
				MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
			})},
		})
	}
}

// input is the message as a JSON object: "alarm" (the sentence), each of
// Values as the event's own JSON value, and "link". Subscribers get it as
// the SNS message text.
func (r FailureRule) input() awsevents.RuleTargetInput {
	msg := map[string]any{"alarm": inputTemplate(r.Message)}
	for k, path := range r.Values {
		msg[k] = awsevents.EventField_FromPath(jsii.String(path))
	}
	if r.Link != "" {
		msg["link"] = inputTemplate(r.Link)
	}
	return awsevents.RuleTargetInput_FromObject(msg)
}

// inputTemplate turns <$.path> placeholders into CDK event fields, which
// synthesize to an InputTransformer's InputPathsMap and InputTemplate.
func inputTemplate(msg string) *string {
	out := ""
	for {
		i := strings.Index(msg, "<$.")
		if i < 0 {
			return jsii.String(out + msg)
		}
		j := strings.Index(msg[i:], ">")
		out += msg[:i] + *awsevents.EventField_FromPath(jsii.String(msg[i+1 : i+j]))
		msg = msg[i+j+1:]
	}
}
