package ops_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/iamsim"
	"github.com/refdatalake/datalake/lake/laketest"
	"github.com/refdatalake/datalake/lake/layout"
	"github.com/refdatalake/datalake/lake/ops"
)

func TestMain(m *testing.M) { laketest.Main(m) }

const (
	testAccount = "111122223333"
	testRegion  = "eu-west-1"
)

// machineArn is the ARN the test gives the state machine of that name.
func machineArn(d layout.Deployment, name string) string {
	return "arn:aws:states:" + testRegion + ":" + testAccount + ":stateMachine:" + d.StateMachine(name)
}

// synthOps synthesizes the stack alone, against imported stand-ins for the
// resources of the other stacks.
func synthOps(t *testing.T, budget float64) (laketest.Result, layout.Deployment) {
	t.Helper()
	app, d, st := laketest.Lake(t)
	// The stand-ins are imports (no resources) in the storage stack, with
	// the ARNs of an environment-agnostic deployment.
	deps := st.Stack
	arn := func(service, resource, name string, format awscdk.ArnFormat) *string {
		return deps.FormatArn(&awscdk.ArnComponents{Service: jsii.String(service), Resource: jsii.String(resource), ResourceName: jsii.String(name), ArnFormat: format})
	}
	machines := map[string]awsstepfunctions.IStateMachine{}
	for _, name := range []string{"train-and-transform", "tune"} {
		machines[name] = awsstepfunctions.StateMachine_FromStateMachineArn(deps, jsii.String(name),
			arn("states", "stateMachine", d.StateMachine(name), awscdk.ArnFormat_COLON_RESOURCE_NAME))
	}
	if _, err := ops.NewStack(app, "Ops", &ops.Props{
		Deployment:         d,
		LakeKey:            st.LakeKey,
		AlarmTopicArn:      deps.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sns"), Resource: jsii.String("alarms")}),
		Stream:             awskinesis.Stream_FromStreamArn(deps, jsii.String("Stream"), arn("kinesis", "stream", "telemetry", awscdk.ArnFormat_SLASH_RESOURCE_NAME)),
		DeliveryStreamName: jsii.String("telemetry-delivery"),
		Transform:          awslambda.Function_FromFunctionName(deps, jsii.String("Transform"), jsii.String("transform")),
		StateMachines:      machines,
		Evaluate:           awslambda.Function_FromFunctionName(deps, jsii.String("Evaluate"), jsii.String("evaluate")),
		MonthlyBudgetUsd:   budget,
	}); err != nil {
		t.Fatal(err)
	}
	return laketest.SynthCompliant(t, app), d
}

// With its required props the stack passes the five packs; the budget
// warns the topic at 80% actual and 100% forecast.
func TestStackAlonePassesTheCompliancePacks(t *testing.T) {
	r, d := synthOps(t, 25)
	for _, f := range r.Findings {
		t.Error(f)
	}
	tpl := r.Templates["Ops"]
	if n := laketest.Count(tpl, "AWS::Events::Rule"); n != 4 {
		t.Errorf("%d rules, want 4", n)
	}
	budgets := resources(tpl, "AWS::Budgets::Budget")
	if len(budgets) != 1 {
		t.Fatalf("%d budgets, want 1", len(budgets))
	}
	for _, b := range budgets {
		var got []string
		for _, n := range b["NotificationsWithSubscribers"].([]any) {
			note := n.(map[string]any)["Notification"].(map[string]any)
			got = append(got, fmt.Sprint(note["NotificationType"], " ", note["Threshold"], " ", note["ThresholdType"]))
		}
		data := b["Budget"].(map[string]any)
		if strings.Join(got, ",") != "ACTUAL 80 PERCENTAGE,FORECASTED 100 PERCENTAGE" || data["BudgetName"] != ops.BudgetName(d) ||
			data["TimeUnit"] != "MONTHLY" || data["BudgetLimit"].(map[string]any)["Amount"] != 25.0 {
			t.Errorf("budget %v notifications %v", data, got)
		}
	}
	if r, _ := synthOps(t, 0); laketest.Count(r.Templates["Ops"], "AWS::Budgets::Budget") != 0 {
		t.Error("monthlyBudgetUsd 0 still created a budget")
	}
}

