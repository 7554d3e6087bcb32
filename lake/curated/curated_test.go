package curated_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/curated"
	"github.com/refdatalake/datalake/lake/laketest"
	"github.com/refdatalake/datalake/lake/layout"
)

func TestMain(m *testing.M) { laketest.Main(m) }

// With only its required props both stacks pass the five packs: two
// Iceberg tables declared through OpenTableFormatInput only, the ruleset,
// six optimizers on one role, the watch and its alarms.
func TestStacksAlonePassTheCompliancePacks(t *testing.T) {
	app, d, st := laketest.Lake(t)
	curated.NewStack(app, "Curated", &curated.Props{
		Deployment: d, LakeKey: st.LakeKey, CuratedBucket: st.CuratedBucket, AnalyticsBucket: st.AnalyticsBucket,
	})
	if _, err := curated.NewUpkeepStack(app, "Upkeep", &curated.UpkeepProps{
		Deployment: d, LakeKey: st.LakeKey, CuratedBucket: st.CuratedBucket, AnalyticsBucket: st.AnalyticsBucket,
		AlarmTopicArn: jsii.String("arn:aws:sns:eu-west-1:111122223333:alarms"),
	}); err != nil {
		t.Fatal(err)
	}
	r := laketest.SynthCompliant(t, app)
	for _, f := range r.Findings {
		t.Error(f)
	}
	tpl, upkeep := r.Templates["Curated"], r.Templates["Upkeep"]
	for typ, want := range map[string]int{"AWS::Glue::Table": 2, "AWS::Glue::DataQualityRuleset": 1, "AWS::Glue::TableOptimizer": 0} {
		if n := laketest.Count(tpl, typ); n != want {
			t.Errorf("Curated: %d %s, want %d", n, typ, want)
		}
	}
	for typ, want := range map[string]int{"AWS::Glue::TableOptimizer": 6, "AWS::CloudWatch::Alarm": 3, "AWS::Lambda::Function": 1, "AWS::Events::Rule": 1} {
		if n := laketest.Count(upkeep, typ); n != want {
			t.Errorf("Upkeep: %d %s, want %d", n, typ, want)
		}
	}
	for id, raw := range tpl["Resources"].(map[string]any) {
		res := raw.(map[string]any)
		if res["Type"] != "AWS::Glue::Table" {
			continue
		}
		p := res["Properties"].(map[string]any)
		// CloudFormation rewrites an Iceberg table from a TableInput on update
		// and drops its table_type: there must be none.
		if _, ok := p["TableInput"]; ok {
			t.Errorf("%s has a TableInput beside OpenTableFormatInput", id)
		}
		in := p["OpenTableFormatInput"].(map[string]any)["IcebergInput"].(map[string]any)
		table := in["IcebergTableInput"].(map[string]any)
		props := table["Properties"].(map[string]any)
		if in["MetadataOperation"] != "CREATE" || in["Version"] != "2" || props["write.wap.enabled"] != "true" || props["format-version"] != "2" {
			t.Errorf("%s: %v", id, in)
		}
		// Its folder carries the stack id: a table created after a destroy
		// starts in a folder of its own.
		if loc, _ := json.Marshal(table["Location"]); !strings.Contains(string(loc), "AWS::StackId") {
			t.Errorf("%s: location %s does not carry the stack id", id, loc)
		}
	}
	// Retention keeps both numbers explicit; orphan deletion waits three days.
	seen := map[string]bool{}
	for _, raw := range upkeep["Resources"].(map[string]any) {
		res := raw.(map[string]any)
		if res["Type"] != "AWS::Glue::TableOptimizer" {
			continue
		}
		p := res["Properties"].(map[string]any)
		seen[p["TableName"].(string)+"/"+p["Type"].(string)] = true
		conf := p["TableOptimizerConfiguration"].(map[string]any)
		switch p["Type"] {
		case "retention":
			r := conf["RetentionConfiguration"].(map[string]any)["IcebergConfiguration"].(map[string]any)
			if r["SnapshotRetentionPeriodInDays"] != 7.0 || r["NumberOfSnapshotsToRetain"] != 1.0 || r["CleanExpiredFiles"] != true {
				t.Errorf("retention %v", r)
			}
		case "orphan_file_deletion":
			o := conf["OrphanFileDeletionConfiguration"].(map[string]any)["IcebergConfiguration"].(map[string]any)
			if o["OrphanFileRetentionPeriodInDays"] != 3.0 || o["Location"] != nil {
				t.Errorf("orphan deletion %v: three days, in the table's own folder", o)
			}
		}
	}
	var got []string
	for k := range seen {
		got = append(got, k)
	}
	sort.Strings(got)
	if len(got) != 6 || got[0] != layout.CuratedTelemetryTable+"/compaction" {
		t.Errorf("optimizers %v", got)
	}
}

// NoTableOptimizerRegions is what cfn-lint's per-region schemas say: every
// region of its providers folder whose schema list lacks the type.
func TestNoTableOptimizerRegionsMatchCfnLint(t *testing.T) {
	dir := cfnLintProviders(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, e := range entries {
		region := strings.TrimSuffix(e.Name(), ".json")
		if !strings.HasSuffix(e.Name(), ".json") || region == "sam" {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var types map[string]any
		if err := json.Unmarshal(raw, &types); err != nil {
			t.Fatal(err)
		}
		if _, ok := types["AWS::Glue::TableOptimizer"]; !ok {
			missing = append(missing, region)
		}
	}
	sort.Strings(missing)
	if strings.Join(missing, ",") != strings.Join(curated.NoTableOptimizerRegions, ",") {
		t.Errorf("cfn-lint lacks the type in %v\nNoTableOptimizerRegions says %v", missing, curated.NoTableOptimizerRegions)
	}
	if err := curated.CheckTableOptimizerRegion(true, "us-west-1", ""); err == nil || !strings.Contains(err.Error(), "-c tableOptimizers=false") {
		t.Errorf("us-west-1: %v", err)
	}
	for _, ok := range []struct {
		on     bool
		region string
	}{{false, "us-west-1"}, {true, ""}, {true, "eu-west-1"}} {
		if err := curated.CheckTableOptimizerRegion(ok.on, ok.region, ""); err != nil {
			t.Errorf("%v in %q: %v", ok.on, ok.region, err)
		}
	}
}

// cfnLintProviders is cfn-lint's per-region schema folder in the project venv.
func cfnLintProviders(t *testing.T) string {
	t.Helper()
	matches, _ := filepath.Glob("../../.venv/lib/python3*/site-packages/cfnlint/data/schemas/providers")
	if len(matches) == 0 {
		t.Skip("needs cfn-lint in the project venv (.venv): run make deps")
	}
	return matches[0]
}
