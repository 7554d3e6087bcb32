package main

import (
	"fmt"
	"math"
	"net/mail"
	"runtime"
	"strconv"
	"strings"

	"github.com/refdatalake/datalake/internal/sagemakerimage"
	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/curated"
	"github.com/refdatalake/datalake/lake/ml"
	"github.com/refdatalake/datalake/lake/ops"
)

// Profiles a synth can target with `-c profile=NAME`.
const (
	ProfileSandbox = "sandbox"
	ProfileProd    = "prod"
	ProfileLocal   = "local"
)

// Config is every setting the stacks read. A profile supplies the defaults
// (see defaultsFor); each field can be overridden with the context key named
// in settings, on the command line (`-c key=value`) or in cdk.json.
type Config struct {
	// Profile is the name of the profile the defaults came from.
	Profile string
	// Project prefixes stack names and is the `project` tag. Default "datalake".
	Project string
	// Owner is the `owner` tag: who to ask about these resources. Default "data-platform".
	Owner string
	// Account and Region pin the stacks to an environment. Empty (the default)
	// synthesizes environment-agnostic templates, so synth never needs credentials.
	Account, Region string

	// AllowDestroy turns the RETAIN removal policy of buckets, the key and log
	// groups into DESTROY. Default false, except in the local profile; prod refuses it.
	AllowDestroy bool

	// VpcCidr is the VPC's address range. Default 10.40.0.0/16.
	VpcCidr string
	// MaxAzs is how many availability zones get an isolated subnet. Default 2.
	MaxAzs int
	// FlowLogRetentionDays keeps VPC flow logs this long (a CloudWatch Logs retention value).
	FlowLogRetentionDays int

	// RawInfrequentAccessDays moves raw objects to Standard-IA this many days after creation.
	RawInfrequentAccessDays int
	// RawGlacierDays moves raw objects to Glacier Flexible Retrieval this many days after creation.
	RawGlacierDays int
	// NoncurrentVersionExpiryDays deletes overwritten or deleted versions this long after they stop being current.
	NoncurrentVersionExpiryDays int
	// AbortMultipartDays aborts multipart uploads left incomplete this long.
	AbortMultipartDays int
	// AccessLogExpiryDays deletes S3 server access logs this long after delivery.
	AccessLogExpiryDays int
	// ErrorOutputExpiryDays deletes raw `errors/` objects (records Firehose could not deliver) this long after delivery.
	ErrorOutputExpiryDays int
	// AthenaResultsExpiryDays deletes Athena query results under analytics `athena-results/`.
	AthenaResultsExpiryDays int
	// TransitionMinimumObjectSize is S3's transitionDefaultMinimumObjectSize:
	// "all_storage_classes_128k" (default: objects under 128 KB never transition,
	// because each transition is billed per object and small objects save nothing)
	// or "varies_by_storage_class".
	TransitionMinimumObjectSize string

	// Versioning keeps object versions on the data buckets. Default true.
	Versioning bool
	// RawObjectLockDays, when above zero, turns on Object Lock on the raw
	// bucket with a default GOVERNANCE retention of this many days. Default 0
	// (off). S3 can turn Object Lock on for an existing versioned bucket, but
	// never off again. With a default retention S3 refuses every PutObject
	// that carries neither Content-MD5 nor an x-amz-checksum-* header
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html):
	// current AWS SDKs send a CRC checksum by default, but the raw bucket's
	// writers (Firehose, the landing uploader) have not been verified against
	// it here; try it in a sandbox before prod (see docs/review.md).
	RawObjectLockDays int

	// LogRetentionDays keeps Lambda and Firehose logs this long (a CloudWatch Logs retention value).
	LogRetentionDays int

	// StreamMode is "provisioned" (fixed shards, cheapest for a steady trickle)
	// or "on_demand" (scales itself, billed per stream hour and GB).
	StreamMode string
	// StreamShards is the shard count in provisioned mode. Each shard takes
	// 1 MB/s or 1,000 records/s of writes.
	StreamShards int
	// StreamRetentionHours keeps records in the stream for replay (24 to 8760).
	StreamRetentionHours int
	// FirehoseBufferSeconds flushes Firehose's buffer at least this often (60 to 900).
	FirehoseBufferSeconds int
	// FirehoseBufferMB flushes at this size; Parquet conversion needs at least 64.
	FirehoseBufferMB int
	// TransformReservedConcurrency reserves concurrency for the transform Lambda;
	// 0 (default) reserves none, because a new account has only 10 in total and
	// cannot reserve any of them.
	TransformReservedConcurrency int
	// AlarmEmail, when set, subscribes this address to the alarm topic.
	AlarmEmail string
	// AnomalyAlertMinutes is the least time between two anomaly alerts of one device.
	AnomalyAlertMinutes int
	// AnomalyAlertsPerDay is the anomaly detector's false-alert budget:
	// alerts a device behaving as it has been may raise per day. Each
	// device's alert levels are set from it and the device's own history.
	AnomalyAlertsPerDay float64
	// MonthlyBudgetUsd is the account's monthly AWS Budgets cost budget,
	// warning the alarm topic at 80% actual and 100% forecast; 0 = none.
	MonthlyBudgetUsd float64
	// AuditTrail records the data buckets' object reads and writes with CloudTrail.
	AuditTrail bool
	// AuditLogExpiryDays deletes the trail's logs.
	AuditLogExpiryDays int
	// AthenaBytesScannedCutoffMB cancels any Athena query that would scan more
	// (Athena's minimum is 10 MB). At $5 per TB, 1 GB costs half a cent.
	AthenaBytesScannedCutoffMB int

	// IcebergSnapshotRetentionDays is how long the retention optimizer keeps
	// the Iceberg tables' snapshots (how far back time travel reaches).
	IcebergSnapshotRetentionDays int
	// TableOptimizers creates the Upkeep stack: Glue's compaction, snapshot
	// retention and orphan-file deletion on the Iceberg tables, and the
	// watch that reports their failures. CloudFormation lacks the type in
	// some regions (curated.NoTableOptimizerRegions).
	TableOptimizers bool
	// TrainingSnapshotDays is how long each training snapshot of
	// training_features stays readable (its tag), so a registered model's
	// training set can be rebuilt for that long.
	TrainingSnapshotDays int

	// GlueWorkerType is the worker type of the curate and features jobs:
	// "G.1X" (4 vCPU, 16 GB; default), "G.2X" or "G.4X".
	GlueWorkerType string
	// GlueWorkers is the number of workers per job run (at least 2: one is the driver).
	GlueWorkers int
	// GlueTimeoutMinutes stops a job run that takes longer.
	GlueTimeoutMinutes int
	// GlueMaxRetries re-runs a failed job run this many times.
	GlueMaxRetries int
	// EtlSchedule starts the Glue workflow (crawler -> curate -> features): a
	// Glue cron expression such as "cron(15 2 * * ? *)", or "" (the default
	// outside prod) for on demand only, so an idle sandbox runs nothing.
	EtlSchedule string

	// TrainingInstanceType and TransformInstanceType run SageMaker training and
	// batch transform. Default ml.m5.large: XGBoost on a few million rows
	// needs no more, and it costs about $0.12 an hour.
	TrainingInstanceType, TransformInstanceType string
	// TuningMaxJobs and TuningMaxParallelJobs bound a hyperparameter tuning run.
	TuningMaxJobs, TuningMaxParallelJobs int
	// MinAuc is the default quality gate: a model registers only with a
	// validation ROC AUC at least this high (an execution may pass its own).
	MinAuc float64
	// MlSchedule starts the train-and-transform workflow (an EventBridge cron
	// expression); the rule exists but is disabled unless MlScheduleEnabled.
	MlSchedule string
	// MlScheduleEnabled turns the schedule on. Default false: each run costs money.
	MlScheduleEnabled bool

	// Emulator marks a profile deployed into a LocalStack-compatible emulator:
	// resources the emulator rejects are kept in the template under a
	// condition that is false. Only the local profile sets it.
	Emulator bool

	// LambdaArch is the architecture Go Lambdas are built for: "arm64" (default)
	// or "amd64". The local profile defaults to the host's, so an emulator runs
	// the bootstrap natively.
	LambdaArch string
}

