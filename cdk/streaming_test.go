package main

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/lake/ingest"
	"github.com/refdatalake/datalake/lake/layout"
)

func importOf(pattern string) assertions.Matcher {
	return obj(map[string]any{"Fn::ImportValue": assertions.Match_StringLikeRegexp(jsiiStr(pattern))})
}

func TestStreamPerProfile(t *testing.T) {
	check(t, "sandbox: provisioned, 1 shard, 24 h, KMS with the lake key", func() {
		profileTemplate(t, sandbox, "Streaming").HasResourceProperties(jsiiStr("AWS::Kinesis::Stream"), obj(map[string]any{
			"ShardCount":           1,
			"StreamModeDetails":    map[string]any{"StreamMode": "PROVISIONED"},
			"RetentionPeriodHours": 24,
			"StreamEncryption":     map[string]any{"EncryptionType": "KMS", "KeyId": importOf("LakeKey")},
		}))
	})
	check(t, "prod: on demand, 7 days, no shard count", func() {
		profileTemplate(t, prod, "Streaming").HasResourceProperties(jsiiStr("AWS::Kinesis::Stream"), obj(map[string]any{
			"ShardCount":           assertions.Match_Absent(),
			"StreamModeDetails":    map[string]any{"StreamMode": "ON_DEMAND"},
			"RetentionPeriodHours": 168,
		}))
	})
}

func TestTransformFunction(t *testing.T) {
	for _, c := range []struct {
		ctx  map[string]any
		arch string
	}{{sandbox, "arm64"}, {local, map[string]string{"arm64": "arm64", "amd64": "x86_64"}[runtime.GOARCH]}} {
		tpl := profileTemplate(t, c.ctx, "Streaming")
		check(t, fmt.Sprint(c.ctx, " Go bootstrap on provided.al2023 for ", c.arch), func() {
			tpl.HasResourceProperties(jsiiStr("AWS::Lambda::Function"), obj(map[string]any{
				"Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": []any{c.arch},
				"LoggingConfig": obj(map[string]any{"LogFormat": "JSON", "LogGroup": obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsiiStr("^TransformLogGroup"))})}),
			}))
		})
		check(t, "its log group is encrypted with the lake key", func() {
			tpl.HasResourceProperties(jsiiStr("AWS::Logs::LogGroup"), obj(map[string]any{"KmsKeyId": importOf("LakeKey")}))
		})
	}
}

