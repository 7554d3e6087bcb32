package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/refdatalake/datalake/lake/layout"
	"github.com/refdatalake/datalake/statemachines"
)

// TestStateMachinesAreInlinedWithEverySubstitution checks what CloudFormation
// will do with each definition: substituting DefinitionSubstitutions into the
// inline DefinitionString must leave no ${...} and give valid JSON.
func TestStateMachinesAreInlinedWithEverySubstitution(t *testing.T) {
	for _, ctx := range []map[string]any{sandbox, prod, local} {
		machines := map[string]map[string]any{}
		for stack, tpl := range synth(t, ctx).templates {
			for id, m := range resourcesOfType(tpl, "AWS::StepFunctions::StateMachine") {
				machines[stack+"/"+id] = m
			}
		}
		if len(machines) != len(statemachines.Names()) {
			t.Fatalf("%s: %d state machines, want %d", ctx["profile"], len(machines), len(statemachines.Names()))
		}
		for id, m := range machines {
			p := m["Properties"].(map[string]any)
			if p["DefinitionS3Location"] != nil {
				t.Errorf("%s: definition hosted in S3", id)
			}
			def, ok := p["DefinitionString"].(string)
			if !ok {
				t.Fatalf("%s: DefinitionString is %T, want an inline string", id, p["DefinitionString"])
			}
			subs := p["DefinitionSubstitutions"].(map[string]any)
			rendered := regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`).ReplaceAllStringFunc(def, func(m string) string {
				if _, ok := subs[m[2:len(m)-1]]; !ok {
					t.Errorf("%s: %s has no substitution", id, m)
				}
				return "x" // token values are resolved by CloudFormation; any plain string keeps the JSON valid
			})
			if strings.Contains(rendered, "${") {
				t.Errorf("%s: ${ left after substitution", id)
			}
			if !json.Valid([]byte(rendered)) {
				t.Errorf("%s: not JSON after substitution", id)
			}
			for k := range subs {
				if !strings.Contains(def, "${"+k+"}") {
					t.Errorf("%s: substitution %s is not used", id, k)
				}
			}
			if lc := p["LoggingConfiguration"].(map[string]any); lc["Level"] != "ALL" {
				t.Errorf("%s: logging %v", id, lc)
			}
			if tc := p["TracingConfiguration"].(map[string]any); tc["Enabled"] != true {
				t.Errorf("%s: tracing %v", id, tc)
			}
		}
	}
}

func policyStatements(t *testing.T, tpl map[string]any, idPrefix string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for id, p := range resourcesOfType(tpl, "AWS::IAM::ManagedPolicy") {
		if !strings.HasPrefix(id, idPrefix) {
			continue
		}
		for _, s := range asSlice(p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]) {
			out = append(out, s.(map[string]any))
		}
	}
	if len(out) == 0 {
		t.Fatalf("no policy %s*", idPrefix)
	}
	return out
}

func TestWorkflowRoleIsScopedToTheProjectPrefix(t *testing.T) {
	tpl := synth(t, sandbox).templates["ML"]
	for _, s := range policyStatements(t, tpl, "WorkflowPolicy") {
		b, _ := json.Marshal(s["Resource"])
		for _, a := range asSlice(s["Action"]) {
			action := a.(string)
			switch {
			case strings.HasPrefix(action, "sagemaker:"):
				if !regexp.MustCompile(`:(training-job|hyper-parameter-tuning-job|model|transform-job)/datalake-sandbox-\*"`).Match(b) {
					t.Errorf("%s on %s: not limited to the project prefix", action, b)
				}
			case action == "iam:PassRole":
				c, _ := json.Marshal(s["Condition"])
				if !strings.Contains(string(c), `"iam:PassedToService":"sagemaker.amazonaws.com"`) || !strings.Contains(string(b), "SageMakerExecutionRole") {
					t.Errorf("PassRole on %s with %s", b, c)
				}
			case strings.HasPrefix(action, "events:"):
				if !strings.Contains(string(b), "StepFunctionsGetEventsForSageMaker") {
					t.Errorf("%s on %s", action, b)
				}
			}
		}
	}
}

