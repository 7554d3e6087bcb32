package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// serviceRoleProps describes a role an AWS service assumes.
type serviceRoleProps struct {
	// RoleID and PolicyID are the construct IDs (and so the logical IDs).
	RoleID, PolicyID string
	// Service is the principal, e.g. "glue.amazonaws.com".
	Service string
	// Description says who assumes the role; PolicyDescription what it may do.
	Description, PolicyDescription string
	Statements                     []awsiam.PolicyStatement
	// WildcardReason, when set, suppresses AwsSolutions-IAM5 on the policy
	// with this reason: every wildcard in Statements must be explained by it.
	WildcardReason string
}

// serviceRole creates the project's kind of role: assumable only by one
// service on behalf of this account, holding exactly one hand-written
// customer-managed policy. It returns the role's immutable view, so no L2
// construct can add grants of its own to it, and the policy.
func serviceRole(scope constructs.Construct, p serviceRoleProps) (awsiam.IRole, awsiam.ManagedPolicy) {
	policy := awsiam.NewManagedPolicy(scope, jsii.String(p.PolicyID), &awsiam.ManagedPolicyProps{
		Description: jsii.String(p.PolicyDescription),
		Statements:  &p.Statements,
	})
	role := awsiam.NewRole(scope, jsii.String(p.RoleID), &awsiam.RoleProps{
		Description: jsii.String(p.Description),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String(p.Service), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}),
		ManagedPolicies: &[]awsiam.IManagedPolicy{policy},
	})
	if p.WildcardReason != "" {
		suppress(policy, []nagReason{{"AwsSolutions-IAM5", p.WildcardReason}})
	}
	return role.WithoutPolicyUpdates(nil), policy
}
