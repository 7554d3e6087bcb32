package catalog

import (
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
)

// jobWildcardReason explains the wildcards of the job roles.
const jobWildcardReason = "Object wildcards are confined to the job's input and output prefixes and its Iceberg tables' folders, whose keys Spark and Iceberg choose at run time; log wildcards to Glue's own /aws-glue/jobs groups; PutMetricData accepts no resource but *, limited to the Glue namespace by a condition."

// jobs creates the curate, features, migrate-curated and training-set jobs,
// their code assets and roles.
func (b *etlBuilder) jobs() error {
	p := b.p
	// Job code: entry points and the lake_jobs package as assets, hashed by content.
	zipPath, err := lakeJobsZip()
	if err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	asset := func(id, path string) awss3assets.Asset {
		return awss3assets.NewAsset(b.stack, jsii.String(id), &awss3assets.AssetProps{Path: jsii.String(path)})
	}
	b.lib = asset("LakeJobsLibrary", zipPath)
	curateAsset := asset("CurateScript", root+"/glue/curate_job.py")
	featuresAsset := asset("FeaturesScript", root+"/glue/features_job.py")
	migrateAsset := asset("MigrateScript", root+"/glue/migrate_job.py")
	trainingSetAsset := asset("TrainingSetScript", root+"/glue/training_set_job.py")

	curated := iceberg{sid: "CuratedTable", bucket: p.CuratedBucket, prefix: layout.CuratedIcebergPrefix, table: layout.CuratedTelemetryTable}
	features := iceberg{sid: "FeaturesTable", bucket: p.AnalyticsBucket, prefix: layout.FeaturesIcebergPrefix, table: layout.TrainingFeaturesTable}

	curateStatements := append(b.jobCommon(curateAsset), sparkPaths("Raw", p.RawBucket, false, layout.RawTelemetryPrefix, layout.DevicesPrefix)...)
	curateStatements = append(curateStatements, sparkPaths("Quarantine", p.CuratedBucket, true, layout.QuarantinePrefix)...)
	curateStatements = append(curateStatements, b.icebergAccess(curated, true)...)
	curateRole := glueRole(b.stack, "CurateRole", "Assumed by the Glue job "+b.d.Job(layout.JobCurate), append(curateStatements,
		baseline.Statement("ReadRawInputs", []string{"s3:GetObject"}, baseline.Objects(p.RawBucket, layout.RawTelemetryPrefix), baseline.Objects(p.RawBucket, layout.DevicesPrefix)),
		// Spark commits through _temporary/ folders under the output path: it reads, writes and deletes there.
		baseline.Statement("WriteQuarantine", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
			baseline.Objects(p.CuratedBucket, layout.QuarantinePrefix)),
	), jobWildcardReason)

	featuresStatements := append(b.jobCommon(featuresAsset), b.icebergAccess(curated, false)...)
	featuresStatements = append(featuresStatements, b.icebergAccess(features, true)...)
	featuresStatements = append(featuresStatements, sparkPaths("Training", p.AnalyticsBucket, true, layout.TrainingPrefix)...)
	featuresRole := glueRole(b.stack, "FeaturesRole", "Assumed by the Glue job "+b.d.Job(layout.JobFeatures), append(featuresStatements,
		// Each run writes a folder of its own under snapshots/ and replaces
		// current.json; the sweep of the channels deletes non-data objects.
		baseline.Statement("WriteTrainingOutput", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
			baseline.Objects(p.AnalyticsBucket, layout.TrainingPrefix)),
	), jobWildcardReason)

	migrateStatements := append(b.jobCommon(migrateAsset), sparkPaths("LegacyCurated", p.CuratedBucket, false, layout.LegacyCuratedPrefix)...)
	migrateStatements = append(migrateStatements, b.icebergAccess(curated, true)...)
	migrateRole := glueRole(b.stack, "MigrateRole", "Assumed by the Glue job "+b.d.Job(layout.JobMigrate), append(migrateStatements,
		baseline.Statement("ReadLegacyCurated", []string{"s3:GetObject"}, baseline.Objects(p.CuratedBucket, layout.LegacyCuratedPrefix)),
	), jobWildcardReason)

	trainingSetStatements := append(b.jobCommon(trainingSetAsset), b.icebergAccess(features, false)...)
	trainingSetStatements = append(trainingSetStatements, sparkPaths("Training", p.AnalyticsBucket, false, layout.TrainingPrefix)...)
	trainingSetStatements = append(trainingSetStatements, sparkPaths("Rebuilt", p.AnalyticsBucket, true, layout.RebuiltTrainingPrefix)...)
	trainingSetRole := glueRole(b.stack, "TrainingSetRole", "Assumed by the Glue job "+b.d.Job(layout.JobTrainingSet), append(trainingSetStatements,
		// The registered set's manifest.json and files, to compare with.
		baseline.Statement("ReadRegisteredSets", []string{"s3:GetObject"}, baseline.Objects(p.AnalyticsBucket, layout.TrainingPrefix)),
		baseline.Statement("WriteRebuiltSets", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
			baseline.Objects(p.AnalyticsBucket, layout.RebuiltTrainingPrefix)),
	), jobWildcardReason)

	withIceberg := func(args map[string]string) map[string]string {
		out := map[string]string{
			// Puts Glue 5.0's Iceberg 1.7.1 jars on the classpath; the scripts
			// set the catalog themselves (lake_jobs.iceberg.glue_catalog_conf).
			"datalake-formats": "iceberg",
			"catalog":          "glue_catalog",
			"warehouse":        s3uri(p.CuratedBucket, layout.IcebergPrefix),
			"lake_key_arn":     *p.LakeKey.KeyArn(),
			"database":         *b.c.Database.DatabaseName(),
		}
		for k, v := range args {
			out[k] = v
		}
		return out
	}
	b.e.Curate = b.job("CurateJob", layout.JobCurate, "Raw telemetry -> the Iceberg table curated_telemetry (clean, de-duplicate, join device metadata; one staged MERGE); rejects to quarantine/",
		curateRole, curateAsset, withIceberg(map[string]string{
			"raw_path":            s3uri(p.RawBucket, layout.RawTelemetryPrefix),
			"devices_path":        s3uri(p.RawBucket, layout.DevicesPrefix),
			"quarantine_path":     s3uri(p.CuratedBucket, layout.QuarantinePrefix),
			"curated_table":       layout.CuratedTelemetryTable,
			"job-bookmark-option": "job-bookmark-enable", // each run reads only raw files it has not seen
		}))
	b.e.FeaturesJobName = b.d.Job(layout.JobFeatures)
	b.e.Features = b.job("FeaturesJob", layout.JobFeatures, "curated_telemetry as of one snapshot -> training_features (one commit, tagged) -> XGBoost CSV of that snapshot and current.json",
		featuresRole, featuresAsset, withIceberg(map[string]string{
			"curated_table":   layout.CuratedTelemetryTable,
			"features_table":  layout.TrainingFeaturesTable,
			"output_path":     s3uri(p.AnalyticsBucket, layout.TrainingPrefix),
			"tag_retain_days": strconv.Itoa(p.TrainingTagDays),
			// The label looks ahead and the fitted statistics need all history: every run reads everything.
			"job-bookmark-option": "job-bookmark-disable",
		}))
	b.e.Migrate = b.job("MigrateCuratedJob", layout.JobMigrate, "Once, after an upgrade: the Hive-style curated Parquet under telemetry/ -> curated_telemetry (Iceberg), then checks no reading is missing or doubled",
		migrateRole, migrateAsset, withIceberg(map[string]string{
			"hive_path":           s3uri(p.CuratedBucket, layout.LegacyCuratedPrefix),
			"curated_table":       layout.CuratedTelemetryTable,
			"job-bookmark-option": "job-bookmark-disable",
		}))
	b.e.TrainingSet = b.job("TrainingSetJob", layout.JobTrainingSet, "Rebuilds a registered model's training set from its training_features snapshot (scripts/trainingset passes the snapshot) and compares it with the registered one",
		trainingSetRole, trainingSetAsset, withIceberg(map[string]string{
			"features_table":      layout.TrainingFeaturesTable,
			"output_path":         s3uri(p.AnalyticsBucket, layout.RebuiltTrainingPrefix),
			"job-bookmark-option": "job-bookmark-disable",
		}))
	return nil
}

