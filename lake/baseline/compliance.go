package baseline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// NagReason is one suppressed rule and why a reviewer should accept it.
type NagReason struct {
	Rule, Reason string
}

// Twins is the suppression of one check that the NIST 800-53 R5, HIPAA
// Security and PCI DSS 3.2.1 packs all run: they share rule names after the
// prefix, and one reason answers all three.
func Twins(rule, reason string) []NagReason {
	return []NagReason{{"NIST.800.53.R5-" + rule, reason}, {"HIPAA.Security-" + rule, reason}, {"PCI.DSS.321-" + rule, reason}}
}

// ApplyCompliance runs the AwsSolutions, NIST 800-53 R5, HIPAA Security,
// PCI DSS 3.2.1 and Serverless packs over everything under scope. Findings become error annotations,
// which fail `cdk synth` and the compliance tests.
func ApplyCompliance(scope constructs.IConstruct) {
	props := &cdknag.NagPackProps{Verbose: jsii.Bool(true)}
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(props), nil)
	awscdk.Aspects_Of(scope).Add(cdknag.NewNIST80053R5Checks(props), nil)
	awscdk.Aspects_Of(scope).Add(cdknag.NewHIPAASecurityChecks(props), nil)
	awscdk.Aspects_Of(scope).Add(cdknag.NewPCIDSS321Checks(props), nil)
	awscdk.Aspects_Of(scope).Add(cdknag.NewServerlessChecks(props), nil)
}

// Suppress records reasons for rules on one resource: the CloudFormation
// resource behind an L2 construct, or c itself. It is always called next to
// the resource it excuses, never on a stack, and never spreads to children
// (an L2 bucket's policy is a child, and does not share its excuses).
func Suppress(c constructs.IConstruct, reasons ...NagReason) {
	s := make([]*cdknag.NagPackSuppression, len(reasons))
	for i, r := range reasons {
		s[i] = &cdknag.NagPackSuppression{Id: jsii.String(r.Rule), Reason: jsii.String(r.Reason)}
	}
	target := c
	if child := c.Node().DefaultChild(); child != nil {
		target = child
	}
	cdknag.NagSuppressions_AddResourceSuppressions(target, &s, jsii.Bool(false))
}
