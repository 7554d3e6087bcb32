package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/schema"
)

// RawTelemetryTableName is the Glue table Firehose converts with.
const RawTelemetryTableName = "raw_telemetry"

// RawTelemetryPrefix is where Firehose writes converted telemetry in the raw bucket.
const RawTelemetryPrefix = "telemetry/"

// CatalogProps configures the Catalog stack.
type CatalogProps struct {
	awscdk.StackProps
	Config Config
	// RawBucket holds the raw telemetry table's data.
	RawBucket awss3.IBucket
}

// CatalogStack owns the Glue database and tables.
type CatalogStack struct {
	awscdk.Stack
	// Database is the lake's Glue database.
	Database awsglue.Database
	// RawTelemetry is the table Firehose converts to Parquet with and Athena reads.
	RawTelemetry awsglue.S3Table
	// RawTelemetryCfn is RawTelemetry's L1, which Firehose's schema configuration takes.
	RawTelemetryCfn awsglue.CfnTable
}

// NewCatalogStack creates the database and the raw telemetry table.
func NewCatalogStack(scope constructs.Construct, id string, props *CatalogProps) *CatalogStack {
	cfg := props.Config
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	c := &CatalogStack{Stack: stack}

	c.Database = awsglue.NewDatabase(stack, jsii.String("LakeDatabase"), &awsglue.DatabaseProps{
		DatabaseName:  jsii.String(glueDatabaseName(cfg)),
		Description:   jsii.String("Tables of the " + cfg.Project + " lake (" + cfg.Profile + ")"),
		RemovalPolicy: removalPolicy(cfg),
	})

	projection := map[string]awsglue.PartitionProjectionConfiguration{}
	ranges := map[string][3]float64{ // min, max, digits
		"year":  {float64(schema.EarliestTime.Year()), float64(schema.LatestTime.Year() - 1), 4},
		"month": {1, 12, 2},
		"day":   {1, 31, 2},
		"hour":  {0, 23, 2},
	}
	partitions := make([]*awsglue.Column, len(schema.PartitionKeys))
	for i, k := range schema.PartitionKeys {
		r, ok := ranges[k]
		if !ok {
			panic(fmt.Sprintf("partition key %q has no projection range", k)) // schema and this table drifted
		}
		// Integer projection with zero padding reads year=2026/month=03/... without
		// a crawler or ALTER TABLE ADD PARTITION: new hours are queryable at once.
		projection[k] = awsglue.PartitionProjectionConfiguration_Integer(&awsglue.IntegerPartitionProjectionConfigurationProps{
			Min: jsii.Number(r[0]), Max: jsii.Number(r[1]), Digits: jsii.Number(r[2]),
		})
		// Partition columns are strings so the zero padding survives (month='03').
		partitions[i] = &awsglue.Column{Name: jsii.String(k), Type: awsglue.Schema_STRING(), Comment: jsii.String(k + " of ts (UTC)")}
	}

	c.RawTelemetry = awsglue.NewS3Table(stack, jsii.String("RawTelemetryTable"), &awsglue.S3TableProps{
		Database:            c.Database,
		TableName:           jsii.String(RawTelemetryTableName),
		Description:         jsii.String("Sensor readings as delivered by Firehose: Parquet (SNAPPY), partitioned by event time"),
		Columns:             glueColumns(schema.Telemetry),
		PartitionKeys:       &partitions,
		PartitionProjection: &projection,
		DataFormat:          awsglue.DataFormat_PARQUET(),
		Storage:             awsglue.S3TableStorage_FromBucket(props.RawBucket),
		S3Prefix:            jsii.String(RawTelemetryPrefix),
	})
	c.RawTelemetryCfn = c.RawTelemetry.Node().DefaultChild().(awsglue.CfnTable)
	return c
}

// glueColumns turns the schema declaration into Glue columns, in order.
func glueColumns(r schema.Record) *[]*awsglue.Column {
	cols := make([]*awsglue.Column, len(r.Fields))
	for i, f := range r.Fields {
		cols[i] = &awsglue.Column{Name: jsii.String(f.Name), Type: glueType(f.Type), Comment: jsii.String(f.Comment)}
	}
	return &cols
}

func glueType(t schema.Type) awsglue.Type {
	switch t {
	case schema.String:
		return awsglue.Schema_STRING()
	case schema.Double:
		return awsglue.Schema_DOUBLE()
	case schema.Timestamp:
		return awsglue.Schema_TIMESTAMP()
	}
	panic(fmt.Sprintf("schema type %q has no Glue type", t)) // a new schema type needs a case here
}

// glueDatabaseName is <project>_<profile>: Glue names allow no hyphens.
func glueDatabaseName(cfg Config) string {
	return strings.ReplaceAll(cfg.Project, "-", "_") + "_" + cfg.Profile
}
