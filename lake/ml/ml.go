// Package ml is the lake's ML stack: the train-and-transform and tune state
// machines from statemachines/, the evaluate Lambda, the SageMaker execution
// role and its security group, the model registry and the notification topic.
package ml

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/sagemakerimage"
	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/golambda"
	"github.com/refdatalake/datalake/lake/layout"
	"github.com/refdatalake/datalake/statemachines"
)

// Props configures the ML stack. Zero values take the defaults given.
type Props struct {
	awscdk.StackProps
	// Deployment names the jobs, state machines and topic. Required.
	Deployment layout.Deployment
	// LakeKey encrypts the registry, topic, logs, job volumes and outputs. Required.
	LakeKey awskms.IKey
	// AnalyticsBucket holds training sets, models and predictions. Required.
	AnalyticsBucket awss3.IBucket
	// Vpc's isolated subnets run the SageMaker jobs. Required.
	Vpc awsec2.IVpc
	// FeaturesJobName is the Glue job GenerateDataset runs. Required.
	FeaturesJobName string
	// FeaturesJobTimeoutMinutes is that job's own timeout; GenerateDataset
	// waits this long plus 15 minutes. Default 60.
	FeaturesJobTimeoutMinutes int
	// TrainingInstanceType and TransformInstanceType run SageMaker training
	// and batch transform. Default ml.m5.large.
	TrainingInstanceType, TransformInstanceType string
	// TuningMaxJobs and TuningMaxParallelJobs bound a tuning run. Default 4 and 2.
	TuningMaxJobs, TuningMaxParallelJobs int
	// MinAuc is the default quality gate. Default (nil) 0.75.
	MinAuc *float64
	// Schedule starts train-and-transform (an EventBridge expression).
	// Default "cron(0 4 ? * SUN *)"; the rule is disabled unless ScheduleEnabled.
	Schedule        string
	ScheduleEnabled bool
	// EtlScheduled says a scheduled Glue workflow (crawler -> curate ->
	// features) publishes training sets on its own. The scheduled retrain then
	// trains on the newest published set (current.json, written after its set
	// is complete) instead of running the features job again; without it the
	// retrain runs the features job itself. Default false.
	EtlScheduled bool
	// Region, when the stack is pinned to one, picks the XGBoost image at
	// synth; "" (default) looks it up in the template by the deploy region.
	Region string
	// DeletionProtection guards the registry table. Default false.
	DeletionProtection bool
	// LambdaArch is the evaluate function's GOARCH. Default arm64.
	LambdaArch string
	// LogRetentionDays keeps the function's and the workflows' logs. Default 30.
	LogRetentionDays int
	// AllowDestroy makes the registry and log groups DESTROY instead of RETAIN. Default false.
	AllowDestroy bool
}

func (p Props) withDefaults() Props {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.FeaturesJobTimeoutMinutes, 60)
	def(&p.TuningMaxJobs, 4)
	def(&p.TuningMaxParallelJobs, 2)
	def(&p.LogRetentionDays, 30)
	if p.TrainingInstanceType == "" {
		p.TrainingInstanceType = "ml.m5.large"
	}
	if p.TransformInstanceType == "" {
		p.TransformInstanceType = "ml.m5.large"
	}
	if p.MinAuc == nil {
		p.MinAuc = jsii.Number(0.75)
	}
	if p.Schedule == "" {
		p.Schedule = "cron(0 4 ? * SUN *)" // Sundays 04:00 UTC, after the nightly ETL
	}
	return p
}

// Stack owns the two state machines, the evaluate Lambda, the SageMaker
// execution role, the model registry and the notification topic.
type Stack struct {
	awscdk.Stack
	TrainAndTransform awsstepfunctions.StateMachine
	Tune              awsstepfunctions.StateMachine
	Evaluate          *golambda.Function
	Registry          awsdynamodb.Table
	Topic             awssns.Topic
	SageMakerRole     awsiam.IRole
	SecurityGroup     awsec2.SecurityGroup
}