func TestCheckBudget(t *testing.T) {
	for _, ok := range []float64{0, 1, 25, 49.99, 1_000_000} {
		if err := ops.CheckBudget(ok); err != nil {
			t.Errorf("%v refused: %v", ok, err)
		}
	}
	for _, bad := range []float64{-5, 0.5, 12.345, 1_000_000.01, 5e9} {
		err := ops.CheckBudget(bad)
		if err == nil || !strings.HasPrefix(err.Error(), "monthlyBudgetUsd=") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one line naming monthlyBudgetUsd", bad, err)
		}
	}
}

// sampleEvents reads the documented sample events.
func sampleEvents(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, err := filepath.Glob("testdata/events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	out := map[string]map[string]any{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev map[string]any
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = ev
	}
	return out
}

// ours is a copy of a sample event about this deployment's resources, in
// the failed state the rule is for.
func ours(d layout.Deployment, name string, ev map[string]any) map[string]any {
	raw, _ := json.Marshal(ev)
	var c map[string]any
	_ = json.Unmarshal(raw, &c)
	detail := c["detail"].(map[string]any)
	switch {
	case strings.HasPrefix(name, "glue-job"):
		detail["jobName"] = d.Job(layout.JobCurate)
	case strings.HasPrefix(name, "glue-crawler"):
		detail["crawlerName"] = d.Crawler()
	case strings.HasPrefix(name, "glue-dq"):
		detail["rulesetNames"] = []any{"other-ruleset", d.QualityRuleset()}
		detail["state"] = "FAILED"
		detail["score"] = 0.8
	case strings.HasPrefix(name, "sfn"):
		detail["stateMachineArn"] = machineArn(d, "tune")
	}
	return c
}

