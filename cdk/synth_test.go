package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/lambdabuild"
)

// Every synth crosses into Node through jsii and costs seconds, so each
// distinct context is synthesized once per test binary and shared.

// synthResult is one synthesized app.
type synthResult struct {
	templates map[string]map[string]any // stack id -> template
	names     map[string]string         // stack id -> CloudFormation stack name
	findings  []string                  // error and warning annotations (nag findings among them)
	err       error                     // configuration error from build
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthResult{}
	synthDirs  []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	for _, d := range synthDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// cdkContext is the "context" block of cdk.json: the same feature flags the CLI passes.
func cdkContext(t testing.TB) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse cdk.json: %v", err)
	}
	return doc.Context
}

// synth synthesizes the app with cdk.json's context plus overrides, once per
// distinct set of overrides.
func synth(t testing.TB, overrides map[string]any) *synthResult {
	t.Helper()
	keyBytes, _ := json.Marshal(overrides) // map keys marshal sorted: a stable cache key
	synthMu.Lock()
	defer synthMu.Unlock()
	if r, ok := synthCache[string(keyBytes)]; ok {
		return r
	}
	ctx := cdkContext(t)
	for k, v := range overrides {
		ctx[k] = v
	}
	// The cache outlives the test that fills it, so its folders are removed by TestMain.
	outdir, err := os.MkdirTemp("", "lake-synth-")
	if err != nil {
		t.Fatal(err)
	}
	synthDirs = append(synthDirs, outdir)
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: &outdir})
	r := &synthResult{templates: map[string]map[string]any{}, names: map[string]string{}}
	if r.err = build(app); r.err == nil {
		synthApp(t, app, outdir, r)
	}
	synthCache[string(keyBytes)] = r
	return r
}

// synthApp synthesizes app and records templates and findings. Error
// annotations make Synth fail validation; their text is read back from the
// validation report.
func synthApp(t testing.TB, app awscdk.App, outdir string, r *synthResult) {
	t.Helper()
	var failed any
	func() {
		defer func() { failed = recover() }()
		asm := app.Synth(nil)
		for _, st := range *asm.Stacks() {
			tpl, _ := json.Marshal(st.Template())
			var m map[string]any
			if err := json.Unmarshal(tpl, &m); err != nil {
				t.Fatalf("template %s: %v", *st.StackName(), err)
			}
			r.templates[*st.Id()] = m
			r.names[*st.Id()] = *st.StackName()
			for _, msg := range *st.Messages() {
				level := string(msg.Level)
				if level == "error" || level == "warning" {
					r.findings = append(r.findings, fmt.Sprintf("%s %s: %v", level, *msg.Id, msg.Entry.Data))
				}
			}
		}
	}()
	// The report also carries warnings of CloudFormation's own template
	// validation when synth succeeds; those count as findings too.
	report, err := os.ReadFile(filepath.Join(outdir, "validation-report.json"))
	if err != nil {
		if failed != nil {
			t.Fatalf("synth failed without a validation report: %v", failed)
		}
		return
	}
	var doc struct {
		PluginReports []struct {
			Violations []struct {
				Description string `json:"description"`
				Severity    string `json:"severity"`
				Constructs  []struct {
					Path string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if err := json.Unmarshal(report, &doc); err != nil {
		t.Fatalf("parse validation report: %v", err)
	}
	for _, p := range doc.PluginReports {
		for _, v := range p.Violations {
			for _, c := range v.Constructs {
				r.findings = append(r.findings, fmt.Sprintf("%s %s: %s", v.Severity, c.Path, firstLine(v.Description)))
			}
		}
	}
	if failed != nil && len(r.findings) == 0 {
		r.findings = append(r.findings, fmt.Sprintf("synth failed: %v", failed))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// profileTemplate returns a stack's template of a cleanly synthesized profile.
func profileTemplate(t *testing.T, overrides map[string]any, stack string) assertions.Template {
	t.Helper()
	r := synth(t, overrides)
	if r.err != nil {
		t.Fatalf("synth %v: %v", overrides, r.err)
	}
	m, ok := r.templates[stack]
	if !ok {
		t.Fatalf("synth %v: no stack %q", overrides, stack)
	}
	return assertions.Template_FromJSON(&m, nil)
}

// check runs an assertions call, turning its panic into a test failure.
func check(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}

// newThrowawayApp is an app with cdk.json's context that is not the lake.
func newThrowawayApp(t *testing.T) (awscdk.App, string) {
	ctx := cdkContext(t)
	outdir := t.TempDir()
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: &outdir}), outdir
}

// resourcesOfType returns logical ID -> resource for one type, sorted by ID.
func resourcesOfType(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// moduleRoot is the repository root, wherever the tests run from.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return lambdabuild.ModuleRoot(wd)
}
