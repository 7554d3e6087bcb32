package laketest

import (
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Close()
	os.Exit(code)
}

// The canary: a bare bucket must produce findings, or SynthCompliant is not
// checking what the packages' tests rely on.
func TestSynthCompliantReportsFindings(t *testing.T) {
	app := NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Canary"), nil)
	awss3.NewBucket(stack, jsii.String("Bare"), nil)
	r := SynthCompliant(t, app)
	if len(r.Findings) == 0 {
		t.Fatal("a bucket without encryption, logging or TLS policy passed the packs")
	}
	if Count(r.Templates["Canary"], "AWS::S3::Bucket") != 1 && len(r.Templates) > 0 {
		t.Errorf("templates %v", r.Templates)
	}
	t.Logf("%d findings, e.g. %s", len(r.Findings), r.Findings[0])
}
