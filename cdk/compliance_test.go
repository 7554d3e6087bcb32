package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
)

// Every profile synthesizes with zero unsuppressed errors or warnings from the
// AwsSolutions, NIST 800-53 R5, HIPAA Security, PCI DSS 3.2.1 and Serverless
// packs (or from CDK itself).
func TestCompliancePerProfile(t *testing.T) {
	for _, ctx := range []map[string]any{sandbox, prod, local, {"profile": "prod", "rawObjectLockDays": "365"}} {
		r := synth(t, ctx)
		if r.err != nil {
			t.Fatalf("%v: %v", ctx, r.err)
		}
		if len(r.templates) == 0 {
			t.Errorf("%v: no templates", ctx)
		}
		for _, f := range r.findings {
			t.Errorf("%v: %s", ctx, f)
		}
	}
}

// Suppressions sit on single resources, never on a stack, and each names a
// rule of one of the three packs and gives a reason a reviewer can check.
func TestSuppressionsAreNarrowAndExplained(t *testing.T) {
	count := 0
	for stack, tpl := range synth(t, sandbox).templates {
		if md, ok := tpl["Metadata"].(map[string]any); ok && md["cdk_nag"] != nil {
			t.Errorf("%s: stack-wide suppression", stack)
		}
		for id, raw := range tpl["Resources"].(map[string]any) {
			md, _ := raw.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := md["cdk_nag"].(map[string]any)
			rules, _ := nag["rules_to_suppress"].([]any)
			for _, r := range rules {
				rule := r.(map[string]any)
				ruleID, _ := rule["id"].(string)
				reason, _ := rule["reason"].(string)
				if !strings.HasPrefix(ruleID, "AwsSolutions-") && !strings.HasPrefix(ruleID, "NIST.800.53.R5-") && !strings.HasPrefix(ruleID, "HIPAA.Security-") &&
					!strings.HasPrefix(ruleID, "PCI.DSS.321-") && !strings.HasPrefix(ruleID, "Serverless-") {
					t.Errorf("%s/%s: suppression of unknown rule %q", stack, id, ruleID)
				}
				if len(reason) < 40 {
					t.Errorf("%s/%s: %s reason too thin: %q", stack, id, ruleID, reason)
				}
				count++
			}
		}
	}
	if count == 0 {
		t.Error("no suppressions found: the check above is not looking where suppressions are written")
	}
}

// The canary proves the packs really run: an unencrypted, unlogged,
// unversioned bucket in a throwaway app must be reported by each of them.
func TestCanaryEachPackReportsABareBucket(t *testing.T) {
	app, outdir := newThrowawayApp(t)
	stack := awscdk.NewStack(app, jsii.String("Canary"), nil)
	awss3.NewCfnBucket(stack, jsii.String("BareBucket"), &awss3.CfnBucketProps{})
	// The Serverless pack checks functions, not buckets.
	awslambda.NewCfnFunction(stack, jsii.String("BareFunction"), &awslambda.CfnFunctionProps{
		Code: &awslambda.CfnFunction_CodeProperty{ZipFile: jsii.String("exports.handler = async () => 0")},
		Role: jsii.String("arn:aws:iam::111122223333:role/canary"), Runtime: jsii.String("nodejs22.x"), Handler: jsii.String("index.handler"),
	})
	baseline.ApplyCompliance(app)
	r := &synthResult{templates: map[string]map[string]any{}}
	synthApp(t, app, outdir, r)
	all := strings.Join(r.findings, "\n")
	for _, rule := range []string{"AwsSolutions-S1", "NIST.800.53.R5-S3BucketLoggingEnabled", "HIPAA.Security-S3BucketLoggingEnabled",
		"NIST.800.53.R5-S3BucketVersioningEnabled", "HIPAA.Security-S3BucketSSLRequestsOnly", "PCI.DSS.321-S3BucketLoggingEnabled",
		"Serverless-LambdaTracing", "Serverless-LambdaDLQ"} {
		if !strings.Contains(all, rule) {
			t.Errorf("%s not reported for the canary; findings:\n%s", rule, all)
		}
	}
	if !strings.Contains(all, "Canary/BareBucket") || !strings.Contains(all, "Canary/BareFunction") {
		t.Errorf("the canary resources are not named in the findings:\n%s", all)
	}
}

// A configuration mistake stops the app before any stack exists.
func TestSynthRefusesBadConfig(t *testing.T) {
	r := synth(t, map[string]any{"profile": "sandbox", "rawIaDays": "200", "rawGlacierDays": "100"})
	if r.err == nil || !strings.Contains(r.err.Error(), "rawGlacierDays") {
		t.Fatalf("got %v", r.err)
	}
	if len(r.templates) != 0 {
		t.Errorf("templates were synthesized despite the error")
	}
}
