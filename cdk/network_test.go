package main

import (
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

func TestVpcIsolatedWithoutNat(t *testing.T) {
	tpl := profileTemplate(t, sandbox, "Network")
	check(t, "one VPC, two isolated subnets, no NAT, no internet gateway", func() {
		tpl.ResourceCountIs(jsiiStr("AWS::EC2::VPC"), jsiiNum(1))
		tpl.HasResourceProperties(jsiiStr("AWS::EC2::VPC"), obj(map[string]any{"CidrBlock": "10.40.0.0/16"}))
		tpl.ResourceCountIs(jsiiStr("AWS::EC2::Subnet"), jsiiNum(2))
		tpl.AllResourcesProperties(jsiiStr("AWS::EC2::Subnet"), obj(map[string]any{
			"MapPublicIpOnLaunch": false,
			"Tags":                arr(map[string]any{"Key": "aws-cdk:subnet-type", "Value": "Isolated"}),
		}))
		tpl.ResourceCountIs(jsiiStr("AWS::EC2::NatGateway"), jsiiNum(0))
		tpl.ResourceCountIs(jsiiStr("AWS::EC2::InternetGateway"), jsiiNum(0))
		tpl.ResourceCountIs(jsiiStr("AWS::EC2::EIP"), jsiiNum(0))
	})
	check(t, "default security group stripped of rules", func() {
		tpl.ResourceCountIs(jsiiStr("Custom::VpcRestrictDefaultSG"), jsiiNum(1))
	})
}

func TestGatewayEndpoints(t *testing.T) {
	tpl := profileTemplate(t, sandbox, "Network")
	inAccount := map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": map[string]any{"Ref": "AWS::AccountId"}}}
	check(t, "two gateway endpoints, both on the isolated route tables", func() {
		tpl.ResourceCountIs(jsiiStr("AWS::EC2::VPCEndpoint"), jsiiNum(2))
		tpl.AllResourcesProperties(jsiiStr("AWS::EC2::VPCEndpoint"), obj(map[string]any{
			"VpcEndpointType": "Gateway",
			"RouteTableIds":   assertions.Match_AnyValue(),
		}))
	})
	check(t, "S3 endpoint admits only the lake's buckets, from this account", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::EC2::VPCEndpoint"), obj(map[string]any{
			"ServiceName": obj(map[string]any{"Fn::Join": arr(arr(".s3"))}),
			"PolicyDocument": obj(map[string]any{"Statement": assertions.Match_ArrayEquals(&[]any{
				obj(map[string]any{"Sid": "LakeBucketsOnly", "Effect": "Allow", "Condition": inAccount,
					"Action":   []any{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"},
					"Resource": []any{importOf("AnalyticsBucket"), importOf("CuratedBucket"), importOf("RawBucket")}}),
				obj(map[string]any{"Sid": "LakeObjectsOnly", "Effect": "Allow", "Condition": inAccount,
					"Action": []any{"s3:AbortMultipartUpload", "s3:GetObject", "s3:GetObjectVersion", "s3:ListMultipartUploadParts", "s3:PutObject"}}),
			})}),
		}))
	})
	check(t, "DynamoDB endpoint admits only this account's tables", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::EC2::VPCEndpoint"), obj(map[string]any{
			"ServiceName": obj(map[string]any{"Fn::Join": arr(arr(".dynamodb"))}),
			"PolicyDocument": obj(map[string]any{"Statement": assertions.Match_ArrayEquals(&[]any{
				obj(map[string]any{"Sid": "ThisAccountTablesOnly", "Effect": "Allow", "Condition": inAccount}),
			})}),
		}))
	})
}

func TestFlowLogsPerProfile(t *testing.T) {
	for _, c := range []struct {
		ctx  map[string]any
		days int
	}{{sandbox, 30}, {prod, 365}, {local, 1}, {map[string]any{"profile": "sandbox", "flowLogRetentionDays": "90"}, 90}} {
		t.Run(fmt.Sprint(c.ctx), func(t *testing.T) {
			tpl := profileTemplate(t, c.ctx, "Network")
			check(t, "log group encrypted with the lake key, retention per profile", func() {
				tpl.HasResourceProperties(jsiiStr("AWS::Logs::LogGroup"), obj(map[string]any{
					"RetentionInDays": c.days,
					"KmsKeyId":        obj(map[string]any{"Fn::ImportValue": assertions.Match_StringLikeRegexp(jsiiStr("LakeKey"))}),
				}))
			})
			check(t, "all traffic of the VPC goes to CloudWatch Logs", func() {
				tpl.HasResourceProperties(jsiiStr("AWS::EC2::FlowLog"), obj(map[string]any{
					"ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs",
				}))
			})
			check(t, "delivery role: managed policy, trust pinned to this account's flow logs", func() {
				tpl.HasResourceProperties(jsiiStr("AWS::IAM::Role"), obj(map[string]any{
					"AssumeRolePolicyDocument": obj(map[string]any{"Statement": arr(obj(map[string]any{
						"Principal": map[string]any{"Service": "vpc-flow-logs.amazonaws.com"},
						"Condition": obj(map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}}}),
					}))}),
					"ManagedPolicyArns": arr(obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsiiStr("^FlowLogDeliveryPolicy"))})),
				}))
				tpl.ResourceCountIs(jsiiStr("AWS::IAM::Policy"), jsiiNum(0))
				tpl.HasResourceProperties(jsiiStr("AWS::IAM::ManagedPolicy"), obj(map[string]any{
					"PolicyDocument": obj(map[string]any{"Statement": []any{obj(map[string]any{
						"Action":   []any{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
						"Resource": obj(map[string]any{"Fn::GetAtt": arr(assertions.Match_StringLikeRegexp(jsiiStr("^FlowLogGroup")), "Arn")}),
					})}}),
				}))
			})
		})
	}
}

// Emulators reject AWS::EC2::FlowLog; the local profile keeps it behind a
// parameter that defaults to false, and only there.
func TestFlowLogConditionOnlyInLocal(t *testing.T) {
	for _, c := range []struct {
		ctx  map[string]any
		cond bool
	}{{sandbox, false}, {prod, false}, {local, true}} {
		tpl := synth(t, c.ctx).templates["Network"]
		for id, fl := range resourcesOfType(tpl, "AWS::EC2::FlowLog") {
			_, has := fl["Condition"]
			if has != c.cond {
				t.Errorf("%v: flow log %s has condition: %v, want %v", c.ctx, id, has, c.cond)
			}
		}
		params, _ := tpl["Parameters"].(map[string]any)
		p, has := params["FlowLogsEnabled"].(map[string]any)
		if has != c.cond || has && p["Default"] != "false" {
			t.Errorf("%v: FlowLogsEnabled parameter %v", c.ctx, p)
		}
	}
}