// NewStack creates the ML workflows from statemachines/*.asl.json.
func NewStack(scope constructs.Construct, id string, props *Props) (*Stack, error) {
	cfg := props.withDefaults()
	props = &cfg
	if err := CheckMachineTimeouts(cfg.FeaturesJobTimeoutMinutes); err != nil {
		return nil, err
	}
	stack := awscdk.NewStack(scope, &id, &cfg.StackProps)
	m := &Stack{Stack: stack}
	prefix := cfg.Deployment.Prefix()
	bucket := props.AnalyticsBucket
	s3uri := func(p string) string { return "s3://" + *bucket.BucketName() + "/" + p }

	// The training and transform containers run with network isolation in
	// the isolated subnets: no route anywhere but the gateway endpoints.
	m.SecurityGroup = awsec2.NewSecurityGroup(stack, jsii.String("SageMakerJobs"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("SageMaker training and transform jobs: HTTPS out only (the isolated subnets route nowhere but the S3 and DynamoDB gateway endpoints)"),
		AllowAllOutbound: jsii.Bool(false),
	})
	// 0.0.0.0/0 rather than the S3 prefix list: CloudFormation gives no
	// attribute for a gateway endpoint's prefix-list ID, and reading it at
	// deploy takes a Lambda-backed lookup in every account. The rule reaches
	// nothing but the gateway endpoints only while the subnets have no NAT or
	// internet gateway, which TestVpcIsolatedWithoutNat asserts.
	m.SecurityGroup.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to the S3 gateway endpoint (isolated subnets have no other route)"), jsii.Bool(false))
	subnets := props.Vpc.IsolatedSubnets()
	subnetIDs := make([]*string, len(*subnets))
	for i, s := range *subnets {
		subnetIDs[i] = s.SubnetId()
	}

	m.SageMakerRole = sageMakerRole(stack, cfg, m.SecurityGroup)

	// Model registry: one item per registered model version.
	m.Registry = awsdynamodb.NewTable(stack, jsii.String("ModelRegistry"), &awsdynamodb.TableProps{
		PartitionKey:                     &awsdynamodb.Attribute{Name: jsii.String("modelFamily"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:                          &awsdynamodb.Attribute{Name: jsii.String("registeredAt"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST, // $0 idle
		Encryption:                       awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:                    props.LakeKey,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		DeletionProtection:               jsii.Bool(cfg.DeletionProtection),
		RemovalPolicy:                    baseline.Removal(cfg.AllowDestroy),
	})
	baseline.Suppress(m.Registry, baseline.Twins("DynamoDBInBackupPlan",
		"Point-in-time recovery is on (35 days), and every item can be rebuilt from the metrics.json written next to each model's predictions.")...)

	m.Topic = awssns.NewTopic(stack, jsii.String("MlNotifications"), &awssns.TopicProps{
		DisplayName: jsii.String(cfg.Deployment.Project + " " + cfg.Deployment.Profile + " ML workflow notifications"),
		MasterKey:   props.LakeKey,
		EnforceSSL:  jsii.Bool(true),
	})

	var err error
	m.Evaluate, err = golambda.New(stack, "EvaluateFunction", golambda.Props{
		Arch: cfg.LambdaArch, LogRetentionDays: cfg.LogRetentionDays, AllowDestroy: cfg.AllowDestroy,
		Package:     "./lambdas/evaluate",
		Description: "Scores batch transform predictions against the validation labels: confusion matrix, precision, recall, F1, ROC AUC",
		LakeKey:     props.LakeKey,
		MemoryMB:    1024,
		Timeout:     awscdk.Duration_Minutes(jsii.Number(5)),
		Environment: map[string]string{"LAKE_KEY_ARN": *props.LakeKey.KeyArn()},
		OutsideVpcReason: "It only calls S3 with its role; the VPC holds nothing it needs, and attaching it would add " +
			"ENI permissions on resource * to its role.",
		NoDlqReason:    "Step Functions invokes it synchronously and retries and catches its errors; a DLQ only applies to asynchronous invocations.",
		WildcardReason: "Object wildcards are confined to the validation set and batch-transform/ prefixes, whose object names SageMaker and Spark choose.",
	})
	if err != nil {
		return nil, err
	}
	m.Evaluate.Policy.AddStatements(
		// The labels are the validation channel of a training set: snapshots/<id>/validation/.
		baseline.ListUnder("ListPredictionsAndLabels", bucket, layout.TrainingSnapshotsPrefix+"*/validation/", layout.BatchTransformPrefix),
		baseline.Statement("ReadPredictionsAndLabels", []string{"s3:GetObject"}, baseline.Objects(bucket, layout.TrainingSnapshotsPrefix+"*/validation/"), baseline.Objects(bucket, layout.BatchTransformPrefix)),
		baseline.Statement("WriteMetrics", []string{"s3:PutObject"}, baseline.Objects(bucket, layout.BatchTransformPrefix)),
		baseline.StatementWhen("UseLakeKeyViaS3", []string{"kms:Decrypt", "kms:GenerateDataKey"}, via("s3"), props.LakeKey.KeyArn()),
	)

	image, err := xgboostImage(stack, cfg)
	if err != nil {
		return nil, err
	}
	subs := map[string]*string{
		"JobPrefix":        jsii.String(prefix),
		"TuningJobPrefix":  jsii.String(prefix),
		"XGBoostImage":     image,
		"SageMakerRoleArn": m.SageMakerRole.RoleArn(),
		"KmsKeyArn":        props.LakeKey.KeyArn(),
		"SubnetIds":        awscdk.Fn_Join(jsii.String(","), &subnetIDs),
		"SecurityGroupId":  m.SecurityGroup.SecurityGroupId(),
		// The workflows read the training set's description, current.json,
		// which the features job writes last (lake_jobs.training).
		"AnalyticsBucket":       bucket.BucketName(),
		"DatasetKey":            jsii.String(layout.TrainingCurrentKey),
		"ModelOutputUri":        jsii.String(s3uri(layout.ModelsPrefix)),
		"TransformOutputUri":    jsii.String(s3uri(layout.BatchTransformPrefix)),
		"TrainingInstanceType":  jsii.String(cfg.TrainingInstanceType),
		"TransformInstanceType": jsii.String(cfg.TransformInstanceType),
		"TuningMaxJobs":         jsii.String(strconv.Itoa(cfg.TuningMaxJobs)),
		"TuningMaxParallelJobs": jsii.String(strconv.Itoa(cfg.TuningMaxParallelJobs)),
		"DefaultMinAuc":         jsii.String(strconv.FormatFloat(*cfg.MinAuc, 'f', -1, 64)),
		"FeaturesJobName":       jsii.String(props.FeaturesJobName),
		"EvaluateFunctionArn":   m.Evaluate.Function.FunctionArn(),
		"RegistryTableName":     m.Registry.TableName(),
		"ModelFamily":           jsii.String(layout.ModelFamily),
		"TopicArn":              m.Topic.TopicArn(),
		// Task resources name the partition, so the workflows also run in
		// aws-cn and aws-us-gov, where arn:aws:states::: fails at run time.
		"Partition": awscdk.Aws_PARTITION(),
		// GenerateDataset waits as long as the features job may run (its own
		// timeout, the same one the nightly ETL runs under) plus time to start.
		"FeaturesJobTimeoutSeconds": jsii.String(strconv.Itoa(featuresJobSeconds(cfg.FeaturesJobTimeoutMinutes))),
	}

	workflowRole := newWorkflowRole(stack, cfg, m)

	// Step Functions recommends the /aws/vendedlogs/states prefix (it keeps the
	// account's CloudWatch Logs resource policy under its size limit:
	// https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html), so the
	// name cannot be left to CloudFormation. The group is retained with its
	// logs, so the name ends in this stack's own id: a stack deployed again
	// after a destroy gets a new id and a new group instead of failing on the
	// retained one.
	stackUUID := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), awscdk.Aws_STACK_ID(), nil))
	logs := awslogs.NewLogGroup(stack, jsii.String("WorkflowLogs"), &awslogs.LogGroupProps{
		LogGroupName:  awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("/aws/vendedlogs/states/" + prefix + "-ml-"), stackUUID}),
		EncryptionKey: props.LakeKey,
		Retention:     baseline.Retention(cfg.LogRetentionDays),
		RemovalPolicy: baseline.Removal(cfg.AllowDestroy),
	})
	// The machines' TimeoutSeconds is in their ASL (CDK's Timeout prop does not
	// reach a definition given as a string); fitsMachineTimeout checks it.
	machine := func(id, name string) (awsstepfunctions.StateMachine, error) {
		raw, err := statemachines.Raw(name)
		if err != nil {
			return nil, err
		}
		provided := map[string]string{}
		used := map[string]*string{}
		for _, p := range statemachines.Placeholders(raw) {
			v, ok := subs[p]
			if !ok {
				return nil, fmt.Errorf("state machine %s: no value for ${%s}", name, p)
			}
			provided[p] = "set"
			used[p] = v
		}
		if err := statemachines.Check(name, provided); err != nil {
			return nil, err
		}
		sm := awsstepfunctions.NewStateMachine(stack, jsii.String(id), &awsstepfunctions.StateMachineProps{
			StateMachineName:        jsii.String(cfg.Deployment.StateMachine(name)),
			DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(string(raw))),
			DefinitionSubstitutions: &used,
			Role:                    workflowRole,
			TracingEnabled:          jsii.Bool(true),
			Logs: &awsstepfunctions.LogOptions{
				Destination: logs, Level: awsstepfunctions.LogLevel_ALL, IncludeExecutionData: jsii.Bool(true),
			},
			// Definitions, not data (the execution history lives in the log
			// group): they go with the stack, freeing their fixed names.
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		// cfn-lint checks the definition before DefinitionSubstitutions apply
		// and wants every Resource to start with "arn:aws:", which refuses
		// arn:${Partition}:states:::... (and would refuse aws-cn and
		// aws-us-gov outright). asl-validator checks the definitions with the
		// partition filled in (make lint-asl, statemachines tests).
		sm.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("cfn-lint"),
			map[string]any{"config": map[string]any{"ignore_checks": []string{"E3601"}}})
		return sm, nil
	}
	if m.TrainAndTransform, err = machine("TrainAndTransform", statemachines.TrainAndTransform); err != nil {
		return nil, err
	}
	if m.Tune, err = machine("Tune", statemachines.Tune); err != nil {
		return nil, err
	}

	// A weekly retrain, created disabled: each run costs money (see docs/ml.md).
	startRole, _ := baseline.ServiceRole(stack, baseline.ServiceRoleProps{
		RoleID: "TrainScheduleRole", PolicyID: "TrainSchedulePolicy", Service: "events.amazonaws.com",
		Description:       "Assumed by EventBridge to start the scheduled training run of " + prefix,
		PolicyDescription: "Lets the schedule start train-and-transform",
		Statements:        []awsiam.PolicyStatement{baseline.Statement("StartTraining", []string{"states:StartExecution"}, m.TrainAndTransform.StateMachineArn())},
	})
	// An event the rule could not deliver (the machine missing, throttled, or
	// the role refused) lands here after the retries instead of vanishing.
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
	deadLetters := awssqs.NewQueue(stack, jsii.String("TrainScheduleDeadLetters"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: props.LakeKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
	})
	dlqReason := "It is itself the dead-letter queue of the training schedule's target; a queue behind it would only move the question."
	baseline.Suppress(deadLetters, baseline.NagReason{Rule: "AwsSolutions-SQS3", Reason: dlqReason}, baseline.NagReason{Rule: "Serverless-SQSRedrivePolicy", Reason: dlqReason})
	awsevents.NewRule(stack, jsii.String("TrainSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Starts train-and-transform on a schedule (disabled unless -c mlScheduleEnabled=true)"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(cfg.Schedule)),
		Enabled:     jsii.Bool(cfg.ScheduleEnabled),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(m.TrainAndTransform, &awseventstargets.SfnStateMachineProps{
			// With the nightly ETL publishing sets, a retrain reads its newest
			// finished set: current.json is written after the set it names, and
			// snapshot folders are never rewritten, so there is no partial set
			// to read and no second features run to pay for.
			Input:           awsevents.RuleTargetInput_FromObject(map[string]any{"runFeatures": !cfg.EtlScheduled}),
			Role:            startRole,
			DeadLetterQueue: deadLetters,
			RetryAttempts:   jsii.Number(3),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
		})},
	})

	outputs := map[string]*string{
		"TrainStateMachineArn": m.TrainAndTransform.StateMachineArn(), "TuneStateMachineArn": m.Tune.StateMachineArn(),
		"ModelRegistryTableName": m.Registry.TableName(), "MlTopicArn": m.Topic.TopicArn(),
	}
	keys := make([]string, 0, len(outputs))
	for k := range outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		awscdk.NewCfnOutput(stack, jsii.String(k), &awscdk.CfnOutputProps{Value: outputs[k]})
	}
	return m, nil
}

