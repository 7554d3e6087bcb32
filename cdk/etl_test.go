package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/refdatalake/datalake/lake/layout"
)

func glueJobs(t *testing.T, ctx map[string]any) map[string]map[string]any {
	t.Helper()
	jobs := map[string]map[string]any{}
	for _, j := range resourcesOfType(synth(t, ctx).templates["Catalog"], "AWS::Glue::Job") {
		p := j["Properties"].(map[string]any)
		jobs[p["Name"].(string)] = p
	}
	return jobs
}

func TestJobsAreGuardedAndEncrypted(t *testing.T) {
	for _, tc := range []struct {
		ctx     map[string]any
		workers float64
		retries float64
		timeout float64
	}{{sandbox, 2, 0, 60}, {prod, 10, 1, 240}} {
		jobs := glueJobs(t, tc.ctx)
		prefix := "datalake-" + tc.ctx["profile"].(string) + "-"
		if got := sortedKeys(jobs); strings.Join(got, ",") != prefix+"curate,"+prefix+"features,"+prefix+"migrate-curated,"+prefix+"training-set" {
			t.Fatalf("jobs %v", got)
		}
		for name, p := range jobs {
			args := p["DefaultArguments"].(map[string]any)
			checks := map[string]any{
				"GlueVersion": "5.0", "WorkerType": "G.1X", "NumberOfWorkers": tc.workers, "MaxRetries": tc.retries, "Timeout": tc.timeout,
				"SecurityConfiguration": "datalake-" + tc.ctx["profile"].(string),
			}
			for k, want := range checks {
				if p[k] != want {
					t.Errorf("%s %s = %v, want %v", name, k, p[k], want)
				}
			}
			for _, k := range []string{"--enable-metrics", "--job-bookmark-option", "--extra-py-files"} {
				if _, ok := args[k]; !ok {
					t.Errorf("%s: no %s", name, k)
				}
			}
			// Every job reads or writes an Iceberg table: Glue 5.0's Iceberg
			// jars, and every file encrypted with the lake key.
			if args["--datalake-formats"] != "iceberg" || args["--catalog"] != "glue_catalog" || args["--lake_key_arn"] == nil {
				t.Errorf("%s: Iceberg arguments %v %v %v", name, args["--datalake-formats"], args["--catalog"], args["--lake_key_arn"])
			}
			// Glue 5.0 logs every job in real time to <prefix>/error and
			// <prefix>/output; the --continuous-log-* arguments and job insights
			// are documented for earlier versions only.
			// https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html
			if got, want := args["--custom-logGroup-prefix"], "/aws-glue/jobs/datalake-"+tc.ctx["profile"].(string); got != want {
				t.Errorf("%s: --custom-logGroup-prefix %v, want %s", name, got, want)
			}
			for k := range args {
				if strings.HasPrefix(k, "--continuous-log") || k == "--enable-continuous-cloudwatch-log" || k == "--enable-job-insights" {
					t.Errorf("%s: passes %s, which Glue 5.0 does not document", name, k)
				}
			}
			// Only curate reads incrementally; features reads a whole snapshot
			// (the label looks ahead over all history), the others run on demand.
			want := "job-bookmark-disable"
			if strings.HasSuffix(name, "-curate") {
				want = "job-bookmark-enable"
			}
			if args["--job-bookmark-option"] != want {
				t.Errorf("%s bookmarks %v, want %s", name, args["--job-bookmark-option"], want)
			}
		}
	}
}

