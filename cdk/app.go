package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/analytics"
	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/catalog"
	"github.com/refdatalake/datalake/lake/curated"
	"github.com/refdatalake/datalake/lake/ingest"
	"github.com/refdatalake/datalake/lake/layout"
	"github.com/refdatalake/datalake/lake/ml"
	"github.com/refdatalake/datalake/lake/network"
	"github.com/refdatalake/datalake/lake/ops"
	"github.com/refdatalake/datalake/lake/storage"
	"github.com/refdatalake/datalake/statemachines"
)

// Lake is every stack of one deployment of the lake.
type Lake struct {
	Storage   *storage.Stack
	Network   *network.Stack
	Catalog   *catalog.Stack
	Curated   *curated.Stack
	Streaming *ingest.Stack
	Analytics *analytics.Stack
	ML        *ml.Stack
	Ops       *ops.Stack
	// Upkeep is nil when tableOptimizers is false.
	Upkeep *curated.UpkeepStack
	// Budget is nil when the profile sets no budget.
	Budget *ops.BudgetStack
}

// NewLake adds the lake's stacks to app, wired through typed props, with tags
// and compliance checks on everything.
func NewLake(app awscdk.App, cfg Config) (*Lake, error) {
	deployment := layout.Deployment{Project: cfg.Project, Profile: cfg.Profile}
	stackProps := func(name, description string) awscdk.StackProps {
		p := awscdk.StackProps{
			StackName:   jsii.String(deployment.StackName(name)),
			Description: jsii.String(description + " (" + cfg.Project + ", profile " + cfg.Profile + ")"),
			// prod stacks hold data that must not disappear with a mistyped destroy.
			TerminationProtection: jsii.Bool(cfg.Profile == ProfileProd),
		}
		if cfg.Account != "" {
			p.Env = &awscdk.Environment{Account: &cfg.Account, Region: &cfg.Region}
		}
		return p
	}
	lake := &Lake{}
	lake.Storage = storage.NewStack(app, "Storage", &storage.Props{
		StackProps:                  stackProps(layout.StackStorage, "Lake KMS key and buckets raw, curated, analytics, access-logs"),
		Deployment:                  deployment,
		AllowDestroy:                cfg.AllowDestroy,
		Versioning:                  jsii.Bool(cfg.Versioning),
		RawInfrequentAccessDays:     cfg.RawInfrequentAccessDays,
		RawGlacierDays:              cfg.RawGlacierDays,
		NoncurrentVersionExpiryDays: cfg.NoncurrentVersionExpiryDays,
		AbortMultipartDays:          cfg.AbortMultipartDays,
		AccessLogExpiryDays:         cfg.AccessLogExpiryDays,
		ErrorOutputExpiryDays:       cfg.ErrorOutputExpiryDays,
		AthenaResultsExpiryDays:     cfg.AthenaResultsExpiryDays,
		TransitionMinimumObjectSize: cfg.TransitionMinimumObjectSize,
		RawObjectLockDays:           cfg.RawObjectLockDays,
		AuditTrail:                  cfg.AuditTrail,
		AuditLogExpiryDays:          cfg.AuditLogExpiryDays,
	})
	lake.Network = network.NewStack(app, "Network", &network.Props{
		StackProps:           stackProps(layout.StackNetwork, "VPC with isolated subnets, S3 and DynamoDB gateway endpoints, flow logs"),
		LakeKey:              lake.Storage.LakeKey,
		LakeBuckets:          lake.Storage.DataBuckets(),
		VpcCidr:              cfg.VpcCidr,
		MaxAzs:               cfg.MaxAzs,
		FlowLogRetentionDays: cfg.FlowLogRetentionDays,
		AllowDestroy:         cfg.AllowDestroy,
		Emulator:             cfg.Emulator,
	})
	var err error
	lake.Catalog, err = catalog.NewStack(app, "Catalog", &catalog.Props{
		StackProps:      stackProps(layout.StackCatalog, "Glue database, tables, landing crawler, curate and features jobs, workflow, data quality"),
		Deployment:      deployment,
		LakeKey:         lake.Storage.LakeKey,
		RawBucket:       lake.Storage.RawBucket,
		CuratedBucket:   lake.Storage.CuratedBucket,
		AnalyticsBucket: lake.Storage.AnalyticsBucket,
		WorkerType:      cfg.GlueWorkerType,
		Workers:         cfg.GlueWorkers,
		TimeoutMinutes:  cfg.GlueTimeoutMinutes,
		MaxRetries:      cfg.GlueMaxRetries,
		EtlSchedule:     cfg.EtlSchedule,
		TrainingTagDays: cfg.TrainingSnapshotDays,
		Emulator:        cfg.Emulator,
	})
	if err != nil {
		return nil, err
	}
	lake.Curated = curated.NewStack(app, "Curated", &curated.Props{
		StackProps:      stackProps(layout.StackCurated, "Iceberg tables curated_telemetry and training_features, their Glue table optimizers, data quality"),
		Deployment:      deployment,
		LakeKey:         lake.Storage.LakeKey,
		CuratedBucket:   lake.Storage.CuratedBucket,
		AnalyticsBucket: lake.Storage.AnalyticsBucket,
		AllowDestroy:    cfg.AllowDestroy,
		Emulator:        cfg.Emulator,
	})
	// After Catalog: its database, and an upgrade's removal of the Hive-style
	// tables of the same names there must be complete first.
	lake.Curated.AddStackDependency(lake.Catalog.Stack, jsii.String("the Iceberg tables are in the Catalog stack's database, and replace its former tables of the same names"))
	lake.Streaming, err = ingest.NewStack(app, "Streaming", &ingest.Props{
		StackProps:                   stackProps(layout.StackStreaming, "Kinesis stream, transform Lambda, Firehose to Parquet, ingestion alarms"),
		Deployment:                   deployment,
		LakeKey:                      lake.Storage.LakeKey,
		RawBucket:                    lake.Storage.RawBucket,
		Database:                     lake.Catalog.Database,
		TelemetryTable:               lake.Catalog.RawTelemetryCfn,
		OnDemand:                     cfg.StreamMode == "on_demand",
		Shards:                       cfg.StreamShards,
		RetentionHours:               cfg.StreamRetentionHours,
		BufferSeconds:                cfg.FirehoseBufferSeconds,
		BufferMB:                     cfg.FirehoseBufferMB,
		TransformReservedConcurrency: cfg.TransformReservedConcurrency,
		LambdaArch:                   cfg.LambdaArch,
		LogRetentionDays:             cfg.LogRetentionDays,
		AllowDestroy:                 cfg.AllowDestroy,
		AlarmEmail:                   cfg.AlarmEmail,
		AnalyticsBucket:              lake.Storage.AnalyticsBucket,
		AnomalyAlertMinutes:          cfg.AnomalyAlertMinutes,
		AnomalyAlertsPerDay:          cfg.AnomalyAlertsPerDay,
		Emulator:                     cfg.Emulator,
	})
	if err != nil {
		return nil, err
	}
	lake.Analytics, err = analytics.NewStack(app, "Analytics", &analytics.Props{
		StackProps:           stackProps(layout.StackAnalytics, "Athena workgroups with cost and encryption guardrails, named queries"),
		Deployment:           deployment,
		LakeKey:              lake.Storage.LakeKey,
		AnalyticsBucket:      lake.Storage.AnalyticsBucket,
		Database:             lake.Catalog.Database,
		BytesScannedCutoffMB: cfg.AthenaBytesScannedCutoffMB,
		Emulator:             cfg.Emulator,
	})
	if err != nil {
		return nil, err
	}

	lake.ML, err = ml.NewStack(app, "ML", &ml.Props{
		StackProps:                stackProps(layout.StackML, "ML workflows: train and transform, hyperparameter tuning, evaluate Lambda, model registry"),
		Deployment:                deployment,
		LakeKey:                   lake.Storage.LakeKey,
		AnalyticsBucket:           lake.Storage.AnalyticsBucket,
		Vpc:                       lake.Network.Vpc,
		FeaturesJobName:           lake.Catalog.Etl.FeaturesJobName,
		FeaturesJobTimeoutMinutes: cfg.GlueTimeoutMinutes,
		TrainingInstanceType:      cfg.TrainingInstanceType,
		TransformInstanceType:     cfg.TransformInstanceType,
		TuningMaxJobs:             cfg.TuningMaxJobs,
		TuningMaxParallelJobs:     cfg.TuningMaxParallelJobs,
		MinAuc:                    jsii.Number(cfg.MinAuc),
		Schedule:                  cfg.MlSchedule,
		ScheduleEnabled:           cfg.MlScheduleEnabled,
		EtlScheduled:              cfg.EtlSchedule != "",
		Region:                    cfg.Region,
		DeletionProtection:        cfg.Profile == ProfileProd,
		LambdaArch:                cfg.LambdaArch,
		LogRetentionDays:          cfg.LogRetentionDays,
		AllowDestroy:              cfg.AllowDestroy,
	})
	if err != nil {
		return nil, err
	}
	// The workflows start the features job by name: deploy it first.
	lake.ML.AddStackDependency(lake.Catalog.Stack, jsii.String("the ML workflows run the Catalog stack's features job"))

	lake.Ops, err = ops.NewStack(app, "Ops", &ops.Props{
		StackProps:         stackProps(layout.StackOps, "Failure routing to the alarm topic, the data quality run after curate, the deployment's dashboard"),
		Deployment:         deployment,
		LakeKey:            lake.Storage.LakeKey,
		AlarmTopicArn:      lake.Streaming.AlarmTopic.TopicArn(),
		Stream:             lake.Streaming.Stream,
		DeliveryStreamName: lake.Streaming.DeliveryStream.DeliveryStreamName(),
		Transform:          lake.Streaming.Transform.Function,
		IngestAlarms:       lake.Streaming.Alarms,
		StateMachines: map[string]awsstepfunctions.IStateMachine{
			statemachines.TrainAndTransform: lake.ML.TrainAndTransform, statemachines.Tune: lake.ML.Tune,
		},
		Evaluate: lake.ML.Evaluate.Function,
		Detect:   lake.Streaming.Detect.Function,
		Quality: &ops.QualityProps{
			Role:             lake.Curated.DataQualityRole,
			LogRetentionDays: cfg.LogRetentionDays,
			AllowDestroy:     cfg.AllowDestroy,
		},
	})
	if err != nil {
		return nil, err
	}
	// Its rules match the jobs, crawler and ruleset by name.
	lake.Ops.AddStackDependency(lake.Catalog.Stack, jsii.String("the failure rules match the Catalog stack's jobs and crawler by name"))
	lake.Ops.AddStackDependency(lake.Curated.Stack, jsii.String("the data quality run evaluates the Curated stack's ruleset"))
	if cfg.TableOptimizers {
		lake.Upkeep, err = curated.NewUpkeepStack(app, "Upkeep", &curated.UpkeepProps{
			StackProps:            stackProps(layout.StackUpkeep, "Glue table optimizers of the Iceberg tables and the watch that reports their failures"),
			Deployment:            deployment,
			LakeKey:               lake.Storage.LakeKey,
			CuratedBucket:         lake.Storage.CuratedBucket,
			AnalyticsBucket:       lake.Storage.AnalyticsBucket,
			SnapshotRetentionDays: cfg.IcebergSnapshotRetentionDays,
			AlarmTopicArn:         lake.Streaming.AlarmTopic.TopicArn(),
			LambdaArch:            cfg.LambdaArch,
			LogRetentionDays:      cfg.LogRetentionDays,
			AllowDestroy:          cfg.AllowDestroy,
			Emulator:              cfg.Emulator,
		})
		if err != nil {
			return nil, err
		}
		lake.Upkeep.AddStackDependency(lake.Curated.Stack, jsii.String("the optimizers keep the Curated stack's tables"))
	}
	if cfg.MonthlyBudgetUsd > 0 {
		lake.Budget, err = ops.NewBudgetStack(app, "Budget", &ops.BudgetProps{
			StackProps:       stackProps(layout.StackBudget, "The account's monthly cost budget, warning the alarm topic"),
			Deployment:       deployment,
			AlarmTopicArn:    lake.Streaming.AlarmTopic.TopicArn(),
			MonthlyBudgetUsd: cfg.MonthlyBudgetUsd,
		})
		if err != nil {
			return nil, err
		}
	}
	for _, st := range lake.stacks() {
		baseline.DeployableIn(st, cfg.DeployRegions())
	}
	if lake.Budget != nil {
		baseline.DeployableIn(lake.Budget.Stack, ops.BudgetRegions(cfg.DeployRegions()))
	}
	if lake.Upkeep != nil {
		baseline.DeployableIn(lake.Upkeep.Stack, curated.TableOptimizerRegions(cfg.DeployRegions()))
	}

	tags := awscdk.Tags_Of(app)
	tags.Add(jsii.String("project"), &cfg.Project, nil)
	tags.Add(jsii.String("profile"), &cfg.Profile, nil)
	tags.Add(jsii.String("owner"), &cfg.Owner, nil)
	baseline.ApplyCompliance(app)
	return lake, nil
}

// stacks lists the deployment's stacks in deploy order, but the upkeep's and the budget's.
func (l *Lake) stacks() []awscdk.Stack {
	return []awscdk.Stack{l.Storage.Stack, l.Network.Stack, l.Catalog.Stack, l.Curated.Stack, l.Streaming.Stack, l.Analytics.Stack, l.ML.Stack, l.Ops.Stack}
}
