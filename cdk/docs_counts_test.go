package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/refdatalake/datalake/internal/anomaly"
	"github.com/refdatalake/datalake/internal/iamsim"
	"github.com/refdatalake/datalake/internal/localharness"
	"github.com/refdatalake/datalake/internal/queries"
	"github.com/refdatalake/datalake/internal/sagemakerimage"
	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/internal/telemetrygen"
	"github.com/refdatalake/datalake/lake/curated"
	"github.com/refdatalake/datalake/lake/layout"
	"github.com/refdatalake/datalake/lake/ops"
	"github.com/refdatalake/datalake/statemachines"
)

// Numbers the documents state about the code sit between count markers,
//
//	<!-- count:alarms -->12<!-- /count -->
//
// and docCounts computes each from the synthesized templates or the code.
// checkDocCounts (run by TestGeneratedDocTables, so `make docs` rewrites the
// values) fails on a value that is out of date, on a marker no count
// computes, and on a count no document uses.
var countMarker = regexp.MustCompile(`<!-- count:([a-z0-9-]+) -->(.*?)<!-- /count -->`)

// docCount is one number a document may state.
type docCount struct {
	name string
	// what says what is counted, for the failure message.
	what  string
	value func(t *testing.T) string
}

// docCounts are the numbers the documents state, by marker name.
var docCounts = []docCount{
	// Templates of the sandbox profile (the default).
	{"stacks", "stacks of the sandbox profile", func(t *testing.T) string { return itoa(len(synthOK(t, sandbox).templates)) }},
	{"stacks-prod", "stacks of the prod profile", func(t *testing.T) string { return itoa(len(synthOK(t, prod).templates)) }},
	{"stacks-local", "stacks of the local profile", func(t *testing.T) string { return itoa(len(synthOK(t, local).templates)) }},
	{"alarms", "CloudWatch alarms (sandbox, every stack)", func(t *testing.T) string { return itoa(len(alarmIDs(t, "", ""))) }},
	{"alarms-streaming", "CloudWatch alarms of the Streaming stack (sandbox)", func(t *testing.T) string { return itoa(len(alarmIDs(t, "Streaming", ""))) }},
	{"alarms-ingestion", "Streaming stack alarms not of the anomaly detector (logical IDs not starting Detect)", func(t *testing.T) string {
		return itoa(len(alarmIDs(t, "Streaming", "")) - len(alarmIDs(t, "Streaming", "Detect")))
	}},
	{"alarms-detector", "alarms of the anomaly detector (logical IDs starting Detect)", func(t *testing.T) string { return itoa(len(alarmIDs(t, "Streaming", "Detect"))) }},
	{"alarms-upkeep", "alarms of the Upkeep stack (the table optimizer watch)", func(t *testing.T) string { return itoa(len(alarmIDs(t, "Upkeep", ""))) }},
	{"alarms-usd", "monthly cost of the alarms at $0.10 each", func(t *testing.T) string { return usd(float64(len(alarmIDs(t, "", ""))) * alarmUsd) }},
	{"sandbox-idle-usd", "idle monthly cost of the sandbox: the key, the provisioned shards for 730 hours, the alarms", func(t *testing.T) string {
		return usd(sandboxIdleUsd(t))
	}},
	{"failure-rules", "EventBridge rules whose target is the alarm topic", func(t *testing.T) string { return itoa(len(failureRules(t))) }},
	{"service-event-rules", "EventBridge rules with an event pattern (AWS service events)", func(t *testing.T) string {
		n := 0
		for _, r := range resolved(t, sandbox).All("AWS::Events::Rule") {
			if r.Properties["EventPattern"] != nil {
				n++
			}
		}
		return itoa(n)
	}},
	{"sqs-queues", "SQS queues (sandbox)", func(t *testing.T) string { return itoa(len(resolved(t, sandbox).All("AWS::SQS::Queue"))) }},
	{"traced-functions", "Lambda functions with active X-Ray tracing", func(t *testing.T) string {
		n := 0
		for _, f := range resolved(t, sandbox).All("AWS::Lambda::Function") {
			if tc, _ := f.Properties["TracingConfig"].(map[string]any); tc["Mode"] == "Active" {
				n++
			}
		}
		return itoa(n)
	}},
	{"traced-state-machines", "state machines with X-Ray tracing", func(t *testing.T) string {
		n := 0
		for _, m := range resolved(t, sandbox).All("AWS::StepFunctions::StateMachine") {
			if tc, _ := m.Properties["TracingConfiguration"].(map[string]any); tc["Enabled"] == true {
				n++
			}
		}
		return itoa(n)
	}},
	{"go-lambdas", "Lambda functions on provided.al2023 (the Go bootstraps lake/golambda builds)", func(t *testing.T) string {
		n := 0
		for _, f := range resolved(t, sandbox).All("AWS::Lambda::Function") {
			if f.Properties["Runtime"] == "provided.al2023" {
				n++
			}
		}
		return itoa(n)
	}},
	{"state-machines", "state machines of the app", func(t *testing.T) string {
		return itoa(len(resolved(t, sandbox).All("AWS::StepFunctions::StateMachine")))
	}},
	{"ml-state-machines", "state machines of the ML stack", func(t *testing.T) string {
		return itoa(len(resourcesOfType(synthOK(t, sandbox).templates["ML"], "AWS::StepFunctions::StateMachine")))
	}},
	{"workflow-statements", "statements of the ML workflow role's policy", func(t *testing.T) string { return itoa(len(statementsOf(t, "ML", "WorkflowPolicy"))) }},
	{"sagemaker-statements", "statements of the SageMaker execution role's policy", func(t *testing.T) string {
		return itoa(len(statementsOf(t, "ML", "SageMakerExecutionPolicy")))
	}},
	{"ml-star-statements", "statements on resource * of the workflow and SageMaker execution policies", func(t *testing.T) string {
		all, _ := mlStarStatements(t)
		return itoa(all)
	}},
	{"ml-star-conditioned", "of those, statements with a condition", func(t *testing.T) string {
		_, conditioned := mlStarStatements(t)
		return itoa(conditioned)
	}},
	{"sagemaker-event-rules", "StepFunctionsGetEventsForSageMaker* rules the workflow role may put targets on", func(t *testing.T) string {
		n := 0
		for _, s := range statementsOf(t, "ML", "WorkflowPolicy") {
			for _, r := range asSlice(s["Resource"]) {
				if raw, _ := json.Marshal(r); strings.Contains(string(raw), "rule/StepFunctionsGetEventsForSageMaker") {
					n++
				}
			}
		}
		return itoa(n)
	}},
	{"dashboard-metrics", "metrics on the dashboard (searches not counted)", func(t *testing.T) string {
		n := 0
		for _, w := range dashboardWidgets(t) {
			for _, m := range w.Properties.Metrics {
				if _, expr := metricExpression(m); !expr {
					n++
				}
			}
		}
		return itoa(n)
	}},
	{"dashboard-searches", "metric searches on the dashboard", func(t *testing.T) string {
		n := 0
		for _, w := range dashboardWidgets(t) {
			for _, m := range w.Properties.Metrics {
				if expr, ok := metricExpression(m); ok {
					n += strings.Count(expr, "SEARCH(")
				}
			}
		}
		return itoa(n)
	}},
	{"quality-workers", "workers of the data quality evaluation run (statemachines/data-quality.asl.json)", func(t *testing.T) string {
		return fmt.Sprint(qualityMachine(t).States["StartEvaluation"].Parameters["NumberOfWorkers"])
	}},
	{"quality-timeout-minutes", "the data quality evaluation run's timeout (minutes)", func(t *testing.T) string {
		return fmt.Sprint(qualityMachine(t).States["StartEvaluation"].Parameters["Timeout"])
	}},
	{"quality-poll-seconds", "how often the data quality machine reads the run's state (seconds)", func(t *testing.T) string {
		return fmt.Sprint(qualityMachine(t).States["WaitForEvaluation"].Seconds)
	}},
	{"quality-machine-hours", "the data quality machine's timeout (hours)", func(t *testing.T) string {
		return strconv.FormatFloat(qualityMachine(t).TimeoutSeconds/3600, 'f', -1, 64)
	}},
	{"features-retry-hours", "longest wait of train-and-transform for a features run already under way (its ConcurrentRunsExceeded retries)", featuresRetryHours},
	{"detect-retries", "retries of a failing batch by the detector's event source mapping", func(t *testing.T) string {
		for _, m := range resolved(t, sandbox).All("AWS::Lambda::EventSourceMapping") {
			return fmt.Sprint(m.Properties["MaximumRetryAttempts"])
		}
		t.Fatal("no event source mapping")
		return ""
	}},
	{"glue-tables", "Glue tables the Catalog and Curated stacks declare", func(t *testing.T) string {
		tpl := synthOK(t, sandbox).templates
		return itoa(len(resourcesOfType(tpl["Catalog"], "AWS::Glue::Table")) + len(resourcesOfType(tpl["Curated"], "AWS::Glue::Table")))
	}},
	{"iceberg-tables", "Iceberg tables the Curated stack declares", func(t *testing.T) string {
		return itoa(len(resourcesOfType(synthOK(t, sandbox).templates["Curated"], "AWS::Glue::Table")))
	}},
	{"table-optimizers", "Glue table optimizers of the Upkeep stack", func(t *testing.T) string {
		return itoa(len(resourcesOfType(synthOK(t, sandbox).templates["Upkeep"], "AWS::Glue::TableOptimizer")))
	}},
	{"no-table-optimizer-regions", "regions without AWS::Glue::TableOptimizer (curated.NoTableOptimizerRegions)", func(t *testing.T) string {
		return itoa(len(curated.NoTableOptimizerRegions))
	}},
	{"glue-jobs", "Glue jobs of the Catalog stack", func(t *testing.T) string {
		return itoa(len(resourcesOfType(synthOK(t, sandbox).templates["Catalog"], "AWS::Glue::Job")))
	}},
	{"nag-packs", "cdk-nag packs baseline.ApplyCompliance applies", func(t *testing.T) string {
		return itoa(len(regexp.MustCompile(`cdknag\.New\w+Checks\(`).FindAllString(readRepoFile(t, "lake/baseline/compliance.go"), -1)))
	}},

	// The lake's own metrics, by the function whose code writes them.
	{"lake-metrics", "metrics of the DataLake namespace the functions write", func(t *testing.T) string { return itoa(len(writtenMetrics(t, ""))) }},
	{"lake-metrics-transform", "metrics lambdas/transform writes", func(t *testing.T) string { return itoa(len(writtenMetrics(t, "transform"))) }},
	{"lake-metrics-evaluate", "metrics lambdas/evaluate writes", func(t *testing.T) string { return itoa(len(writtenMetrics(t, "evaluate"))) }},
	{"lake-metrics-detect", "metrics lambdas/detect writes", func(t *testing.T) string { return itoa(len(writtenMetrics(t, "detect"))) }},
	{"detector-tests", "alert levels the anomaly detector keeps per device of the schema's numeric fields", func(t *testing.T) string {
		return itoa(anomaly.Tests(len(telemetrygen.NumericFields())))
	}},
	{"detectors", "the anomaly detector's detectors", func(t *testing.T) string { return itoa(len(anomaly.Detectors)) }},
	{"detector-state-bytes", "bytes of state the anomaly detector keeps per device of the schema's numeric fields", func(t *testing.T) string {
		d, err := anomaly.New(anomaly.Config{Fields: telemetrygen.NumericFields()})
		if err != nil {
			t.Fatal(err)
		}
		return thousands(d.StateBytes())
	}},

	// Named queries, from internal/queries.
	{"named-queries", "named queries (internal/queries/*.sql)", func(t *testing.T) string {
		qs, err := queries.All()
		if err != nil {
			t.Fatal(err)
		}
		return itoa(len(qs))
	}},

	// The access test's rows: what TestAccess holds each call to.
	{"access-calls-sandbox", "access test rows, sandbox", func(t *testing.T) string { c, _ := accessCounts(t, sandbox); return itoa(c) }},
	{"access-calls-prod", "access test rows, prod", func(t *testing.T) string { c, _ := accessCounts(t, prod); return itoa(c) }},
	{"access-calls-local", "access test rows, local", func(t *testing.T) string { c, _ := accessCounts(t, local); return itoa(c) }},
	{"access-allowed-sandbox", "access test rows that must be allowed, sandbox", func(t *testing.T) string { _, a := accessCounts(t, sandbox); return itoa(a) }},
	{"access-denied-sandbox", "access test rows that must be denied, sandbox", func(t *testing.T) string {
		c, a := accessCounts(t, sandbox)
		return itoa(c - a)
	}},

	// Regions.
	{"regions", "regions the app supports (SageMaker's built-in XGBoost)", func(t *testing.T) string { return itoa(len(sagemakerimage.Regions())) }},
	{"no-budget-regions", "regions without AWS::Budgets::Budget (ops.NoBudgetRegions)", func(t *testing.T) string { return itoa(len(ops.NoBudgetRegions)) }},
	{"budget-regions", "supported regions with AWS::Budgets::Budget", func(t *testing.T) string {
		return itoa(len(ops.BudgetRegions(sagemakerimage.Regions())))
	}},
	{"no-budget-supported-regions", "supported regions without AWS::Budgets::Budget", func(t *testing.T) string {
		return itoa(len(sagemakerimage.Regions()) - len(ops.BudgetRegions(sagemakerimage.Regions())))
	}},
	{"budget-usd-sandbox", "monthlyBudgetUsd of the sandbox profile", func(t *testing.T) string {
		return strconv.FormatFloat(profileDefaults(t, ProfileSandbox).MonthlyBudgetUsd, 'f', -1, 64)
	}},
	{"budget-usd-prod", "monthlyBudgetUsd of the prod profile", func(t *testing.T) string {
		return strconv.FormatFloat(profileDefaults(t, ProfileProd).MonthlyBudgetUsd, 'f', -1, 64)
	}},
	{"audit-days-sandbox", "auditLogExpiryDays of the sandbox profile", func(t *testing.T) string { return thousands(profileDefaults(t, ProfileSandbox).AuditLogExpiryDays) }},
	{"audit-days-prod", "auditLogExpiryDays of the prod profile", func(t *testing.T) string { return thousands(profileDefaults(t, ProfileProd).AuditLogExpiryDays) }},
	{"tuning-jobs-sandbox", "tuningMaxJobs of the sandbox profile", func(t *testing.T) string { return itoa(profileDefaults(t, ProfileSandbox).TuningMaxJobs) }},
	{"tuning-jobs-prod", "tuningMaxJobs of the prod profile", func(t *testing.T) string { return itoa(profileDefaults(t, ProfileProd).TuningMaxJobs) }},
	{"tuning-parallel-sandbox", "tuningMaxParallelJobs of the sandbox profile", func(t *testing.T) string { return itoa(profileDefaults(t, ProfileSandbox).TuningMaxParallelJobs) }},
	{"tuning-parallel-prod", "tuningMaxParallelJobs of the prod profile", func(t *testing.T) string { return itoa(profileDefaults(t, ProfileProd).TuningMaxParallelJobs) }},
	{"stream-retention-sandbox", "streamRetentionHours of the sandbox profile", func(t *testing.T) string { return itoa(profileDefaults(t, ProfileSandbox).StreamRetentionHours) }},
	{"stream-retention-prod", "streamRetentionHours of the prod profile", func(t *testing.T) string { return itoa(profileDefaults(t, ProfileProd).StreamRetentionHours) }},

	// Event times and the raw table's projection.
	{"earliest-ts", "first accepted event time (schema.EarliestTime)", func(*testing.T) string { return schema.EarliestTime.Format("2006-01-02") }},
	{"latest-ts", "first refused event time after the window (schema.LatestTime)", func(*testing.T) string { return schema.LatestTime.Format("2006-01-02") }},
	{"projection-first-year", "first projected year of raw_telemetry", func(t *testing.T) string { first, _ := projectedYears(t); return itoa(first) }},
	{"projection-last-year", "last projected year of raw_telemetry", func(t *testing.T) string { _, last := projectedYears(t); return itoa(last) }},
	{"projection-years", "projected years of raw_telemetry", func(t *testing.T) string {
		first, last := projectedYears(t)
		return itoa(last - first + 1)
	}},
	{"projection-keys", "year/month/day/hour combinations Athena enumerates without a year predicate", func(t *testing.T) string {
		first, last := projectedYears(t)
		return thousands((last - first + 1) * 12 * 31 * 24)
	}},

	// The local profile, as the emulator is asked to create it (resources
	// behind a false condition left out).
	{"local-roles", "IAM roles of the local profile", localCount("AWS::IAM::Role")},
	{"local-managed-policies", "managed policies of the local profile", localCount("AWS::IAM::ManagedPolicy")},
	{"local-alarms", "alarms of the local profile", localCount("AWS::CloudWatch::Alarm")},
	{"local-event-rules", "EventBridge rules of the local profile", localCount("AWS::Events::Rule")},
	{"local-state-machines", "state machines of the local profile", localCount("AWS::StepFunctions::StateMachine")},
	{"local-glue-tables", "Glue tables of the local profile", localCount("AWS::Glue::Table")},
	{"local-workgroups", "Athena workgroups of the local profile", localCount("AWS::Athena::WorkGroup")},
	{"local-services", "services make local needs from an endpoint (localharness.RequiredServices)", func(*testing.T) string {
		return itoa(len(localharness.RequiredServices))
	}},
}

