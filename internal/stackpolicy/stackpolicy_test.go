package stackpolicy

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestPolicyDeniesReplacingData(t *testing.T) {
	tpl := map[string]any{"Resources": map[string]any{
		"RawBucket1":   map[string]any{"Type": "AWS::S3::Bucket"},
		"LakeKey1":     map[string]any{"Type": "AWS::KMS::Key"},
		"Alarm1":       map[string]any{"Type": "AWS::CloudWatch::Alarm"},
		"Registry1":    map[string]any{"Type": "AWS::DynamoDB::Table"},
		"Telemetry1":   map[string]any{"Type": "AWS::Kinesis::Stream"},
		"BucketPolicy": map[string]any{"Type": "AWS::S3::BucketPolicy"},
		// An Iceberg table's catalog entry points at its metadata; a Hive-style one is a definition.
		"Curated": map[string]any{"Type": "AWS::Glue::Table", "Properties": map[string]any{"OpenTableFormatInput": map[string]any{"IcebergInput": map[string]any{}}}},
		"Raw":     map[string]any{"Type": "AWS::Glue::Table", "Properties": map[string]any{"TableInput": map[string]any{}}},
	}}
	raw, err := Policy(tpl)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Effect   string
			Action   any
			Resource any
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 2 || doc.Statement[0].Effect != "Allow" || doc.Statement[1].Effect != "Deny" {
		t.Fatalf("statements %+v", doc.Statement)
	}
	want := []any{"LogicalResourceId/Curated", "LogicalResourceId/LakeKey1", "LogicalResourceId/RawBucket1", "LogicalResourceId/Registry1", "LogicalResourceId/Telemetry1"}
	if !reflect.DeepEqual(doc.Statement[1].Resource, want) {
		t.Errorf("denied %v, want %v", doc.Statement[1].Resource, want)
	}
	if !reflect.DeepEqual(doc.Statement[1].Action, []any{"Update:Replace", "Update:Delete"}) {
		t.Errorf("denied actions %v", doc.Statement[1].Action)
	}
}

func TestNoPolicyWithoutData(t *testing.T) {
	raw, err := Policy(map[string]any{"Resources": map[string]any{"A": map[string]any{"Type": "AWS::SNS::Topic"}}})
	if err != nil || raw != nil {
		t.Fatalf("Policy = %s, %v; want nil", raw, err)
	}
}
