// Package storage is the lake's Storage stack: the KMS key that encrypts
// everything in the lake, and the raw, curated, analytics and access-logs
// buckets with their policies and lifecycle rules.
package storage

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
)

// Props configures the Storage stack. Zero values take the defaults given.
type Props struct {
	awscdk.StackProps
	// Deployment names the key's alias and descriptions. Required.
	Deployment layout.Deployment
	// AllowDestroy makes the key and the buckets DESTROY instead of RETAIN. Default false.
	AllowDestroy bool
	// Versioning keeps object versions on every bucket. Default (nil) true.
	Versioning *bool
	// RawInfrequentAccessDays moves raw objects to Standard-IA this many days after creation. Default 60.
	RawInfrequentAccessDays int
	// RawGlacierDays moves raw objects to Glacier Flexible Retrieval; S3 needs at
	// least RawInfrequentAccessDays + 30. Default 180.
	RawGlacierDays int
	// NoncurrentVersionExpiryDays deletes versions this long after they stop being current. Default 30.
	NoncurrentVersionExpiryDays int
	// AbortMultipartDays aborts incomplete multipart uploads. Default 7.
	AbortMultipartDays int
	// AccessLogExpiryDays deletes S3 server access logs. Default 90.
	AccessLogExpiryDays int
	// ErrorOutputExpiryDays deletes the raw bucket's errors/. Default 30.
	ErrorOutputExpiryDays int
	// AthenaResultsExpiryDays deletes the analytics bucket's athena-results/. Default 7.
	AthenaResultsExpiryDays int
	// TransitionMinimumObjectSize is S3's transitionDefaultMinimumObjectSize:
	// "all_storage_classes_128k" (default: objects under 128 KB never
	// transition, since each transition is billed per object) or
	// "varies_by_storage_class".
	TransitionMinimumObjectSize string
	// RawObjectLockDays, above zero, turns on Object Lock on the raw bucket with
	// a GOVERNANCE default retention of this many days. Default 0 (off).
	RawObjectLockDays int
	// AuditTrail creates a CloudTrail trail of the data buckets' object
	// reads and writes, into its own bucket. Default false.
	AuditTrail bool
	// AuditLogExpiryDays deletes audit logs; they move to Glacier after 90
	// days when kept longer. Default 365.
	AuditLogExpiryDays int
}

// withDefaults returns p with every zero value replaced by its default.
func (p Props) withDefaults() Props {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.RawInfrequentAccessDays, 60) // seed: Standard -> IA 60 days after creation
	def(&p.RawGlacierDays, 180)         // seed: -> Glacier 6 months after creation
	def(&p.NoncurrentVersionExpiryDays, 30)
	def(&p.AbortMultipartDays, 7)
	def(&p.AccessLogExpiryDays, 90)
	def(&p.ErrorOutputExpiryDays, 30)
	def(&p.AthenaResultsExpiryDays, 7)
	def(&p.AuditLogExpiryDays, 365)
	if p.TransitionMinimumObjectSize == "" {
		p.TransitionMinimumObjectSize = "all_storage_classes_128k"
	}
	if p.Versioning == nil {
		p.Versioning = jsii.Bool(true)
	}
	return p
}

// Stack owns the lake's KMS key and its buckets. Later stacks take these
// fields as props instead of looking the resources up by name.
type Stack struct {
	awscdk.Stack
	// LakeKey encrypts every data bucket and, through grants, everything else in the lake.
	LakeKey awskms.Key
	// RawBucket receives the stream (telemetry/), batch uploads (landing/) and error output (errors/).
	RawBucket awss3.Bucket
	// CuratedBucket holds cleaned, de-duplicated, joined data.
	CuratedBucket awss3.Bucket
	// AnalyticsBucket holds training sets, model artifacts and Athena results.
	AnalyticsBucket awss3.Bucket
	// AccessLogsBucket receives S3 server access logs of the three data buckets.
	AccessLogsBucket awss3.Bucket
	// AuditBucket and Trail exist with Props.AuditTrail.
	AuditBucket awss3.Bucket
	Trail       awscloudtrail.Trail
}

