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
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
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
// resources of the other stacks, with the Budget stack when budget > 0.
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
	topic := deps.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sns"), Resource: jsii.String("alarms")})
	if _, err := ops.NewStack(app, "Ops", &ops.Props{
		Deployment:         d,
		LakeKey:            st.LakeKey,
		AlarmTopicArn:      topic,
		Stream:             awskinesis.Stream_FromStreamArn(deps, jsii.String("Stream"), arn("kinesis", "stream", "telemetry", awscdk.ArnFormat_SLASH_RESOURCE_NAME)),
		DeliveryStreamName: jsii.String("telemetry-delivery"),
		Transform:          awslambda.Function_FromFunctionName(deps, jsii.String("Transform"), jsii.String("transform")),
		StateMachines:      machines,
		Evaluate:           awslambda.Function_FromFunctionName(deps, jsii.String("Evaluate"), jsii.String("evaluate")),
		Quality: &ops.QualityProps{
			Role:             awsiam.Role_FromRoleArn(deps, jsii.String("QualityRole"), arn("iam", "role", "data-quality", awscdk.ArnFormat_SLASH_RESOURCE_NAME), nil),
			LogRetentionDays: 30,
		},
	}); err != nil {
		t.Fatal(err)
	}
	if budget > 0 {
		if _, err := ops.NewBudgetStack(app, "Budget", &ops.BudgetProps{Deployment: d, AlarmTopicArn: topic, MonthlyBudgetUsd: budget}); err != nil {
			t.Fatal(err)
		}
	}
	return laketest.SynthCompliant(t, app), d
}

// With their required props the stacks pass the five packs; the budget
// warns the topic at 80% actual and 100% forecast, and its name carries
// the region (budget names are unique per account).
func TestStackAlonePassesTheCompliancePacks(t *testing.T) {
	r, d := synthOps(t, 25)
	for _, f := range r.Findings {
		t.Error(f)
	}
	if n := laketest.Count(r.Templates["Ops"], "AWS::Events::Rule"); n != 5 {
		t.Errorf("%d rules, want 5 (4 failure rules, the quality run after curate)", n)
	}
	if n := laketest.Count(r.Templates["Ops"], "AWS::StepFunctions::StateMachine"); n != 1 {
		t.Errorf("%d state machines, want the data quality run", n)
	}
	if n := laketest.Count(r.Templates["Ops"], "AWS::Budgets::Budget"); n != 0 {
		t.Errorf("%d budgets in the Ops stack, want them in the Budget stack only", n)
	}
	tpl := r.Templates["Budget"]
	budgets := resources(tpl, "AWS::Budgets::Budget")
	if len(budgets) != 1 {
		t.Fatalf("%d budgets, want 1", len(budgets))
	}
	wantName := map[string]any{"Fn::Join": []any{"-", []any{d.Prefix(), map[string]any{"Ref": "AWS::Region"}, "monthly"}}}
	for _, b := range budgets {
		var got []string
		for _, n := range b["NotificationsWithSubscribers"].([]any) {
			note := n.(map[string]any)["Notification"].(map[string]any)
			got = append(got, fmt.Sprint(note["NotificationType"], " ", note["Threshold"], " ", note["ThresholdType"]))
		}
		data := b["Budget"].(map[string]any)
		if strings.Join(got, ",") != "ACTUAL 80 PERCENTAGE,FORECASTED 100 PERCENTAGE" || !reflect.DeepEqual(data["BudgetName"], wantName) ||
			data["TimeUnit"] != "MONTHLY" || data["BudgetLimit"].(map[string]any)["Amount"] != 25.0 {
			t.Errorf("budget %v notifications %v", data, got)
		}
	}
	// The template's rule refuses each region whose CloudFormation lacks the type.
	rule, _ := json.Marshal(tpl["Rules"])
	for _, region := range ops.NoBudgetRegions {
		if !strings.Contains(string(rule), `"`+region+`"`) || !strings.Contains(string(rule), "monthlyBudgetUsd=0") {
			t.Errorf("the BudgetsRegion rule does not refuse %s: %s", region, rule)
		}
	}
	if r, _ := synthOps(t, 0); r.Templates["Budget"] != nil {
		t.Error("monthlyBudgetUsd 0 still created a Budget stack")
	}
}

