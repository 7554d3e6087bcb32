package analytics_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/queries"
	"github.com/refdatalake/datalake/lake/analytics"
	"github.com/refdatalake/datalake/lake/laketest"
)

func TestMain(m *testing.M) { laketest.Main(m) }

// With only its required props the stack passes the five packs, and its
// workgroups enforce the default 1 GB cutoff and encrypted results.
func TestStackAlonePassesTheCompliancePacks(t *testing.T) {
	app, d, st := laketest.Lake(t)
	dbStack := awscdk.NewStack(app, jsii.String("Db"), nil)
	db := awsglue.NewDatabase(dbStack, jsii.String("Db"), &awsglue.DatabaseProps{DatabaseName: jsii.String(d.Database())})
	if _, err := analytics.NewStack(app, "Analytics", &analytics.Props{
		Deployment: d, LakeKey: st.LakeKey, AnalyticsBucket: st.AnalyticsBucket, Database: db,
	}); err != nil {
		t.Fatal(err)
	}
	r := laketest.SynthCompliant(t, app)
	for _, f := range r.Findings {
		t.Error(f)
	}
	tpl := r.Templates["Analytics"]
	qs, err := queries.All()
	if err != nil {
		t.Fatal(err)
	}
	if n := laketest.Count(tpl, "AWS::Athena::NamedQuery"); n != len(qs) {
		t.Errorf("%d named queries, want %d", n, len(qs))
	}
	for id, raw := range tpl["Resources"].(map[string]any) {
		res := raw.(map[string]any)
		if res["Type"] != "AWS::Athena::WorkGroup" {
			continue
		}
		conf := res["Properties"].(map[string]any)["WorkGroupConfiguration"].(map[string]any)
		if conf["BytesScannedCutoffPerQuery"] != float64(1024*1024*1024) || conf["EnforceWorkGroupConfiguration"] != true {
			t.Errorf("%s: cutoff %v, enforced %v", id, conf["BytesScannedCutoffPerQuery"], conf["EnforceWorkGroupConfiguration"])
		}
	}
}