// NewStack creates the key and the buckets.
func NewStack(scope constructs.Construct, id string, props *Props) *Stack {
	cfg := props.withDefaults()
	stack := awscdk.NewStack(scope, &id, &cfg.StackProps)
	s := &Stack{Stack: stack}
	removal := baseline.Removal(cfg.AllowDestroy)

	s.LakeKey = awskms.NewKey(stack, jsii.String("LakeKey"), &awskms.KeyProps{
		Alias:             jsii.String("alias/" + cfg.Deployment.Prefix() + "-lake"),
		Description:       jsii.String("Encrypts the " + cfg.Deployment.Project + " data lake (" + cfg.Deployment.Profile + "): buckets, streams, logs, jobs"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal,
		// The default key policy (the account root may use kms:*) is AWS's own
		// default: it delegates to IAM in this account, so later stacks give their
		// roles use of the key with key.Grant*(), scoped in each role's policy, and
		// the key can never become unmanageable.
	})
	// CloudWatch Logs is a service principal, not an IAM role in the account, so
	// it needs the key policy itself; the condition keeps it to this account's log groups.
	// Its principal is regional, with the partition's URL suffix.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
	s.allowService("AllowCloudWatchLogsInThisAccount", baseline.ViaService("logs"),
		[]string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
		map[string]any{"ArnLike": map[string]any{
			"kms:EncryptionContext:aws:logs:arn": stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("logs"), Resource: jsii.String("log-group"),
				ResourceName: jsii.String("*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME}),
		}})

	// CloudWatch alarms publish to SNS topics encrypted with this key; the
	// alarm service is not an IAM principal of the account, so it needs the key
	// policy. aws:SourceAccount keeps it to alarms of this account.
	s.allowService("AllowCloudWatchAlarmsToEncryptedTopics", "cloudwatch.amazonaws.com", []string{"kms:Decrypt", "kms:GenerateDataKey*"}, map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}})

	// EventBridge encrypts with this key twice: events a rule could not
	// deliver, into SQS dead-letter queues (eb-rule-dlq.html), and failure
	// events it publishes to the alarm topic. For the topic, SNS documents
	// that aws:SourceAccount, aws:SourceArn and aws:SourceOrgID are "not
	// supported for EventBridge-to-encrypted topics", so the statement has no
	// condition; the topic and queue policies decide what may be sent.
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
	// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
	s.allowService("AllowEventBridgeToEncryptedTargets", "events.amazonaws.com", []string{"kms:Decrypt", "kms:GenerateDataKey*"}, nil)
	// AWS Budgets publishes its warnings to the encrypted alarm topic. Budgets
	// documents the topic policy but no key statement; this is SNS's generic
	// one for AWS services publishing to encrypted topics. It has no
	// condition because Budgets documents none for KMS; the topic policy
	// holds Budgets to this account.
	// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
	s.allowService("AllowBudgetsToEncryptedTopics", "budgets.amazonaws.com", []string{"kms:Decrypt", "kms:GenerateDataKey*"}, nil)

	s.AccessLogsBucket = awss3.NewBucket(stack, jsii.String("AccessLogsBucket"), &awss3.BucketProps{
		// S3 server access logging cannot deliver to a bucket encrypted with
		// SSE-KMS, so this one bucket uses SSE-S3 (AES-256).
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		Versioned:         cfg.Versioning,
		RemovalPolicy:     removal,
		LifecycleRules: &[]*awss3.LifecycleRule{
			{Id: jsii.String("expire-access-logs"), Expiration: days(cfg.AccessLogExpiryDays)},
			noncurrentRule(cfg),
			abortMultipartRule(cfg),
		},
		TransitionDefaultMinimumObjectSize: transitionMinimumObjectSize(cfg),
	})
	// The packs recognise a server access log target and do not ask it to log itself.
	baseline.Suppress(s.AccessLogsBucket, baseline.Twins("S3DefaultEncryptionKMS",
		"S3 server access logging only delivers to SSE-S3 buckets; SSE-KMS targets are not supported.")...)

	baseline.Suppress(s.AccessLogsBucket, replicationReasons...)

	rawRules := []*awss3.LifecycleRule{
		{
			// Seed: General Purpose -> Infrequent Access after 60 days -> Glacier after 6 months.
			Id: jsii.String("raw-tiering"),
			Transitions: &[]*awss3.Transition{
				{StorageClass: awss3.StorageClass_INFREQUENT_ACCESS(), TransitionAfter: days(cfg.RawInfrequentAccessDays)},
				{StorageClass: awss3.StorageClass_GLACIER(), TransitionAfter: days(cfg.RawGlacierDays)},
			},
		},
		{Id: jsii.String("expire-error-output"), Prefix: jsii.String(layout.RawErrorsPrefix), Expiration: days(cfg.ErrorOutputExpiryDays)},
	}
	s.RawBucket = s.dataBucket("RawBucket", "raw/", cfg, removal, rawRules)
	s.CuratedBucket = s.dataBucket("CuratedBucket", "curated/", cfg, removal, nil)
	s.AnalyticsBucket = s.dataBucket("AnalyticsBucket", "analytics/", cfg, removal, []*awss3.LifecycleRule{
		{Id: jsii.String("expire-athena-results"), Prefix: jsii.String(layout.AthenaResultsPrefix), Expiration: days(cfg.AthenaResultsExpiryDays)},
		// The anomaly detector rewrites each shard's checkpoint up to once a
		// minute: on a versioned bucket every write would keep a version for
		// noncurrentExpiryDays (1,440 a day per shard). The earlier ones are
		// worthless once a newer one exists; S3 keeps the shorter of two
		// overlapping expirations, and 1 day is its shortest.
		// https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-conflicts.html
		{Id: jsii.String("expire-old-detector-checkpoints"), Prefix: jsii.String(layout.DetectorCheckpointPrefix), NoncurrentVersionExpiration: days(1)},
	})
	if cfg.AuditTrail {
		s.addAuditTrail(cfg, removal)
	}
	// In a fixed order: outputs appear in the template in creation order,
	// and a map's order would change the template from one synth to the next.
	for _, o := range []struct {
		name   string
		bucket awss3.Bucket
	}{{"RawBucketName", s.RawBucket}, {"CuratedBucketName", s.CuratedBucket}, {"AnalyticsBucketName", s.AnalyticsBucket}} {
		awscdk.NewCfnOutput(stack, jsii.String(o.name), &awscdk.CfnOutputProps{Value: o.bucket.BucketName()})
	}
	awscdk.NewCfnOutput(stack, jsii.String("LakeKeyArn"), &awscdk.CfnOutputProps{
		Value: s.LakeKey.KeyArn(), Description: jsii.String("Uploads name this key: --sse aws:kms --sse-kms-key-id <this>"),
	})
	return s
}