func TestFirehoseDelivery(t *testing.T) {
	tpl := profileTemplate(t, sandbox, "Streaming")
	var prefix strings.Builder
	prefix.WriteString("telemetry/")
	for _, k := range schema.PartitionKeys {
		prefix.WriteString(k + "=!{partitionKeyFromLambda:" + k + "}/")
	}
	check(t, "stream source, Lambda processor, Parquet with the Glue table, event-time partitions", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::KinesisFirehose::DeliveryStream"), obj(map[string]any{
			"DeliveryStreamType":               "KinesisStreamAsSource",
			"KinesisStreamSourceConfiguration": obj(map[string]any{"KinesisStreamARN": obj(map[string]any{"Fn::GetAtt": arr(assertions.Match_StringLikeRegexp(jsiiStr("^TelemetryStream")))})}),
			"ExtendedS3DestinationConfiguration": obj(map[string]any{
				"BucketARN":                        importOf("RawBucket"),
				"Prefix":                           prefix.String(),
				"ErrorOutputPrefix":                assertions.Match_StringLikeRegexp(jsiiStr(`^errors/telemetry/!\{firehose:error-output-type\}/`)),
				"BufferingHints":                   map[string]any{"IntervalInSeconds": 300, "SizeInMBs": 64},
				"EncryptionConfiguration":          map[string]any{"KMSEncryptionConfig": map[string]any{"AWSKMSKeyARN": importOf("LakeKey")}},
				"CloudWatchLoggingOptions":         obj(map[string]any{"Enabled": true}),
				"DynamicPartitioningConfiguration": obj(map[string]any{"Enabled": true}),
				"ProcessingConfiguration": obj(map[string]any{"Enabled": true, "Processors": []any{obj(map[string]any{"Type": "Lambda",
					"Parameters": arr(
						map[string]any{"ParameterName": "LambdaArn", "ParameterValue": obj(map[string]any{"Fn::GetAtt": arr(assertions.Match_StringLikeRegexp(jsiiStr("^TransformFunction")))})},
						map[string]any{"ParameterName": "BufferSizeInMBs", "ParameterValue": ingest.TransformBatchMB},
					)})}}),
				"DataFormatConversionConfiguration": obj(map[string]any{
					"Enabled":                   true,
					"InputFormatConfiguration":  map[string]any{"Deserializer": map[string]any{"HiveJsonSerDe": map[string]any{}}},
					"OutputFormatConfiguration": map[string]any{"Serializer": map[string]any{"ParquetSerDe": map[string]any{"Compression": "SNAPPY"}}},
					"SchemaConfiguration":       obj(map[string]any{"TableName": importOf("RawTelemetryTable"), "DatabaseName": importOf("LakeDatabase")}),
				}),
			}),
		}))
	})
	check(t, "local flushes every minute", func() {
		profileTemplate(t, local, "Streaming").HasResourceProperties(jsiiStr("AWS::KinesisFirehose::DeliveryStream"), obj(map[string]any{
			"ExtendedS3DestinationConfiguration": obj(map[string]any{"BufferingHints": map[string]any{"IntervalInSeconds": 60, "SizeInMBs": 64}}),
		}))
	})
	check(t, "delivery role trusts Firehose of this account only, through a managed policy", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::IAM::Role"), obj(map[string]any{
			"AssumeRolePolicyDocument": obj(map[string]any{"Statement": arr(obj(map[string]any{
				"Principal": map[string]any{"Service": "firehose.amazonaws.com"},
				"Condition": map[string]any{"StringEquals": map[string]any{"sts:ExternalId": map[string]any{"Ref": "AWS::AccountId"}}},
			}))}),
			"ManagedPolicyArns": []any{obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsiiStr("^DeliveryPolicy"))})},
		}))
	})
	check(t, "Firehose writes only telemetry/ and errors/", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::IAM::ManagedPolicy"), obj(map[string]any{"PolicyDocument": obj(map[string]any{"Statement": arr(obj(map[string]any{
			"Sid":    "WriteTelemetryAndErrors",
			"Action": []any{"s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"},
			"Resource": []any{
				obj(map[string]any{"Fn::Join": arr(arr(importOf("RawBucket"), "/errors/*"))}),
				obj(map[string]any{"Fn::Join": arr(arr(importOf("RawBucket"), "/telemetry/*"))}),
			},
		}))})}))
	})
}

