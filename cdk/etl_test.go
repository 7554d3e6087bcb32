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
		if got := sortedKeys(jobs); strings.Join(got, ",") != "datalake-"+tc.ctx["profile"].(string)+"-curate,datalake-"+tc.ctx["profile"].(string)+"-features" {
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
			want := "job-bookmark-enable"
			if strings.HasSuffix(name, "-features") {
				want = "job-bookmark-disable" // the label looks ahead over all history
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
	var specs map[string][]string
	fromLakeJobs(t, "the Python argument specs", `from lake_jobs.args import CURATE_ARGS, FEATURES_ARGS
print(json.dumps({s.job: [a.name for a in s.arguments] for s in (CURATE_ARGS, FEATURES_ARGS)}))`, &specs)
	for name, p := range glueJobs(t, sandbox) {
		job := name[strings.LastIndex(name, "-")+1:]
		names, ok := specs[job]
		if !ok {
			t.Fatalf("job %s has no argument spec in lake_jobs.args", name)
		}
		args := p["DefaultArguments"].(map[string]any)
		for _, a := range names {
			if a == "JOB_NAME" {
				continue // Glue passes it on every run
			}
			if _, ok := args["--"+a]; !ok && a != "horizon_hours" && a != "train_percent" && a != "max_site_categories" && a != "quantile_error" {
				t.Errorf("%s: argument --%s is not passed", name, a)
			}
		}
		for k := range args {
			a := strings.TrimPrefix(k, "--")
			if strings.Contains(a, "-") || a == "TempDir" {
				continue // Glue's own options
			}
			found := false
			for _, n := range names {
				found = found || n == a
			}
			if !found {
				t.Errorf("%s: passes --%s, which the job does not read", name, a)
			}
		}
	}
}

// TestTablesMatchWhatTheJobsWrite asks lake_jobs for the columns curate
// writes and the leading columns of the features CSV, and compares them with
// the tables the Catalog stack declares over those outputs.
func TestTablesMatchWhatTheJobsWrite(t *testing.T) {
	var want map[string][]string
	fromLakeJobs(t, "the Python column lists", `from lake_jobs import curate, features
print(json.dumps({
    "curated": [c for c in curate.CURATED_COLUMNS if c not in curate.OUTPUT_PARTITIONS],
    "curated_partitions": list(curate.OUTPUT_PARTITIONS),
    "training": ["label"] + [features.continuous_column_name(c) for c in features.NUMERIC_COLUMNS] + [features.BIN_COLUMN + "_bin"],
}))`, &want)
	got := map[string][]string{}
	for _, table := range resourcesOfType(synth(t, sandbox).templates["Catalog"], "AWS::Glue::Table") {
		input := table["Properties"].(map[string]any)["TableInput"].(map[string]any)
		var cols, parts []string
		for _, c := range input["StorageDescriptor"].(map[string]any)["Columns"].([]any) {
			cols = append(cols, c.(map[string]any)["Name"].(string))
		}
		for _, c := range asSlice(input["PartitionKeys"]) {
			parts = append(parts, c.(map[string]any)["Name"].(string))
		}
		switch input["Name"] {
		case layout.CuratedTelemetryTable:
			got["curated"], got["curated_partitions"] = cols, parts
		case layout.TrainingFeaturesTable:
			got["training"] = cols
		}
	}
	for k, w := range want {
		if strings.Join(got[k], ",") != strings.Join(w, ",") {
			t.Errorf("%s: table has %v\nthe job writes %v", k, got[k], w)
		}
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
	rulesets := resourcesOfType(synth(t, sandbox).templates["Catalog"], "AWS::Glue::DataQualityRuleset")
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
