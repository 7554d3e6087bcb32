package catalog_test

import (
	"testing"

	"github.com/refdatalake/datalake/lake/catalog"
	"github.com/refdatalake/datalake/lake/laketest"
)

// With only its required props the stack passes the five packs: the raw
// and anomalies tables (the Iceberg ones are the Curated stack's), the
// crawler, four Glue 5.0 jobs on G.1X x 2 for at most an hour, and the
// workflow on demand.
func TestStackAlonePassesTheCompliancePacks(t *testing.T) {
	app, d, st := laketest.Lake(t)
	if _, err := catalog.NewStack(app, "Catalog", &catalog.Props{
		Deployment: d, LakeKey: st.LakeKey, RawBucket: st.RawBucket, CuratedBucket: st.CuratedBucket, AnalyticsBucket: st.AnalyticsBucket,
	}); err != nil {
		t.Fatal(err)
	}
	r := laketest.SynthCompliant(t, app)
	for _, f := range r.Findings {
		t.Error(f)
	}
	tpl := r.Templates["Catalog"]
	for typ, want := range map[string]int{"AWS::Glue::Table": 2, "AWS::Glue::Crawler": 1, "AWS::Glue::Job": 4, "AWS::Glue::Workflow": 1, "AWS::Glue::DataQualityRuleset": 0} {
		if n := laketest.Count(tpl, typ); n != want {
			t.Errorf("%d %s, want %d", n, typ, want)
		}
	}
	for id, raw := range tpl["Resources"].(map[string]any) {
		res := raw.(map[string]any)
		if res["Type"] != "AWS::Glue::Job" {
			continue
		}
		p := res["Properties"].(map[string]any)
		if p["GlueVersion"] != "5.0" || p["WorkerType"] != "G.1X" || p["NumberOfWorkers"] != float64(2) || p["Timeout"] != float64(60) {
			t.Errorf("%s: %v %v x %v, %v min: want the defaults", id, p["GlueVersion"], p["WorkerType"], p["NumberOfWorkers"], p["Timeout"])
		}
	}
}
