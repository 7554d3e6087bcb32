// Package catalog is the lake's Catalog stack: the Glue database, the
// tables over Firehose's and the detector's output (partition projection
// for Athena), the landing crawler, the PySpark jobs with their roles
// (curate, features, and the on-demand migrate-curated and training-set),
// and the workflow that chains crawler, curate and features. The Iceberg
// tables the jobs write, their upkeep and the data quality ruleset are the
// Curated stack's (lake/curated). The jobs' code is this repository's glue/
// folder, packed at synth.
package catalog

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/lake/layout"
)

// Props configures the Catalog stack. Zero values take the defaults given.
type Props struct {
	awscdk.StackProps
	// Deployment names the database, jobs, crawler, workflow and ruleset. Required.
	Deployment layout.Deployment
	// LakeKey encrypts job output, logs and bookmarks. Required.
	LakeKey awskms.IKey
	// RawBucket holds the raw telemetry table's data and landing/ uploads. Required.
	RawBucket awss3.IBucket
	// CuratedBucket holds curated_telemetry and quarantined rows. Required.
	CuratedBucket awss3.IBucket
	// AnalyticsBucket holds training_features and the training sets. Required.
	AnalyticsBucket awss3.IBucket
	// TrainingTagDays is how long the features job's tag keeps each
	// training snapshot readable. Default 365.
	TrainingTagDays int
	// WorkerType of the jobs: "G.1X" (default), "G.2X" or "G.4X".
	WorkerType string
	// Workers per job run, one of them the driver. Default 2.
	Workers int
	// TimeoutMinutes stops a job run that takes longer. Default 60.
	TimeoutMinutes int
	// MaxRetries re-runs a failed job run. Default 0.
	MaxRetries int
	// EtlSchedule starts the workflow on a Glue cron expression; "" (default)
	// is on demand only, so an idle deployment runs nothing.
	EtlSchedule string
	// Emulator keeps the security configuration, workflow and ruleset behind
	// parameters that default to false: emulators reject their types.
	Emulator bool
}

func (p Props) withDefaults() Props {
	if p.WorkerType == "" {
		p.WorkerType = "G.1X"
	}
	if p.Workers == 0 {
		p.Workers = 2
	}
	if p.TimeoutMinutes == 0 {
		p.TimeoutMinutes = 60
	}
	if p.TrainingTagDays == 0 {
		p.TrainingTagDays = 365
	}
	return p
}

// Stack owns the Glue database and tables, and the ETL that fills them.
type Stack struct {
	awscdk.Stack
	// Database is the lake's Glue database.
	Database awsglue.Database
	// RawTelemetry is the table Firehose converts to Parquet with and Athena reads.
	RawTelemetry awsglue.S3Table
	// RawTelemetryCfn is RawTelemetry's L1, which Firehose's schema configuration takes.
	RawTelemetryCfn awsglue.CfnTable
	// DetectedAnomalies is the stream anomaly detector's output.
	DetectedAnomalies awsglue.S3Table
	// Etl is the crawler, the jobs and the workflow.
	Etl *Etl
}

// NewStack creates the database, the tables, and the ETL that fills them.
func NewStack(scope constructs.Construct, id string, props *Props) (*Stack, error) {
	cfg := props.withDefaults()
	props = &cfg
	stack := awscdk.NewStack(scope, &id, &cfg.StackProps)
	c := &Stack{Stack: stack}

	c.Database = awsglue.NewDatabase(stack, jsii.String("LakeDatabase"), &awsglue.DatabaseProps{
		DatabaseName: jsii.String(cfg.Deployment.Database()),
		Description:  jsii.String("Tables of the " + cfg.Deployment.Project + " lake (" + cfg.Deployment.Profile + ")"),
		// The database holds definitions only (the data is in the buckets, and
		// the tables are declared here or re-crawled): it goes with the stack,
		// so its fixed name, which queries use, is free for the next deploy.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
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
		TableName:           jsii.String(layout.RawTelemetryTable),
		Description:         jsii.String("Sensor readings as delivered by Firehose: Parquet (SNAPPY), partitioned by event time"),
		Columns:             glueColumns(schema.Telemetry),
		PartitionKeys:       &partitions,
		PartitionProjection: &projection,
		DataFormat:          awsglue.DataFormat_PARQUET(),
		Storage:             awsglue.S3TableStorage_FromBucket(props.RawBucket),
		S3Prefix:            jsii.String(layout.RawTelemetryPrefix),
	})
	c.RawTelemetryCfn = c.RawTelemetry.Node().DefaultChild().(awsglue.CfnTable)

	// The stream anomaly detector's events (lambdas/detect): JSON lines by
	// the reading's day, read with the OpenX JSON SerDe.
	c.DetectedAnomalies = awsglue.NewS3Table(stack, jsii.String("DetectedAnomaliesTable"), &awsglue.S3TableProps{
		Database:    c.Database,
		TableName:   jsii.String(layout.DetectedAnomaliesTable),
		Description: jsii.String("Anomalies the stream detector found: device, reading time, detector, score (1 = alert level), the fields that drove it"),
		Columns: &[]*awsglue.Column{
			{Name: jsii.String("device_id"), Type: awsglue.Schema_STRING()},
			{Name: jsii.String("ts"), Type: awsglue.Schema_TIMESTAMP(), Comment: jsii.String("event time of the reading, UTC")},
			{Name: jsii.String("detector"), Type: awsglue.Schema_STRING(), Comment: jsii.String("rcf, repeat, drift or context: the one that scored highest")},
			{Name: jsii.String("score"), Type: awsglue.Schema_DOUBLE(), Comment: jsii.String("1 is the alert level")},
			{Name: jsii.String("fields"), Type: awsglue.Schema_Array(awsglue.Schema_STRING()), Comment: jsii.String("fields that drove the score, largest share first")},
			{Name: jsii.String("attribution"), Type: awsglue.Schema_Map(awsglue.Schema_STRING(), awsglue.Schema_DOUBLE()), Comment: jsii.String("each field's share of the score (time_of_day: the forest's time features)")},
			{Name: jsii.String("shard"), Type: awsglue.Schema_STRING()},
			{Name: jsii.String("sequence_number"), Type: awsglue.Schema_STRING()},
			{Name: jsii.String("detected_at"), Type: awsglue.Schema_TIMESTAMP(), Comment: jsii.String("when the detector processed the reading, UTC")},
		},
		PartitionKeys:       &[]*awsglue.Column{partitions[0], partitions[1], partitions[2]},
		PartitionProjection: &map[string]awsglue.PartitionProjectionConfiguration{"year": projection["year"], "month": projection["month"], "day": projection["day"]},
		DataFormat:          awsglue.DataFormat_JSON(),
		Storage:             awsglue.S3TableStorage_FromBucket(props.AnalyticsBucket),
		S3Prefix:            jsii.String(layout.AnomaliesPrefix),
	})

	etl, err := c.addEtl(cfg)
	if err != nil {
		return nil, err
	}
	c.Etl = etl
	return c, nil
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