// TestJobArgumentsMatchThePythonSpecs asks lake_jobs.args which arguments each
// job requires and checks the deployed jobs pass every one, so a renamed
// argument fails here rather than at the first run in AWS.
func TestJobArgumentsMatchThePythonSpecs(t *testing.T) {
	var specs map[string]map[string]bool // job -> argument -> required
	fromLakeJobs(t, "the Python argument specs", `from lake_jobs.args import CURATE_ARGS, FEATURES_ARGS, MIGRATE_ARGS, TRAINING_SET_ARGS
print(json.dumps({s.job: {a.name: a.required for a in s.arguments} for s in (CURATE_ARGS, FEATURES_ARGS, MIGRATE_ARGS, TRAINING_SET_ARGS)}))`, &specs)
	// What scripts/trainingset passes on each run, from the registry entry.
	perRun := map[string]bool{"features_snapshot_id": true, "manifest_uri": true, "compare_with": true}
	jobs := glueJobs(t, sandbox)
	if len(jobs) != len(specs) {
		t.Errorf("%d jobs, %d argument specs", len(jobs), len(specs))
	}
	for name, p := range jobs {
		job := strings.TrimPrefix(name, "datalake-sandbox-")
		names, ok := specs[job]
		if !ok {
			t.Fatalf("job %s has no argument spec in lake_jobs.args", name)
		}
		args := p["DefaultArguments"].(map[string]any)
		for a, required := range names {
			if a == "JOB_NAME" || perRun[a] {
				continue // Glue passes JOB_NAME on every run
			}
			if _, ok := args["--"+a]; !ok && required {
				t.Errorf("%s: required argument --%s is not passed", name, a)
			}
		}
		for k := range args {
			a := strings.TrimPrefix(k, "--")
			if strings.Contains(a, "-") || a == "TempDir" {
				continue // Glue's own options
			}
			if _, ok := names[a]; !ok {
				t.Errorf("%s: passes --%s, which the job does not read", name, a)
			}
		}
	}
}

// TestTablesMatchWhatTheJobsWrite asks lake_jobs for the Iceberg tables it
// writes (curate.CURATED_TABLE, features.FEATURES_TABLE: columns, types,
// partitioning, properties) and compares them with the tables the Curated
// stack declares.
func TestTablesMatchWhatTheJobsWrite(t *testing.T) {
	var want map[string]map[string]any
	fromLakeJobs(t, "the Python table definitions", `from lake_jobs import curate, features
def spec(t):
    return {
        "columns": [[c.name, c.iceberg_type, c.required] for c in t.columns],
        "partitioning": list(t.partitioning),
        "properties": dict(t.properties),
    }
print(json.dumps({curate.CURATED_TABLE.name: spec(curate.CURATED_TABLE), features.FEATURES_TABLE.name: spec(features.FEATURES_TABLE)}))`, &want)
	got := map[string]map[string]any{}
	for _, table := range resourcesOfType(synth(t, sandbox).templates["Curated"], "AWS::Glue::Table") {
		p := table["Properties"].(map[string]any)
		in := p["OpenTableFormatInput"].(map[string]any)["IcebergInput"].(map[string]any)["IcebergTableInput"].(map[string]any)
		var cols []any
		byID := map[float64]string{}
		for _, f := range in["Schema"].(map[string]any)["Fields"].([]any) {
			m := f.(map[string]any)
			cols = append(cols, []any{m["Name"], m["Type"], m["Required"]})
			byID[m["Id"].(float64)] = m["Name"].(string)
		}
		var parts []any
		for _, f := range in["PartitionSpec"].(map[string]any)["Fields"].([]any) {
			m := f.(map[string]any)
			// Spark's spelling of the same transform.
			source := byID[m["SourceId"].(float64)]
			switch m["Transform"] {
			case "identity":
				parts = append(parts, source)
			default:
				parts = append(parts, m["Transform"].(string)+"s("+source+")")
			}
		}
		props := map[string]any{}
		for k, v := range in["Properties"].(map[string]any) {
			if k != "comment" {
				props[k] = v
			}
		}
		got[p["Name"].(string)] = map[string]any{"columns": cols, "partitioning": parts, "properties": props}
	}
	for name, w := range want {
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(got[name])
		if string(wj) != string(gj) {
			t.Errorf("%s: the Curated stack declares %s\nlake_jobs writes %s", name, gj, wj)
		}
	}
	if len(got) != len(want) {
		t.Errorf("tables %v, lake_jobs writes %v", sortedKeys(got), sortedKeys(want))
	}
}

// fromLakeJobs runs code in the project venv's Python with glue/ on the path
// (json and sys imported) and decodes the JSON it prints into v.
func fromLakeJobs(t *testing.T, what, code string, v any) {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	python := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(python); err != nil {
		t.Skip("needs the project venv (.venv/bin/python): run make deps")
	}
	cmd := exec.Command(python, "-c", "import json, sys\nsys.path.insert(0, \"glue\")\n"+code)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reading %s: %v", what, err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("reading %s: %v", what, err)
	}
}

