package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/refdatalake/datalake/internal/stackpolicy"
)

// retainable lists the resource types that may outlive their stack
// (DeletionPolicy Retain) and why: each holds data a user would lose.
// Everything else is a definition the templates can recreate, so it goes
// with the stack.
var retainable = map[string]string{
	"AWS::S3::Bucket":      "the lake's data, access logs",
	"AWS::KMS::Key":        "without it nothing encrypted with it can be read again",
	"AWS::Kinesis::Stream": "records not yet delivered, replayable for the retention period",
	"AWS::DynamoDB::Table": "the model registry: which model was trained on what, with its metrics",
	"AWS::Logs::LogGroup":  "audit and debugging history (flow logs, function, delivery and workflow logs)",
	"AWS::Logs::LogStream": "a stream of a retained log group (Firehose's delivery errors)",
}

// nameProperty is the property that fixes a physical name, per type the
// templates use with Retain or with a fixed name.
var nameProperty = map[string]string{
	"AWS::S3::Bucket":                  "BucketName",
	"AWS::KMS::Key":                    "", // keys have no name; aliases are deleted with the stack
	"AWS::Kinesis::Stream":             "Name",
	"AWS::DynamoDB::Table":             "TableName",
	"AWS::Logs::LogGroup":              "LogGroupName",
	"AWS::Logs::LogStream":             "LogStreamName",
	"AWS::StepFunctions::StateMachine": "StateMachineName",
	"AWS::Glue::SecurityConfiguration": "Name",
	"AWS::Glue::DataQualityRuleset":    "Name",
}

// TestDestroyThenDeployAgain checks what `make destroy` leaves behind: a
// retained resource with a fixed name would make the next `make deploy` fail
// with AlreadyExists. CloudFormation's delete honours Retain, so this is
// settled on the templates, for the profiles that retain (sandbox, prod).
func TestDestroyThenDeployAgain(t *testing.T) {
	for _, p := range []struct {
		name string
		ctx  map[string]any
	}{{"sandbox", sandbox}, {"prod", prod}} {
		r := synth(t, p.ctx)
		if r.err != nil {
			t.Fatal(r.err)
		}
		retained := 0
		for _, stack := range sortedKeys(r.templates) {
			resources := r.templates[stack]["Resources"].(map[string]any)
			for _, id := range sortedKeys(resources) {
				res := resources[id].(map[string]any)
				policy, _ := res["DeletionPolicy"].(string)
				if policy != "Retain" && policy != "RetainExceptOnCreate" && policy != "Snapshot" {
					continue
				}
				retained++
				typ := res["Type"].(string)
				where := p.name + " " + stack + "/" + id + " (" + typ + ")"
				if _, ok := retainable[typ]; !ok {
					t.Errorf("%s is retained but holds no data: give it RemovalPolicy DESTROY, or add its type to retainable with the data it holds", where)
					continue
				}
				props, _ := res["Properties"].(map[string]any)
				prop := nameProperty[typ]
				name, fixed := props[prop]
				if prop == "" || !fixed {
					continue // CloudFormation generates the name: a new one on every create
				}
				if typ == "AWS::Logs::LogStream" {
					// A stream's name is scoped by its group; fine when the group's name is generated.
					if group, ok := props["LogGroupName"].(map[string]any); ok && group["Ref"] != nil {
						if g, ok := resources[group["Ref"].(string)].(map[string]any); ok {
							if gp, _ := g["Properties"].(map[string]any); gp["LogGroupName"] == nil {
								continue
							}
						}
					}
				}
				raw, _ := json.Marshal(name)
				if strings.Contains(string(raw), "AWS::StackId") {
					continue // the name carries the stack's own id: new on every create
				}
				t.Errorf("%s is retained with the fixed name %s: after `make destroy` the next deploy fails with AlreadyExists; let CloudFormation name it, put the stack id in the name, or do not retain it", where, raw)
			}
		}
		if retained == 0 {
			t.Errorf("%s retains nothing: the data buckets at least must be retained", p.name)
		}
	}
}

// cdkHash is the suffix CDK gives the logical IDs of nested constructs.
var cdkHash = regexp.MustCompile(`[0-9A-F]{8}$`)

// TestProdStackPoliciesProtectData checks that the stack policies `make
// deploy PROFILE=prod` applies cover the lake's data: both buckets' worth of
// zones, the key, the stream and the registry.
func TestProdStackPoliciesProtectData(t *testing.T) {
	r := synth(t, prod)
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := map[string][]string{
		"Storage":   {"AccessLogsBucket", "AnalyticsBucket", "AuditBucket", "CuratedBucket", "LakeKey", "RawBucket"},
		"Curated":   {"CuratedTelemetryIcebergTable", "TrainingFeaturesIcebergTable"},
		"Streaming": {"TelemetryStream"},
		"ML":        {"ModelRegistry"},
	}
	for _, stack := range sortedKeys(r.templates) {
		ids := stackpolicy.Protected(r.templates[stack])
		var got []string
		for _, id := range ids {
			got = append(got, cdkHash.ReplaceAllString(id, "")) // drop CDK's hash suffix
		}
		if strings.Join(got, ",") != strings.Join(want[stack], ",") {
			t.Errorf("%s: the stack policy protects %v, want %v", stack, got, want[stack])
		}
		policy, err := stackpolicy.Policy(r.templates[stack])
		if err != nil || (len(ids) > 0) != (policy != nil) {
			t.Errorf("%s: policy %s, %v", stack, policy, err)
		}
	}
}