func TestRawTelemetryTableFollowsTheSchema(t *testing.T) {
	tpl := synth(t, sandbox).templates["Catalog"]
	found := 0
	for _, table := range resourcesOfType(tpl, "AWS::Glue::Table") {
		input := table["Properties"].(map[string]any)["TableInput"].(map[string]any)
		if input["Name"] != layout.RawTelemetryTable {
			continue
		}
		found++
		cols := input["StorageDescriptor"].(map[string]any)["Columns"].([]any)
		if len(cols) != len(schema.Telemetry.Fields) {
			t.Fatalf("%d columns, schema has %d", len(cols), len(schema.Telemetry.Fields))
		}
		for i, f := range schema.Telemetry.Fields {
			col := cols[i].(map[string]any)
			if col["Name"] != f.Name || col["Type"] != string(f.Type) || col["Comment"] != f.Comment {
				t.Errorf("column %d = %v, schema says %s %s", i, col, f.Name, f.Type)
			}
		}
		parts := input["PartitionKeys"].([]any)
		params := input["Parameters"].(map[string]any)
		if params["projection.enabled"] != "true" || input["Name"] != layout.RawTelemetryTable {
			t.Errorf("projection not enabled or wrong name: %v", input["Name"])
		}
		for i, k := range schema.PartitionKeys {
			if parts[i].(map[string]any)["Name"] != k || params["projection."+k+".type"] != "integer" {
				t.Errorf("partition %d: %v, projection type %v", i, parts[i], params["projection."+k+".type"])
			}
		}
		if params["projection.year.range"] != fmt.Sprintf("%d,%d", schema.EarliestTime.Year(), schema.LatestTime.Year()-1) {
			t.Errorf("year range %v does not follow the schema's time bounds", params["projection.year.range"])
		}
	}
	check(t, "Parquet under raw telemetry/", func() {
		profileTemplate(t, sandbox, "Catalog").HasResourceProperties(jsiiStr("AWS::Glue::Table"), obj(map[string]any{"TableInput": obj(map[string]any{
			"StorageDescriptor": obj(map[string]any{
				"Location":  obj(map[string]any{"Fn::Join": arr(arr("s3://", importOf("RawBucket"), "/telemetry/"))}),
				"SerdeInfo": map[string]any{"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
			}),
		})}))
	})
	if found != 1 {
		t.Fatalf("%d tables named %s", found, layout.RawTelemetryTable)
	}
}

func TestAlarmsReachTheEncryptedTopic(t *testing.T) {
	tpl := profileTemplate(t, sandbox, "Streaming")
	check(t, "topic encrypted with the lake key", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::SNS::Topic"), obj(map[string]any{"KmsMasterKeyId": importOf("LakeKey")}))
	})
	toTopic := obj(map[string]any{"AlarmActions": []any{obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsiiStr("^AlarmTopic"))})}})
	for _, metric := range []string{"GetRecords.IteratorAgeMilliseconds", "DeliveryToS3.DataFreshness", "ExecuteProcessing.Success",
		"FailedConversion.Records", "Errors", "Throttles", "PartitionCountExceeded"} {
		check(t, metric+" alarm", func() {
			tpl.HasResourceProperties(jsiiStr("AWS::CloudWatch::Alarm"), obj(map[string]any{"MetricName": metric}))
		})
	}
	check(t, "every alarm notifies the topic", func() {
		tpl.ResourceCountIs(jsiiStr("AWS::CloudWatch::Alarm"), jsiiNum(12))
		tpl.AllResourcesProperties(jsiiStr("AWS::CloudWatch::Alarm"), toTopic)
	})
	// The topic policy replaces SNS's default one; alarms only publish through this statement.
	check(t, "the topic policy lets this account's alarms publish", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::SNS::TopicPolicy"), obj(map[string]any{"PolicyDocument": obj(map[string]any{"Statement": arr(obj(map[string]any{
			"Sid": "AllowAlarmsOfThisAccount", "Effect": "Allow", "Action": "sns:Publish", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
		}))})}))
	})
	check(t, "CloudWatch may use the lake key for encrypted topics", func() {
		profileTemplate(t, sandbox, "Storage").HasResourceProperties(jsiiStr("AWS::KMS::Key"), obj(map[string]any{"KeyPolicy": obj(map[string]any{"Statement": arr(obj(map[string]any{
			"Sid": "AllowCloudWatchAlarmsToEncryptedTopics", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
		}))})}))
	})
}

// No IAM policy in any stack grants a wildcard action, or any action on "*".
// Key policies are excluded: there "*" means the key itself.
func TestNoWildcardsInIamPolicies(t *testing.T) {
	for _, ctx := range []map[string]any{sandbox, prod, local} {
		for stack, tpl := range synth(t, ctx).templates {
			for id, raw := range tpl["Resources"].(map[string]any) {
				res := raw.(map[string]any)
				props, _ := res["Properties"].(map[string]any)
				var docs []any
				switch res["Type"] {
				case "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy":
					docs = append(docs, props["PolicyDocument"])
				case "AWS::IAM::Role":
					for _, p := range asSlice(props["Policies"]) {
						docs = append(docs, p.(map[string]any)["PolicyDocument"])
					}
				}
				for _, d := range docs {
					for _, st := range asSlice(d.(map[string]any)["Statement"]) {
						s := st.(map[string]any)
						for _, a := range asSlice(s["Action"]) {
							if as, _ := a.(string); as == "*" || strings.HasSuffix(as, ":*") {
								t.Errorf("%s %s/%s: wildcard action %q", ctx["profile"], stack, id, as)
							}
						}
						for _, r := range asSlice(s["Resource"]) {
							if r == "*" && !resourceStarAllowed(s) {
								t.Errorf("%s %s/%s: statement %v on resource *", ctx["profile"], stack, id, s["Sid"])
							}
						}
					}
				}
			}
		}
	}
}