func TestCrawlerOnlyReadsLanding(t *testing.T) {
	tpl := synth(t, sandbox).templates["Catalog"]
	crawlers := resourcesOfType(tpl, "AWS::Glue::Crawler")
	if len(crawlers) != 1 {
		t.Fatalf("%d crawlers", len(crawlers))
	}
	for _, c := range crawlers {
		p := c["Properties"].(map[string]any)
		b, _ := json.Marshal(p["Targets"])
		if strings.Contains(string(b), layout.RawTelemetryPrefix) || !strings.Contains(string(b), layout.DevicesPrefix) || !strings.Contains(string(b), layout.MaintenancePrefix) {
			t.Errorf("crawler targets %s", b)
		}
		for _, want := range []string{"**/_SUCCESS", "**/*.crc", "errors/**"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("no exclusion %s in %s", want, b)
			}
		}
		if p["TablePrefix"] != layout.LandingTablePrefix || p["CrawlerSecurityConfiguration"] != "datalake-sandbox" {
			t.Errorf("prefix %v, security configuration %v", p["TablePrefix"], p["CrawlerSecurityConfiguration"])
		}
		if rp := p["RecrawlPolicy"].(map[string]any); rp["RecrawlBehavior"] != "CRAWL_NEW_FOLDERS_ONLY" {
			t.Errorf("recrawl %v", rp)
		}
		if p["Schedule"] != nil {
			t.Errorf("crawler has its own schedule %v: the workflow starts it", p["Schedule"])
		}
	}
}

func TestWorkflowChainsCrawlerCurateFeatures(t *testing.T) {
	for _, tc := range []struct {
		ctx      map[string]any
		schedule string
	}{{sandbox, ""}, {prod, "cron(15 2 * * ? *)"}} {
		triggers := resourcesOfType(synth(t, tc.ctx).templates["Catalog"], "AWS::Glue::Trigger")
		var kinds []string
		for _, tr := range triggers {
			p := tr["Properties"].(map[string]any)
			b, _ := json.Marshal(p)
			switch p["Type"] {
			case "SCHEDULED":
				if p["Schedule"] != tc.schedule {
					t.Errorf("%s schedule %v", tc.ctx["profile"], p["Schedule"])
				}
				kinds = append(kinds, "start")
			case "ON_DEMAND":
				kinds = append(kinds, "start")
			case "CONDITIONAL":
				switch {
				case strings.Contains(string(b), `"CrawlState":"SUCCEEDED"`) && strings.Contains(string(b), "CurateJob"):
					kinds = append(kinds, "crawl->curate")
				case strings.Contains(string(b), `"State":"SUCCEEDED"`) && strings.Contains(string(b), "FeaturesJob"):
					kinds = append(kinds, "curate->features")
				default:
					t.Errorf("unexpected trigger %s", b)
				}
			}
			if tc.schedule == "" && p["Type"] == "SCHEDULED" {
				t.Errorf("%s: scheduled although etlSchedule is empty", tc.ctx["profile"])
			}
		}
		sort.Strings(kinds)
		if strings.Join(kinds, ",") != "crawl->curate,curate->features,start" {
			t.Errorf("%s triggers %v", tc.ctx["profile"], kinds)
		}
	}
}

func TestDataQualityRulesFollowTheSchema(t *testing.T) {
	rulesets := resourcesOfType(synth(t, sandbox).templates["Curated"], "AWS::Glue::DataQualityRuleset")
	if len(rulesets) != 1 {
		t.Fatalf("%d rulesets", len(rulesets))
	}
	for _, r := range rulesets {
		dqdl := r["Properties"].(map[string]any)["Ruleset"].(string)
		for _, want := range []string{`IsComplete "device_id"`, `IsPrimaryKey "device_id" "ts"`, `ColumnValues "status" in ["ok", "warn", "fault", "maintenance"]`,
			`temperature_c < -60 or temperature_c > 150`, "RowCount > 0"} {
			if !strings.Contains(dqdl, want) {
				t.Errorf("ruleset lacks %s:\n%s", want, dqdl)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
