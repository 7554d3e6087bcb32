package baseline

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

func TestRemovalRetainsUnlessAllowed(t *testing.T) {
	if Removal(false) != awscdk.RemovalPolicy_RETAIN || Removal(true) != awscdk.RemovalPolicy_DESTROY {
		t.Error("Removal must retain by default and destroy only when allowed")
	}
}

func TestEveryRetentionValueMaps(t *testing.T) {
	for _, d := range LogRetentionDays {
		if Retention(d) == "" {
			t.Errorf("%d days maps to nothing", d)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Retention(45) should panic: 45 days is not a CloudWatch Logs retention")
		}
	}()
	Retention(45)
}

func TestTwinsNameTheThreePacks(t *testing.T) {
	got := Twins("LambdaDLQ", "why")
	if len(got) != 3 || got[0].Rule != "NIST.800.53.R5-LambdaDLQ" || got[1].Rule != "HIPAA.Security-LambdaDLQ" || got[2].Rule != "PCI.DSS.321-LambdaDLQ" {
		t.Errorf("Twins = %+v", got)
	}
	for _, r := range got {
		if r.Reason != "why" {
			t.Errorf("%s: reason %q", r.Rule, r.Reason)
		}
	}
}

func TestTrustConditionsRefuseAnUndocumentedService(t *testing.T) {
	if TrustConditions("glue.amazonaws.com") != nil || TrustConditions("lambda.amazonaws.com") != nil {
		t.Error("Glue and Lambda document no trust context: no condition")
	}
	for _, s := range []string{"states.amazonaws.com", "events.amazonaws.com", "sagemaker.amazonaws.com", "firehose.amazonaws.com", "vpc-flow-logs.amazonaws.com"} {
		if TrustConditions(s) == nil {
			t.Errorf("%s documents its trust context: want a condition", s)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown service should panic until its documented context is added")
		}
	}()
	TrustConditions("example.amazonaws.com")
}
