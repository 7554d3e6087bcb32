package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// logicalIDsFile records every resource's logical ID and type, per profile
// and stack. CloudFormation replaces a resource whose logical ID changes and
// deletes one that disappears: for the types in holdsData that is users'
// data, so an upgrade must never do it by accident. A change that moves or
// renames a construct shows up here as a failing test; making it pass means
// rewriting this file (make logical-ids), which puts the change in front of
// the reviewer in the same commit.
const logicalIDsFile = "testdata/logical-ids.txt"

// holdsData are the types whose replacement or removal loses data.
var holdsData = map[string]bool{
	"AWS::S3::Bucket":      true,
	"AWS::KMS::Key":        true,
	"AWS::Kinesis::Stream": true,
	"AWS::DynamoDB::Table": true,
	"AWS::Logs::LogGroup":  true,
	"AWS::Glue::Database":  true,
	"AWS::Glue::Table":     true,
}

// currentLogicalIDs is "profile stack logicalID type" for every resource of
// the three profiles, sorted.
func currentLogicalIDs(t *testing.T) []string {
	var lines []string
	for _, p := range []struct {
		name string
		ctx  map[string]any
	}{{"sandbox", sandbox}, {"prod", prod}, {"local", local}} {
		r := synth(t, p.ctx)
		if r.err != nil {
			t.Fatalf("%s: %v", p.name, r.err)
		}
		for _, stack := range sortedKeys(r.templates) {
			res := r.templates[stack]["Resources"].(map[string]any)
			for _, id := range sortedKeys(res) {
				typ := res[id].(map[string]any)["Type"].(string)
				if typ == "AWS::CDK::Metadata" {
					continue
				}
				lines = append(lines, fmt.Sprintf("%s %s %s %s", p.name, stack, id, typ))
			}
		}
	}
	sort.Strings(lines)
	return lines
}

func TestLogicalIDsAreRecorded(t *testing.T) {
	current := currentLogicalIDs(t)
	if os.Getenv("LAKE_UPDATE_LOGICAL_IDS") == "1" {
		body := "# profile stack logical-ID type of every resource; rewritten by `make logical-ids`.\n" +
			"# A line that disappears or changes type for a bucket, key, stream, table, log group or\n" +
			"# Glue database/table means CloudFormation would replace or delete it: users' data.\n" +
			strings.Join(current, "\n") + "\n"
		if err := os.WriteFile(filepath.FromSlash(logicalIDsFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d resources to %s", len(current), logicalIDsFile)
		return
	}
	raw, err := os.ReadFile(filepath.FromSlash(logicalIDsFile))
	if err != nil {
		t.Fatalf("%v: run make logical-ids to record the current resources", err)
	}
	recorded := map[string]string{} // "profile stack id" -> type
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 {
			t.Fatalf("%s: bad line %q", logicalIDsFile, line)
		}
		recorded[f[0]+" "+f[1]+" "+f[2]] = f[3]
	}
	now := map[string]string{}
	for _, line := range current {
		f := strings.Fields(line)
		now[f[0]+" "+f[1]+" "+f[2]] = f[3]
	}
	lost, stale := compareLogicalIDs(recorded, now)
	for _, l := range lost {
		t.Errorf("%s: an upgrade would lose the data it holds. Keep the construct ID and scope, or, if losing it is intended, say so in the commit and run make logical-ids", l)
	}
	if len(stale) > 0 {
		t.Errorf("%s is out of date (run make logical-ids and commit it with this change):\n\t%s", logicalIDsFile, strings.Join(stale, "\n\t"))
	}
}

// compareLogicalIDs returns the recorded data-holding resources that are gone
// or changed type (lost), and every other difference (stale).
func compareLogicalIDs(recorded, now map[string]string) (lost, stale []string) {
	for _, key := range sortedKeys(recorded) {
		typ := recorded[key]
		got, ok := now[key]
		switch {
		case ok && got == typ:
			continue
		case holdsData[typ]:
			what := "removed (CloudFormation deletes it, or replaces it if it moved)"
			if ok {
				what = "changed type to " + got + " (CloudFormation replaces it)"
			}
			lost = append(lost, fmt.Sprintf("%s (%s) is %s", key, typ, what))
		default:
			stale = append(stale, "gone: "+key+" "+typ)
		}
	}
	for _, key := range sortedKeys(now) {
		if _, ok := recorded[key]; !ok {
			stale = append(stale, "new: "+key+" "+now[key])
		}
	}
	return lost, stale
}

func TestCompareLogicalIDs(t *testing.T) {
	recorded := map[string]string{
		"sandbox Storage RawBucketA": "AWS::S3::Bucket", "sandbox Storage AlarmA": "AWS::CloudWatch::Alarm",
		"sandbox ML RegistryA": "AWS::DynamoDB::Table", "sandbox ML TopicA": "AWS::SNS::Topic",
	}
	now := map[string]string{
		"sandbox Storage RawBucketB": "AWS::S3::Bucket", // renamed: the old bucket would be replaced
		"sandbox ML RegistryA":       "AWS::DynamoDB::GlobalTable",
		"sandbox ML TopicA":          "AWS::SNS::Topic",
	}
	lost, stale := compareLogicalIDs(recorded, now)
	if len(lost) != 2 || !strings.Contains(lost[0], "RegistryA") || !strings.Contains(lost[1], "RawBucketA") {
		t.Errorf("lost %q", lost)
	}
	if len(stale) != 2 || !strings.Contains(stale[0], "AlarmA") || !strings.Contains(stale[1], "new: sandbox Storage RawBucketB") {
		t.Errorf("stale %q", stale)
	}
	if lost, stale := compareLogicalIDs(now, now); len(lost)+len(stale) != 0 {
		t.Errorf("identical sets differ: %q %q", lost, stale)
	}
}

// retiredLogicalIDsFile lists data-holding resources removed on purpose,
// with the reason in its comments: the record of a removal the
// logical-ID record itself forgets once it is rewritten.
const retiredLogicalIDsFile = "testdata/logical-ids-retired.txt"

// A retired logical ID must not come back: CloudFormation would create an
// empty resource where users may expect their old one.
func TestRetiredLogicalIDsStayRetired(t *testing.T) {
	raw, err := os.ReadFile(filepath.FromSlash(retiredLogicalIDsFile))
	if err != nil {
		t.Fatal(err)
	}
	now := map[string]bool{}
	for _, line := range currentLogicalIDs(t) {
		f := strings.Fields(line)
		now[f[0]+" "+f[1]+" "+f[2]] = true
	}
	n := 0
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 || !holdsData[f[3]] {
			t.Fatalf("%s: %q is not 'profile stack logical-ID type' of a data-holding type", retiredLogicalIDsFile, line)
		}
		n++
		if now[f[0]+" "+f[1]+" "+f[2]] {
			t.Errorf("%s is retired (%s) but in the templates again", line, retiredLogicalIDsFile)
		}
	}
	if n == 0 {
		t.Errorf("%s lists nothing", retiredLogicalIDsFile)
	}
}