// dataBucket creates one SSE-KMS data bucket with the lake's baseline: bucket
// key, versioning, TLS only, no public access, access logs, lifecycle, and a
// policy that refuses uploads not encrypted with the lake key.
func (s *Stack) dataBucket(id, logPrefix string, cfg Props, removal awscdk.RemovalPolicy, extraRules []*awss3.LifecycleRule) awss3.Bucket {
	rules := append(extraRules, noncurrentRule(cfg), abortMultipartRule(cfg))
	props := &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     s.LakeKey,
		BucketKeyEnabled:  jsii.Bool(true), // one KMS call per bucket key period instead of per object: cheaper at lake volumes
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		// SSE-C would let a client encrypt with a key the lake cannot audit or rotate.
		BlockedEncryptionTypes:             &[]awss3.BlockedEncryptionType{awss3.BlockedEncryptionType_SSE_C()},
		EnforceSSL:                         jsii.Bool(true),
		MinimumTLSVersion:                  jsii.Number(1.2),
		Versioned:                          cfg.Versioning,
		ServerAccessLogsBucket:             s.AccessLogsBucket,
		ServerAccessLogsPrefix:             jsii.String(logPrefix),
		TargetObjectKeyFormat:              awss3.TargetObjectKeyFormat_PartitionedPrefix(awss3.PartitionDateSource_EVENT_TIME),
		LifecycleRules:                     &rules,
		TransitionDefaultMinimumObjectSize: transitionMinimumObjectSize(cfg),
		RemovalPolicy:                      removal,
	}
	if id == "RawBucket" && cfg.RawObjectLockDays > 0 {
		props.ObjectLockEnabled = jsii.Bool(true)
		props.ObjectLockDefaultRetention = awss3.ObjectLockRetention_Governance(awscdk.Duration_Days(jsii.Number(float64(cfg.RawObjectLockDays))))
	}
	bucket := awss3.NewBucket(s.Stack, &id, props)
	anyone := &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()}
	// Uploads must say SSE-KMS with the lake key; the bucket default would
	// encrypt a bare upload anyway, but the explicit headers keep every
	// writer honest if that default is ever changed. Except under iceberg/:
	// Glue writes an Iceberg table's first metadata file itself at
	// CreateTable, and its table optimizers rewrite files relying on the
	// bucket's default encryption ("We support only bucket-level
	// encryption", https://docs.aws.amazon.com/glue/latest/dg/optimization-prerequisites.html).
	// There a bare upload gets the bucket default, the lake key; an upload
	// that sends encryption headers must still name SSE-KMS and the lake key.
	icebergObjects := bucket.ArnForObjects(jsii.String(layout.IcebergPrefix + "*"))
	sse, keyID := "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"
	for _, st := range []struct {
		sid        string
		iceberg    bool
		conditions map[string]any
	}{
		{"DenyUploadsWithoutSseKms", false, map[string]any{"StringNotEquals": map[string]any{sse: "aws:kms"}}},
		// A writer that names a key must name the lake key (and one that
		// names none is refused: S3 would pick a key itself).
		{"DenyUploadsWithOtherKmsKey", false, map[string]any{"StringNotEqualsIfExists": map[string]any{keyID: s.LakeKey.KeyArn()}}},
		{"DenyIcebergUploadsWithOtherEncryption", true, map[string]any{"Null": map[string]any{sse: "false"}, "StringNotEquals": map[string]any{sse: "aws:kms"}}},
		{"DenyIcebergUploadsWithOtherKmsKey", true, map[string]any{"Null": map[string]any{sse: "false"}, "StringNotEqualsIfExists": map[string]any{keyID: s.LakeKey.KeyArn()}}},
	} {
		props := &awsiam.PolicyStatementProps{
			Sid: jsii.String(st.sid), Effect: awsiam.Effect_DENY, Principals: anyone, Actions: jsii.Strings("s3:PutObject"),
			Conditions: &st.conditions,
		}
		if st.iceberg {
			props.Resources = &[]*string{icebergObjects}
		} else {
			props.NotResources = &[]*string{icebergObjects}
		}
		bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(props))
	}
	baseline.Suppress(bucket, replicationReasons...)
	return bucket
}