// Prices the cost counts use (us-east-1 list prices, as docs/deploy.md cites them).
const (
	alarmUsd     = 0.10  // a standard-resolution alarm, a month
	keyUsd       = 1.00  // a customer-managed KMS key, a month
	shardHourUsd = 0.015 // a provisioned Kinesis shard, an hour
	monthHours   = 730
)

func checkDocCounts(t *testing.T) {
	byName := map[string]docCount{}
	for _, c := range docCounts {
		if _, dup := byName[c.name]; dup {
			t.Fatalf("count %s is defined twice", c.name)
		}
		byName[c.name] = c
	}
	values := map[string]string{}
	value := func(c docCount) string {
		if v, ok := values[c.name]; ok {
			return v
		}
		values[c.name] = c.value(t)
		return values[c.name]
	}
	used := map[string]bool{}
	for _, path := range docFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		stale := false
		var out strings.Builder
		last := 0
		for _, m := range countMarker.FindAllStringSubmatchIndex(text, -1) {
			name, written := text[m[2]:m[3]], text[m[4]:m[5]]
			out.WriteString(text[last:m[0]])
			last = m[1]
			where := fmt.Sprintf("%s:%d", rel(path), strings.Count(text[:m[0]], "\n")+1)
			c, ok := byName[name]
			if !ok {
				t.Errorf("%s: marker count:%s counts nothing: add it to docCounts in cdk/docs_counts_test.go or fix its name", where, name)
				out.WriteString(text[m[0]:m[1]])
				continue
			}
			used[name] = true
			want := value(c)
			if written != want {
				stale = true
				if os.Getenv("LAKE_UPDATE_DOCS") != "1" {
					t.Errorf("%s: count:%s says %q, but %s is %s: run make docs", where, name, written, c.what, want)
				}
			}
			out.WriteString("<!-- count:" + name + " -->" + want + "<!-- /count -->")
		}
		out.WriteString(text[last:])
		updated := out.String()
		if stale && os.Getenv("LAKE_UPDATE_DOCS") == "1" {
			if err := os.WriteFile(path, []byte(updated), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range docCounts {
		if !used[c.name] {
			t.Errorf("count %s (%s) is in no document: use it in README.md or docs/*.md, or remove it", c.name, c.what)
		}
	}
}

// TestDocContextKeys: every `-c key=` (and `--context key=`) the documents
// teach names a setting of the app or one of the CDK's own keys, so a
// misspelled key in the docs cannot send a user to a synth that refuses it.
func TestDocContextKeys(t *testing.T) {
	flag := regexp.MustCompile(`(?:^|[\s"'(` + "`" + `])(?:-c|--context)\s+['"]?([A-Za-z@][A-Za-z0-9@:/._-]*?)(?:=|[\s` + "`" + `"')|]|$)`)
	known := knownKeys()
	for k := range docMisspelledKeys {
		if known[k] {
			t.Errorf("docMisspelledKeys: %s is a setting now; pick another misspelling for the example", k)
		}
	}
	found := 0
	for _, path := range docFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			for _, m := range flag.FindAllStringSubmatch(line, -1) {
				found++
				key := m[1]
				if known[key] || cdkOwnKey(key) || docMisspelledKeys[key] != "" {
					continue
				}
				msg := fmt.Sprintf("%s:%d: -c %s is not a setting of the app", rel(path), i+1, key)
				if near := nearestKey(key, known); near != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", near)
				}
				t.Error(msg)
			}
		}
	}
	if found < 10 {
		t.Errorf("only %d context keys found in the documents: did the pattern stop matching?", found)
	}
}