// Each rule's pattern, read from the template, matches AWS's documented
// sample event of its source once the sample names this deployment's
// resource, and no other rule's; the samples as published (other names)
// and successful runs match nothing. Every field the rule's message reads
// exists in the sample.
func TestRulesMatchTheDocumentedEvents(t *testing.T) {
	r, d := synthOps(t, 0)
	// Patterns name the state machines by ARN: resolve the templates in
	// one account and region first.
	var stacks []iamsim.Stack
	for id, tpl := range r.Templates {
		stacks = append(stacks, iamsim.Stack{ID: id, Name: id, Template: tpl})
	}
	resolved, err := iamsim.Resolve(iamsim.Deployment{Account: testAccount, Region: testRegion, Partition: "aws"}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]map[string]any{}
	for _, res := range resolved.All("AWS::Events::Rule") {
		rules[res.LogicalID] = res.Properties
	}
	want := map[string]string{
		"glue-job-failed": "GlueJobFailed", "glue-job-timeout": "GlueJobFailed", "glue-job-stopped": "GlueJobFailed",
		"glue-crawler-failed": "GlueCrawlerFailed", "glue-dq-results-catalog": "DataQualityFailed",
		"sfn-execution-failed": "WorkflowFailed", "sfn-execution-timed-out": "WorkflowFailed", "sfn-execution-aborted": "WorkflowFailed",
	}
	samples := sampleEvents(t)
	if len(samples) != len(want) {
		t.Fatalf("%d samples, want %d", len(samples), len(want))
	}
	matching := func(ev map[string]any) []string {
		var ids []string
		for id, props := range rules {
			ok, err := matches(props["EventPattern"].(map[string]any), ev)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			if ok {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		return ids
	}
	covered := map[string]bool{}
	for name, ev := range samples {
		mine := ours(d, name, ev)
		got := matching(mine)
		if len(got) != 1 || !strings.HasPrefix(got[0], want[name]) {
			t.Errorf("%s about this deployment matches %v, want only %s", name, got, want[name])
			continue
		}
		covered[want[name]] = true
		// The input transformer reads only fields the event has.
		paths := rules[got[0]]["Targets"].([]any)[0].(map[string]any)["InputTransformer"].(map[string]any)["InputPathsMap"].(map[string]any)
		for k, p := range paths {
			if _, ok := lookup(mine, fmt.Sprint(p)); !ok {
				t.Errorf("%s: message field %s reads %s, which the documented event lacks", got[0], k, p)
			}
		}
		if name != "glue-dq-results-catalog" { // the published DQ sample is one of another table
			if got := matching(ev); len(got) != 0 {
				t.Errorf("%s as published (another deployment's resource) matches %v", name, got)
			}
		}
		succeeded := ours(d, name, ev)
		detail := succeeded["detail"].(map[string]any)
		for _, k := range []string{"state", "status"} {
			if _, ok := detail[k]; ok {
				detail[k] = map[string]string{"state": "SUCCEEDED", "status": "SUCCEEDED"}[k]
				if name == "glue-crawler-failed" {
					detail[k] = "Succeeded"
				}
			}
		}
		if got := matching(succeeded); len(got) != 0 {
			t.Errorf("%s in a successful state matches %v", name, got)
		}
	}
	if len(covered) != len(rules) {
		t.Errorf("samples cover rules %v of %d", covered, len(rules))
	}
}

// matches is EventBridge's matching for the patterns the lake writes: every
// pattern member must be present; a list matches a value equal to one of its
// entries, or an array with an element that is; an object matches an object
// recursively. Content filters (prefix, numeric, ...) are refused, so a
// pattern that starts using them fails here rather than passing untested.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
// (Written here because no EventBridge-compatible matcher is available as a
// Go module to this build.)
func matches(pattern, event map[string]any) (bool, error) {
	for k, pv := range pattern {
		ev, present := event[k]
		if !present {
			return false, nil
		}
		switch p := pv.(type) {
		case map[string]any:
			sub, ok := ev.(map[string]any)
			if !ok {
				return false, nil
			}
			if ok, err := matches(p, sub); err != nil || !ok {
				return false, err
			}
		case []any:
			for _, v := range p {
				if _, scalar := v.(map[string]any); scalar {
					return false, fmt.Errorf("member %s uses a content filter %v: extend matches", k, v)
				}
			}
			values := []any{ev}
			if arr, ok := ev.([]any); ok {
				values = arr
			}
			found := false
			for _, v := range values {
				for _, want := range p {
					found = found || reflect.DeepEqual(v, want)
				}
			}
			if !found {
				return false, nil
			}
		default:
			return false, fmt.Errorf("member %s: %v is neither a list nor an object", k, pv)
		}
	}
	return true, nil
}

var jsonPath = regexp.MustCompile(`^\$\.([\w-]+(\.[\w-]+)*)$`)

// lookup reads a $.a.b path of an event.
func lookup(ev map[string]any, path string) (any, bool) {
	m := jsonPath.FindStringSubmatch(path)
	if m == nil {
		return nil, false
	}
	var cur any = ev
	for _, part := range strings.Split(m[1], ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func TestMatcherRefusesWhatItCannotJudge(t *testing.T) {
	ev := map[string]any{"source": "aws.glue", "detail": map[string]any{"names": []any{"a", "b"}, "state": "FAILED"}}
	for _, c := range []struct {
		pattern map[string]any
		want    bool
	}{
		{map[string]any{"source": []any{"aws.glue"}}, true},
		{map[string]any{"source": []any{"aws.states"}}, false},
		{map[string]any{"detail": map[string]any{"names": []any{"b"}}}, true},
		{map[string]any{"detail": map[string]any{"names": []any{"c"}}}, false},
		{map[string]any{"detail": map[string]any{"missing": []any{"x"}}}, false},
		{map[string]any{"detail": map[string]any{"state": []any{"FAILED"}}, "source": []any{"aws.glue"}}, true},
	} {
		if got, err := matches(c.pattern, ev); err != nil || got != c.want {
			t.Errorf("%v: %v %v, want %v", c.pattern, got, err, c.want)
		}
	}
	if _, err := matches(map[string]any{"source": []any{map[string]any{"prefix": "aws."}}}, ev); err == nil {
		t.Error("a content filter was judged")
	}
}

// resources returns the properties of every resource of typ by logical ID.
func resources(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, raw := range tpl["Resources"].(map[string]any) {
		if r := raw.(map[string]any); r["Type"] == typ {
			out[id], _ = r["Properties"].(map[string]any)
		}
	}
	return out
}