// addAuditTrail records every object read and write of the data buckets
// (S3 data events) with CloudTrail, KMS-encrypted and with log file
// validation, into a bucket of its own.
//
// Only data events: the account's management events are usually recorded
// already (a second copy of them is billed), and the question this answers
// is who read or wrote lake objects.
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html
// https://aws.amazon.com/cloudtrail/pricing/
func (s *Stack) addAuditTrail(cfg Props, removal awscdk.RemovalPolicy) {
	name := cfg.Deployment.Trail()
	trailArn := s.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudtrail"), Resource: jsii.String("trail"),
		ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})
	s.AuditBucket = awss3.NewBucket(s.Stack, jsii.String("AuditBucket"), &awss3.BucketProps{
		Encryption:    awss3.BucketEncryption_KMS,
		EncryptionKey: s.LakeKey,
		// No bucket key: CloudTrail's key statement is conditioned on the
		// trail's encryption context, which S3 sends per object only
		// without one.
		BucketKeyEnabled:       jsii.Bool(false),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		BlockedEncryptionTypes: &[]awss3.BlockedEncryptionType{awss3.BlockedEncryptionType_SSE_C()},
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		Versioned:              cfg.Versioning,
		ServerAccessLogsBucket: s.AccessLogsBucket,
		ServerAccessLogsPrefix: jsii.String("audit/"),
		TargetObjectKeyFormat:  awss3.TargetObjectKeyFormat_PartitionedPrefix(awss3.PartitionDateSource_EVENT_TIME),
		LifecycleRules: &[]*awss3.LifecycleRule{
			auditExpiry(cfg),
			noncurrentRule(cfg),
			abortMultipartRule(cfg),
		},
		TransitionDefaultMinimumObjectSize: transitionMinimumObjectSize(cfg),
		RemovalPolicy:                      removal,
	})
	// No "uploads must say SSE-KMS" statement here, unlike the data buckets:
	// CloudTrail relies on the bucket's default encryption, and AWS does not
	// document that it sends the header (digest files are documented both as
	// SSE-S3 and as KMS-encrypted).
	// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html
	baseline.Suppress(s.AuditBucket, replicationReasons...)

	// The L2 writes CloudTrail's documented bucket statements (GetBucketAcl;
	// PutObject under AWSLogs/<account>/ with bucket-owner-full-control) but
	// without aws:SourceArn, which AWS recommends against the confused
	// deputy; this statement adds it by refusing any other trail.
	// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
	s.AuditBucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("DenyOtherTrails"), Effect: awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudtrail.amazonaws.com"), nil)},
		Actions:    jsii.Strings("s3:GetBucketAcl", "s3:PutObject"),
		Resources:  &[]*string{s.AuditBucket.BucketArn(), s.AuditBucket.ArnForObjects(jsii.String("*"))},
		Conditions: &map[string]any{"StringNotEquals": map[string]any{"aws:SourceArn": trailArn}},
	}))
	// CloudTrail encrypts each log file with a data key of its own, as the
	// service, naming the trail in the encryption context; it also reads the
	// key's description when the trail is created or updated.
	// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
	s.allowService("AllowCloudTrailToEncryptLogs", "cloudtrail.amazonaws.com", []string{"kms:GenerateDataKey*"}, map[string]any{
		"StringEquals": map[string]any{"aws:SourceArn": trailArn},
		"StringLike": map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": s.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudtrail"),
			Region: jsii.String("*"), Resource: jsii.String("trail"), ResourceName: jsii.String("*"), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})},
	})
	s.allowService("AllowCloudTrailToDescribeKey", "cloudtrail.amazonaws.com", []string{"kms:DescribeKey"}, map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailArn}})

	s.Trail = awscloudtrail.NewTrail(s.Stack, jsii.String("AuditTrail"), &awscloudtrail.TrailProps{
		TrailName:                  jsii.String(name),
		Bucket:                     s.AuditBucket,
		EncryptionKey:              s.LakeKey,
		EnableFileValidation:       jsii.Bool(true),
		ManagementEvents:           awscloudtrail.ReadWriteType_NONE,
		IncludeGlobalServiceEvents: jsii.Bool(false),
		IsMultiRegionTrail:         jsii.Bool(false), // the buckets live in this region
		SendToCloudWatchLogs:       jsii.Bool(false),
	})
	selectors := make([]*awscloudtrail.S3EventSelector, 0, 3)
	for _, b := range s.DataBuckets() {
		selectors = append(selectors, &awscloudtrail.S3EventSelector{Bucket: b})
	}
	s.Trail.AddS3EventSelector(&selectors, &awscloudtrail.AddEventSelectorOptions{
		ReadWriteType: awscloudtrail.ReadWriteType_ALL, IncludeManagementEvents: jsii.Bool(false),
	})
	// The trail's key policy statements name it by ARN, so it must exist after them.
	s.Trail.Node().AddDependency(s.LakeKey)
	baseline.Suppress(s.Trail, baseline.Twins("CloudTrailCloudWatchLogsEnabled",
		"The trail records S3 data events of the lake buckets for audit, read from its KMS-encrypted, validated log files with Athena or CloudTrail Lake; streaming them to CloudWatch Logs as well would bill every event twice. Alarms on lake failures come from EventBridge and CloudWatch metrics.")...)
	awscdk.NewCfnOutput(s.Stack, jsii.String("AuditBucketName"), &awscdk.CfnOutputProps{Value: s.AuditBucket.BucketName(),
		Description: jsii.String("CloudTrail data events of the lake buckets, under AWSLogs/<account>/CloudTrail/")})
}