// docMisspelledKeys are keys the documents misspell on purpose, each with
// where and why.
var docMisspelledKeys = map[string]string{
	"rawGlacierDay": "docs/settings.md: the example of synth refusing an unknown key",
}

// docFiles are README.md and docs/*.md.
func docFiles(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join("..", "README.md")}, files...)
}

func rel(path string) string { return strings.TrimPrefix(filepath.ToSlash(path), "../") }

func itoa(n int) string { return strconv.Itoa(n) }

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func usd(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', 2, 64) }

// localCount counts one resource type of the local profile.
func localCount(typ string) func(t *testing.T) string {
	return func(t *testing.T) string { return itoa(len(resolved(t, local).All(typ))) }
}

// profileDefaults is a profile's Config before overrides.
func profileDefaults(t *testing.T, profile string) Config {
	c, err := defaultsFor(profile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func synthOK(t *testing.T, overrides map[string]any) *synthResult {
	r := synth(t, overrides)
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r
}

func readRepoFile(t *testing.T, path string) string {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// alarmIDs are the sandbox's alarms whose logical IDs start with prefix.
// alarmIDs are the sandbox's alarms of stack ("" for every stack) whose
// logical IDs start with prefix.
func alarmIDs(t *testing.T, stack, prefix string) []string {
	var out []string
	r := resolved(t, sandbox)
	for _, sid := range sortedKeys(r.Stacks) {
		if stack != "" && sid != stack {
			continue
		}
		for _, id := range sortedKeys(r.Stacks[sid].Resources) {
			if r.Stacks[sid].Resources[id].Type == "AWS::CloudWatch::Alarm" && strings.HasPrefix(id, prefix) {
				out = append(out, id)
			}
		}
	}
	return out
}

// sandboxIdleUsd is what the sandbox costs a month with no traffic: the
// key, the provisioned shards and the alarms. Everything else bills per
// use or has a free tier (docs/deploy.md's table says which).
func sandboxIdleUsd(t *testing.T) float64 {
	shards := 0.0
	for _, s := range resolved(t, sandbox).All("AWS::Kinesis::Stream") {
		mode, _ := s.Properties["StreamModeDetails"].(map[string]any)
		if mode != nil && mode["StreamMode"] == "ON_DEMAND" {
			t.Fatalf("the sandbox stream is on-demand: the idle cost needs another formula")
		}
		n, ok := s.Properties["ShardCount"].(float64)
		if !ok {
			t.Fatalf("stream %s has no ShardCount", s.LogicalID)
		}
		shards += n
	}
	keys := float64(len(resolved(t, sandbox).All("AWS::KMS::Key")))
	return keys*keyUsd + shards*shardHourUsd*monthHours + float64(len(alarmIDs(t, "", "")))*alarmUsd
}

// failureRules are the sandbox's rules that tell the alarm topic.
func failureRules(t *testing.T) []string {
	r := resolved(t, sandbox)
	topic, err := r.Find("Streaming", "AlarmTopic", "AWS::SNS::Topic")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rule := range r.All("AWS::Events::Rule") {
		for _, target := range asSlice(rule.Properties["Targets"]) {
			if tm, _ := target.(map[string]any); tm["Arn"] == topic.Arn {
				out = append(out, rule.LogicalID)
			}
		}
	}
	return out
}

// statementsOf is the statements of one stack's managed policy, by logical ID prefix.
func statementsOf(t *testing.T, stack, prefix string) []map[string]any {
	return policyStatements(t, synthOK(t, sandbox).templates[stack], prefix)
}

// mlStarStatements counts the statements on resource "*" of the ML
// workflow and SageMaker execution policies, and those with a condition.
func mlStarStatements(t *testing.T) (all, conditioned int) {
	for _, prefix := range []string{"WorkflowPolicy", "SageMakerExecutionPolicy"} {
		for _, s := range statementsOf(t, "ML", prefix) {
			res := asSlice(s["Resource"])
			if len(res) != 1 || res[0] != "*" {
				continue
			}
			all++
			if s["Condition"] != nil {
				conditioned++
			}
		}
	}
	return all, conditioned
}

// writtenMetrics are the DataLake metrics the non-test code of
// lambdas/<fn> names (every function when fn is ""), by constant.
func writtenMetrics(t *testing.T, fn string) []string {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	pattern := filepath.Join(root, "lambdas", "*", "*.go")
	if fn != "" {
		pattern = filepath.Join(root, "lambdas", fn, "*.go")
	}
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	ref := regexp.MustCompile(`layout\.(Metric[A-Z][A-Za-z0-9]*)`)
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(raw), -1) {
			if m[1] != "MetricsNamespace" {
				seen[m[1]] = true
			}
		}
	}
	if len(seen) == 0 {
		t.Fatalf("no layout.Metric* in %s", pattern)
	}
	return sortedKeys(seen)
}

// accessCounts are the access test's rows of one profile and how many of
// them must be allowed. TestAccess holds every row to that decision.
func accessCounts(t *testing.T, overrides map[string]any) (calls, allowed int) {
	env := &accessEnv{r: resolved(t, overrides)}
	rows := accessRows(env)
	if len(env.errs) > 0 {
		t.Fatalf("access rows refer to resources the templates lack:\n%s", strings.Join(env.errs, "\n"))
	}
	for _, row := range rows {
		if row.allow {
			allowed++
		}
	}
	return len(rows), allowed
}

// projectedYears reads the year range of raw_telemetry's partition projection.
func projectedYears(t *testing.T) (first, last int) {
	for id, tbl := range resourcesOfType(synthOK(t, sandbox).templates["Catalog"], "AWS::Glue::Table") {
		input := tbl["Properties"].(map[string]any)["TableInput"].(map[string]any)
		if input["Name"] != layout.RawTelemetryTable {
			continue
		}
		params, _ := input["Parameters"].(map[string]any)
		rng, _ := params["projection.year.range"].(string)
		a, b, ok := strings.Cut(rng, ",")
		first, err1 := strconv.Atoi(strings.TrimSpace(a))
		last, err2 := strconv.Atoi(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("Catalog/%s: projection.year.range %q", id, rng)
		}
		return first, last
	}
	t.Fatalf("no table %s", layout.RawTelemetryTable)
	return 0, 0
}

// aslMachine is the part of a state machine definition the counts read.
type aslMachine struct {
	TimeoutSeconds float64
	States         map[string]struct {
		Parameters map[string]any
		Seconds    float64
	}
}

// qualityMachine is statemachines/data-quality.asl.json.
func qualityMachine(t *testing.T) aslMachine {
	raw, err := statemachines.Raw(statemachines.DataQuality)
	if err != nil {
		t.Fatal(err)
	}
	var def aslMachine
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatal(err)
	}
	return def
}

// featuresRetryHours is how long GenerateDataset of train-and-transform
// retries Glue.ConcurrentRunsExceededException at most: the sum of its
// retry intervals (IntervalSeconds x BackoffRate^n, at most
// MaxDelaySeconds each), in hours with one decimal.
func featuresRetryHours(t *testing.T) string {
	var def struct {
		States map[string]struct {
			Retry []struct {
				ErrorEquals     []string
				IntervalSeconds float64
				MaxAttempts     int
				BackoffRate     float64
				MaxDelaySeconds float64
			}
		}
	}
	raw, err := statemachines.Raw(statemachines.TrainAndTransform)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatal(err)
	}
	for _, r := range def.States["GenerateDataset"].Retry {
		if len(r.ErrorEquals) != 1 || r.ErrorEquals[0] != "Glue.ConcurrentRunsExceededException" {
			continue
		}
		total, delay := 0.0, r.IntervalSeconds
		for i := 0; i < r.MaxAttempts; i++ {
			d := delay
			if r.MaxDelaySeconds > 0 && d > r.MaxDelaySeconds {
				d = r.MaxDelaySeconds
			}
			total += d
			delay *= r.BackoffRate
		}
		return strconv.FormatFloat(total/3600, 'f', 1, 64)
	}
	t.Fatal("GenerateDataset does not retry Glue.ConcurrentRunsExceededException")
	return ""
}

