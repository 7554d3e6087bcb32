package ml_test

import (
	"strings"
	"testing"

	"github.com/refdatalake/datalake/lake/laketest"
	"github.com/refdatalake/datalake/lake/ml"
	"github.com/refdatalake/datalake/lake/network"
)

func TestMain(m *testing.M) { laketest.Main(m) }

// With only its required props the stack passes the five packs: both
// machines, the evaluate function, the registry and the schedule, disabled.
func TestStackAlonePassesTheCompliancePacks(t *testing.T) {
	app, d, st := laketest.Lake(t)
	nw := network.NewStack(app, "Network", &network.Props{LakeKey: st.LakeKey, LakeBuckets: st.DataBuckets()})
	if _, err := ml.NewStack(app, "ML", &ml.Props{
		Deployment: d, LakeKey: st.LakeKey, AnalyticsBucket: st.AnalyticsBucket, Vpc: nw.Vpc, FeaturesJobName: d.Job("features"),
	}); err != nil {
		t.Fatal(err)
	}
	r := laketest.SynthCompliant(t, app)
	for _, f := range r.Findings {
		t.Error(f)
	}
	tpl := r.Templates["ML"]
	for typ, want := range map[string]int{"AWS::StepFunctions::StateMachine": 2, "AWS::Lambda::Function": 1, "AWS::DynamoDB::Table": 1, "AWS::Events::Rule": 1} {
		if n := laketest.Count(tpl, typ); n != want {
			t.Errorf("%d %s, want %d", n, typ, want)
		}
	}
	for _, raw := range tpl["Resources"].(map[string]any) {
		if res := raw.(map[string]any); res["Type"] == "AWS::Events::Rule" && res["Properties"].(map[string]any)["State"] != "DISABLED" {
			t.Error("the training schedule must be disabled by default: each run costs money")
		}
	}
}

// A features job longer than a machine's timeout could hold is refused
// before anything is built.
func TestMachineTimeouts(t *testing.T) {
	if err := ml.CheckMachineTimeouts(240); err != nil {
		t.Errorf("prod's 4 h features job: %v", err)
	}
	err := ml.CheckMachineTimeouts(48 * 60)
	if err == nil || !strings.Contains(err.Error(), "lower -c glueTimeoutMinutes to at most") {
		t.Errorf("48 h: err = %v", err)
	}
}
