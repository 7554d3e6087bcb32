package main

import (
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

var (
	sandbox = map[string]any{"profile": "sandbox"}
	prod    = map[string]any{"profile": "prod"}
	local   = map[string]any{"profile": "local"}
)

func obj(m map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&m) }
func arr(xs ...any) assertions.Matcher        { return assertions.Match_ArrayWith(&xs) }

// dataBucketWithLogPrefix matches one data bucket by its unique access-log prefix.
func dataBucketWithLogPrefix(prefix string, extra map[string]any) *map[string]any {
	props := map[string]any{
		"LoggingConfiguration": obj(map[string]any{
			"DestinationBucketName": obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsiiStr("^AccessLogsBucket"))}),
			"LogFilePrefix":         prefix,
		}),
	}
	for k, v := range extra {
		props[k] = v
	}
	return &props
}

func jsiiStr(s string) *string { return &s }

func lifecycle(rules ...any) map[string]any {
	return map[string]any{"LifecycleConfiguration": obj(map[string]any{"Rules": arr(rules...)})}
}

func TestLakeKey(t *testing.T) {
	tpl := profileTemplate(t, sandbox, "Storage")
	check(t, "one key with rotation", func() {
		tpl.ResourceCountIs(jsiiStr("AWS::KMS::Key"), jsiiNum(1))
		tpl.HasResourceProperties(jsiiStr("AWS::KMS::Key"), obj(map[string]any{"EnableKeyRotation": true}))
	})
	check(t, "alias per project and profile", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::KMS::Alias"), obj(map[string]any{"AliasName": "alias/datalake-sandbox-lake"}))
	})
	check(t, "CloudWatch Logs may use the key for this account's log groups only", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::KMS::Key"), obj(map[string]any{"KeyPolicy": obj(map[string]any{"Statement": arr(obj(map[string]any{
			"Sid":       "AllowCloudWatchLogsInThisAccount",
			"Principal": obj(map[string]any{"Service": assertions.Match_AnyValue()}),
			"Condition": obj(map[string]any{"ArnLike": obj(map[string]any{"kms:EncryptionContext:aws:logs:arn": assertions.Match_AnyValue()})}),
		}))})}))
	})
}

func TestBucketsEncryptionAndAccess(t *testing.T) {
	tpl := profileTemplate(t, sandbox, "Storage")
	check(t, "four buckets", func() { tpl.ResourceCountIs(jsiiStr("AWS::S3::Bucket"), jsiiNum(4)) })
	blockAll := obj(map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true})
	for _, prefix := range []string{"raw/", "curated/", "analytics/"} {
		check(t, prefix+" SSE-KMS with the lake key, bucket key, versioning, no public access, SSE-C blocked", func() {
			tpl.HasResourceProperties(jsiiStr("AWS::S3::Bucket"), obj(*dataBucketWithLogPrefix(prefix, map[string]any{
				"BucketEncryption": obj(map[string]any{"ServerSideEncryptionConfiguration": arr(obj(map[string]any{
					"BucketKeyEnabled":       true,
					"BlockedEncryptionTypes": obj(map[string]any{"EncryptionType": []any{"SSE-C"}}),
					"ServerSideEncryptionByDefault": obj(map[string]any{
						"SSEAlgorithm":   "aws:kms",
						"KMSMasterKeyID": obj(map[string]any{"Fn::GetAtt": arr(assertions.Match_StringLikeRegexp(jsiiStr("^LakeKey")), "Arn")}),
					}),
				}))}),
				"VersioningConfiguration":        obj(map[string]any{"Status": "Enabled"}),
				"PublicAccessBlockConfiguration": blockAll,
			})))
		})
	}
	check(t, "access-logs bucket is SSE-S3 (S3 cannot log into SSE-KMS)", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::S3::Bucket"), obj(map[string]any{
			"BucketEncryption": obj(map[string]any{"ServerSideEncryptionConfiguration": arr(obj(map[string]any{
				"ServerSideEncryptionByDefault": obj(map[string]any{"SSEAlgorithm": "AES256"}),
			}))}),
			"PublicAccessBlockConfiguration": blockAll,
		}))
	})
}