// xgboostImage resolves the built-in XGBoost image without network: for a
// pinned region from the table in internal/sagemakerimage, otherwise through
// a template mapping from that table, keyed by the deploy region.
func xgboostImage(stack awscdk.Stack, cfg Props) (*string, error) {
	if cfg.Region != "" {
		uri, err := sagemakerimage.XGBoost(cfg.Region)
		if err != nil {
			return nil, fmt.Errorf("-c region=%s: %w", cfg.Region, err)
		}
		return jsii.String(uri), nil
	}
	mapping := map[string]*map[string]any{}
	for _, r := range sagemakerimage.Regions() {
		uri, err := sagemakerimage.XGBoost(r)
		if err != nil {
			panic(err) // Regions and XGBoost disagree: a bug in the table
		}
		mapping[r] = &map[string]any{"uri": uri}
	}
	m := awscdk.NewCfnMapping(stack, jsii.String("XGBoostImage"), &awscdk.CfnMappingProps{Mapping: &mapping})
	// Without the rule, a deploy to a region the mapping lacks fails deep in
	// the stack with a bare "Mapping ... does not contain key"; the rule stops
	// it before any resource is touched, saying why.
	awscdk.NewCfnRule(stack, jsii.String("XGBoostRegion"), &awscdk.CfnRuleProps{
		Assertions: &[]*awscdk.CfnRuleAssertion{{
			Assert:            awscdk.Fn_ConditionContains(jsii.Strings(sagemakerimage.Regions()...), awscdk.Aws_REGION()),
			AssertDescription: jsii.String("SageMaker's built-in XGBoost " + sagemakerimage.XGBoostVersion + " is not published in this region: deploy the ML stack to one of " + strings.Join(sagemakerimage.Regions(), ", ")),
		}},
	})
	return m.FindInMap(awscdk.Aws_REGION(), jsii.String("uri"), nil), nil
}