// defaultsFor returns a profile's defaults, or an error naming the allowed profiles.
func defaultsFor(profile string) (Config, error) {
	base := Config{
		Profile:                      profile,
		Project:                      "datalake",
		Owner:                        "data-platform",
		VpcCidr:                      "10.40.0.0/16",
		MaxAzs:                       2,
		FlowLogRetentionDays:         30,
		RawInfrequentAccessDays:      60,  // seed: Standard -> IA 60 days after creation
		RawGlacierDays:               180, // seed: -> Glacier 6 months after creation
		NoncurrentVersionExpiryDays:  30,
		AbortMultipartDays:           7,
		AccessLogExpiryDays:          90,
		ErrorOutputExpiryDays:        30,
		AthenaResultsExpiryDays:      7,
		TransitionMinimumObjectSize:  "all_storage_classes_128k",
		Versioning:                   true,
		LogRetentionDays:             30,
		StreamMode:                   "provisioned",
		StreamShards:                 1,
		StreamRetentionHours:         24,
		FirehoseBufferSeconds:        300,
		FirehoseBufferMB:             64,
		AthenaBytesScannedCutoffMB:   1024,
		GlueWorkerType:               "G.1X",
		GlueWorkers:                  2,
		GlueTimeoutMinutes:           60,
		GlueMaxRetries:               0,
		IcebergSnapshotRetentionDays: 7,
		TableOptimizers:              true,
		TrainingSnapshotDays:         365,
		TrainingInstanceType:         "ml.m5.large",
		TransformInstanceType:        "ml.m5.large",
		TuningMaxJobs:                4,
		TuningMaxParallelJobs:        2,
		MinAuc:                       0.75,
		MlSchedule:                   "cron(0 4 ? * SUN *)", // Sundays 04:00 UTC, after the nightly ETL
		LambdaArch:                   "arm64",
		MonthlyBudgetUsd:             50,
		AnomalyAlertMinutes:          60,
		AnomalyAlertsPerDay:          1,
		AuditLogExpiryDays:           365,
	}
	switch profile {
	case ProfileSandbox:
		return base, nil
	case ProfileProd:
		base.FlowLogRetentionDays = 365
		base.NoncurrentVersionExpiryDays = 90
		base.AccessLogExpiryDays = 365
		base.ErrorOutputExpiryDays = 90
		base.AthenaResultsExpiryDays = 30
		base.LogRetentionDays = 365
		base.StreamMode = "on_demand"
		base.StreamRetentionHours = 168
		base.AthenaBytesScannedCutoffMB = 100 * 1024
		base.GlueWorkers = 10
		base.GlueTimeoutMinutes = 240
		base.GlueMaxRetries = 1
		base.EtlSchedule = "cron(15 2 * * ? *)" // daily at 02:15 UTC, after the previous day's last hour has landed
		base.TuningMaxJobs = 20
		base.TuningMaxParallelJobs = 4
		base.MonthlyBudgetUsd = 1000
		base.AuditTrail = true
		base.AuditLogExpiryDays = 2555 // seven years
		return base, nil
	case ProfileLocal:
		// The emulator is thrown away after each run: nothing to retain.
		base.AllowDestroy = true
		base.FlowLogRetentionDays = 1
		base.AccessLogExpiryDays = 7
		base.ErrorOutputExpiryDays = 7
		base.AthenaResultsExpiryDays = 1
		base.NoncurrentVersionExpiryDays = 1
		base.AbortMultipartDays = 1
		base.LogRetentionDays = 1
		base.FirehoseBufferSeconds = 60
		base.Emulator = true
		base.MonthlyBudgetUsd = 0 // emulators have no AWS Budgets
		base.LambdaArch = runtime.GOARCH
		return base, nil
	}
	return Config{}, fmt.Errorf("unknown profile %q: set -c profile= to one of %s", profile, strings.Join(profileNames(), ", "))
}