// noResourceLevelActions are actions IAM only accepts on resource "*". A
// statement may use "*" only if all its actions are listed here and it
// carries a condition that narrows it.
var noResourceLevelActions = map[string]bool{
	"cloudwatch:PutMetricData": true, // narrowed with cloudwatch:namespace
	// Narrowed with aws:RequestedRegion.
	"ec2:DescribeNetworkInterfaces": true, "ec2:DescribeVpcs": true, "ec2:DescribeDhcpOptions": true,
	"ec2:DescribeSubnets": true, "ec2:DescribeSecurityGroups": true,
	"ecr:GetAuthorizationToken": true,
	"logs:CreateLogDelivery":    true, "logs:GetLogDelivery": true, "logs:UpdateLogDelivery": true, "logs:DeleteLogDelivery": true,
	"logs:ListLogDeliveries": true, "logs:PutResourcePolicy": true, "logs:DescribeResourcePolicies": true, "logs:DescribeLogGroups": true,
}

// unconditionedStarActions may stand on "*" without a condition: X-Ray's
// trace writes have no resource types and no condition keys of their own
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html),
// and Lambda and Step Functions check the role for them when tracing is
// turned on, in a way AWS does not document: a condition such as
// aws:RequestedRegion buys nothing and could fail that check.
var unconditionedStarActions = map[string]bool{
	"xray:PutTraceSegments": true, "xray:PutTelemetryRecords": true, "xray:GetSamplingRules": true, "xray:GetSamplingTargets": true,
}

func resourceStarAllowed(statement map[string]any) bool {
	conditioned, bare := true, true
	for _, a := range asSlice(statement["Action"]) {
		s, _ := a.(string)
		conditioned = conditioned && noResourceLevelActions[s]
		bare = bare && unconditionedStarActions[s]
	}
	if bare {
		return statement["Condition"] == nil
	}
	return conditioned && statement["Condition"] != nil
}

func asSlice(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

// recordAgeExceptions are event source mappings allowed to discard records
// the stream still holds, by logical ID prefix, each with its reason. None
// today: the detector scores whatever the stream keeps.
var recordAgeExceptions = map[string]string{}

// Every Kinesis event source mapping that starts at TRIM_HORIZON keeps
// records at least as long as the stream does: with a shorter maximum
// record age, a first deploy or a catch-up after an outage would send
// records unread to the on-failure destination (and page). Read from the
// template: the mapping's starting position and MaximumRecordAgeInSeconds
// (-1 is infinite), and its stream's RetentionPeriodHours.
func TestMappingsKeepWhatTheStreamKeeps(t *testing.T) {
	for _, p := range []map[string]any{sandbox, prod} {
		r := synth(t, p)
		if r.err != nil {
			t.Fatal(r.err)
		}
		checked := 0
		for _, stack := range sortedKeys(r.templates) {
			resources := r.templates[stack]["Resources"].(map[string]any)
			for id, res := range resourcesOfType(r.templates[stack], "AWS::Lambda::EventSourceMapping") {
				props := res["Properties"].(map[string]any)
				arn, _ := props["EventSourceArn"].(map[string]any)
				getAtt, _ := arn["Fn::GetAtt"].([]any)
				if len(getAtt) != 2 {
					t.Errorf("%s/%s: event source %v is not a stream of this stack", stack, id, props["EventSourceArn"])
					continue
				}
				stream, _ := resources[getAtt[0].(string)].(map[string]any)
				if stream["Type"] != "AWS::Kinesis::Stream" {
					continue
				}
				checked++
				hours := stream["Properties"].(map[string]any)["RetentionPeriodHours"].(float64)
				age, set := props["MaximumRecordAgeInSeconds"].(float64)
				if !set {
					age = -1 // Lambda's default
				}
				if props["StartingPosition"] != "TRIM_HORIZON" || age == -1 || age >= hours*3600 {
					continue
				}
				reason := ""
				for prefix, why := range recordAgeExceptions {
					if strings.HasPrefix(id, prefix) {
						reason = why
					}
				}
				if reason == "" {
					t.Errorf("%v %s/%s reads from TRIM_HORIZON but discards records older than %v s, while the stream keeps them %v h: set MaximumRecordAgeInSeconds to -1, or add the mapping to recordAgeExceptions with the reason",
						p, stack, id, age, hours)
				}
			}
		}
		if checked == 0 {
			t.Errorf("%v: no Kinesis event source mapping found", p)
		}
	}
}