func auditExpiry(cfg Props) *awss3.LifecycleRule {
	r := &awss3.LifecycleRule{Id: jsii.String("audit-logs"), Expiration: days(cfg.AuditLogExpiryDays)}
	// Glacier Flexible Retrieval bills at least 90 days per object.
	if cfg.AuditLogExpiryDays > 180 {
		r.Transitions = &[]*awss3.Transition{{StorageClass: awss3.StorageClass_GLACIER(), TransitionAfter: days(90)}}
	}
	return r
}

// allowService adds a key policy statement for an AWS service principal:
// services are not IAM principals of the account, so only the key policy
// can let them use the key. conditions may be nil where the service
// documents none it sends.
func (s *Stack) allowService(sid, service string, actions []string, conditions map[string]any) {
	p := &awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(service), nil)},
		Actions:    jsii.Strings(actions...),
		Resources:  jsii.Strings("*"), // in a key policy "*" means this key
	}
	if conditions != nil {
		p.Conditions = &conditions
	}
	s.LakeKey.AddToResourcePolicy(awsiam.NewPolicyStatement(p), jsii.Bool(true))
}

// replicationReasons excuse the lake's buckets from cross-region replication.
var replicationReasons = baseline.Twins("S3BucketReplicationEnabled",
	"Single-region lake: cross-region replication doubles storage cost; versioning, RETAIN and (prod option) Object Lock cover recovery. Add replication rules when a DR region is required.")

