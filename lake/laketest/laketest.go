// Package laketest synthesizes the lake's stacks in tests: an app with the
// feature flags of the repository's cdk.json, the compliance packs applied,
// and the templates and findings read back. Each lake package uses it to
// check that its stack, synthesized alone, passes the packs.
package laketest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/lambdabuild"
	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
	"github.com/refdatalake/datalake/lake/storage"
)

// NewApp is an app with cdk.json's context (the same feature flags the CLI
// passes) writing into a temporary folder.
func NewApp(t testing.TB) awscdk.App {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := lambdabuild.ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	outdir := t.TempDir()
	return awscdk.NewApp(&awscdk.AppProps{Context: &doc.Context, Outdir: &outdir})
}

// Lake is an app with the storage stack most lake stacks take their key
// and buckets from, for a test deployment "lib-test".
func Lake(t testing.TB) (awscdk.App, layout.Deployment, *storage.Stack) {
	t.Helper()
	app := NewApp(t)
	d := layout.Deployment{Project: "lib", Profile: "test"}
	return app, d, storage.NewStack(app, "Storage", &storage.Props{Deployment: d})
}

// Result is one synthesized app.
type Result struct {
	// Templates by stack ID.
	Templates map[string]map[string]any
	// Findings are error and warning annotations: every unsuppressed finding
	// of the packs, and CDK's own warnings.
	Findings []string
}

// SynthCompliant applies the compliance packs to app, synthesizes it and
// returns its templates and findings.
func SynthCompliant(t testing.TB, app awscdk.App) Result {
	t.Helper()
	baseline.ApplyCompliance(app)
	r := Result{Templates: map[string]map[string]any{}}
	var failed any
	func() {
		defer func() { failed = recover() }()
		asm := app.Synth(nil)
		for _, st := range *asm.Stacks() {
			body, _ := json.Marshal(st.Template())
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("template %s: %v", *st.StackName(), err)
			}
			r.Templates[*st.Id()] = m
			for _, msg := range *st.Messages() {
				if level := string(msg.Level); level == "error" || level == "warning" {
					r.Findings = append(r.Findings, fmt.Sprintf("%s %s: %v", level, *msg.Id, msg.Entry.Data))
				}
			}
		}
	}()
	if failed != nil {
		// Error annotations make synth fail validation: the report says which.
		r.Findings = append(r.Findings, reportFindings(filepath.Join(*app.Outdir(), "validation-report.json"))...)
		if len(r.Findings) == 0 {
			r.Findings = append(r.Findings, fmt.Sprintf("synth failed: %v", failed))
		}
	}
	return r
}

// reportFindings reads the violations of a validation report, one line each.
func reportFindings(path string) []string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var doc struct {
		PluginReports []struct {
			Violations []struct {
				Description string `json:"description"`
				Constructs  []struct {
					Path string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	var out []string
	for _, p := range doc.PluginReports {
		for _, v := range p.Violations {
			line, _, _ := strings.Cut(strings.TrimSpace(v.Description), "\n")
			for _, c := range v.Constructs {
				out = append(out, c.Path+": "+line)
			}
		}
	}
	return out
}

// Count returns how many resources of typ a template has.
func Count(template map[string]any, typ string) int {
	n := 0
	res, _ := template["Resources"].(map[string]any)
	for _, r := range res {
		if m, _ := r.(map[string]any); m["Type"] == typ {
			n++
		}
	}
	return n
}

// Close ends the jsii runtime; call it from TestMain after the tests.
func Close() { jsii.Close() }

// Main runs a package's tests and then ends the jsii runtime:
// func TestMain(m *testing.M) { laketest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	Close()
	os.Exit(code)
}
