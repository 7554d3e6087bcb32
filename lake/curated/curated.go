// Package curated is the lake's Curated stack: the Apache Iceberg tables
// curated_telemetry and training_features in the Glue Data Catalog, stored
// in the lake's own KMS-encrypted buckets, and the data quality ruleset on
// curated_telemetry; and its Upkeep stack: the Glue Data Catalog table
// optimizers that keep the tables compact and bounded (compaction, snapshot
// retention, orphan-file deletion), the role they run as, and the watch
// that tells the alarm topic when one of their runs fails.
//
// Why Iceberg in the lake's buckets rather than S3 Tables: one permission
// model (IAM on S3, Glue and KMS, as everything else here) where S3 Tables
// adds s3tables:* and a federated catalog; an in-place upgrade path for
// the curated data (S3 Tables takes only a full copy); schema changes in
// place (an AWS::S3Tables::Table schema change replaces the table);
// tags that pin training snapshots (S3 Tables' snapshot management
// refuses tables with user-defined references); and Athena DML in
// workgroups with KMS-encrypted results, which S3 Tables does not allow.
// docs/etl.md has the sources.
//
// The stack deploys after Catalog: a lake deployed before the move had
// Hive-style tables of the same names there, which the Catalog update
// removes (its cleanup ends before this stack starts), so the names are
// free when these tables are created.
package curated

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/layout"
)

// Props configures the Curated stack. Zero values take the defaults given.
type Props struct {
	awscdk.StackProps
	// Deployment names the tables' database and the ruleset. Required.
	Deployment layout.Deployment
	// LakeKey encrypts every table file (bucket default and the writers'
	// own SSE-KMS headers). Required.
	LakeKey awskms.IKey
	// CuratedBucket holds curated_telemetry; AnalyticsBucket training_features. Required.
	CuratedBucket, AnalyticsBucket awss3.IBucket
	// AllowDestroy lets a destroy delete the tables' catalog entries (the
	// data stays in the buckets).
	AllowDestroy bool
	// Emulator keeps the ruleset behind a parameter that defaults to
	// false: emulators reject its type.
	Emulator bool
}

// Stack owns the Iceberg tables and their upkeep.
type Stack struct {
	awscdk.Stack
	// CuratedTelemetry and TrainingFeatures are the tables (L1: the L2 has
	// no Iceberg tables).
	CuratedTelemetry, TrainingFeatures awsglue.CfnTable
	// DataQuality is the ruleset on curated_telemetry; DataQualityRole is
	// what its evaluation runs assume.
	DataQuality     awsglue.DataQualityRuleset
	DataQualityRole awsiam.IRole
}

// NewStack creates the tables and the ruleset.
func NewStack(scope constructs.Construct, id string, props *Props) *Stack {
	cfg := *props
	stack := awscdk.NewStack(scope, &id, &cfg.StackProps)
	c := &Stack{Stack: stack}
	database := cfg.Deployment.Database()

	c.CuratedTelemetry = icebergTable(stack, "CuratedTelemetryIcebergTable", database, CuratedTelemetry(),
		TableLocation(stack, cfg.CuratedBucket, layout.CuratedIcebergPrefix),
		"Cleaned, de-duplicated telemetry joined with device metadata (Glue job curate): one row per (device_id, ts), by the day of ts")
	c.TrainingFeatures = icebergTable(stack, "TrainingFeaturesIcebergTable", database, TrainingFeatures(),
		TableLocation(stack, cfg.AnalyticsBucket, layout.FeaturesIcebergPrefix),
		"XGBoost training and validation rows (Glue job features), by split; each run replaces them in one commit")
	// The catalog entry is the table's pointer to its current metadata. An
	// update never replaces it (prod's stack policy denies it). A destroy
	// deletes the entry, never the files: the buckets are retained, and the
	// table's folder carries the stack's id, so the table a later deploy
	// creates starts in a folder of its own, and the orphan-file optimizer,
	// which scans only its table's folder, never sees the old files. The old
	// table can be registered again from its last metadata file (docs/etl.md).
	for _, t := range []awsglue.CfnTable{c.CuratedTelemetry, c.TrainingFeatures} {
		t.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY, nil)
	}

	c.addQuality(cfg)
	return c
}

// TableLocation is an Iceberg table's folder: prefix, then the id of the
// stack that created the table (the last part of its stack ARN), so each
// creation of the stack gets a folder of its own.
func TableLocation(stack awscdk.Stack, bucket awss3.IBucket, prefix string) *string {
	stackUUID := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), awscdk.Aws_STACK_ID(), nil))
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("s3://"), bucket.BucketName(), jsii.String("/" + prefix), stackUUID, jsii.String("/")})
}

// icebergTable declares an Iceberg table through OpenTableFormatInput only.
// With a TableInput beside it, CloudFormation's first update of the table
// rewrites the Glue entry from the TableInput and drops table_type and
// metadata_location, after which Athena no longer reads it
// (https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1919).
// Glue writes the first metadata file under Location/metadata/ at creation
// (https://docs.aws.amazon.com/glue/latest/dg/populate-otf.html).
func icebergTable(stack awscdk.Stack, id, database string, t Table, location *string, description string) awsglue.CfnTable {
	fields := make([]interface{}, len(t.Columns))
	source := 0
	for i, c := range t.Columns {
		f := &awsglue.CfnTable_IcebergStructFieldProperty{
			Id: jsii.Number(float64(i + 1)), Name: jsii.String(c.Name), Type: jsii.String(c.Type), Required: jsii.Bool(c.Required),
		}
		if c.Doc != "" {
			f.Doc = jsii.String(c.Doc)
		}
		fields[i] = f
		if c.Name == t.PartitionColumn {
			source = i + 1
		}
	}
	if source == 0 {
		panic("curated: table " + t.Name + " is partitioned by " + t.PartitionColumn + ", which it does not have")
	}
	props := map[string]*string{"comment": jsii.String(description)}
	keys := make([]string, 0, len(t.Properties))
	for k := range t.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		props[k] = jsii.String(t.Properties[k])
	}
	return awsglue.NewCfnTable(stack, jsii.String(id), &awsglue.CfnTableProps{
		CatalogId:    awscdk.Aws_ACCOUNT_ID(),
		DatabaseName: jsii.String(database),
		Name:         jsii.String(t.Name),
		OpenTableFormatInput: &awsglue.CfnTable_OpenTableFormatInputProperty{
			IcebergInput: &awsglue.CfnTable_IcebergInputProperty{
				MetadataOperation: jsii.String("CREATE"),
				Version:           jsii.String("2"),
				IcebergTableInput: &awsglue.CfnTable_IcebergTableInputProperty{
					Location: location,
					Schema: &awsglue.CfnTable_IcebergSchemaProperty{
						SchemaId: jsii.Number(0), Type: jsii.String("struct"), Fields: &fields,
					},
					PartitionSpec: &awsglue.CfnTable_IcebergPartitionSpecProperty{
						SpecId: jsii.Number(0),
						Fields: &[]interface{}{&awsglue.CfnTable_IcebergPartitionFieldProperty{
							// Iceberg numbers partition fields from 1000.
							FieldId: jsii.Number(1000), Name: jsii.String(t.PartitionName),
							SourceId: jsii.Number(float64(source)), Transform: jsii.String(t.PartitionTransform),
						}},
					},
					Properties: &props,
				},
			},
		},
	})
}
