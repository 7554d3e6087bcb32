package catalog

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
)

// Etl holds the crawler, the jobs and their orchestration.
type Etl struct {
	SecurityConfiguration awsglue.SecurityConfiguration
	Crawler               awsglue.CfnCrawler
	Curate, Features      awsglue.PySparkEtlJob
	// FeaturesJobName is the features job's name, known at synth.
	FeaturesJobName string
	Workflow        awsglue.Workflow
	DataQuality     awsglue.DataQualityRuleset
}

// addEtl creates the security configuration, the landing crawler, the
// curate and features jobs, the workflow that chains them and the data
// quality ruleset on the curated table.
func (c *Stack) addEtl(props Props) (*Etl, error) {
	cfg := props
	stack := c.Stack
	d := cfg.Deployment
	name := d.Prefix()
	e := &Etl{}

	// One security configuration for the crawler and both jobs: S3 output,
	// CloudWatch logs and job bookmarks are all encrypted with the lake key.
	e.SecurityConfiguration = awsglue.NewSecurityConfiguration(stack, jsii.String("SecurityConfiguration"), &awsglue.SecurityConfigurationProps{
		SecurityConfigurationName: jsii.String(name),
		S3Encryption:              awsglue.S3Encryption_Kms(props.LakeKey),
		CloudWatchEncryption:      awsglue.CloudWatchEncryption_Kms(props.LakeKey),
		JobBookmarksEncryption:    awsglue.JobBookmarksEncryption_ClientSideKms(props.LakeKey),
	})
	secCfn := e.SecurityConfiguration.Node().DefaultChild().(awscdk.CfnResource)
	// A definition, not data: it goes with the stack, so its fixed name is free
	// again for the next deploy after a destroy.
	secCfn.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY, nil)
	baseline.SkipOnEmulator(cfg.Emulator, stack, "GlueSecurityConfigurationEnabled",
		"Emulators reject AWS::Glue::SecurityConfiguration; jobs and the crawler refer to it by name", secCfn)
	// Jobs and the crawler name the configuration; on AWS they must wait for it.
	secConfigRef := awsglue.SecurityConfiguration_FromSecurityConfigurationName(stack, jsii.String("SecurityConfigurationRef"), jsii.String(name))
	dependsOnSecurity := func(r awscdk.CfnResource) {
		if !cfg.Emulator {
			r.Node().AddDependency(secCfn)
		}
	}

	region, account, partition := *awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID(), *awscdk.Aws_PARTITION()
	catalogArn := "arn:" + partition + ":glue:" + region + ":" + account + ":catalog"
	dbName := *c.Database.DatabaseName()
	tableArn := func(table string) *string {
		return jsii.String("arn:" + partition + ":glue:" + region + ":" + account + ":table/" + dbName + "/" + table)
	}
	glueLogs := func(prefix string) []*string {
		base := "arn:" + partition + ":logs:" + region + ":" + account + ":log-group:" + prefix
		return []*string{jsii.String(base), jsii.String(base + ":*")}
	}
	objects := func(b awss3.IBucket, prefix string) *string { return jsii.String(*b.BucketArn() + "/" + prefix + "*") }
	listUnder := func(sid string, b awss3.IBucket, prefixes ...string) awsiam.PolicyStatement {
		like := make([]string, len(prefixes))
		for i, p := range prefixes {
			like[i] = p + "*"
		}
		return baseline.StatementWhen(sid, []string{"s3:ListBucket"}, map[string]any{"StringLike": map[string]any{"s3:prefix": like}}, b.BucketArn())
	}
	// sparkPaths are what Spark on Glue needs around the prefixes it reads
	// (and, with write, writes) in one bucket, beyond the objects under them:
	//  - s3:ListBucket on the bucket without a prefix condition. Hadoop's
	//    file systems list parents and probe paths with prefixes of their own
	//    choosing, and S3 answers a HEAD of a missing key with 403 instead of
	//    404 unless the caller may list the bucket: Spark then fails with
	//    AccessDenied on a path that merely does not exist yet
	//    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
	//    Listing shows key names only; reading stays confined to the prefixes.
	//  - the path keys themselves and their "_$folder$" markers, for every
	//    level of the prefix: getFileStatus HEADs "a/b" before listing "a/b/",
	//    and EMRFS, which Glue's Spark uses, writes "<dir>_$folder$" markers
	//    (https://repost.aws/knowledge-center/emr-s3-empty-files).
	sparkPaths := func(sid string, b awss3.IBucket, write bool, prefixes ...string) []awsiam.PolicyStatement {
		var keys []*string
		seen := map[string]bool{}
		for _, p := range prefixes {
			parts := strings.Split(strings.TrimSuffix(p, "/"), "/")
			for i := range parts {
				dir := strings.Join(parts[:i+1], "/")
				for _, k := range []string{dir, dir + "_$folder$"} {
					if !seen[k] {
						seen[k] = true
						keys = append(keys, b.ArnForObjects(jsii.String(k)))
					}
				}
			}
		}
		actions := []string{"s3:GetObject"}
		if write {
			actions = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
		}
		return []awsiam.PolicyStatement{
			baseline.Statement("List"+sid, []string{"s3:ListBucket", "s3:GetBucketLocation"}, b.BucketArn()),
			baseline.Statement("PathMarkers"+sid, actions, keys...),
		}
	}
	useKey := baseline.Statement("UseLakeKey", []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, props.LakeKey.KeyArn())

	// Crawler: landing/ batch uploads only.
	crawlerRole := glueRole(stack, "CrawlerRole", "Assumed by the Glue crawler of the raw bucket's landing/ prefix", []awsiam.PolicyStatement{
		listUnder("ListLanding", props.RawBucket, layout.LandingPrefix),
		baseline.Statement("ReadLanding", []string{"s3:GetObject"}, objects(props.RawBucket, layout.LandingPrefix)),
		useKey,
		baseline.Statement("CatalogLandingTables", []string{"glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable",
			"glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition"},
			jsii.String(catalogArn), c.Database.DatabaseArn(), tableArn(layout.LandingTablePrefix+"*")),
		// Glue writes crawler logs to this fixed group; with the security
		// configuration it associates the lake key with it first.
		baseline.Statement("WriteCrawlerLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"}, glueLogs("/aws-glue/crawlers*")...),
	}, "Object and table wildcards are confined to the raw bucket's landing/ prefix and the landing_ tables, whose names the crawler derives from folders; log wildcards to Glue's own /aws-glue/crawlers groups.")
	e.Crawler = awsglue.NewCfnCrawler(stack, jsii.String("LandingCrawler"), &awsglue.CfnCrawlerProps{
		Name:         jsii.String(name + "-landing"),
		Description:  jsii.String("Catalogues batch uploads under landing/<dataset>/ (device metadata CSV, maintenance events JSON lines); never telemetry/"),
		Role:         crawlerRole.RoleArn(),
		DatabaseName: c.Database.DatabaseName(),
		TablePrefix:  jsii.String(layout.LandingTablePrefix),
		Targets: &awsglue.CfnCrawler_TargetsProperty{S3Targets: &[]any{
			landingTarget(props.RawBucket, layout.DevicesPrefix),
			landingTarget(props.RawBucket, layout.MaintenancePrefix),
		}},
		// New folders only: uploads add dated folders, and re-reading all of
		// landing/ every run would cost more each day for the same schema.
		RecrawlPolicy: &awsglue.CfnCrawler_RecrawlPolicyProperty{RecrawlBehavior: jsii.String("CRAWL_NEW_FOLDERS_ONLY")},
		// CRAWL_NEW_FOLDERS_ONLY requires LOG for both: schema changes are
		// logged for a reviewer rather than applied behind Athena's back.
		SchemaChangePolicy: &awsglue.CfnCrawler_SchemaChangePolicyProperty{
			UpdateBehavior: jsii.String("LOG"), DeleteBehavior: jsii.String("LOG"),
		},
		Configuration:                jsii.String(`{"Version":1.0,"Grouping":{"TableLevelConfiguration":3},"CrawlerOutput":{"Partitions":{"AddOrUpdateBehavior":"InheritFromTable"}}}`),
		CrawlerSecurityConfiguration: jsii.String(name),
		// No Schedule: the workflow's trigger starts the crawler, so the
		// crawl and the jobs that read its tables run in order.
	})
	dependsOnSecurity(e.Crawler)

	// Job code: entry points and the lake_jobs package as assets, hashed by content.
	zipPath, err := lakeJobsZip()
	if err != nil {
		return nil, err
	}
	asset := func(id, path string) awss3assets.Asset {
		return awss3assets.NewAsset(stack, jsii.String(id), &awss3assets.AssetProps{Path: jsii.String(path)})
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	libAsset := asset("LakeJobsLibrary", zipPath)
	curateAsset := asset("CurateScript", root+"/glue/curate_job.py")
	featuresAsset := asset("FeaturesScript", root+"/glue/features_job.py")
	readCode := func(assets ...awss3assets.Asset) awsiam.PolicyStatement {
		arns := make([]*string, len(assets))
		for i, a := range assets {
			arns[i] = a.Bucket().ArnForObjects(a.S3ObjectKey())
		}
		return baseline.Statement("ReadJobCode", []string{"s3:GetObject"}, arns...)
	}

	// Glue 5.0 writes every job's logs in real time to <prefix>/error and
	// <prefix>/output (the --continuous-log-* arguments are for Glue 4.0 and
	// earlier), creating the groups itself and, with the security
	// configuration, associating the lake key with them (logs:AssociateKmsKey).
	// https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html
	// The prefix keeps this deployment's job logs apart from other jobs'.
	jobLogPrefix := "/aws-glue/jobs/" + name
	jobCommon := func(code awss3assets.Asset) []awsiam.PolicyStatement {
		return []awsiam.PolicyStatement{
			readCode(code, libAsset),
			useKey,
			// Driver and error output go to groups under /aws-glue/jobs/ that Glue
			// names itself; with the security configuration it associates the
			// lake key with them first.
			baseline.Statement("WriteGlueJobLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"}, glueLogs("/aws-glue/jobs/*")...),
			// PutMetricData has no resource-level permissions in IAM: "*" is the only
			// resource it accepts. The condition keeps it to Glue's namespace.
			baseline.StatementWhen("PublishJobMetrics", []string{"cloudwatch:PutMetricData"}, map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "Glue"}}, jsii.String("*")),
		}
	}
	wildcardReason := "Object wildcards are confined to the job's input and output prefixes, whose keys Spark chooses at run time; log wildcards to Glue's own /aws-glue/jobs groups; PutMetricData accepts no resource but *, limited to the Glue namespace by a condition."

	curateStatements := append(jobCommon(curateAsset), sparkPaths("Raw", props.RawBucket, false, layout.RawTelemetryPrefix, layout.DevicesPrefix)...)
	curateStatements = append(curateStatements, sparkPaths("Curated", props.CuratedBucket, true, layout.CuratedTelemetryPrefix, layout.QuarantinePrefix)...)
	curateRole := glueRole(stack, "CurateRole", "Assumed by the Glue job "+name+"-curate", append(curateStatements,
		baseline.Statement("ReadRawInputs", []string{"s3:GetObject"}, objects(props.RawBucket, layout.RawTelemetryPrefix), objects(props.RawBucket, layout.DevicesPrefix)),
		// Spark commits through _temporary/ folders under the output path: it reads, writes and deletes there.
		baseline.Statement("WriteCuratedOutputs", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
			objects(props.CuratedBucket, layout.CuratedTelemetryPrefix), objects(props.CuratedBucket, layout.QuarantinePrefix)),
		// Glue jobs and Glue Data Quality read partitions from the catalog and
		// never use Athena's partition projection
		// (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html),
		// so curate registers each partition it writes. Catalog actions are
		// authorized on the catalog, the database and the table:
		// https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html
		baseline.Statement("RegisterCuratedPartitions", []string{"glue:GetTable", "glue:BatchCreatePartition"},
			jsii.String(catalogArn), c.Database.DatabaseArn(), tableArn(layout.CuratedTelemetryTable)),
	), wildcardReason)
	featuresStatements := append(jobCommon(featuresAsset), sparkPaths("Curated", props.CuratedBucket, false, layout.CuratedTelemetryPrefix)...)
	featuresStatements = append(featuresStatements, sparkPaths("Training", props.AnalyticsBucket, true, layout.TrainingPrefix)...)
	featuresRole := glueRole(stack, "FeaturesRole", "Assumed by the Glue job "+name+"-features", append(featuresStatements,
		baseline.Statement("ReadCurated", []string{"s3:GetObject"}, objects(props.CuratedBucket, layout.CuratedTelemetryPrefix)),
		// The features job replaces its output on every run (overwrite): it deletes the previous set.
		baseline.Statement("WriteTrainingOutput", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
			objects(props.AnalyticsBucket, layout.TrainingPrefix)),
	), wildcardReason)

	s3uri := func(b awss3.IBucket, prefix string) string { return "s3://" + *b.BucketName() + "/" + prefix }
	job := func(id, suffix, description string, role awsiam.IRole, script awss3assets.Asset, args map[string]string) awsglue.PySparkEtlJob {
		defaults := map[string]*string{
			"--custom-logGroup-prefix": jsii.String(jobLogPrefix),
		}
		for k, v := range args {
			defaults["--"+k] = jsii.String(v)
		}
		j := awsglue.NewPySparkEtlJob(stack, jsii.String(id), &awsglue.PySparkEtlJobProps{
			JobName:          jsii.String(d.Job(suffix)),
			Description:      jsii.String(description),
			Role:             role,
			Script:           awsglue.Code_FromBucket(script.Bucket(), script.S3ObjectKey()),
			ExtraPythonFiles: &[]awsglue.Code{awsglue.Code_FromBucket(libAsset.Bucket(), libAsset.S3ObjectKey())},
			GlueVersion:      awsglue.GlueVersion_V5_0,
			WorkerConfiguration: &awsglue.WorkerConfiguration{
				WorkerType: glueWorkerType(cfg.WorkerType), NumberOfWorkers: jsii.Number(float64(cfg.Workers)),
			},
			Timeout:                    awscdk.Duration_Minutes(jsii.Number(float64(cfg.TimeoutMinutes))),
			MaxRetries:                 jsii.Number(float64(cfg.MaxRetries)),
			MaxConcurrentRuns:          jsii.Number(1), // bookmarks and overwrites assume one run at a time
			SecurityConfiguration:      secConfigRef,
			EnableMetrics:              jsii.Bool(true),
			EnableObservabilityMetrics: jsii.Bool(true),
			// Off: the L2 would add the Glue 4.0 --continuous-log-* arguments.
			ContinuousLogging: &awsglue.ContinuousLoggingProps{Enabled: jsii.Bool(false)},
			DefaultArguments:  &defaults,
		})
		dependsOnSecurity(j.Node().DefaultChild().(awscdk.CfnResource))
		return j
	}
	e.Curate = job("CurateJob", "curate", "Raw telemetry -> curated Parquet (clean, de-duplicate, join device metadata); rejects to quarantine/",
		curateRole, curateAsset, map[string]string{
			"raw_path":            s3uri(props.RawBucket, layout.RawTelemetryPrefix),
			"devices_path":        s3uri(props.RawBucket, layout.DevicesPrefix),
			"curated_path":        s3uri(props.CuratedBucket, layout.CuratedTelemetryPrefix),
			"quarantine_path":     s3uri(props.CuratedBucket, layout.QuarantinePrefix),
			"database":            dbName,
			"curated_table":       layout.CuratedTelemetryTable,
			"job-bookmark-option": "job-bookmark-enable", // each run reads only raw files it has not seen
		})
	e.FeaturesJobName = d.Job("features")
	e.Features = job("FeaturesJob", "features", "Curated telemetry -> XGBoost training and validation CSV (label first, no header) and manifest.json",
		featuresRole, featuresAsset, map[string]string{
			"curated_path": s3uri(props.CuratedBucket, layout.CuratedTelemetryPrefix),
			"output_path":  s3uri(props.AnalyticsBucket, layout.TrainingPrefix),
			// The label looks ahead and the fitted statistics need all history: every run reads everything.
			"job-bookmark-option": "job-bookmark-disable",
		})

	// Orchestration: crawler -> curate -> features, each step only after the
	// previous one succeeded; started on a schedule or on demand.
	e.Workflow = awsglue.NewWorkflow(stack, jsii.String("EtlWorkflow"), &awsglue.WorkflowProps{
		WorkflowName:      jsii.String(d.EtlWorkflow()),
		Description:       jsii.String("landing crawler -> curate -> features"),
		MaxConcurrentRuns: jsii.Number(1),
	})
	startActions := &[]awsglue.Action{awsglue.Action_Crawler(e.Crawler, nil)}
	var startTrigger awsglue.CfnTrigger
	if cfg.EtlSchedule != "" {
		startTrigger = cfnTrigger(e.Workflow.AddScheduledTrigger(jsii.String("Schedule"), &awsglue.ScheduledTriggerOptions{
			Name: jsii.String(name + "-etl-schedule"), Actions: startActions,
			Schedule: awsglue.TriggerSchedule_Expression(jsii.String(cfg.EtlSchedule)), StartOnCreation: jsii.Bool(true),
		}))
	} else {
		startTrigger = cfnTrigger(e.Workflow.AddOnDemandTrigger(jsii.String("OnDemand"), &awsglue.OnDemandTriggerOptions{
			Name: jsii.String(name + "-etl-start"), Actions: startActions,
		}))
	}
	afterCrawl := cfnTrigger(e.Workflow.AddConditionalTrigger(jsii.String("AfterCrawl"), &awsglue.ConditionalTriggerOptions{
		Name:    jsii.String(name + "-etl-curate"),
		Actions: &[]awsglue.Action{awsglue.Action_Job(e.Curate, nil)},
		Predicate: &awsglue.Predicate{Conditions: &[]awsglue.Condition{
			awsglue.Condition_Crawler(e.Crawler, awsglue.CrawlerState_SUCCEEDED, nil),
		}},
		StartOnCreation: jsii.Bool(true),
	}))
	afterCurate := cfnTrigger(e.Workflow.AddConditionalTrigger(jsii.String("AfterCurate"), &awsglue.ConditionalTriggerOptions{
		Name:    jsii.String(name + "-etl-features"),
		Actions: &[]awsglue.Action{awsglue.Action_Job(e.Features, nil)},
		Predicate: &awsglue.Predicate{Conditions: &[]awsglue.Condition{
			awsglue.Condition_Job(e.Curate, awsglue.JobState_SUCCEEDED, nil),
		}},
		StartOnCreation: jsii.Bool(true),
	}))
	// Triggers name the workflow, so they share its fate on an emulator.
	baseline.SkipOnEmulator(cfg.Emulator, stack, "GlueWorkflowEnabled", "Emulators reject AWS::Glue::Workflow; its triggers go with it",
		e.Workflow.Node().DefaultChild().(awscdk.CfnResource), startTrigger, afterCrawl, afterCurate)

	// Data quality on the curated table: what curate promises downstream.
	e.DataQuality = awsglue.NewDataQualityRuleset(stack, jsii.String("CuratedQuality"), &awsglue.DataQualityRulesetProps{
		RulesetName: jsii.String(d.QualityRuleset()),
		Description: jsii.String("Completeness, ranges and key uniqueness of curated telemetry"),
		TargetTable: awsglue.DataQualityTargetTable_FromTableName(c.Database, jsii.String(layout.CuratedTelemetryTable)),
		Dqdl:        awsglue.Dqdl_FromString(jsii.String(curatedDqdl())),
	})
	e.DataQuality.Node().AddDependency(c.CuratedTelemetry)
	e.DataQuality.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY) // a definition with a fixed name, not data
	// Evaluation runs assume this role: read the curated table and publish results.
	dqRole := glueRole(stack, "DataQualityRole", "Assumed by Glue Data Quality evaluation runs of "+name+"-"+layout.CuratedTelemetryTable, append(sparkPaths("Curated", props.CuratedBucket, false, layout.CuratedTelemetryPrefix), []awsiam.PolicyStatement{
		baseline.Statement("ReadCuratedTable", []string{"glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"},
			jsii.String(catalogArn), c.Database.DatabaseArn(), tableArn(layout.CuratedTelemetryTable)),
		baseline.Statement("UseRuleset", []string{"glue:GetDataQualityRuleset", "glue:PublishDataQuality"},
			jsii.String("arn:"+partition+":glue:"+region+":"+account+":dataQualityRuleset/"+d.QualityRuleset())),
		baseline.Statement("ReadCurated", []string{"s3:GetObject"}, objects(props.CuratedBucket, layout.CuratedTelemetryPrefix)),
		useKey,
		baseline.Statement("WriteGlueLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"}, glueLogs("/aws-glue/*")...),
		baseline.StatementWhen("PublishMetrics", []string{"cloudwatch:PutMetricData"}, map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "Glue Data Quality"}}, jsii.String("*")),
	}...), "Object wildcards are confined to curated telemetry/, whose keys Spark chose; log wildcards to Glue's own /aws-glue groups; PutMetricData accepts no resource but *, limited to the Glue Data Quality namespace by a condition.")
	baseline.SkipOnEmulator(cfg.Emulator, stack, "DataQualityEnabled", "Emulators reject AWS::Glue::DataQualityRuleset",
		e.DataQuality.Node().DefaultChild().(awscdk.CfnResource))

	for id, v := range map[string]*string{
		"LandingCrawlerName": e.Crawler.Ref(), "CurateJobName": e.Curate.JobName(), "FeaturesJobName": e.Features.JobName(),
		"EtlWorkflowName": jsii.String(d.EtlWorkflow()), "DataQualityRoleArn": dqRole.RoleArn(),
	} {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: v})
	}
	return e, nil
}