func TestBudgetRegions(t *testing.T) {
	got := ops.BudgetRegions([]string{"us-east-1", "eu-north-1", "eu-west-1", "us-gov-west-1"})
	if !reflect.DeepEqual(got, []string{"eu-west-1", "us-east-1"}) {
		t.Errorf("BudgetRegions = %v", got)
	}
	if err := ops.CheckBudgetRegion(50, "eu-central-2", ""); err == nil || !strings.Contains(err.Error(), "-c monthlyBudgetUsd=0") {
		t.Errorf("eu-central-2: %v", err)
	}
	for _, ok := range []struct {
		usd    float64
		region string
	}{{0, "eu-central-2"}, {50, ""}, {50, "eu-west-1"}} {
		if err := ops.CheckBudgetRegion(ok.usd, ok.region, ""); err != nil {
			t.Errorf("%v in %q: %v", ok.usd, ok.region, err)
		}
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
		detail["rulesFailed"] = 2.0
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
	var quality map[string]any
	for _, res := range resolved.All("AWS::Events::Rule") {
		if strings.HasPrefix(res.LogicalID, "QualityAfterCurate") {
			quality = res.Properties
			continue
		}
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
		if _, ok := detail["rulesFailed"]; ok {
			detail["rulesFailed"] = 0.0 // a clean result
		}
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

	// A result whose rules failed pages whatever its state says, under
	// either documented name of the count; a clean result does not.
	dq := ours(d, "glue-dq-results-catalog", samples["glue-dq-results-catalog"])
	detail := dq["detail"].(map[string]any)
	for _, c := range []struct {
		state  string
		counts map[string]any
		want   bool
	}{
		{"SUCCEEDED", map[string]any{"rulesFailed": 3.0}, true},
		{"SUCCEEDED", map[string]any{"rulesFailed": 0.0, "numRulesFailed": 1.0}, true},
		{"FAILED", map[string]any{"rulesFailed": 0.0}, true},
		{"SUCCEEDED", map[string]any{"rulesFailed": 0.0}, false},
		{"SUCCEEDED", map[string]any{"numRulesFailed": 0.0}, false},
	} {
		delete(detail, "rulesFailed")
		delete(detail, "numRulesFailed")
		detail["state"] = c.state
		for k, v := range c.counts {
			detail[k] = v
		}
		if got := len(matching(dq)) == 1; got != c.want {
			t.Errorf("data quality result %s %v: paged %v, want %v", c.state, c.counts, got, c.want)
		}
	}

	// The quality run starts on this deployment's curate runs that
	// succeeded, and on nothing else.
	if quality == nil {
		t.Fatal("no QualityAfterCurate rule")
	}
	pattern := quality["EventPattern"].(map[string]any)
	run := ours(d, "glue-job-failed", samples["glue-job-failed"])
	for _, c := range []struct {
		job, state string
		want       bool
	}{{d.Job(layout.JobCurate), "SUCCEEDED", true}, {d.Job(layout.JobCurate), "FAILED", false}, {d.Job(layout.JobFeatures), "SUCCEEDED", false}} {
		run["detail"].(map[string]any)["jobName"] = c.job
		run["detail"].(map[string]any)["state"] = c.state
		if got, err := matches(pattern, run); err != nil || got != c.want {
			t.Errorf("quality rule on %s %s: %v %v, want %v", c.job, c.state, got, err, c.want)
		}
	}
}

// hostile is text a Glue error message may hold: quotes, a backslash, a
// newline, braces, a tab.
const hostile = "He said \"it's {broken}\"\\ then\nfailed\t<$.x>"

// Each rule's message is valid JSON whatever the event's free text holds.
// EventBridge "doesn't escape values extracted by Input Path" into a string
// of the template; a placeholder outside quotes takes the field's JSON
// value. The test puts hostile text into every free-text string of the
// documented samples, fills the templates the way EventBridge does, and
// parses the result.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
func TestMessagesStayValidJSONWhateverTheEventSays(t *testing.T) {
	r, d := synthOps(t, 0)
	var stacks []iamsim.Stack
	for id, tpl := range r.Templates {
		stacks = append(stacks, iamsim.Stack{ID: id, Name: id, Template: tpl})
	}
	resolved, err := iamsim.Resolve(iamsim.Deployment{Account: testAccount, Region: testRegion, Partition: "aws"}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	samples := sampleEvents(t)
	checked := 0
	for _, res := range resolved.All("AWS::Events::Rule") {
		target := res.Properties["Targets"].([]any)[0].(map[string]any)
		tr, ok := target["InputTransformer"].(map[string]any)
		if !ok {
			continue
		}
		for name, sample := range samples {
			ev := hostileStrings(ours(d, name, sample), "").(map[string]any)
			out, err := transform(tr["InputTemplate"].(string), tr["InputPathsMap"].(map[string]any), ev)
			if err != nil {
				t.Fatalf("%s: %v", res.LogicalID, err)
			}
			if !json.Valid([]byte(out)) {
				t.Errorf("%s with %s's free text: the message is not valid JSON: %s", res.LogicalID, name, out)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no input transformer checked")
	}
}

// identifiers are the event fields whose text AWS constrains, so a quote or
// a newline cannot be in them once the rule's pattern has matched: names
// the pattern holds to this deployment's own (jobs, crawler, database,
// table, state machine), ids and times AWS writes, enumerated states, and
// Step Functions execution names, which may not contain quotes, brackets
// or control characters
// (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
// Every other string is free text.
var identifiers = map[string]bool{
	"version": true, "id": true, "time": true, "region": true, "account": true, "source": true, "detail-type": true,
	"detail.jobName": true, "detail.jobRunId": true, "detail.state": true, "detail.crawlerName": true,
	"detail.status": true, "detail.name": true, "detail.stateMachineArn": true, "detail.executionArn": true,
	"detail.context.databaseName": true, "detail.context.tableName": true, "detail.context.runId": true,
	"detail.context.contextType": true, "detail.context.catalogId": true, "detail.resultID": true,
}

// hostileStrings replaces every free-text string of an event with hostile
// text; rulesetNames keeps this deployment's ruleset among hostile others.
func hostileStrings(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out[k] = hostileStrings(e, p)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = hostileStrings(e, path)
		}
		if path == "detail.rulesetNames" {
			out[0] = hostile
		}
		return out
	case string:
		if identifiers[path] || path == "detail.rulesetNames" {
			return x
		}
		return hostile
	}
	return v
}

// transform fills an input template the way EventBridge does: inside a
// JSON string a value's text goes in as it is; outside, its JSON value.
func transform(template string, paths map[string]any, ev map[string]any) (string, error) {
	var out strings.Builder
	inString := false
	for i := 0; i < len(template); i++ {
		c := template[i]
		switch {
		case c == '\\' && inString && i+1 < len(template):
			out.WriteByte(c)
			out.WriteByte(template[i+1])
			i++
			continue
		case c == '"':
			inString = !inString
		case c == '<':
			end := strings.IndexByte(template[i:], '>')
			if end > 0 {
				if path, ok := paths[template[i+1:i+end]]; ok {
					v, _ := lookup(ev, fmt.Sprint(path))
					if s, isString := v.(string); isString && inString {
						out.WriteString(s)
					} else {
						raw, err := json.Marshal(v)
						if err != nil {
							return "", err
						}
						out.Write(raw)
					}
					i += end
					continue
				}
			}
		}
		out.WriteByte(c)
	}
	return out.String(), nil
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
		if k == "$or" {
			alternatives, ok := pv.([]any)
			if !ok {
				return false, fmt.Errorf("$or: %v is not a list", pv)
			}
			matched := false
			for _, alt := range alternatives {
				sub, ok := alt.(map[string]any)
				if !ok {
					return false, fmt.Errorf("$or: %v is not a pattern", alt)
				}
				m, err := matches(sub, event)
				if err != nil {
					return false, err
				}
				matched = matched || m
			}
			if !matched {
				return false, nil
			}
			continue
		}
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
			values := []any{ev}
			if arr, ok := ev.([]any); ok {
				values = arr
			}
			found := false
			for _, v := range values {
				for _, want := range p {
					if filter, isFilter := want.(map[string]any); isFilter {
						ok, err := numericMatch(k, filter, v)
						if err != nil {
							return false, err
						}
						found = found || ok
						continue
					}
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

// numericMatch judges the one content filter the lake's patterns use:
// {"numeric": [op, n, ...]}, every comparison on a number.
func numericMatch(member string, filter map[string]any, v any) (bool, error) {
	spec, ok := filter["numeric"].([]any)
	if len(filter) != 1 || !ok || len(spec)%2 != 0 || len(spec) == 0 {
		return false, fmt.Errorf("member %s uses a content filter %v: extend matches", member, filter)
	}
	x, isNumber := v.(float64)
	if !isNumber {
		return false, nil
	}
	for i := 0; i < len(spec); i += 2 {
		op, _ := spec[i].(string)
		n, ok := spec[i+1].(float64)
		if !ok {
			return false, fmt.Errorf("member %s: %v is not a number", member, spec[i+1])
		}
		var holds bool
		switch op {
		case ">":
			holds = x > n
		case ">=":
			holds = x >= n
		case "<":
			holds = x < n
		case "<=":
			holds = x <= n
		case "=":
			holds = x == n
		default:
			return false, fmt.Errorf("member %s: numeric operator %q: extend matches", member, op)
		}
		if !holds {
			return false, nil
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
	counted := map[string]any{"detail": map[string]any{"failed": 2.0, "state": "SUCCEEDED"}}
	for _, c := range []struct {
		pattern map[string]any
		want    bool
	}{
		{map[string]any{"detail": map[string]any{"failed": []any{map[string]any{"numeric": []any{">", 0.0}}}}}, true},
		{map[string]any{"detail": map[string]any{"failed": []any{map[string]any{"numeric": []any{">", 2.0}}}}}, false},
		{map[string]any{"detail": map[string]any{"failed": []any{map[string]any{"numeric": []any{">=", 1.0, "<", 3.0}}}}}, true},
		{map[string]any{"detail": map[string]any{"$or": []any{map[string]any{"state": []any{"FAILED"}}, map[string]any{"failed": []any{map[string]any{"numeric": []any{">", 0.0}}}}}}}, true},
		{map[string]any{"detail": map[string]any{"$or": []any{map[string]any{"state": []any{"FAILED"}}, map[string]any{"missing": []any{"x"}}}}}, false},
	} {
		if got, err := matches(c.pattern, counted); err != nil || got != c.want {
			t.Errorf("%v: %v %v, want %v", c.pattern, got, err, c.want)
		}
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
