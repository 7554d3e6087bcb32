package iamsim

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var dep = Deployment{Account: "111122223333", Region: "eu-west-1", Partition: "aws"}

func parse(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Two stacks: Storage exports a bucket and a key, App imports them into a
// role's policy, a topic policy and a conditional resource.
func fixture(t *testing.T) []Stack {
	storage := parse(t, `{
	  "Resources": {
	    "Bucket1": {"Type": "AWS::S3::Bucket"},
	    "BucketPolicy1": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket1"},
	      "PolicyDocument": {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
	        "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket1", "Arn"]}, "/*"]]},
	        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
	    "Key1": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{"Effect": "Allow",
	      "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}, "Action": "kms:*", "Resource": "*"}]}}}
	  },
	  "Outputs": {
	    "B": {"Value": {"Ref": "Bucket1"}, "Export": {"Name": "st:bucket"}},
	    "K": {"Value": {"Fn::GetAtt": ["Key1", "Arn"]}, "Export": {"Name": "st:key"}}
	  }
	}`)
	app := parse(t, `{
	  "Parameters": {"On": {"Type": "String", "Default": "false"}},
	  "Conditions": {"IsOn": {"Fn::Equals": [{"Ref": "On"}, "true"]}},
	  "Resources": {
	    "Role1": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
	      "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
	      "ManagedPolicyArns": [{"Ref": "Policy1"}]}},
	    "Policy1": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Statement": [
	      {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Join": ["", ["arn:aws:s3:::", {"Fn::ImportValue": "st:bucket"}, "/data/*"]]}},
	      {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": {"Fn::ImportValue": "st:key"}}]}}},
	    "Topic1": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::If": ["IsOn", "on", "off"]}}},
	    "Skipped": {"Type": "AWS::SNS::Topic", "Condition": "IsOn"}
	  }
	}`)
	return []Stack{{ID: "Storage", Name: "st", Template: storage}, {ID: "App", Name: "app", Template: app}}
}

func TestResolve(t *testing.T) {
	r, err := Resolve(dep, fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := r.Find("Storage", "Bucket", "AWS::S3::Bucket")
	if err != nil {
		t.Fatal(err)
	}
	if bucket.Name != "st-bucket1-gen" || bucket.Arn != "arn:aws:s3:::st-bucket1-gen" {
		t.Errorf("bucket %q %q", bucket.Name, bucket.Arn)
	}
	topic, _ := r.Find("App", "Topic1", "AWS::SNS::Topic")
	if topic.Arn != "arn:aws:sns:eu-west-1:111122223333:off" {
		t.Errorf("topic ARN %q: Fn::If should take the false branch", topic.Arn)
	}
	if _, err := r.Find("App", "Skipped", ""); err == nil {
		t.Error("a resource whose condition is false was kept")
	}
	p, err := Collect(r)
	if err != nil {
		t.Fatal(err)
	}
	role := p.Roles["arn:aws:iam::111122223333:role/app-Role1-gen"]
	if role == nil || len(role.Identity) != 1 {
		t.Fatalf("role %+v", role)
	}
	doc, _ := json.Marshal(role.Identity[0].Document)
	for _, want := range []string{`"arn:aws:s3:::st-bucket1-gen/data/*"`, `"arn:aws:kms:eu-west-1:111122223333:key/key-key1"`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("policy %s lacks %s", doc, want)
		}
	}
	if pol, ok := p.ResourcePolicy("arn:aws:s3:::st-bucket1-gen/data/x"); !ok || !strings.Contains(pol.Name, "BucketPolicy1") {
		t.Errorf("object's resource policy %+v %v", pol, ok)
	}
	if pol, ok := p.ResourcePolicy(topic.Arn); !ok || !strings.HasPrefix(pol.Name, "SNS default policy") {
		t.Errorf("a topic without a policy should get SNS's default: %+v", pol)
	}
}

func TestResolveRefusesWhatItCannotResolve(t *testing.T) {
	stacks := []Stack{{ID: "A", Name: "a", Template: parse(t, `{"Resources": {"X": {"Type": "AWS::SNS::Topic",
	  "Properties": {"TopicName": {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}}}}}`)}}
	if _, err := Resolve(dep, stacks); err == nil || !strings.Contains(err.Error(), "Fn::Cidr") {
		t.Errorf("err = %v, want one naming Fn::Cidr", err)
	}
	stacks = []Stack{{ID: "A", Name: "a", Template: parse(t, `{"Resources": {"X": {"Type": "AWS::SNS::Topic",
	  "Properties": {"TopicName": {"Fn::ImportValue": "nobody:exports-this"}}}}}`)}}
	if _, err := Resolve(dep, stacks); err == nil || !strings.Contains(err.Error(), "nobody:exports-this") {
		t.Errorf("err = %v, want one naming the missing export", err)
	}
}

// The evaluator decides with the key policy, the bucket policy and the
// role's identity policy together.
func TestEvaluate(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	sim, err := NewSimulator(root)
	if errors.Is(err, ErrNoEvaluator) {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(dep, fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Collect(r)
	if err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::111122223333:role/app-Role1-gen"
	key := "arn:aws:kms:eu-west-1:111122223333:key/key-key1"
	tls := map[string]any{"aws:SecureTransport": "true"}
	cases := []struct {
		req  Request
		want bool
	}{
		{Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::st-bucket1-gen/data/a", Context: tls}, true},
		{Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::st-bucket1-gen/other/a", Context: tls}, false},
		{Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::st-bucket1-gen/data/a", Context: map[string]any{"aws:SecureTransport": "false"}}, false},
		{Request{Principal: role, Action: "kms:Decrypt", Resource: key, Context: tls}, true},
		{Request{Principal: role, Action: "kms:Encrypt", Resource: key, Context: tls}, false},
		{Request{Principal: "glue.amazonaws.com", Action: "sts:AssumeRole", Resource: role}, true},
		{Request{Principal: "lambda.amazonaws.com", Action: "sts:AssumeRole", Resource: role}, false},
	}
	reqs := make([]Request, len(cases))
	for i, c := range cases {
		reqs[i] = c.req
	}
	ds, err := sim.Evaluate(p, reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if ds[i].Allowed() != c.want {
			t.Errorf("%s %s on %s: %s, want allowed=%v (policies %v)", c.req.Principal, c.req.Action, c.req.Resource, ds[i].Result, c.want, ds[i].Policies)
		}
	}
}