func profileNames() []string { return []string{ProfileSandbox, ProfileProd, ProfileLocal} }

// setting is one context key that overrides one Config field.
type setting struct {
	key   string
	doc   string
	apply func(c *Config, raw any) error
	show  func(c *Config) string
}

// settings lists every overridable field; docs/settings.md's table is generated from it.
var settings = []setting{
	stringSetting("project", "prefix of stack names, `project` tag", nil, func(c *Config) *string { return &c.Project }),
	stringSetting("owner", "`owner` tag", nil, func(c *Config) *string { return &c.Owner }),
	stringSetting("account", "deploy account; empty = environment-agnostic", nil, func(c *Config) *string { return &c.Account }),
	stringSetting("region", "deploy region; empty = environment-agnostic", nil, func(c *Config) *string { return &c.Region }),
	boolSetting("allowDestroy", "DESTROY instead of RETAIN for buckets, key, log groups (refused in prod)", func(c *Config) *bool { return &c.AllowDestroy }),
	stringSetting("vpcCidr", "VPC address range (fixed after the first deploy: see Upgrades in docs/deploy.md)", nil, func(c *Config) *string { return &c.VpcCidr }),
	intSetting("maxAzs", "availability zones with an isolated subnet (2 or 3)", 2, 3, func(c *Config) *int { return &c.MaxAzs }),
	intSetting("flowLogRetentionDays", "VPC flow log retention, a CloudWatch Logs value", 1, 3653, func(c *Config) *int { return &c.FlowLogRetentionDays }),
	intSetting("rawIaDays", "raw: Standard -> Standard-IA after (days, >= 30)", 30, 36500, func(c *Config) *int { return &c.RawInfrequentAccessDays }),
	intSetting("rawGlacierDays", "raw: -> Glacier Flexible Retrieval after (days, >= rawIaDays + 30)", 1, 36500, func(c *Config) *int { return &c.RawGlacierDays }),
	intSetting("noncurrentExpiryDays", "delete noncurrent versions after (days)", 1, 36500, func(c *Config) *int { return &c.NoncurrentVersionExpiryDays }),
	intSetting("abortMultipartDays", "abort incomplete multipart uploads after (days)", 1, 365, func(c *Config) *int { return &c.AbortMultipartDays }),
	intSetting("accessLogExpiryDays", "delete S3 access logs after (days)", 1, 36500, func(c *Config) *int { return &c.AccessLogExpiryDays }),
	intSetting("errorExpiryDays", "delete raw `errors/` output after (days)", 1, 36500, func(c *Config) *int { return &c.ErrorOutputExpiryDays }),
	intSetting("athenaResultsExpiryDays", "delete analytics `athena-results/` after (days)", 1, 36500, func(c *Config) *int { return &c.AthenaResultsExpiryDays }),
	stringSetting("transitionMinObjectSize", "S3 transitionDefaultMinimumObjectSize", []string{"all_storage_classes_128k", "varies_by_storage_class"}, func(c *Config) *string { return &c.TransitionMinimumObjectSize }),
	boolSetting("versioning", "versioning on the data buckets", func(c *Config) *bool { return &c.Versioning }),
	intSetting("rawObjectLockDays", "Object Lock (GOVERNANCE) default retention on raw; 0 = off", 0, 36500, func(c *Config) *int { return &c.RawObjectLockDays }),
	intSetting("logRetentionDays", "Lambda and Firehose log retention, a CloudWatch Logs value", 1, 3653, func(c *Config) *int { return &c.LogRetentionDays }),
	stringSetting("streamMode", "Kinesis capacity mode", []string{"provisioned", "on_demand"}, func(c *Config) *string { return &c.StreamMode }),
	intSetting("streamShards", "shards in provisioned mode (1 MB/s or 1,000 records/s of writes each)", 1, 500, func(c *Config) *int { return &c.StreamShards }),
	intSetting("streamRetentionHours", "Kinesis retention (hours)", 24, 8760, func(c *Config) *int { return &c.StreamRetentionHours }),
	intSetting("firehoseBufferSeconds", "Firehose buffer interval (seconds)", 60, 900, func(c *Config) *int { return &c.FirehoseBufferSeconds }),
	intSetting("firehoseBufferMB", "Firehose buffer size (MB; Parquet conversion needs >= 64)", 64, 128, func(c *Config) *int { return &c.FirehoseBufferMB }),
	intSetting("transformReservedConcurrency", "reserved concurrency of the transform Lambda; 0 = none", 0, 1000, func(c *Config) *int { return &c.TransformReservedConcurrency }),
	intSetting("athenaCutoffMB", "Athena bytes-scanned cutoff per query (MB)", 10, 1024*1024, func(c *Config) *int { return &c.AthenaBytesScannedCutoffMB }),
	stringSetting("glueWorkerType", "worker type of the Glue jobs", []string{"g.1x", "g.2x", "g.4x"}, func(c *Config) *string { return &c.GlueWorkerType }),
	intSetting("glueWorkers", "workers per Glue job run (one is the driver)", 2, 100, func(c *Config) *int { return &c.GlueWorkers }),
	intSetting("glueTimeoutMinutes", "Glue job run timeout (minutes)", 1, 2880, func(c *Config) *int { return &c.GlueTimeoutMinutes }),
	intSetting("glueMaxRetries", "Glue job retries after a failed run", 0, 10, func(c *Config) *int { return &c.GlueMaxRetries }),
	boolSetting("tableOptimizers", "Glue table optimizers (compaction, snapshot retention, orphan-file deletion) on the Iceberg tables, in a stack of their own; false where CloudFormation lacks them", func(c *Config) *bool { return &c.TableOptimizers }),
	intSetting("icebergSnapshotRetentionDays", "Iceberg tables: the retention optimizer expires snapshots older than this (days; how far back time travel reaches)", 1, 3650, func(c *Config) *int { return &c.IcebergSnapshotRetentionDays }),
	intSetting("trainingSnapshotDays", "days each training snapshot of training_features stays readable (its tag), so a registered model's training set can be rebuilt", 1, 3650, func(c *Config) *int { return &c.TrainingSnapshotDays }),
	stringSetting("etlSchedule", "Glue cron expression that starts crawler -> curate -> features; empty = on demand", nil, func(c *Config) *string { return &c.EtlSchedule }),
	stringSetting("trainingInstanceType", "SageMaker training instance type", nil, func(c *Config) *string { return &c.TrainingInstanceType }),
	stringSetting("transformInstanceType", "SageMaker batch transform instance type", nil, func(c *Config) *string { return &c.TransformInstanceType }),
	intSetting("tuningMaxJobs", "training jobs per hyperparameter tuning run", 1, 500, func(c *Config) *int { return &c.TuningMaxJobs }),
	intSetting("tuningMaxParallelJobs", "training jobs a tuning run starts at once", 1, 100, func(c *Config) *int { return &c.TuningMaxParallelJobs }),
	floatSetting("minAuc", "default quality gate: validation ROC AUC a model needs to be registered", 0, 1, func(c *Config) *float64 { return &c.MinAuc }),
	stringSetting("mlSchedule", "EventBridge cron expression of the scheduled training run", nil, func(c *Config) *string { return &c.MlSchedule }),
	boolSetting("mlScheduleEnabled", "turn the scheduled training run on", func(c *Config) *bool { return &c.MlScheduleEnabled }),
	stringSetting("alarmEmail", "e-mail subscribed to the alarm topic; empty = none", nil, func(c *Config) *string { return &c.AlarmEmail }),
	intSetting("anomalyAlertMinutes", "least minutes between two anomaly alerts of one device (every anomaly is in the table)", 1, 10080, func(c *Config) *int { return &c.AnomalyAlertMinutes }),
	floatSetting("anomalyAlertsPerDay", "false-alert budget per device and day: each device's alert levels are set from it and its own history", 0.01, 100, func(c *Config) *float64 { return &c.AnomalyAlertsPerDay }),
	// Any number parses; Validate judges it with ops.CheckBudget, so every
	// budget out of bounds gets the same message.
	floatSetting("monthlyBudgetUsd", "monthly AWS Budgets cost budget of the account (USD, 2 decimals); warns the alarm topic at 80% actual, 100% forecast; 0 = none", math.Inf(-1), math.Inf(1), func(c *Config) *float64 { return &c.MonthlyBudgetUsd }),
	boolSetting("auditTrail", "CloudTrail trail of the data buckets' object reads and writes (S3 data events)", func(c *Config) *bool { return &c.AuditTrail }),
	intSetting("auditLogExpiryDays", "delete the trail's logs after (days; to Glacier after 90 when over 180)", 1, 36500, func(c *Config) *int { return &c.AuditLogExpiryDays }),
	stringSetting("lambdaArch", "architecture Go Lambdas are built for", []string{"arm64", "amd64"}, func(c *Config) *string { return &c.LambdaArch }),
}