func TestBucketPolicies(t *testing.T) {
	tpl := profileTemplate(t, sandbox, "Storage")
	check(t, "four bucket policies", func() { tpl.ResourceCountIs(jsiiStr("AWS::S3::BucketPolicy"), jsiiNum(4)) })
	denyTLS := obj(map[string]any{"Effect": "Deny", "Action": "s3:*", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}})
	denyOldTLS := obj(map[string]any{"Effect": "Deny", "Action": "s3:*", "Condition": map[string]any{"NumericLessThan": map[string]any{"s3:TlsVersion": 1.2}}})
	denyNoKms := obj(map[string]any{"Sid": "DenyUploadsWithoutSseKms", "Effect": "Deny", "Action": "s3:PutObject",
		"Condition": map[string]any{"StringNotEquals": map[string]any{"s3:x-amz-server-side-encryption": "aws:kms"}}})
	denyOtherKey := obj(map[string]any{"Sid": "DenyUploadsWithOtherKmsKey", "Effect": "Deny", "Action": "s3:PutObject",
		"Condition": obj(map[string]any{"StringNotEqualsIfExists": obj(map[string]any{
			"s3:x-amz-server-side-encryption-aws-kms-key-id": obj(map[string]any{"Fn::GetAtt": arr(assertions.Match_StringLikeRegexp(jsiiStr("^LakeKey")), "Arn")}),
		})})})
	for _, b := range []string{"RawBucket", "CuratedBucket", "AnalyticsBucket"} {
		check(t, b+" policy denies non-TLS, TLS < 1.2, uploads without SSE-KMS and uploads with another key", func() {
			tpl.HasResourceProperties(jsiiStr("AWS::S3::BucketPolicy"), obj(map[string]any{
				"Bucket":         obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsiiStr("^" + b))}),
				"PolicyDocument": obj(map[string]any{"Statement": arr(denyTLS, denyOldTLS, denyNoKms, denyOtherKey)}),
			}))
		})
	}
	check(t, "access-logs policy denies non-TLS and admits only the S3 logging service", func() {
		tpl.HasResourceProperties(jsiiStr("AWS::S3::BucketPolicy"), obj(map[string]any{
			"Bucket": obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsiiStr("^AccessLogsBucket"))}),
			"PolicyDocument": obj(map[string]any{"Statement": arr(denyTLS, obj(map[string]any{
				"Effect": "Allow", "Action": "s3:PutObject", "Principal": map[string]any{"Service": "logging.s3.amazonaws.com"},
			}))}),
		}))
	})
}

func TestLifecyclePerProfile(t *testing.T) {
	cases := []struct {
		ctx                                                                  map[string]any
		ia, glacier, noncurrent, abort, accessLogs, errorsOut, athenaResults int
	}{
		{sandbox, 60, 180, 30, 7, 90, 30, 7},
		{prod, 60, 180, 90, 7, 365, 90, 30},
		{local, 60, 180, 1, 1, 7, 7, 1},
		{map[string]any{"profile": "sandbox", "rawIaDays": "30", "rawGlacierDays": "90", "errorExpiryDays": "14"}, 30, 90, 30, 7, 90, 14, 7},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.ctx), func(t *testing.T) {
			tpl := profileTemplate(t, c.ctx, "Storage")
			common := []any{
				obj(map[string]any{"Id": "expire-noncurrent-versions", "Status": "Enabled", "NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": c.noncurrent}}),
				obj(map[string]any{"Id": "abort-incomplete-multipart-uploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": c.abort}}),
			}
			check(t, "raw: Standard -> IA -> Glacier, errors/ expiry", func() {
				rules := append([]any{
					obj(map[string]any{"Id": "raw-tiering", "Status": "Enabled", "Transitions": []any{
						map[string]any{"StorageClass": "STANDARD_IA", "TransitionInDays": c.ia},
						map[string]any{"StorageClass": "GLACIER", "TransitionInDays": c.glacier},
					}}),
					obj(map[string]any{"Id": "expire-error-output", "Prefix": "errors/", "ExpirationInDays": c.errorsOut}),
				}, common...)
				tpl.HasResourceProperties(jsiiStr("AWS::S3::Bucket"), obj(*dataBucketWithLogPrefix("raw/", lifecycle(rules...))))
			})
			check(t, "transitionDefaultMinimumObjectSize is set explicitly", func() {
				tpl.HasResourceProperties(jsiiStr("AWS::S3::Bucket"), obj(*dataBucketWithLogPrefix("raw/", map[string]any{
					"LifecycleConfiguration": obj(map[string]any{"TransitionDefaultMinimumObjectSize": "all_storage_classes_128K"}),
				})))
			})
			check(t, "curated: noncurrent expiry and multipart abort", func() {
				tpl.HasResourceProperties(jsiiStr("AWS::S3::Bucket"), obj(*dataBucketWithLogPrefix("curated/", lifecycle(common...))))
			})
			check(t, "analytics: athena-results/ expiry, detector checkpoints' versions kept a day", func() {
				rules := append([]any{
					obj(map[string]any{"Id": "expire-athena-results", "Prefix": "athena-results/", "ExpirationInDays": c.athenaResults}),
					obj(map[string]any{"Id": "expire-old-detector-checkpoints", "Prefix": "detector/checkpoints/", "NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 1}}),
				}, common...)
				tpl.HasResourceProperties(jsiiStr("AWS::S3::Bucket"), obj(*dataBucketWithLogPrefix("analytics/", lifecycle(rules...))))
			})
			check(t, "access logs expire", func() {
				tpl.HasResourceProperties(jsiiStr("AWS::S3::Bucket"), obj(map[string]any{
					"BucketEncryption": obj(map[string]any{"ServerSideEncryptionConfiguration": arr(obj(map[string]any{
						"ServerSideEncryptionByDefault": obj(map[string]any{"SSEAlgorithm": "AES256"})}))}),
					"LifecycleConfiguration": obj(map[string]any{"Rules": arr(obj(map[string]any{"Id": "expire-access-logs", "ExpirationInDays": c.accessLogs}))}),
				}))
			})
		})
	}
}