func TestSageMakerRoleReadsTrainingWritesModelsAndPredictions(t *testing.T) {
	tpl := synth(t, sandbox).templates["ML"]
	for _, s := range policyStatements(t, tpl, "SageMakerExecutionPolicy") {
		b, _ := json.Marshal(s["Resource"])
		for _, a := range asSlice(s["Action"]) {
			switch a.(string) {
			case "s3:GetObject":
				if strings.Contains(string(b), layout.BatchTransformPrefix) || !strings.Contains(string(b), layout.TrainingPrefix) {
					t.Errorf("reads %s", b)
				}
			case "s3:PutObject":
				if strings.Contains(string(b), layout.TrainingPrefix) || !strings.Contains(string(b), layout.ModelsPrefix) || !strings.Contains(string(b), layout.BatchTransformPrefix) {
					t.Errorf("writes %s", b)
				}
			}
		}
	}
}

func TestTrainingScheduleIsOffByDefault(t *testing.T) {
	for _, tc := range []struct {
		ctx   map[string]any
		state string
	}{{sandbox, "DISABLED"}, {map[string]any{"profile": "sandbox", "mlScheduleEnabled": "true"}, "ENABLED"}} {
		rules := resourcesOfType(synth(t, tc.ctx).templates["ML"], "AWS::Events::Rule")
		if len(rules) != 1 {
			t.Fatalf("%d rules", len(rules))
		}
		for _, r := range rules {
			if got := r["Properties"].(map[string]any)["State"]; got != tc.state {
				t.Errorf("%v: schedule %v, want %s", tc.ctx, got, tc.state)
			}
		}
	}
}

func TestXGBoostImageResolvesWithoutNetwork(t *testing.T) {
	// Environment-agnostic: a mapping by region. Pinned: the literal URI.
	tpl := synth(t, sandbox).templates["ML"]
	if _, ok := tpl["Mappings"].(map[string]any)["XGBoostImage"]; !ok {
		t.Error("no XGBoostImage mapping in an environment-agnostic synth")
	}
	pinned := synth(t, pinnedSandbox).templates["ML"]
	b, _ := json.Marshal(pinned)
	if !strings.Contains(string(b), "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1") {
		t.Error("pinned eu-west-1 synth does not name the region's XGBoost image")
	}
}

// The scheduled retrain runs the features job only where no scheduled ETL
// publishes training sets: with the nightly workflow on (prod), it trains on
// the newest set that workflow published (current.json), with no second
// features run; on demand (sandbox) it makes its own set first.
func TestScheduledRetrainRunsFeaturesOnlyWithoutTheNightlyEtl(t *testing.T) {
	for _, c := range []struct {
		ctx  map[string]any
		want bool
	}{
		{sandbox, true},
		{prod, false},
		{map[string]any{"profile": "sandbox", "etlSchedule": "cron(0 3 * * ? *)"}, false},
		{map[string]any{"profile": "prod", "etlSchedule": ""}, true},
	} {
		r := synth(t, c.ctx)
		if r.err != nil {
			t.Fatal(r.err)
		}
		rules := resourcesOfType(r.templates["ML"], "AWS::Events::Rule")
		var inputs []string
		for id, rule := range rules {
			if !strings.HasPrefix(id, "TrainSchedule") {
				continue
			}
			for _, target := range rule["Properties"].(map[string]any)["Targets"].([]any) {
				inputs = append(inputs, target.(map[string]any)["Input"].(string))
			}
		}
		if len(inputs) != 1 {
			t.Fatalf("%v: %d schedule targets, want 1", c.ctx, len(inputs))
		}
		var in map[string]any
		if err := json.Unmarshal([]byte(inputs[0]), &in); err != nil {
			t.Fatal(err)
		}
		if got := in["runFeatures"]; got != c.want {
			t.Errorf("%v: the scheduled input's runFeatures is %v, want %v", c.ctx, got, c.want)
		}
	}
}
