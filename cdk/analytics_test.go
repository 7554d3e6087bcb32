package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/refdatalake/datalake/internal/queries"
	"github.com/refdatalake/datalake/lake/layout"
)

func TestWorkgroupsAreGuarded(t *testing.T) {
	for _, c := range []struct {
		ctx    map[string]any
		cutoff float64
	}{{sandbox, 1024 * 1024 * 1024}, {prod, 100 * 1024 * 1024 * 1024}, {map[string]any{"profile": "sandbox", "athenaCutoffMB": "50"}, 50 * 1024 * 1024}} {
		tpl := profileTemplate(t, c.ctx, "Analytics")
		check(t, "two workgroups", func() { tpl.ResourceCountIs(jsiiStr("AWS::Athena::WorkGroup"), jsiiNum(2)) })
		for _, name := range layout.Workgroups {
			check(t, name+": enforced, engine v3, metrics, cutoff, SSE-KMS results under athena-results/"+name+"/", func() {
				tpl.HasResourceProperties(jsiiStr("AWS::Athena::WorkGroup"), obj(map[string]any{
					"Name": assertions.Match_StringLikeRegexp(jsiiStr("-" + name + "$")),
					"WorkGroupConfiguration": obj(map[string]any{
						"EnforceWorkGroupConfiguration":   true,
						"PublishCloudWatchMetricsEnabled": true,
						"BytesScannedCutoffPerQuery":      c.cutoff,
						"EngineVersion":                   obj(map[string]any{"SelectedEngineVersion": "Athena engine version 3"}),
						"ResultConfiguration": obj(map[string]any{
							"OutputLocation":          obj(map[string]any{"Fn::Join": arr(arr("s3://", importOf("AnalyticsBucket"), "/athena-results/"+name+"/"))}),
							"EncryptionConfiguration": obj(map[string]any{"EncryptionOption": "SSE_KMS", "KmsKey": importOf("LakeKey")}),
						}),
					}),
				}))
			})
		}
	}
}

func TestNamedQueriesComeFromTheSQLFiles(t *testing.T) {
	qs, err := queries.All()
	if err != nil {
		t.Fatal(err)
	}
	tpl := profileTemplate(t, sandbox, "Analytics")
	check(t, "one named query per file", func() { tpl.ResourceCountIs(jsiiStr("AWS::Athena::NamedQuery"), jsiiNum(float64(len(qs)))) })
	for _, q := range qs {
		check(t, q.Name, func() {
			tpl.HasResourceProperties(jsiiStr("AWS::Athena::NamedQuery"), obj(map[string]any{
				"Name": q.Name, "QueryString": q.SQL, "Database": importOf("LakeDatabase"),
				"WorkGroup": obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsiiStr("^AnalystsWorkgroup"))}),
			}))
		})
	}
	for id, res := range resourcesOfType(synth(t, sandbox).templates["Analytics"], "AWS::Athena::NamedQuery") {
		if _, has := res["Condition"]; has {
			t.Errorf("%s: named query is conditional outside the local profile", id)
		}
	}
}
