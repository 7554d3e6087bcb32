// Package layout names where the lake keeps things: key prefixes inside the
// buckets, the Glue database and tables, and the names of stacks, jobs,
// workgroups and workflows a deployment creates. It is plain Go (no CDK), so
// the CDK packages, the scripts, the emulator harness and the tests read the
// same names instead of restating them. Names that depend on the telemetry
// schema are derived from internal/schema.
package layout

import (
	"strings"

	"github.com/refdatalake/datalake/internal/schema"
)

// Raw bucket.
const (
	// RawTelemetryPrefix is where Firehose writes converted telemetry.
	RawTelemetryPrefix = "telemetry/"
	// RawErrorsPrefix holds records Firehose could not process or convert.
	RawErrorsPrefix = "errors/"
	// TelemetryErrorsPrefix holds the telemetry stream's failed records, by failure type.
	TelemetryErrorsPrefix = RawErrorsPrefix + "telemetry/"
	// LandingPrefix receives batch uploads, one folder per dataset; the crawler reads nothing else.
	LandingPrefix = "landing/"
	// DevicesPrefix holds device metadata CSV.
	DevicesPrefix = LandingPrefix + "devices/"
	// MaintenancePrefix holds maintenance events, JSON lines.
	MaintenancePrefix = LandingPrefix + "maintenance/"
)

// Curated bucket.
const (
	// IcebergPrefix is the Iceberg warehouse: every Iceberg table of the
	// bucket is a folder of its own under it (data/ and metadata/).
	IcebergPrefix = "iceberg/"
	// CuratedIcebergPrefix is curated_telemetry's location.
	CuratedIcebergPrefix = IcebergPrefix + CuratedTelemetryTable + "/"
	// LegacyCuratedPrefix held the curate job's Hive-style Parquet before the
	// curated zone moved to Iceberg (year=/month=/day=): the migration job
	// reads it, nothing writes it.
	LegacyCuratedPrefix = "telemetry/"
	// QuarantinePrefix holds the rows curate rejected, with a reason column.
	QuarantinePrefix = "quarantine/telemetry/"
)

// Analytics bucket.
const (
	// TrainingPrefix holds the features job's training sets, one folder per
	// snapshot of training_features (TrainingSnapshotsPrefix), and
	// TrainingCurrentKey, which names the one the ML workflows train on next.
	TrainingPrefix = "training/telemetry/"
	// TrainingSnapshotsPrefix holds snapshots/<id>/{train,validation}/ and manifest.json.
	TrainingSnapshotsPrefix = TrainingPrefix + "snapshots/"
	// TrainingCurrentKey is current.json: both snapshot ids, their metadata
	// files and the set's folder, written last by each features run.
	TrainingCurrentKey = TrainingPrefix + "current.json"
	// RebuiltTrainingPrefix receives training sets the training-set job
	// rebuilds from a registered model's snapshot.
	RebuiltTrainingPrefix = "training/rebuilt/"
	// FeaturesIcebergPrefix is training_features' location (an Iceberg table).
	FeaturesIcebergPrefix = "iceberg/" + TrainingFeaturesTable + "/"
	// ModelsPrefix holds SageMaker model artifacts.
	ModelsPrefix = "models/"
	// BatchTransformPrefix holds batch transform predictions and metrics.json.
	BatchTransformPrefix = "batch-transform/"
	// AthenaResultsPrefix holds Athena query results, one folder per workgroup.
	AthenaResultsPrefix = "athena-results/"
	// AnomaliesPrefix holds the stream detector's anomaly events, JSON lines
	// partitioned by the reading's day (year=/month=/day=).
	AnomaliesPrefix = "anomalies/"
	// DetectorCheckpointPrefix holds the detector's model, one object per shard.
	DetectorCheckpointPrefix = "detector/checkpoints/"
)

// Glue tables.
const (
	// RawTelemetryTable is the stream's table: Firehose converts with its schema, Athena reads it.
	RawTelemetryTable = "raw_telemetry"
	// CuratedTelemetryTable is the curate job's output (Iceberg), partitioned by the day of ts.
	CuratedTelemetryTable = "curated_telemetry"
	// TrainingFeaturesTable is the features job's output (Iceberg), partitioned by split.
	TrainingFeaturesTable = "training_features"
	// DetectedAnomaliesTable is the stream detector's output.
	DetectedAnomaliesTable = "detected_anomalies"
	// LandingTablePrefix starts the names of the tables the crawler creates.
	LandingTablePrefix = "landing_"
)

// ModelFamily is the model registry's partition key for the telemetry failure model.
const ModelFamily = "telemetry-failure-xgboost"

// TelemetryDataPrefix is Firehose's output prefix: Hive-style partitions
// whose values the transform Lambda takes from each record's event time.
var TelemetryDataPrefix = RawTelemetryPrefix + func() string {
	parts := make([]string, len(schema.PartitionKeys))
	for i, k := range schema.PartitionKeys {
		parts[i] = k + "=!{partitionKeyFromLambda:" + k + "}"
	}
	return strings.Join(parts, "/") + "/"
}()

// TelemetryErrorPrefix receives every record the transform or the Parquet
// conversion rejected, under the failure type Firehose names
// (processing-failed, format-conversion-failed, activePartitionExceeded, ...).
// Partition keys from the Lambda are not available for failed records, so
// these go by arrival time.
const TelemetryErrorPrefix = TelemetryErrorsPrefix + "!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"

