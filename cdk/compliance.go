package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// nagReason is one suppressed rule and why a reviewer should accept it.
type nagReason struct {
	rule, reason string
}

// applyCompliance runs the AwsSolutions, NIST 800-53 R5 and HIPAA Security
// packs over everything under scope. Findings become error annotations, which
// fail `cdk synth` and the compliance tests.
func applyCompliance(scope constructs.IConstruct) {
	props := &cdknag.NagPackProps{Verbose: jsii.Bool(true)}
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(props), nil)
	awscdk.Aspects_Of(scope).Add(cdknag.NewNIST80053R5Checks(props), nil)
	awscdk.Aspects_Of(scope).Add(cdknag.NewHIPAASecurityChecks(props), nil)
}

// suppress records reasons for rules on one resource: the CloudFormation
// resource behind an L2 construct, or c itself. It is always called next to
// the resource it excuses, never on a stack, and never spreads to children
// (an L2 bucket's policy is a child, and does not share its excuses).
func suppress(c constructs.IConstruct, reasons []nagReason) {
	s := make([]*cdknag.NagPackSuppression, len(reasons))
	for i, r := range reasons {
		s[i] = &cdknag.NagPackSuppression{Id: jsii.String(r.rule), Reason: jsii.String(r.reason)}
	}
	target := c
	if child := c.Node().DefaultChild(); child != nil {
		target = child
	}
	cdknag.NagSuppressions_AddResourceSuppressions(target, &s, jsii.Bool(false))
}
