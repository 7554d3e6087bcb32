package curated

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
)

// OptimizerLogGroups are the log groups Glue's table optimizers write to,
// one per type, named by Glue
// (https://docs.aws.amazon.com/glue/latest/dg/optimization-prerequisites.html).
var OptimizerLogGroups = []string{
	"/aws-glue/iceberg-compaction/logs",
	"/aws-glue/iceberg-retention/logs",
	"/aws-glue/iceberg-orphan-file-deletion/logs",
}

// NoTableOptimizerRegions are the regions whose CloudFormation has no
// AWS::Glue::TableOptimizer, as cfn-lint 1.58's per-region resource schemas
// list them (cfnlint/data/schemas/providers/<region>.json; lake/curated's
// tests read them). A template that names the type fails there even under
// a false condition, so the optimizers are a stack of their own (Upkeep),
// which a deployment in such a region leaves out with -c tableOptimizers=false.
var NoTableOptimizerRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-3", "ap-south-2", "ap-southeast-4", "ap-southeast-5",
	"ap-southeast-6", "ap-southeast-7", "ca-west-1", "cn-north-1", "cn-northwest-1", "eu-central-2", "eu-south-1",
	"eu-south-2", "eu-west-3", "il-central-1", "me-central-1", "mx-central-1", "us-gov-east-1", "us-gov-west-1", "us-west-1",
}

// TableOptimizersAvailable reports whether region's CloudFormation has AWS::Glue::TableOptimizer.
func TableOptimizersAvailable(region string) bool {
	for _, r := range NoTableOptimizerRegions {
		if r == region {
			return false
		}
	}
	return true
}