// dashboardWidget is one widget of the dashboard body.
type dashboardWidget struct {
	Type       string
	X, Y       int
	Properties struct {
		Title    string
		Markdown string
		Metrics  [][]any
		Alarms   []string
	}
}

// dashboardWidgets is the sandbox dashboard's widgets in body order.
func dashboardWidgets(t *testing.T) []dashboardWidget {
	boards := resolved(t, sandbox).All("AWS::CloudWatch::Dashboard")
	if len(boards) != 1 {
		t.Fatalf("%d dashboards, want 1", len(boards))
	}
	var body struct{ Widgets []dashboardWidget }
	if err := json.Unmarshal([]byte(fmt.Sprint(boards[0].Properties["DashboardBody"])), &body); err != nil {
		t.Fatal(err)
	}
	return body.Widgets
}

// metricExpression returns a metric entry's math expression, if it is one.
func metricExpression(m []any) (string, bool) {
	if len(m) == 0 {
		return "", false
	}
	opts, ok := m[len(m)-1].(map[string]any)
	if !ok || opts["expression"] == nil {
		return "", false
	}
	return fmt.Sprint(opts["expression"]), true
}

// dashboardTable is docs/operations.md's table of the dashboard: one line
// per widget, under the heading of its row, with the metrics it reads
// (namespace and name, how many of each) or the alarms it shows.
func dashboardTable(t *testing.T) string {
	widgets := dashboardWidgets(t)
	sort.SliceStable(widgets, func(i, j int) bool {
		if widgets[i].Y != widgets[j].Y {
			return widgets[i].Y < widgets[j].Y
		}
		return widgets[i].X < widgets[j].X
	})
	search := regexp.MustCompile(`SEARCH\('\{"([^"]+)"\} MetricName="([^"]+)"`)
	cfg, err := defaultsFor(ProfileSandbox)
	if err != nil {
		t.Fatal(err)
	}
	prefix := layout.Deployment{Project: cfg.Project, Profile: cfg.Profile}.Prefix()
	var b strings.Builder
	b.WriteString("| row | widget | reads |\n|---|---|---|\n")
	row, shown := "", false
	for _, w := range widgets {
		if w.Type == "text" {
			row, shown = strings.TrimSpace(strings.TrimLeft(w.Properties.Markdown, "#")), false
			continue
		}
		var reads []string
		count := map[string]int{}
		for _, m := range w.Properties.Metrics {
			if expr, ok := metricExpression(m); ok {
				for _, s := range search.FindAllStringSubmatch(expr, -1) {
					reads = append(reads, "`"+s[1]+"` "+s[2]+" (a search for the ruleset's name)")
				}
				continue
			}
			name := fmt.Sprintf("`%v` %v", m[0], m[1])
			if count[name] == 0 {
				reads = append(reads, name)
			}
			count[name]++
		}
		for i, r := range reads {
			if n := count[r]; n > 1 {
				reads[i] = fmt.Sprintf("%s (%d series)", r, n)
			}
		}
		if w.Type == "alarm" {
			reads = append(reads, fmt.Sprintf("the state of %d alarms", len(w.Properties.Alarms)))
		}
		label := row
		if shown {
			label = ""
		}
		shown = true
		title := regexp.MustCompile(regexp.QuoteMeta(prefix)+`[\w.-]*`).ReplaceAllStringFunc(w.Properties.Title, func(name string) string {
			return "`<project>-<profile>" + strings.TrimPrefix(name, prefix) + "`"
		})
		fmt.Fprintf(&b, "| %s | %s | %s |\n", label, title, strings.Join(reads, ", "))
	}
	return b.String()
}

// resolvedCache keeps one resolution per profile: counts ask for the same
// templates many times.
var resolvedCache = map[string]*iamsim.Resolved{}

// resolved is resolvedApp, once per profile.
func resolved(t *testing.T, overrides map[string]any) *iamsim.Resolved {
	key, _ := json.Marshal(overrides)
	if r, ok := resolvedCache[string(key)]; ok {
		return r
	}
	r := resolvedApp(t, overrides)
	resolvedCache[string(key)] = r
	return r
}
