// Package stackpolicy writes the CloudFormation stack policies that keep a
// stack update from replacing or deleting the resources that hold a lake's
// data. CloudFormation evaluates a stack policy on every update: a change
// set that would replace a protected bucket, key, stream or table fails
// instead of swapping it for an empty one. The CDK cannot set stack
// policies, so they are applied with the SetStackPolicy API after a deploy.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/protect-stack-resources.html
package stackpolicy

import (
	"encoding/json"
	"fmt"
	"sort"
)

// DataTypes are the resource types that hold data a replacement would lose.
var DataTypes = map[string]string{
	"AWS::S3::Bucket":      "objects",
	"AWS::KMS::Key":        "the only key that decrypts everything encrypted with it",
	"AWS::Kinesis::Stream": "records not yet delivered",
	"AWS::DynamoDB::Table": "the model registry",
}

// Protected lists the logical IDs of template's data-holding resources, sorted:
// those of DataTypes, and the Glue tables that are Iceberg tables (their
// catalog entry is the pointer to the table's current metadata; a Hive-style
// table's entry is a definition the template recreates).
func Protected(template map[string]any) []string {
	res, _ := template["Resources"].(map[string]any)
	var ids []string
	for id, r := range res {
		m, _ := r.(map[string]any)
		if _, ok := DataTypes[fmt.Sprint(m["Type"])]; ok {
			ids = append(ids, id)
			continue
		}
		props, _ := m["Properties"].(map[string]any)
		if m["Type"] == "AWS::Glue::Table" && props["OpenTableFormatInput"] != nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Policy is the stack policy for template: every update is allowed except
// replacing or deleting a data-holding resource. It returns nil when the
// stack holds none. An intended replacement needs an explicit override for
// that one update (--stack-policy-during-update-body).
func Policy(template map[string]any) ([]byte, error) {
	ids := Protected(template)
	if len(ids) == 0 {
		return nil, nil
	}
	resources := make([]string, len(ids))
	for i, id := range ids {
		resources[i] = "LogicalResourceId/" + id
	}
	doc := map[string]any{"Statement": []any{
		map[string]any{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
		map[string]any{
			"Effect": "Deny", "Action": []string{"Update:Replace", "Update:Delete"}, "Principal": "*",
			"Resource": resources,
		},
	}}
	return json.MarshalIndent(doc, "", "  ")
}