func TestRemovalPolicyPerProfile(t *testing.T) {
	cases := []struct {
		ctx     map[string]any
		policy  string
		buckets int // prod adds the audit trail's bucket
	}{
		{sandbox, "Retain", 4},
		{prod, "Retain", 5},
		{local, "Delete", 4},
		{map[string]any{"profile": "sandbox", "allowDestroy": "true"}, "Delete", 4},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.ctx), func(t *testing.T) {
			storage := synth(t, c.ctx).templates["Storage"]
			network := synth(t, c.ctx).templates["Network"]
			for _, typ := range []struct {
				tpl  map[string]any
				kind string
				want int
			}{{storage, "AWS::S3::Bucket", c.buckets}, {storage, "AWS::KMS::Key", 1}, {network, "AWS::Logs::LogGroup", 1}} {
				res := resourcesOfType(typ.tpl, typ.kind)
				if len(res) != typ.want {
					t.Errorf("%d %s, want %d", len(res), typ.kind, typ.want)
				}
				for _, id := range sortedKeys(res) {
					if got := res[id]["DeletionPolicy"]; got != c.policy {
						t.Errorf("%s DeletionPolicy %v, want %s", id, got, c.policy)
					}
					if got := res[id]["UpdateReplacePolicy"]; got != c.policy {
						t.Errorf("%s UpdateReplacePolicy %v, want %s", id, got, c.policy)
					}
				}
			}
		})
	}
}

func TestObjectLockIsAProdOption(t *testing.T) {
	off := profileTemplate(t, prod, "Storage")
	check(t, "off by default", func() {
		buckets := off.FindResources(jsiiStr("AWS::S3::Bucket"), obj(map[string]any{"Properties": obj(map[string]any{"ObjectLockEnabled": true})}))
		if len(*buckets) != 0 {
			panic(fmt.Sprintf("%d buckets with Object Lock", len(*buckets)))
		}
	})
	on := profileTemplate(t, map[string]any{"profile": "prod", "rawObjectLockDays": "365"}, "Storage")
	check(t, "raw bucket gets GOVERNANCE retention", func() {
		on.HasResourceProperties(jsiiStr("AWS::S3::Bucket"), obj(*dataBucketWithLogPrefix("raw/", map[string]any{
			"ObjectLockEnabled": true,
			"ObjectLockConfiguration": obj(map[string]any{"ObjectLockEnabled": "Enabled", "Rule": obj(map[string]any{
				"DefaultRetention": obj(map[string]any{"Mode": "GOVERNANCE", "Days": 365}),
			})}),
		})))
	})
	check(t, "only the raw bucket", func() {
		buckets := on.FindResources(jsiiStr("AWS::S3::Bucket"), obj(map[string]any{"Properties": obj(map[string]any{"ObjectLockEnabled": true})}))
		if len(*buckets) != 1 {
			panic(fmt.Sprintf("%d buckets with Object Lock, want 1", len(*buckets)))
		}
	})
}

func TestTagsOnEveryTaggableResource(t *testing.T) {
	for _, ctx := range []map[string]any{sandbox, prod, local} {
		r := synth(t, ctx)
		for stack, tpl := range r.templates {
			for id, raw := range tpl["Resources"].(map[string]any) {
				res := raw.(map[string]any)
				props, _ := res["Properties"].(map[string]any)
				tags, ok := props["Tags"].([]any)
				if !ok {
					continue // not a taggable type (policies, associations, ...)
				}
				got := map[string]any{}
				for _, tg := range tags {
					kv := tg.(map[string]any)
					got[kv["Key"].(string)] = kv["Value"]
				}
				want := map[string]any{"project": "datalake", "profile": ctx["profile"], "owner": "data-platform"}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s/%s %s/%s: tag %s=%v, want %v", ctx["profile"], stack, id, res["Type"], k, got[k], v)
					}
				}
			}
		}
	}
}

func jsiiNum(n float64) *float64 { return &n }
