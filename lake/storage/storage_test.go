package storage_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/laketest"
	"github.com/refdatalake/datalake/lake/layout"
	"github.com/refdatalake/datalake/lake/storage"
)

func TestMain(m *testing.M) { laketest.Main(m) }

// The stack alone, with only its required props, passes the AwsSolutions,
// NIST 800-53 R5, HIPAA Security, PCI DSS 3.2.1 and Serverless packs: its defaults are the lake's.
func TestStackAlonePassesTheCompliancePacks(t *testing.T) {
	app := laketest.NewApp(t)
	s := storage.NewStack(app, "Storage", &storage.Props{Deployment: layout.Deployment{Project: "lib", Profile: "test"}})
	r := laketest.SynthCompliant(t, app)
	for _, f := range r.Findings {
		t.Error(f)
	}
	tpl := r.Templates["Storage"]
	if n := laketest.Count(tpl, "AWS::S3::Bucket"); n != 4 {
		t.Errorf("%d buckets, want raw, curated, analytics and access logs", n)
	}
	if n := laketest.Count(tpl, "AWS::KMS::Key"); n != 1 {
		t.Errorf("%d keys, want the lake key", n)
	}
	if len(s.DataBuckets()) != 3 {
		t.Errorf("DataBuckets = %d, want 3", len(s.DataBuckets()))
	}
	for id, raw := range tpl["Resources"].(map[string]any) {
		res := raw.(map[string]any)
		if (res["Type"] == "AWS::S3::Bucket" || res["Type"] == "AWS::KMS::Key") && res["DeletionPolicy"] != "Retain" {
			t.Errorf("%s: DeletionPolicy %v, want Retain by default", id, res["DeletionPolicy"])
		}
	}
}

// A Go CDK app of your own can use the lake's storage: the key and buckets
// come back as typed fields to wire into your stacks.
func ExampleNewStack() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	lakeStorage := storage.NewStack(app, "LakeStorage", &storage.Props{
		Deployment:     layout.Deployment{Project: "analytics", Profile: "dev"},
		RawGlacierDays: 365,
	})
	other := awscdk.NewStack(app, jsii.String("Consumer"), nil)
	awscdk.NewCfnOutput(other, jsii.String("Raw"), &awscdk.CfnOutputProps{Value: lakeStorage.RawBucket.BucketName()})
	app.Synth(nil)
}