// LoadConfig builds the Config for the profile named by the "profile" context
// key (default sandbox), applies every override found by lookup and validates
// the result. lookup returns nil for an unset key. Errors are one line that
// says which key to change and how.
func LoadConfig(lookup func(key string) any) (Config, error) {
	profile := ProfileSandbox
	if raw := lookup("profile"); raw != nil {
		s, ok := raw.(string)
		if !ok || s == "" {
			return Config{}, fmt.Errorf("context key \"profile\": %v is not a profile name: set -c profile= to one of %s", raw, strings.Join(profileNames(), ", "))
		}
		profile = s
	}
	cfg, err := defaultsFor(profile)
	if err != nil {
		return Config{}, err
	}
	for _, s := range settings {
		raw := lookup(s.key)
		if raw == nil {
			continue
		}
		if err := s.apply(&cfg, raw); err != nil {
			return Config{}, fmt.Errorf("context key %q: %w", s.key, err)
		}
	}
	if cfg.Profile == ProfileProd && cfg.StreamMode == "provisioned" && lookup("streamShards") == nil {
		// prod streams are on-demand by default. Switching one to provisioned
		// keeps its current shard count, and CloudFormation then sets
		// streamShards, but Kinesis halves a stream at most per update
		// (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html):
		// a default of 1 would fail on any stream that has grown past 2 shards.
		return Config{}, fmt.Errorf("streamMode=provisioned in prod needs an explicit -c streamShards=N: set it to the stream's current shard count (aws kinesis describe-stream-summary), then lower it at most by half per deploy")
	}
	return cfg, cfg.Validate()
}

