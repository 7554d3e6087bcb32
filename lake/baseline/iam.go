package baseline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Statement is an Allow statement with a Sid, on resources named one by one.
func Statement(sid string, actions []string, resources ...*string) awsiam.PolicyStatement {
	return StatementWhen(sid, actions, nil, resources...)
}

// StatementWhen is Statement with conditions.
func StatementWhen(sid string, actions []string, conditions map[string]any, resources ...*string) awsiam.PolicyStatement {
	p := &awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: &resources}
	if conditions != nil {
		p.Conditions = &conditions
	}
	return awsiam.NewPolicyStatement(p)
}

// Objects is every object under prefix in bucket.
func Objects(bucket awss3.IBucket, prefix string) *string {
	return bucket.ArnForObjects(jsii.String(prefix + "*"))
}

// ListUnder lets a role list bucket under the prefixes only.
func ListUnder(sid string, bucket awss3.IBucket, prefixes ...string) awsiam.PolicyStatement {
	like := make([]string, len(prefixes))
	for i, p := range prefixes {
		like[i] = p + "*"
	}
	return StatementWhen(sid, []string{"s3:ListBucket"}, map[string]any{"StringLike": map[string]any{"s3:prefix": like}}, bucket.BucketArn())
}

// ServiceRoleProps describes a role an AWS service assumes.
type ServiceRoleProps struct {
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

// ServiceRole creates the project's kind of role: assumable only by one
// service, on behalf of this account where the service says how
// (TrustConditions), holding exactly one hand-written customer-managed
// policy. It returns the role's immutable view, so no L2 construct can add
// grants of its own to it, and the policy.
func ServiceRole(scope constructs.Construct, p ServiceRoleProps) (awsiam.IRole, awsiam.ManagedPolicy) {
	policy := awsiam.NewManagedPolicy(scope, jsii.String(p.PolicyID), &awsiam.ManagedPolicyProps{
		Description: jsii.String(p.PolicyDescription),
		Statements:  &p.Statements,
	})
	role := awsiam.NewRole(scope, jsii.String(p.RoleID), &awsiam.RoleProps{
		Description:     jsii.String(p.Description),
		AssumedBy:       awsiam.NewServicePrincipal(jsii.String(p.Service), &awsiam.ServicePrincipalOpts{Conditions: TrustConditions(p.Service)}),
		ManagedPolicies: &[]awsiam.IManagedPolicy{policy},
	})
	if p.WildcardReason != "" {
		Suppress(policy, NagReason{"AwsSolutions-IAM5", p.WildcardReason})
	}
	return role.WithoutPolicyUpdates(nil), policy
}

// TrustConditions are the confused-deputy conditions of a role's trust
// policy: only the context keys the service documents that it sends when it
// assumes the role. A condition on a key a service does not send denies the
// role to that service, so a service that documents none gets none (the
// access test assumes each role with exactly the documented keys).
func TrustConditions(service string) *map[string]any {
	partition, region, account := *awscdk.Aws_PARTITION(), *awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID()
	inAccount := func(arnPattern string) *map[string]any {
		return &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": account},
			"ArnLike":      map[string]any{"aws:SourceArn": arnPattern},
		}
	}
	switch service {
	case "states.amazonaws.com":
		// https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html#prevent-cross-service-confused-deputy
		return inAccount("arn:" + partition + ":states:" + region + ":" + account + ":stateMachine:*")
	case "events.amazonaws.com":
		// The source is the rule: https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html
		return inAccount("arn:" + partition + ":events:" + region + ":" + account + ":rule/*")
	case "sagemaker.amazonaws.com":
		// Training and transform jobs send their own ARN, model creation the
		// literal "arn:...:<account>:*"; one pattern admits all three and the
		// account is in it, so aws:SourceAccount adds nothing.
		// https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html
		return &map[string]any{"ArnLike": map[string]any{"aws:SourceArn": "arn:" + partition + ":sagemaker:" + region + ":" + account + ":*"}}
	case "firehose.amazonaws.com":
		// Firehose documents sts:ExternalId = the account, not aws:SourceAccount:
		// https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#firehose-assume-role
		return &map[string]any{"StringEquals": map[string]any{"sts:ExternalId": account}}
	case "vpc-flow-logs.amazonaws.com":
		// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
		return inAccount("arn:" + partition + ":ec2:" + region + ":" + account + ":vpc-flow-log/*")
	case "glue.amazonaws.com", "lambda.amazonaws.com":
		// Neither documents aws:SourceAccount or aws:SourceArn on role
		// assumption (https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html,
		// https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html):
		// a condition here could deny the role to its own jobs.
		return nil
	}
	panic("baseline.TrustConditions: no documented trust context for " + service + ": add a case with the page that documents it")
}

// ViaService is the kms:ViaService value of a service in the deploy
// region: "<service>.<region>.<URL suffix>", with the partition's own
// suffix (amazonaws.com, amazonaws.com.cn, ...) rather than a literal one.
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
func ViaService(service string) string {
	return service + "." + *awscdk.Aws_REGION() + "." + *awscdk.Aws_URL_SUFFIX()
}

// ViaServices is ViaService of each service.
func ViaServices(services ...string) []string {
	out := make([]string, len(services))
	for i, s := range services {
		out[i] = ViaService(s)
	}
	return out
}