func landingTarget(b awss3.IBucket, prefix string) *awsglue.CfnCrawler_S3TargetProperty {
	return &awsglue.CfnCrawler_S3TargetProperty{
		Path: jsii.String("s3://" + *b.BucketName() + "/" + prefix),
		// Spark and Hadoop markers, checksums and anything an upload tool parks under errors/.
		Exclusions: jsii.Strings("**/_SUCCESS", "**/*.crc", "**/_temporary/**", "errors/**", "**/errors/**"),
	}
}

// glueRole is a role assumed by Glue with one hand-written policy: the L2
// jobs would otherwise add broad grants of their own.
func glueRole(stack awscdk.Stack, id, description string, statements []awsiam.PolicyStatement, wildcardReason string) awsiam.IRole {
	role, _ := baseline.ServiceRole(stack, baseline.ServiceRoleProps{
		RoleID: id, PolicyID: id + "Policy", Service: "glue.amazonaws.com",
		Description: description, PolicyDescription: "Permissions of: " + description,
		Statements: statements, WildcardReason: wildcardReason,
	})
	return role
}

func cfnTrigger(t any) awsglue.CfnTrigger {
	c, ok := t.(awsglue.CfnTrigger)
	if !ok {
		panic(fmt.Sprintf("workflow trigger is %T, not a CfnTrigger", t)) // the L2 changed what it returns
	}
	return c
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

// curatedDqdl is the ruleset, derived from the schema: every rule is
// something curate guarantees, so a failure means curate or its input
// changed. Ranges use CustomSql because a ColumnValues rule counts the nulls
// of an optional column as failures.
func curatedDqdl() string {
	var rules []string
	for _, f := range schema.Telemetry.Fields {
		if f.Required {
			rules = append(rules, fmt.Sprintf("IsComplete %q", f.Name))
		}
		switch {
		case f.Type == schema.Double:
			rules = append(rules, fmt.Sprintf("CustomSql \"select count(*) from primary where %s < %s or %s > %s\" = 0",
				f.Name, strconv.FormatFloat(f.Min, 'f', -1, 64), f.Name, strconv.FormatFloat(f.Max, 'f', -1, 64)))
		case len(f.Enum) > 0:
			quoted := make([]string, len(f.Enum))
			for i, v := range f.Enum {
				quoted[i] = strconv.Quote(v)
			}
			rules = append(rules, fmt.Sprintf("ColumnValues %q in [%s]", f.Name, strings.Join(quoted, ", ")))
		case f.Type == schema.String && f.Required && f.MaxLen > 0:
			rules = append(rules, fmt.Sprintf("ColumnLength %q <= %d", f.Name, f.MaxLen))
		}
	}
	rules = append(rules, `IsPrimaryKey "device_id" "ts"`, "RowCount > 0")
	return "Rules = [\n    " + strings.Join(rules, ",\n    ") + "\n]"
}