// Validate rejects combinations AWS would refuse at deploy time, or that would
// lose data, with a message that says what to change.
func (c Config) Validate() error {
	if c.RawGlacierDays < c.RawInfrequentAccessDays+30 {
		// S3 rejects the rule otherwise: objects must stay 30 days in Standard-IA.
		return fmt.Errorf("rawGlacierDays (%d) must be at least rawIaDays (%d) + 30: raise -c rawGlacierDays or lower -c rawIaDays", c.RawGlacierDays, c.RawInfrequentAccessDays)
	}
	for _, r := range []struct {
		key  string
		days int
	}{{"flowLogRetentionDays", c.FlowLogRetentionDays}, {"logRetentionDays", c.LogRetentionDays}} {
		if !containsInt(baseline.LogRetentionDays, r.days) {
			return fmt.Errorf("%s (%d) is not a CloudWatch Logs retention: use one of %s", r.key, r.days, joinInts(baseline.LogRetentionDays))
		}
	}
	if !validProject(c.Project) {
		return fmt.Errorf("project %q must be 2-20 characters of a-z, 0-9 and -, starting with a letter (it names stacks and the Glue database): set -c project=datalake or similar", c.Project)
	}
	if err := checkEmail(c.AlarmEmail); err != nil {
		return fmt.Errorf("alarmEmail %q %v: set -c alarmEmail=you@example.com or leave it empty", c.AlarmEmail, err)
	}
	if err := ops.CheckBudget(c.MonthlyBudgetUsd); err != nil {
		return err
	}

	if c.Emulator && (c.MonthlyBudgetUsd > 0 || c.AuditTrail) {
		return fmt.Errorf("monthlyBudgetUsd and auditTrail need AWS (emulators have no Budgets and no CloudTrail delivery): set -c monthlyBudgetUsd=0 -c auditTrail=false for profile %s", c.Profile)
	}
	if c.RawObjectLockDays > 0 && !c.Versioning {
		return fmt.Errorf("rawObjectLockDays (%d) needs versioning: set -c versioning=true or -c rawObjectLockDays=0", c.RawObjectLockDays)
	}
	if c.RawObjectLockDays > 0 && c.AllowDestroy {
		return fmt.Errorf("rawObjectLockDays (%d) with allowDestroy=true cannot work (locked objects block bucket deletion): set -c allowDestroy=false or -c rawObjectLockDays=0", c.RawObjectLockDays)
	}
	if c.Profile == ProfileProd && c.AllowDestroy {
		return fmt.Errorf("allowDestroy=true is refused for profile prod: remove -c allowDestroy or use profile sandbox")
	}
	if (c.Account == "") != (c.Region == "") {
		return fmt.Errorf("account and region go together: set both -c account= and -c region=, or neither for an environment-agnostic synth")
	}
	if c.EtlSchedule != "" && !(strings.HasPrefix(c.EtlSchedule, "cron(") && strings.HasSuffix(c.EtlSchedule, ")") && len(strings.Fields(c.EtlSchedule[5:len(c.EtlSchedule)-1])) == 6) {
		return fmt.Errorf("etlSchedule %q is not a Glue cron expression: use six fields such as -c 'etlSchedule=cron(15 2 * * ? *)', or empty for on demand", c.EtlSchedule)
	}
	if n := len(c.Project) + 1 + len(c.Profile); n > maxTuningJobPrefix {
		// A tuning job name is at most 32 characters: the prefix, "-" and an 8-character run id.
		return fmt.Errorf("project %q is too long for SageMaker tuning job names (%q is %d characters, at most %d): use a project name of at most %d characters", c.Project, c.Project+"-"+c.Profile, n, maxTuningJobPrefix, maxTuningJobPrefix-1-len(c.Profile))
	}
	if c.TuningMaxParallelJobs > c.TuningMaxJobs {
		return fmt.Errorf("tuningMaxParallelJobs (%d) is above tuningMaxJobs (%d): lower -c tuningMaxParallelJobs or raise -c tuningMaxJobs", c.TuningMaxParallelJobs, c.TuningMaxJobs)
	}
	for _, it := range []struct{ key, value string }{{"trainingInstanceType", c.TrainingInstanceType}, {"transformInstanceType", c.TransformInstanceType}} {
		if !strings.HasPrefix(it.value, "ml.") || strings.Count(it.value, ".") != 2 {
			return fmt.Errorf("%s %q is not a SageMaker instance type: use one such as ml.m5.large", it.key, it.value)
		}
	}
	if !(strings.HasPrefix(c.MlSchedule, "cron(") || strings.HasPrefix(c.MlSchedule, "rate(")) || !strings.HasSuffix(c.MlSchedule, ")") {
		return fmt.Errorf("mlSchedule %q is not an EventBridge schedule: use cron(...) or rate(...), e.g. -c 'mlSchedule=cron(0 4 ? * SUN *)'", c.MlSchedule)
	}
	if err := ml.CheckMachineTimeouts(c.GlueTimeoutMinutes); err != nil {
		return err
	}
	if c.Region != "" {
		if _, err := sagemakerimage.XGBoost(c.Region); err != nil {
			// An environment-agnostic synth checks the region at deploy (a template rule).
			return fmt.Errorf("region %q: %v: pin another region with -c region=, or synthesize without account and region", c.Region, err)
		}
	}
	if err := ops.CheckBudgetRegion(c.MonthlyBudgetUsd, c.Region, ""); err != nil {
		return err
	}
	if err := curated.CheckTableOptimizerRegion(c.TableOptimizers, c.Region, ""); err != nil {
		return err
	}
	if !validCidr16to24(c.VpcCidr) {
		return fmt.Errorf("vpcCidr %q is not an IPv4 CIDR with a prefix from /16 to /24: set -c vpcCidr=10.40.0.0/16 or similar", c.VpcCidr)
	}
	return nil
}