// The app's stacks, by the short name that ends each stack name.
const (
	StackStorage = "storage"
	StackNetwork = "network"
	StackCatalog = "catalog"
	// StackCurated holds the Iceberg tables and their upkeep. It deploys
	// after Catalog, so an upgrade that drops the Hive-style tables of the
	// same names there has removed them before it creates its own.
	StackCurated   = "curated"
	StackStreaming = "streaming"
	StackAnalytics = "analytics"
	StackML        = "ml"
	StackOps       = "ops"
	// StackUpkeep holds the Glue table optimizers of the Curated stack's
	// tables: CloudFormation lacks their type in some regions.
	StackUpkeep = "upkeep"
	// StackBudget holds the account's monthly budget alone: AWS Budgets has
	// no CloudFormation type in some regions, and there only this stack fails.
	StackBudget = "budget"
)

// Stacks lists the short names in deploy order. The upkeep and budget
// stacks exist only in deployments that have them.
var Stacks = []string{StackStorage, StackNetwork, StackCatalog, StackCurated, StackStreaming, StackAnalytics, StackML, StackOps, StackUpkeep, StackBudget}

// Athena workgroups: people and pipelines apart, so their costs, limits and
// query history stay apart.
const (
	WorkgroupAnalysts = "analysts"
	WorkgroupML       = "ml"
)

// Workgroups lists the workgroups every deployment has.
var Workgroups = []string{WorkgroupAnalysts, WorkgroupML}

// Deployment names the resources of one deployment: a project and a profile.
type Deployment struct {
	Project, Profile string
}

// Prefix is "<project>-<profile>", the start of every name the deployment gives.
func (d Deployment) Prefix() string { return d.Project + "-" + d.Profile }

// StackName is the CloudFormation name of one of the stacks (a Stack* short name).
func (d Deployment) StackName(stack string) string { return d.Prefix() + "-" + stack }

// Database is the Glue database, "<project>_<profile>": Glue names allow no hyphens.
func (d Deployment) Database() string {
	return strings.ReplaceAll(d.Project, "-", "_") + "_" + d.Profile
}

// Workgroup is the Athena workgroup name of one of Workgroups.
func (d Deployment) Workgroup(name string) string { return d.Prefix() + "-" + name }

// Glue jobs every deployment has, by the short name Job takes.
const (
	JobCurate   = "curate"
	JobFeatures = "features"
	// JobMigrate copies an older lake's Hive-style curated Parquet into Iceberg, once.
	JobMigrate = "migrate-curated"
	// JobTrainingSet rebuilds a registered model's training set from its snapshot.
	JobTrainingSet = "training-set"
)

// Jobs lists them.
var Jobs = []string{JobCurate, JobFeatures, JobMigrate, JobTrainingSet}

// Job is the name of a Glue job (JobCurate, JobFeatures).
func (d Deployment) Job(name string) string { return d.Prefix() + "-" + name }

// Crawler is the Glue crawler of landing/.
func (d Deployment) Crawler() string { return d.Prefix() + "-landing" }

// Trail is the CloudTrail trail of the lake buckets' data events.
func (d Deployment) Trail() string { return d.Prefix() + "-audit" }

// EtlWorkflow is the Glue workflow crawler -> curate -> features.
func (d Deployment) EtlWorkflow() string { return d.Prefix() + "-etl" }

// StateMachine is the name of an ML state machine ("train-and-transform", "tune").
func (d Deployment) StateMachine(name string) string { return d.Prefix() + "-" + name }

// QualityRuleset is the Glue Data Quality ruleset on the curated table.
func (d Deployment) QualityRuleset() string { return d.Prefix() + "-" + CuratedTelemetryTable }

// The lake's own CloudWatch metrics. Its functions write them as embedded
// metric format log lines (internal/emf), with the function's name as the
// one dimension, so each deployment's values stay apart.
const (
	// MetricsNamespace is the namespace of every metric the lake writes itself.
	MetricsNamespace = "DataLake"
	// DimensionFunction is the dimension key: the writing function's name.
	DimensionFunction = "FunctionName"
	// MetricModelAuc is the ROC AUC of the last evaluation of a binary model.
	MetricModelAuc = "ModelAuc"
	// MetricModelF1 is the F1 score of the last evaluation of a binary model.
	MetricModelF1 = "ModelF1"
	// MetricTransformOk counts the records the transform converted.
	MetricTransformOk = "TransformRecordsOk"
	// MetricTransformFailed counts the records the transform marked
	// ProcessingFailed (they went to the error prefix).
	MetricTransformFailed = "TransformRecordsFailed"
	// MetricDetectReadings counts the readings the detector scored.
	MetricDetectReadings = "DetectReadings"
	// MetricDetectSkipped counts the records it could not read (malformed or
	// out of schema; the transform sends those to the error prefix).
	MetricDetectSkipped = "DetectSkipped"
	// MetricDetectAnomalies counts the anomalies it found.
	MetricDetectAnomalies = "DetectAnomalies"
	// MetricDetectBatchFailures counts the shard batches it reported failed
	// for retry (partial batch responses, which Lambda's Errors metric
	// does not count).
	MetricDetectBatchFailures = "DetectBatchFailures"
	// MetricDetectCheckpointErrors counts the checkpoints it could not read,
	// restore or save.
	MetricDetectCheckpointErrors = "DetectCheckpointErrors"
	// MetricModelRmse is the RMSE of the last evaluation of a regression model.
	MetricModelRmse = "ModelRmse"
	// MetricTableOptimizerProblems counts the Glue table optimizer runs that
	// failed within the watch's period and the optimizers that are turned off.
	MetricTableOptimizerProblems = "TableOptimizerProblems"
)