func days(n int) awscdk.Duration { return awscdk.Duration_Days(jsii.Number(float64(n))) }

func noncurrentRule(cfg Props) *awss3.LifecycleRule {
	return &awss3.LifecycleRule{
		Id:                          jsii.String("expire-noncurrent-versions"),
		NoncurrentVersionExpiration: days(cfg.NoncurrentVersionExpiryDays),
		ExpiredObjectDeleteMarker:   jsii.Bool(true),
	}
}

func abortMultipartRule(cfg Props) *awss3.LifecycleRule {
	return &awss3.LifecycleRule{
		Id:                                  jsii.String("abort-incomplete-multipart-uploads"),
		AbortIncompleteMultipartUploadAfter: days(cfg.AbortMultipartDays),
	}
}

func transitionMinimumObjectSize(cfg Props) awss3.TransitionDefaultMinimumObjectSize {
	if cfg.TransitionMinimumObjectSize == "varies_by_storage_class" {
		return awss3.TransitionDefaultMinimumObjectSize_VARIES_BY_STORAGE_CLASS
	}
	return awss3.TransitionDefaultMinimumObjectSize_ALL_STORAGE_CLASSES_128_K
}

// DataBuckets are the buckets that hold lake data (not the access logs).
func (s *Stack) DataBuckets() []awss3.IBucket {
	return []awss3.IBucket{s.RawBucket, s.CuratedBucket, s.AnalyticsBucket}
}