func intSetting(key, doc string, min, max int, field func(*Config) *int) setting {
	return setting{
		key: key, doc: doc,
		apply: func(c *Config, raw any) error {
			var n int
			switch v := raw.(type) {
			case float64: // numbers in cdk.json
				if v != math.Trunc(v) {
					return fmt.Errorf("%v is not a whole number: use an integer from %d to %d", v, min, max)
				}
				n = int(v)
			case string: // -c key=value on the command line
				i, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a whole number: use an integer from %d to %d", v, min, max)
				}
				n = i
			default:
				return fmt.Errorf("%v is not a whole number: use an integer from %d to %d", raw, min, max)
			}
			if n < min || n > max {
				return fmt.Errorf("%d is out of range: use an integer from %d to %d", n, min, max)
			}
			*field(c) = n
			return nil
		},
		show: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

// maxTuningJobPrefix leaves room for "-" and an 8-character run id in a
// 32-character SageMaker tuning job name.
const maxTuningJobPrefix = 23

func floatSetting(key, doc string, min, max float64, field func(*Config) *float64) setting {
	return setting{
		key: key, doc: doc,
		apply: func(c *Config, raw any) error {
			var f float64
			switch v := raw.(type) {
			case float64:
				f = v
			case string:
				x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return fmt.Errorf("%q is not a number: use a number from %g to %g", v, min, max)
				}
				f = x
			default:
				return fmt.Errorf("%v is not a number: use a number from %g to %g", raw, min, max)
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("%v is not a number: use a number from %g to %g", raw, min, max)
			}
			if f < min || f > max {
				return fmt.Errorf("%g is out of range: use a number from %g to %g", f, min, max)
			}
			*field(c) = f
			return nil
		},
		show: func(c *Config) string { return strconv.FormatFloat(*field(c), 'f', -1, 64) },
	}
}

