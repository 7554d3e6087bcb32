package catalog

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
)

// workflow chains crawler -> curate -> features, each step only after the
// previous one succeeded, started on the schedule or on demand.
func (b *etlBuilder) workflow() {
	e, name := b.e, b.d.Prefix()
	e.Workflow = awsglue.NewWorkflow(b.stack, jsii.String("EtlWorkflow"), &awsglue.WorkflowProps{
		WorkflowName:      jsii.String(b.d.EtlWorkflow()),
		Description:       jsii.String("landing crawler -> curate -> features"),
		MaxConcurrentRuns: jsii.Number(1),
	})
	startActions := &[]awsglue.Action{awsglue.Action_Crawler(e.Crawler, nil)}
	var startTrigger awsglue.CfnTrigger
	if b.p.EtlSchedule != "" {
		startTrigger = cfnTrigger(e.Workflow.AddScheduledTrigger(jsii.String("Schedule"), &awsglue.ScheduledTriggerOptions{
			Name: jsii.String(name + "-etl-schedule"), Actions: startActions,
			Schedule: awsglue.TriggerSchedule_Expression(jsii.String(b.p.EtlSchedule)), StartOnCreation: jsii.Bool(true),
		}))
	} else {
		startTrigger = cfnTrigger(e.Workflow.AddOnDemandTrigger(jsii.String("OnDemand"), &awsglue.OnDemandTriggerOptions{
			Name: jsii.String(name + "-etl-start"), Actions: startActions,
		}))
	}
	afterCrawl := cfnTrigger(e.Workflow.AddConditionalTrigger(jsii.String("AfterCrawl"), &awsglue.ConditionalTriggerOptions{
		Name:    jsii.String(name + "-etl-curate"),
		Actions: &[]awsglue.Action{awsglue.Action_Job(e.Curate, nil)},
		Predicate: &awsglue.Predicate{Conditions: &[]awsglue.Condition{
			awsglue.Condition_Crawler(e.Crawler, awsglue.CrawlerState_SUCCEEDED, nil),
		}},
		StartOnCreation: jsii.Bool(true),
	}))
	afterCurate := cfnTrigger(e.Workflow.AddConditionalTrigger(jsii.String("AfterCurate"), &awsglue.ConditionalTriggerOptions{
		Name:    jsii.String(name + "-etl-features"),
		Actions: &[]awsglue.Action{awsglue.Action_Job(e.Features, nil)},
		Predicate: &awsglue.Predicate{Conditions: &[]awsglue.Condition{
			awsglue.Condition_Job(e.Curate, awsglue.JobState_SUCCEEDED, nil),
		}},
		StartOnCreation: jsii.Bool(true),
	}))
	// Triggers name the workflow, so they share its fate on an emulator.
	baseline.SkipOnEmulator(b.p.Emulator, b.stack, "GlueWorkflowEnabled", "Emulators reject AWS::Glue::Workflow; its triggers go with it",
		e.Workflow.Node().DefaultChild().(awscdk.CfnResource), startTrigger, afterCrawl, afterCurate)
}

func cfnTrigger(t any) awsglue.CfnTrigger {
	c, ok := t.(awsglue.CfnTrigger)
	if !ok {
		panic(fmt.Sprintf("workflow trigger is %T, not a CfnTrigger", t)) // the L2 changed what it returns
	}
	return c
}