// iceberg is one Iceberg table a job reaches: its folder and its name.
type iceberg struct {
	sid, prefix, table string
	bucket             awss3.IBucket
}

// icebergAccess is what a job needs to read one Iceberg table through the
// Glue Data Catalog and, with write, to commit to it: Iceberg's GlueCatalog
// loads the table with glue:GetTable and commits each new metadata file with
// glue:UpdateTable (https://iceberg.apache.org/docs/1.7.1/aws/#glue-catalog);
// S3FileIO reads, writes and (after a failed commit) deletes the table's
// files. ListBucket is unconditioned for S3's 404-or-403 rule on HEAD.
func (b *etlBuilder) icebergAccess(t iceberg, write bool) []awsiam.PolicyStatement {
	files, table := []string{"s3:GetObject"}, []string{"glue:GetDatabase", "glue:GetTable"}
	if write {
		files = append(files, "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
		table = append(table, "glue:UpdateTable")
	}
	return []awsiam.PolicyStatement{
		baseline.Statement("List"+t.sid+"Bucket", []string{"s3:ListBucket", "s3:GetBucketLocation"}, t.bucket.BucketArn()),
		baseline.Statement(t.sid+"Files", files, baseline.Objects(t.bucket, t.prefix)),
		baseline.Statement(t.sid+"Catalog", table, b.catalogArn(), b.c.Database.DatabaseArn(), b.tableArn(t.table)),
	}
}

// jobCommon are the statements every job role holds: their code, the lake
// key, Glue's job log groups and Glue's metrics.
func (b *etlBuilder) jobCommon(code awss3assets.Asset) []awsiam.PolicyStatement {
	arns := []*string{code.Bucket().ArnForObjects(code.S3ObjectKey()), b.lib.Bucket().ArnForObjects(b.lib.S3ObjectKey())}
	return []awsiam.PolicyStatement{
		baseline.Statement("ReadJobCode", []string{"s3:GetObject"}, arns...),
		b.useKey,
		// Driver and error output go to groups under /aws-glue/jobs/ that Glue
		// names itself; with the security configuration it associates the
		// lake key with them first.
		baseline.Statement("WriteGlueJobLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"}, b.logGroupArns("/aws-glue/jobs/*")...),
		// PutMetricData has no resource-level permissions in IAM: "*" is the only
		// resource it accepts. The condition keeps it to Glue's namespace.
		baseline.StatementWhen("PublishJobMetrics", []string{"cloudwatch:PutMetricData"}, map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "Glue"}}, jsii.String("*")),
	}
}