// TableOptimizerRegions is regions without those that have no optimizer type, sorted.
func TableOptimizerRegions(regions []string) []string {
	var out []string
	for _, r := range regions {
		if TableOptimizersAvailable(r) {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// CheckTableOptimizerRegion refuses the optimizers in a region whose
// CloudFormation lacks them, saying which setting leaves them out; whose
// says where the region comes from.
func CheckTableOptimizerRegion(enabled bool, region, whose string) error {
	if !enabled || region == "" || TableOptimizersAvailable(region) {
		return nil
	}
	if whose != "" {
		whose = " (" + whose + ")"
	}
	return fmt.Errorf("tableOptimizers=true: CloudFormation has no AWS::Glue::TableOptimizer in %s%s: set -c tableOptimizers=false; "+
		"the Iceberg tables then get no compaction, snapshot expiry or orphan-file deletion (docs/etl.md, Upkeep)", region, whose)
}

// UpkeepProps configures the Upkeep stack. Zero values take the defaults given.
type UpkeepProps struct {
	awscdk.StackProps
	// Deployment names the tables' database. Required.
	Deployment layout.Deployment
	// LakeKey encrypts the tables' files. Required.
	LakeKey awskms.IKey
	// CuratedBucket holds curated_telemetry; AnalyticsBucket training_features. Required.
	CuratedBucket, AnalyticsBucket awss3.IBucket
	// SnapshotRetentionDays is how long the retention optimizer keeps a
	// snapshot (time travel reaches that far back). Default 7.
	SnapshotRetentionDays int
	// OrphanFileRetentionDays is how old an unreferenced file must be before
	// the orphan-file optimizer deletes it: longer than any job run, whose
	// files are unreferenced until it commits. Default 3.
	OrphanFileRetentionDays int
	// AlarmTopicArn is told when an optimizer run fails. Required.
	AlarmTopicArn *string
	// LambdaArch, LogRetentionDays and AllowDestroy configure the watch function.
	LambdaArch       string
	LogRetentionDays int
	AllowDestroy     bool
	// Emulator keeps the optimizers behind a parameter that defaults to
	// false: emulators reject their type.
	Emulator bool
}

func (p UpkeepProps) withDefaults() UpkeepProps {
	if p.SnapshotRetentionDays == 0 {
		p.SnapshotRetentionDays = 7
	}
	if p.OrphanFileRetentionDays == 0 {
		p.OrphanFileRetentionDays = 3
	}
	return p
}

// UpkeepStack owns the optimizers of the Curated stack's tables.
type UpkeepStack struct {
	awscdk.Stack
	// Optimizers are the table optimizers, by "<table>/<type>".
	Optimizers map[string]awsglue.CfnTableOptimizer
	// Role is what every optimizer runs as.
	Role awsiam.IRole
	// Watch tells the alarm topic about failed optimizer runs.
	Watch *Watch
}

// OptimizerTypes are the Glue table optimizer types every table gets.
var OptimizerTypes = []string{"compaction", "retention", "orphan_file_deletion"}

// NewUpkeepStack creates the optimizers, their role and their watch.
func NewUpkeepStack(scope constructs.Construct, id string, props *UpkeepProps) (*UpkeepStack, error) {
	cfg := props.withDefaults()
	stack := awscdk.NewStack(scope, &id, &cfg.StackProps)
	if err := CheckTableOptimizerRegion(true, regionOf(stack), ""); err != nil {
		return nil, err
	}
	// An environment-agnostic template says in its own words why it cannot
	// go to such a region. CloudFormation may reject the unknown type before
	// it evaluates rules; either message names the region's gap.
	awscdk.NewCfnRule(stack, jsii.String("TableOptimizersRegion"), &awscdk.CfnRuleProps{
		Assertions: &[]*awscdk.CfnRuleAssertion{{
			Assert:            awscdk.Fn_ConditionNot(awscdk.Fn_ConditionContains(jsii.Strings(NoTableOptimizerRegions...), awscdk.Aws_REGION())),
			AssertDescription: jsii.String("CloudFormation has no AWS::Glue::TableOptimizer in this region (" + strings.Join(NoTableOptimizerRegions, ", ") + "): deploy with -c tableOptimizers=false"),
		}},
	})
	u := &UpkeepStack{Stack: stack, Optimizers: map[string]awsglue.CfnTableOptimizer{}}
	u.Role = optimizerRole(stack, cfg)
	var resources []awscdk.CfnResource
	for _, t := range locations(cfg.CuratedBucket, cfg.AnalyticsBucket) {
		for _, typ := range OptimizerTypes {
			o := optimizer(stack, cfg, u.Role, t, typ)
			u.Optimizers[t.table.Name+"/"+typ] = o
			resources = append(resources, o)
		}
	}
	baseline.SkipOnEmulator(cfg.Emulator, stack, "TableOptimizersEnabled", "Emulators reject AWS::Glue::TableOptimizer", resources...)
	w, err := newWatch(stack, cfg, u.Optimizers)
	if err != nil {
		return nil, err
	}
	u.Watch = w
	return u, nil
}

// regionOf is the stack's region when it is pinned, "" when the template is
// environment-agnostic.
func regionOf(stack awscdk.Stack) string {
	if r := stack.Region(); r != nil && !*awscdk.Token_IsUnresolved(r) {
		return *r
	}
	return ""
}

// tableLocation is one Iceberg table's bucket and prefix.
type tableLocation struct {
	table  Table
	bucket awss3.IBucket
	prefix string
	id     string
}

func locations(curated, analytics awss3.IBucket) []tableLocation {
	return []tableLocation{
		{CuratedTelemetry(), curated, layout.CuratedIcebergPrefix, "CuratedTelemetry"},
		{TrainingFeatures(), analytics, layout.FeaturesIcebergPrefix, "TrainingFeatures"},
	}
}

// optimizer is one of Glue's optimizers on one table.
//
// Compaction rewrites small files into larger ones (binpack: every curate
// run adds a file to each day it touches). Retention expires snapshots older
// than SnapshotRetentionDays, keeping at least the newest, and deletes the
// files only they referenced; snapshots a tag or a branch keeps (the
// training snapshots of registered models) stay. Orphan-file deletion
// removes files no snapshot references (left by a run killed before its
// commit) once they are OrphanFileRetentionDays old.
// https://docs.aws.amazon.com/glue/latest/dg/table-optimizers.html
func optimizer(stack awscdk.Stack, cfg UpkeepProps, role awsiam.IRole, t tableLocation, typ string) awsglue.CfnTableOptimizer {
	conf := &awsglue.CfnTableOptimizer_TableOptimizerConfigurationProperty{RoleArn: role.RoleArn(), Enabled: jsii.Bool(true)}
	switch typ {
	case "compaction":
		conf.CompactionConfiguration = &awsglue.CfnTableOptimizer_CompactionConfigurationProperty{
			IcebergConfiguration: &awsglue.CfnTableOptimizer_IcebergCompactionConfigurationProperty{Strategy: jsii.String("binpack")},
		}
	case "retention":
		// Both numbers explicitly: Glue's pages disagree on the defaults.
		conf.RetentionConfiguration = &awsglue.CfnTableOptimizer_RetentionConfigurationProperty{
			IcebergConfiguration: &awsglue.CfnTableOptimizer_IcebergRetentionConfigurationProperty{
				SnapshotRetentionPeriodInDays: jsii.Number(float64(cfg.SnapshotRetentionDays)),
				NumberOfSnapshotsToRetain:     jsii.Number(1),
				CleanExpiredFiles:             jsii.Bool(true),
			},
		}
	case "orphan_file_deletion":
		// No Location: Glue then scans the table's own folder, not the
		// folders of tables an earlier creation of the Curated stack left.
		conf.OrphanFileDeletionConfiguration = &awsglue.CfnTableOptimizer_OrphanFileDeletionConfigurationProperty{
			IcebergConfiguration: &awsglue.CfnTableOptimizer_IcebergConfigurationProperty{
				OrphanFileRetentionPeriodInDays: jsii.Number(float64(cfg.OrphanFileRetentionDays)),
			},
		}
	}
	return awsglue.NewCfnTableOptimizer(stack, jsii.String(t.id+optimizerID(typ)), &awsglue.CfnTableOptimizerProps{
		CatalogId: awscdk.Aws_ACCOUNT_ID(), DatabaseName: jsii.String(cfg.Deployment.Database()),
		TableName: jsii.String(t.table.Name), Type: jsii.String(typ), TableOptimizerConfiguration: conf,
	})
}

func optimizerID(typ string) string {
	switch typ {
	case "compaction":
		return "Compaction"
	case "retention":
		return "SnapshotRetention"
	}
	return "OrphanFileDeletion"
}

// optimizerRole is what the optimizers run as: the policy Glue documents for
// tables not registered with Lake Formation, confined to the two tables.
// https://docs.aws.amazon.com/glue/latest/dg/optimization-prerequisites.html
func optimizerRole(stack awscdk.Stack, cfg UpkeepProps) awsiam.IRole {
	var buckets, objects []*string
	for _, t := range locations(cfg.CuratedBucket, cfg.AnalyticsBucket) {
		buckets = append(buckets, t.bucket.BucketArn())
		objects = append(objects, baseline.Objects(t.bucket, t.prefix))
	}
	statements := []awsiam.PolicyStatement{
		// Unconditioned: S3 answers a HEAD of a missing key 404 only to a
		// caller that may list the bucket (403 otherwise), and the
		// optimizers probe files; a listing shows key names only.
		baseline.Statement("ListTableBuckets", []string{"s3:ListBucket", "s3:GetBucketLocation"}, buckets...),
		baseline.Statement("RewriteTableFiles", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, objects...),
		baseline.Statement("CommitTables", []string{"glue:GetTable", "glue:UpdateTable"}, glueArns(stack, cfg.Deployment)...),
		baseline.Statement("WriteOptimizerLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, logGroupArns(stack, OptimizerLogGroups...)...),
		// The files are SSE-KMS with the lake key; Glue's page grants these
		// in the key policy, which the lake key delegates to IAM.
		baseline.StatementWhen("UseLakeKeyThroughS3", []string{"kms:Decrypt", "kms:GenerateDataKey"},
			map[string]any{"StringEquals": map[string]any{"kms:ViaService": baseline.ViaService("s3")}}, cfg.LakeKey.KeyArn()),
	}
	role, _ := baseline.ServiceRole(stack, baseline.ServiceRoleProps{
		RoleID: "TableOptimizerRole", PolicyID: "TableOptimizerPolicy", Service: "glue.amazonaws.com",
		Description:       "Assumed by the Glue table optimizers of " + layout.CuratedTelemetryTable + " and " + layout.TrainingFeaturesTable,
		PolicyDescription: "Compaction, snapshot retention and orphan-file deletion of the lake's Iceberg tables",
		Statements:        statements,
		WildcardReason:    "Object wildcards are confined to the two tables' folders, whose file names Iceberg chooses; log wildcards to the streams of Glue's three optimizer log groups.",
	})
	return role
}

// glueArns are the catalog, the database and the two tables: Glue
// authorizes a table action on all three.
// https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html
func glueArns(stack awscdk.Stack, d layout.Deployment) []*string {
	arn := func(resource, name string) *string {
		comp := &awscdk.ArnComponents{Service: jsii.String("glue"), Resource: jsii.String(resource)}
		if name != "" {
			comp.ResourceName, comp.ArnFormat = jsii.String(name), awscdk.ArnFormat_SLASH_RESOURCE_NAME
		}
		return stack.FormatArn(comp)
	}
	db := d.Database()
	return []*string{arn("catalog", ""), arn("database", db),
		arn("table", db+"/"+layout.CuratedTelemetryTable), arn("table", db+"/"+layout.TrainingFeaturesTable)}
}

// logGroupArns are the named log groups and their streams.
func logGroupArns(stack awscdk.Stack, names ...string) []*string {
	var out []*string
	for _, n := range names {
		group := stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"),
			ResourceName: jsii.String(n), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})
		out = append(out, group, jsii.String(*group+":*"))
	}
	return out
}
