package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// A stack pinned with -c account= -c region= carries its region in the
// assembly: the policy goes to that region, not the credentials' default.
func TestPinnedRegionComesFromTheAssembly(t *testing.T) {
	for env, want := range map[string]string{
		"aws://123456789012/eu-central-1":      "eu-central-1",
		"aws://unknown-account/unknown-region": "",
		"":                                     "",
		"aws://123456789012":                   "",
	} {
		if got := pinnedRegion(env); got != want {
			t.Errorf("pinnedRegion(%q) = %q, want %q", env, got, want)
		}
	}
	dir := t.TempDir()
	manifest := map[string]any{"artifacts": map[string]any{
		"Storage": map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://123456789012/ap-south-1",
			"properties": map[string]any{"templateFile": "Storage.template.json", "stackName": "datalake-prod-storage"}},
		"Ops": map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
			"properties": map[string]any{"templateFile": "Ops.template.json", "stackName": "datalake-prod-ops"}},
	}}
	raw, _ := json.Marshal(manifest)
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Storage.template.json", "Ops.template.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(`{"Resources":{}}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stacks, err := readAssembly(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range stacks {
		got[s.name] = s.region
	}
	if got["datalake-prod-storage"] != "ap-south-1" || got["datalake-prod-ops"] != "" {
		t.Errorf("regions %v", got)
	}
}