// job creates one Glue 5.0 PySpark job with the deployment's worker settings.
func (b *etlBuilder) job(id, suffix, description string, role awsiam.IRole, script awss3assets.Asset, args map[string]string) awsglue.PySparkEtlJob {
	// Glue 5.0 writes every job's logs in real time to <prefix>/error and
	// <prefix>/output (the --continuous-log-* arguments are for Glue 4.0 and
	// earlier), creating the groups itself and, with the security
	// configuration, associating the lake key with them (logs:AssociateKmsKey).
	// https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html
	// The prefix keeps this deployment's job logs apart from other jobs'.
	defaults := map[string]*string{
		"--custom-logGroup-prefix": jsii.String("/aws-glue/jobs/" + b.d.Prefix()),
	}
	for k, v := range args {
		defaults["--"+k] = jsii.String(v)
	}
	j := awsglue.NewPySparkEtlJob(b.stack, jsii.String(id), &awsglue.PySparkEtlJobProps{
		JobName:          jsii.String(b.d.Job(suffix)),
		Description:      jsii.String(description),
		Role:             role,
		Script:           awsglue.Code_FromBucket(script.Bucket(), script.S3ObjectKey()),
		ExtraPythonFiles: &[]awsglue.Code{awsglue.Code_FromBucket(b.lib.Bucket(), b.lib.S3ObjectKey())},
		GlueVersion:      awsglue.GlueVersion_V5_0,
		WorkerConfiguration: &awsglue.WorkerConfiguration{
			WorkerType: glueWorkerType(b.p.WorkerType), NumberOfWorkers: jsii.Number(float64(b.p.Workers)),
		},
		Timeout:                    awscdk.Duration_Minutes(jsii.Number(float64(b.p.TimeoutMinutes))),
		MaxRetries:                 jsii.Number(float64(b.p.MaxRetries)),
		MaxConcurrentRuns:          jsii.Number(1), // bookmarks and staged commits assume one run at a time
		SecurityConfiguration:      b.secConfigRef,
		EnableMetrics:              jsii.Bool(true),
		EnableObservabilityMetrics: jsii.Bool(true),
		// Off: the L2 would add the Glue 4.0 --continuous-log-* arguments.
		ContinuousLogging: &awsglue.ContinuousLoggingProps{Enabled: jsii.Bool(false)},
		DefaultArguments:  &defaults,
	})
	b.dependsOnSecurity(j.Node().DefaultChild().(awscdk.CfnResource))
	return j
}

func s3uri(bucket awss3.IBucket, prefix string) string {
	return "s3://" + *bucket.BucketName() + "/" + prefix
}

func glueWorkerType(s string) awsglue.WorkerType {
	switch strings.ToUpper(s) {
	case "G.2X":
		return awsglue.WorkerType_G_2X
	case "G.4X":
		return awsglue.WorkerType_G_4X
	}
	return awsglue.WorkerType_G_1X
}
