package golambda_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/golambda"
	"github.com/refdatalake/datalake/lake/laketest"
)

func TestMain(m *testing.M) { laketest.Main(m) }

func hello(id string, stack awscdk.Stack, key awskms.IKey, props golambda.Props) (*golambda.Function, error) {
	props.Package = "./internal/lambdabuild/testdata/hello"
	props.Description = "test function"
	props.LakeKey = key
	return golambda.New(stack, id, props)
}

// A function with its documented defaults passes the five packs once its
// two reasons are given, runs on arm64 and keeps its logs 30 days.
func TestDefaultsPassTheCompliancePacks(t *testing.T) {
	app := laketest.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Fn"), nil)
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	if _, err := hello("Hello", stack, key, golambda.Props{
		OutsideVpcReason: "It calls nothing: a test function that only returns its input.",
		NoDlqReason:      "It is only invoked synchronously in this test.",
	}); err != nil {
		t.Fatal(err)
	}
	r := laketest.SynthCompliant(t, app)
	for _, f := range r.Findings {
		t.Error(f)
	}
	for _, raw := range r.Templates["Fn"]["Resources"].(map[string]any) {
		res := raw.(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		switch res["Type"] {
		case "AWS::Lambda::Function":
			if a := props["Architectures"].([]any); len(a) != 1 || a[0] != "arm64" {
				t.Errorf("architectures %v, want arm64 by default", a)
			}
		case "AWS::Logs::LogGroup":
			if props["RetentionInDays"] != float64(30) || res["DeletionPolicy"] != "Retain" {
				t.Errorf("log group %v, %v: want 30 days, retained", props["RetentionInDays"], res["DeletionPolicy"])
			}
		}
	}
}

// Every function either runs in the VPC or says why not, and says why a
// dead-letter queue does not apply.
func TestReasonsAreRequired(t *testing.T) {
	app := laketest.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Fn"), nil)
	key := awskms.NewKey(stack, jsii.String("Key"), nil)
	_, err := hello("NoReasons", stack, key, golambda.Props{})
	if err == nil || !strings.Contains(err.Error(), "OutsideVpcReason and NoDlqReason are required") {
		t.Errorf("err = %v", err)
	}
}
