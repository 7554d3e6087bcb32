package catalog

import (
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

// jobWildcardReason explains the wildcards of both job roles.
const jobWildcardReason = "Object wildcards are confined to the job's input and output prefixes, whose keys Spark chooses at run time; log wildcards to Glue's own /aws-glue/jobs groups; PutMetricData accepts no resource but *, limited to the Glue namespace by a condition."

// jobs creates the curate and features jobs, their code assets and roles.
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

	curateStatements := append(b.jobCommon(curateAsset), sparkPaths("Raw", p.RawBucket, false, layout.RawTelemetryPrefix, layout.DevicesPrefix)...)
	curateStatements = append(curateStatements, sparkPaths("Curated", p.CuratedBucket, true, layout.CuratedTelemetryPrefix, layout.QuarantinePrefix)...)
	curateRole := glueRole(b.stack, "CurateRole", "Assumed by the Glue job "+b.d.Job(layout.JobCurate), append(curateStatements,
		baseline.Statement("ReadRawInputs", []string{"s3:GetObject"}, baseline.Objects(p.RawBucket, layout.RawTelemetryPrefix), baseline.Objects(p.RawBucket, layout.DevicesPrefix)),
		// Spark commits through _temporary/ folders under the output path: it reads, writes and deletes there.
		baseline.Statement("WriteCuratedOutputs", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
			baseline.Objects(p.CuratedBucket, layout.CuratedTelemetryPrefix), baseline.Objects(p.CuratedBucket, layout.QuarantinePrefix)),
		// Glue jobs and Glue Data Quality read partitions from the catalog and
		// never use Athena's partition projection
		// (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html),
		// so curate registers each partition it writes.
		baseline.Statement("RegisterCuratedPartitions", []string{"glue:GetTable", "glue:BatchCreatePartition"},
			b.catalogArn(), b.c.Database.DatabaseArn(), b.tableArn(layout.CuratedTelemetryTable)),
	), jobWildcardReason)
	featuresStatements := append(b.jobCommon(featuresAsset), sparkPaths("Curated", p.CuratedBucket, false, layout.CuratedTelemetryPrefix)...)
	featuresStatements = append(featuresStatements, sparkPaths("Training", p.AnalyticsBucket, true, layout.TrainingPrefix)...)
	featuresRole := glueRole(b.stack, "FeaturesRole", "Assumed by the Glue job "+b.d.Job(layout.JobFeatures), append(featuresStatements,
		baseline.Statement("ReadCurated", []string{"s3:GetObject"}, baseline.Objects(p.CuratedBucket, layout.CuratedTelemetryPrefix)),
		// The features job replaces its output on every run (overwrite): it deletes the previous set.
		baseline.Statement("WriteTrainingOutput", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
			baseline.Objects(p.AnalyticsBucket, layout.TrainingPrefix)),
	), jobWildcardReason)

	b.e.Curate = b.job("CurateJob", layout.JobCurate, "Raw telemetry -> curated Parquet (clean, de-duplicate, join device metadata); rejects to quarantine/",
		curateRole, curateAsset, map[string]string{
			"raw_path":            s3uri(p.RawBucket, layout.RawTelemetryPrefix),
			"devices_path":        s3uri(p.RawBucket, layout.DevicesPrefix),
			"curated_path":        s3uri(p.CuratedBucket, layout.CuratedTelemetryPrefix),
			"quarantine_path":     s3uri(p.CuratedBucket, layout.QuarantinePrefix),
			"database":            *b.c.Database.DatabaseName(),
			"curated_table":       layout.CuratedTelemetryTable,
			"job-bookmark-option": "job-bookmark-enable", // each run reads only raw files it has not seen
		})
	b.e.FeaturesJobName = b.d.Job(layout.JobFeatures)
	b.e.Features = b.job("FeaturesJob", layout.JobFeatures, "Curated telemetry -> XGBoost training and validation CSV (label first, no header) and manifest.json",
		featuresRole, featuresAsset, map[string]string{
			"curated_path": s3uri(p.CuratedBucket, layout.CuratedTelemetryPrefix),
			"output_path":  s3uri(p.AnalyticsBucket, layout.TrainingPrefix),
			// The label looks ahead and the fitted statistics need all history: every run reads everything.
			"job-bookmark-option": "job-bookmark-disable",
		})
	return nil
}

// jobCommon are the statements both job roles hold: their code, the lake
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
		MaxConcurrentRuns:          jsii.Number(1), // bookmarks and overwrites assume one run at a time
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
