// Package statemachines embeds the Amazon States Language definitions of the
// ML workflows and of the data quality run after curate. The *.asl.json files are the source of truth: the stacks
// pass resource names and ARNs through CloudFormation
// DefinitionSubstitutions, which replace every ${Name} placeholder textually.
// Every placeholder sits inside a JSON string, so each file is valid JSON
// (and valid ASL) both before and after substitution.
package statemachines

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

//go:embed *.asl.json
var files embed.FS

const suffix = ".asl.json"

// The state machines this package ships.
const (
	TrainAndTransform = "train-and-transform"
	Tune              = "tune"
	// DataQuality evaluates the curated table's ruleset after a curate run.
	DataQuality = "data-quality"
)

// ML are the ML workflows (the ML stack's machines), in the order they run.
var ML = []string{TrainAndTransform, Tune}

// placeholder matches a CloudFormation DefinitionSubstitutions key reference.
var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// Names lists the embedded state machines by name (file name without
// ".asl.json"), sorted.
func Names() []string {
	entries, err := fs.Glob(files, "*"+suffix)
	if err != nil {
		// The pattern is a constant and valid; Glob only fails on a bad pattern.
		panic(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e, suffix))
	}
	sort.Strings(names)
	return names
}

// Raw returns the definition of the named state machine exactly as stored,
// placeholders included.
func Raw(name string) ([]byte, error) {
	b, err := files.ReadFile(name + suffix)
	if err != nil {
		return nil, fmt.Errorf("statemachines: no state machine %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}

// Placeholders returns the sorted, de-duplicated ${Name} placeholder names in a
// definition.
func Placeholders(def []byte) []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllSubmatch(def, -1) {
		seen[string(m[1])] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Check compares the DefinitionSubstitutions a stack provides with the
// placeholders of the named state machine. It fails naming every placeholder
// without a value (CloudFormation would leave it in the definition verbatim)
// and every provided value without a placeholder (most likely a typo).
func Check(name string, provided map[string]string) error {
	def, err := Raw(name)
	if err != nil {
		return err
	}
	want := Placeholders(def)
	wanted := map[string]bool{}
	var missing, empty []string
	for _, p := range want {
		wanted[p] = true
		v, ok := provided[p]
		switch {
		case !ok:
			missing = append(missing, p)
		case v == "":
			empty = append(empty, p)
		}
	}
	var unused []string
	for k := range provided {
		if !wanted[k] {
			unused = append(unused, k)
		}
	}
	sort.Strings(unused)
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, "no value for placeholder(s) "+strings.Join(missing, ", "))
	}
	if len(empty) > 0 {
		problems = append(problems, "empty value for placeholder(s) "+strings.Join(empty, ", "))
	}
	if len(unused) > 0 {
		problems = append(problems, "value(s) without a placeholder: "+strings.Join(unused, ", "))
	}
	if len(problems) > 0 {
		return fmt.Errorf("statemachines: %s: %s", name, strings.Join(problems, "; "))
	}
	return nil
}