// featuresJobStartSeconds is the margin GenerateDataset allows beyond the
// features job's own timeout: queueing for workers and Spark start-up.
const featuresJobStartSeconds = 15 * 60

func featuresJobSeconds(timeoutMinutes int) int { return timeoutMinutes*60 + featuresJobStartSeconds }

// CheckMachineTimeouts refuses a features job timeout (minutes) that either
// state machine's own TimeoutSeconds could not hold.
func CheckMachineTimeouts(featuresTimeoutMinutes int) error {
	for _, name := range []string{statemachines.TrainAndTransform, statemachines.Tune} {
		def, err := statemachines.Raw(name)
		if err != nil {
			return err
		}
		if err := fitsMachineTimeout(name, def, featuresJobSeconds(featuresTimeoutMinutes)); err != nil {
			return err
		}
	}
	return nil
}

// fitsMachineTimeout refuses a features job timeout that, added to every
// other task's timeout in the machine, exceeds the machine's own
// TimeoutSeconds: the execution would be cut off while its tasks still run.
func fitsMachineTimeout(name string, def []byte, featuresSeconds int) error {
	var m struct {
		TimeoutSeconds int `json:"TimeoutSeconds"`
		States         map[string]struct {
			Type           string `json:"Type"`
			TimeoutSeconds int    `json:"TimeoutSeconds"`
		} `json:"States"`
	}
	if err := json.Unmarshal(def, &m); err != nil {
		return fmt.Errorf("state machine %s: %w", name, err)
	}
	total := featuresSeconds
	for _, st := range m.States {
		if st.Type == "Task" {
			total += st.TimeoutSeconds
		}
	}
	if total > m.TimeoutSeconds {
		return fmt.Errorf("glueTimeoutMinutes is too long for the %s workflow: its tasks could run %d s, its TimeoutSeconds is %d s; lower -c glueTimeoutMinutes to at most %d",
			name, total, m.TimeoutSeconds, (m.TimeoutSeconds-(total-featuresSeconds)-featuresJobStartSeconds)/60)
	}
	return nil
}
