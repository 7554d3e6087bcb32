// Package network is the lake's Network stack: a VPC with isolated subnets
// only, gateway endpoints for S3 and DynamoDB with policies that admit the
// lake's buckets and this account's tables, and encrypted flow logs.
package network

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
)

// Props configures the Network stack. Zero values take the defaults given.
type Props struct {
	awscdk.StackProps
	// LakeKey encrypts the flow log group. Required.
	LakeKey awskms.IKey
	// LakeBuckets are the buckets the S3 gateway endpoint lets traffic reach. Required.
	LakeBuckets []awss3.IBucket
	// VpcCidr is the VPC's address range. Default 10.40.0.0/16. Changing it
	// after a deploy replaces the VPC (see Upgrades in docs/deploy.md).
	VpcCidr string
	// MaxAzs is how many availability zones get an isolated subnet. Default 2.
	MaxAzs int
	// FlowLogRetentionDays keeps flow logs this long (one of
	// baseline.LogRetentionDays). Default 30.
	FlowLogRetentionDays int
	// AllowDestroy makes the flow log group DESTROY instead of RETAIN. Default false.
	AllowDestroy bool
	// Emulator keeps the flow log behind a parameter that defaults to false:
	// LocalStack-compatible emulators reject AWS::EC2::FlowLog. Default false.
	Emulator bool
}

func (p Props) withDefaults() Props {
	if p.VpcCidr == "" {
		p.VpcCidr = "10.40.0.0/16"
	}
	if p.MaxAzs == 0 {
		p.MaxAzs = 2
	}
	if p.FlowLogRetentionDays == 0 {
		p.FlowLogRetentionDays = 30
	}
	return p
}

// Stack owns the VPC that SageMaker jobs and in-VPC functions run in.
// It has no NAT gateway and no internet gateway: traffic to S3 and DynamoDB
// stays on the gateway endpoints, which cost nothing per hour.
type Stack struct {
	awscdk.Stack
	// Vpc has one isolated subnet per availability zone.
	Vpc awsec2.Vpc
	// S3Endpoint is the S3 gateway endpoint; its policy admits only the lake's buckets.
	S3Endpoint awsec2.GatewayVpcEndpoint
	// DynamoDbEndpoint is the DynamoDB gateway endpoint; its policy admits only this account's tables.
	DynamoDbEndpoint awsec2.GatewayVpcEndpoint
	// FlowLogGroup receives the VPC's flow logs, encrypted with the lake key.
	FlowLogGroup awslogs.LogGroup
}

// NewStack creates the VPC, its gateway endpoints and flow logs.
func NewStack(scope constructs.Construct, id string, props *Props) *Stack {
	cfg := props.withDefaults()
	stack := awscdk.NewStack(scope, &id, &cfg.StackProps)
	n := &Stack{Stack: stack}

	n.Vpc = awsec2.NewVpc(stack, jsii.String("LakeVpc"), &awsec2.VpcProps{
		IpAddresses: awsec2.IpAddresses_Cidr(&cfg.VpcCidr),
		MaxAzs:      jsii.Number(float64(cfg.MaxAzs)),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name:       jsii.String("isolated"),
			SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED,
			CidrMask:   jsii.Number(24),
		}},
		// The default security group would allow all traffic between its members;
		// CDK strips its rules with a small custom resource.
		RestrictDefaultSecurityGroup: jsii.Bool(true),
	})
	isolated := &[]*awsec2.SubnetSelection{{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}}

	n.S3Endpoint = n.Vpc.AddGatewayEndpoint(jsii.String("S3Endpoint"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
		Subnets: isolated,
	})
	bucketArns := []*string{}
	objectArns := []*string{}
	for _, b := range cfg.LakeBuckets {
		bucketArns = append(bucketArns, b.BucketArn())
		objectArns = append(objectArns, jsii.String(*b.BucketArn()+"/*"))
	}
	inAccount := &map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": awscdk.Aws_ACCOUNT_ID()}}
	// No AWS-owned bucket is needed yet: SageMaker pulls algorithm images outside
	// the VPC and nothing in it installs packages. A service that later needs one
	// (for example ECR layers in prod-<region>-starport-layer-bucket) adds a
	// statement here with a comment naming it.
	n.S3Endpoint.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("LakeBucketsOnly"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"),
		Resources:  &bucketArns,
		Conditions: inAccount,
	}))
	n.S3Endpoint.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("LakeObjectsOnly"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"),
		Resources:  &objectArns,
		Conditions: inAccount,
	}))

	n.DynamoDbEndpoint = n.Vpc.AddGatewayEndpoint(jsii.String("DynamoDbEndpoint"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_DYNAMODB(),
		Subnets: isolated,
	})
	n.DynamoDbEndpoint.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ThisAccountTablesOnly"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions: jsii.Strings("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
			"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"),
		Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("dynamodb"), Resource: jsii.String("table"),
			ResourceName: jsii.String("*"), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})},
		Conditions: inAccount,
	}))

	n.FlowLogGroup = awslogs.NewLogGroup(stack, jsii.String("FlowLogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: cfg.LakeKey,
		Retention:     baseline.Retention(cfg.FlowLogRetentionDays),
		RemovalPolicy: baseline.Removal(cfg.AllowDestroy),
	})
	// A customer-managed policy rather than the inline one CDK would add: the
	// NIST and HIPAA packs ask for managed policies, and this one is reviewable
	// on its own. The trust policy pins the service to this account's flow logs
	// (confused-deputy guard).
	flowLogPolicy := awsiam.NewManagedPolicy(stack, jsii.String("FlowLogDeliveryPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Lets VPC Flow Logs write to the lake's flow log group, and nothing else"),
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
			Resources: &[]*string{n.FlowLogGroup.LogGroupArn()},
		})},
	})
	flowLogRole := awsiam.NewRole(stack, jsii.String("FlowLogRole"), &awsiam.RoleProps{
		Description: jsii.String("Assumed by VPC Flow Logs to deliver the lake VPC's flow logs"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("vpc-flow-logs.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: baseline.TrustConditions("vpc-flow-logs.amazonaws.com"),
		}),
		ManagedPolicies: &[]awsiam.IManagedPolicy{flowLogPolicy},
	})
	flowLog := n.Vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
		// WithoutPolicyUpdates stops CDK adding its own inline grant next to the managed policy.
		Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(n.FlowLogGroup, flowLogRole.WithoutPolicyUpdates(nil)),
		TrafficType: awsec2.FlowLogTrafficType_ALL,
	})
	// LocalStack-compatible emulators reject AWS::EC2::FlowLog.
	baseline.SkipOnEmulator(cfg.Emulator, stack, "FlowLogsEnabled", "Create the VPC flow log (emulators reject AWS::EC2::FlowLog)",
		flowLog.Node().DefaultChild().(awscdk.CfnResource))
	return n
}