func boolSetting(key, doc string, field func(*Config) *bool) setting {
	return setting{
		key: key, doc: doc,
		apply: func(c *Config, raw any) error {
			switch v := raw.(type) {
			case bool:
				*field(c) = v
				return nil
			case string:
				b, err := strconv.ParseBool(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a boolean: use true or false", v)
				}
				*field(c) = b
				return nil
			}
			return fmt.Errorf("%v is not a boolean: use true or false", raw)
		},
		show: func(c *Config) string { return strconv.FormatBool(*field(c)) },
	}
}

func stringSetting(key, doc string, allowed []string, field func(*Config) *string) setting {
	return setting{
		key: key, doc: doc,
		apply: func(c *Config, raw any) error {
			v, ok := raw.(string)
			if !ok {
				return fmt.Errorf("%v is not a string", raw)
			}
			if allowed != nil {
				v = strings.ToLower(strings.TrimSpace(v))
				if !containsString(allowed, v) {
					return fmt.Errorf("%q is not allowed: use one of %s", v, strings.Join(allowed, ", "))
				}
			}
			*field(c) = v
			return nil
		},
		show: func(c *Config) string { return *field(c) },
	}
}

func validProject(s string) bool {
	if len(s) < 2 || len(s) > 20 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validCidr16to24(s string) bool {
	addr, prefix, ok := strings.Cut(s, "/")
	if !ok {
		return false
	}
	p, err := strconv.Atoi(prefix)
	if err != nil || p < 16 || p > 24 {
		return false
	}
	parts := strings.Split(addr, ".")
	if len(parts) != 4 {
		return false
	}
	for _, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 || n > 255 || strconv.Itoa(n) != part {
			return false
		}
	}
	return true
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// DeployRegions are the regions the templates are meant for: the pinned
// region, or every region the app supports (those where SageMaker publishes
// the built-in XGBoost the ML stack trains with: its template rule refuses
// the others). cfn-lint checks each template against each of them.
func (c Config) DeployRegions() []string {
	if c.Region != "" {
		return []string{c.Region}
	}
	return sagemakerimage.Regions()
}

// settingsTable renders the per-profile defaults as a Markdown table (docs/settings.md carries it).
func settingsTable() string {
	var b strings.Builder
	names := profileNames()
	b.WriteString("| context key | meaning | " + strings.Join(names, " | ") + " |\n|---|---|" + strings.Repeat("---|", len(names)) + "\n")
	cfgs := make([]Config, len(names))
	for i, n := range names {
		cfgs[i], _ = defaultsFor(n)
	}
	for _, s := range settings {
		b.WriteString("| `" + s.key + "` | " + s.doc + " |")
		for i := range cfgs {
			v := s.show(&cfgs[i])
			if s.key == "lambdaArch" && cfgs[i].Profile == ProfileLocal {
				v = "host"
			}
			if v == "" {
				v = "(empty)"
			}
			b.WriteString(" " + v + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// checkEmail refuses what an SNS e-mail subscription cannot deliver to: one
// plain address (no display name, no list), a dot in the domain, at most 254
// characters.
func checkEmail(addr string) error {
	if addr == "" {
		return nil
	}
	parsed, err := mail.ParseAddress(addr)
	switch {
	case err != nil || parsed.Name != "" || parsed.Address != addr:
		return fmt.Errorf("is not one plain e-mail address")
	case len(addr) > 254:
		return fmt.Errorf("is longer than 254 characters")
	}
	at := strings.LastIndexByte(addr, '@')
	if domain := addr[at+1:]; !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return fmt.Errorf("has no domain like example.com after the @")
	}
	return nil
}
