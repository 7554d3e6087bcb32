package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/refdatalake/datalake/internal/iamsim"
	"github.com/refdatalake/datalake/lake/layout"
)

// resolvedApp synthesizes a profile and resolves its templates in the test
// account and region.
func resolvedApp(t *testing.T, overrides map[string]any) *iamsim.Resolved {
	t.Helper()
	r := synth(t, overrides)
	if r.err != nil {
		t.Fatal(r.err)
	}
	var stacks []iamsim.Stack
	for _, id := range sortedKeys(r.templates) {
		stacks = append(stacks, iamsim.Stack{ID: id, Name: r.names[id], Template: r.templates[id]})
	}
	resolved, err := iamsim.Resolve(iamsim.Deployment{Account: testAccount, Region: testRegion, Partition: "aws"}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	return resolved
}

// emitters says which function writes each of the lake's own metrics: the
// logical ID prefix of the function and the package whose code writes it.
var emitters = map[string]struct{ function, pkg, constant string }{
	layout.MetricTransformOk:            {"TransformFunction", "lambdas/transform", "MetricTransformOk"},
	layout.MetricTransformFailed:        {"TransformFunction", "lambdas/transform", "MetricTransformFailed"},
	layout.MetricModelAuc:               {"EvaluateFunction", "lambdas/evaluate", "MetricModelAuc"},
	layout.MetricModelF1:                {"EvaluateFunction", "lambdas/evaluate", "MetricModelF1"},
	layout.MetricModelRmse:              {"EvaluateFunction", "lambdas/evaluate", "MetricModelRmse"},
	layout.MetricDetectReadings:         {"DetectFunction", "lambdas/detect", "MetricDetectReadings"},
	layout.MetricDetectSkipped:          {"DetectFunction", "lambdas/detect", "MetricDetectSkipped"},
	layout.MetricDetectAnomalies:        {"DetectFunction", "lambdas/detect", "MetricDetectAnomalies"},
	layout.MetricDetectBatchFailures:    {"DetectFunction", "lambdas/detect", "MetricDetectBatchFailures"},
	layout.MetricDetectCheckpointErrors: {"DetectFunction", "lambdas/detect", "MetricDetectCheckpointErrors"},
}

// Every metric on the dashboard names, in its dimensions, a resource this
// app creates (with the settings that make it publish the metric), and
// every metric of the lake's own namespace is written by the function it
// is dimensioned by. A widget that reads something the app does not make
// shows an empty graph forever; this test is what catches it.
func TestDashboardWidgetsReferToTheApp(t *testing.T) {
	for _, profile := range []map[string]any{sandbox, prod} {
		t.Run(fmt.Sprint(profile["profile"]), func(t *testing.T) {
			checkDashboard(t, resolvedApp(t, profile))
		})
	}
}

func checkDashboard(t *testing.T, r *iamsim.Resolved) {
	refs := func(typ string) map[string]*iamsim.Resource {
		out := map[string]*iamsim.Resource{}
		for _, res := range r.All(typ) {
			out[res.Ref] = res
		}
		return out
	}
	streams, deliveries, functions := refs("AWS::Kinesis::Stream"), refs("AWS::KinesisFirehose::DeliveryStream"), refs("AWS::Lambda::Function")
	jobs, rules, workgroups, machines := refs("AWS::Glue::Job"), refs("AWS::Events::Rule"), refs("AWS::Athena::WorkGroup"), refs("AWS::StepFunctions::StateMachine")
	queues := map[string]bool{}
	for _, q := range r.All("AWS::SQS::Queue") {
		queues[q.Arn[strings.LastIndex(q.Arn, ":")+1:]] = true
	}
	alarms := map[string]bool{}
	for _, a := range r.All("AWS::CloudWatch::Alarm") {
		alarms[a.Arn] = true
	}
	rulesets := map[string]bool{}
	for _, rs := range r.All("AWS::Glue::DataQualityRuleset") {
		rulesets[fmt.Sprint(rs.Properties["Name"])] = true
	}
	in := func(set map[string]*iamsim.Resource) func(string) error {
		return func(v string) error {
			if set[v] == nil {
				return fmt.Errorf("%q is none of the app's %d", v, len(set))
			}
			return nil
		}
	}
	fixed := func(want string) func(string) error {
		return func(v string) error {
			if v != want {
				return fmt.Errorf("%q, want %q", v, want)
			}
			return nil
		}
	}
	oneOf := func(vals ...string) func(string) error {
		return func(v string) error {
			for _, w := range vals {
				if v == w {
					return nil
				}
			}
			return fmt.Errorf("%q is none of %v", v, vals)
		}
	}
	// The documented dimensions of each namespace (lake/ops/dashboard.go cites them).
	dims := map[string]map[string]func(string) error{
		"AWS/Kinesis":  {"StreamName": in(streams)},
		"AWS/Firehose": {"DeliveryStreamName": in(deliveries)},
		"Glue": {"JobName": func(v string) error {
			job := jobs[v]
			if job == nil {
				return fmt.Errorf("%q is none of the app's jobs", v)
			}
			if args, _ := job.Properties["DefaultArguments"].(map[string]any); args == nil || args["--enable-metrics"] == nil {
				return fmt.Errorf("job %s does not set --enable-metrics", v)
			}
			return nil
		}, "JobRunId": fixed("ALL"), "Type": fixed("count")},
		"AWS/Events": {"RuleName": in(rules)},
		"AWS/Athena": {"WorkGroup": func(v string) error {
			wg := workgroups[v]
			if wg == nil {
				return fmt.Errorf("%q is none of the app's workgroups", v)
			}
			if conf, _ := wg.Properties["WorkGroupConfiguration"].(map[string]any); conf["PublishCloudWatchMetricsEnabled"] != true {
				return fmt.Errorf("workgroup %s does not publish metrics", v)
			}
			return nil
		}, "QueryState": oneOf("SUCCEEDED", "FAILED", "CANCELED"), "QueryType": oneOf("DML")},
		"AWS/States": {"StateMachineArn": in(machines)},
		"AWS/SQS": {"QueueName": func(v string) error {
			return map[bool]error{true: nil, false: fmt.Errorf("%q is none of the app's queues", v)}[queues[v]]
		}},
		layout.MetricsNamespace: {layout.DimensionFunction: in(functions)},
		"AWS/Lambda":            {"FunctionName": in(functions)},
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	boards := r.All("AWS::CloudWatch::Dashboard")
	if len(boards) != 1 {
		t.Fatalf("%d dashboards, want one per deployment", len(boards))
	}
	var body struct {
		Widgets []struct {
			Type       string
			Properties struct {
				Title   string
				Metrics [][]any
				Alarms  []string
			}
		}
	}
	if err := json.Unmarshal([]byte(fmt.Sprint(boards[0].Properties["DashboardBody"])), &body); err != nil {
		t.Fatal(err)
	}
	search := regexp.MustCompile(`SEARCH\('\{"([^"]+)"\} MetricName="([^"]+)" "([^"]+)"'`)
	checked := 0
	for _, w := range body.Widgets {
		for _, a := range w.Properties.Alarms {
			if !alarms[a] {
				t.Errorf("%s: alarm %s is none of the app's", w.Properties.Title, a)
			}
			checked++
		}
		for _, m := range w.Properties.Metrics {
			checked++
			if opts, ok := m[len(m)-1].(map[string]any); ok && opts["expression"] != nil {
				expr := fmt.Sprint(opts["expression"])
				if s := search.FindStringSubmatch(expr); s != nil {
					if s[1] != "Glue Data Quality" || !strings.HasPrefix(s[2], "glue.data.quality.rules.") || !rulesets[s[3]] {
						t.Errorf("%s: search %s reads no ruleset of the app", w.Properties.Title, expr)
					}
				} else if strings.Contains(expr, "SEARCH") {
					t.Errorf("%s: unchecked search %s", w.Properties.Title, expr)
				}
				continue
			}
			var parts []string
			for _, p := range m {
				if s, ok := p.(string); ok {
					parts = append(parts, s)
				}
			}
			if len(parts) < 4 || len(parts)%2 != 0 {
				t.Errorf("%s: metric %v has no dimensions", w.Properties.Title, m)
				continue
			}
			ns, name := parts[0], parts[1]
			known, ok := dims[ns]
			if !ok {
				t.Errorf("%s: namespace %s is not one the app publishes to", w.Properties.Title, ns)
				continue
			}
			seen := map[string]bool{}
			for i := 2; i < len(parts); i += 2 {
				check, ok := known[parts[i]]
				if !ok {
					t.Errorf("%s: %s %s has dimension %s, not one of %s's", w.Properties.Title, ns, name, parts[i], ns)
					continue
				}
				seen[parts[i]] = true
				if err := check(parts[i+1]); err != nil {
					t.Errorf("%s: %s %s %s: %v", w.Properties.Title, ns, name, parts[i], err)
				}
			}
			if len(seen) != len(known) {
				t.Errorf("%s: %s %s has dimensions %v; CloudWatch matches the whole set %v", w.Properties.Title, ns, name, seen, known)
			}
			if ns == layout.MetricsNamespace {
				e, ok := emitters[name]
				fn := functions[parts[3]]
				if !ok || fn == nil || !strings.HasPrefix(fn.LogicalID, e.function) {
					t.Errorf("%s: %s is not written by function %s", w.Properties.Title, name, parts[3])
					continue
				}
				if !sourceMentions(t, filepath.Join(root, e.pkg), "layout."+e.constant) {
					t.Errorf("%s: %s never writes layout.%s", w.Properties.Title, e.pkg, e.constant)
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d metrics and alarms checked: did the body's format change?", checked)
	}
}

// sourceMentions reports whether a non-test Go file of dir contains s.
func sourceMentions(t *testing.T, dir, s string) bool {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), s) {
			return true
		}
	}
	return false
}
