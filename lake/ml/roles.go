package ml

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
)

// sageMakerRole is the execution role of the training, model and transform
// jobs: the analytics bucket's training/, models/ and batch-transform/, the
// lake key, the isolated subnets, its logs and the XGBoost image.
func sageMakerRole(stack awscdk.Stack, p Props, sg awsec2.SecurityGroup) awsiam.IRole {
	bucket := p.AnalyticsBucket
	var interfaces []*string
	for _, s := range *p.Vpc.IsolatedSubnets() {
		interfaces = append(interfaces, formatArn(stack, "ec2", "subnet", *s.SubnetId()))
	}
	interfaces = append(interfaces, formatArn(stack, "ec2", "security-group", *sg.SecurityGroupId()), formatArn(stack, "ec2", "network-interface", "*"))
	statements := []awsiam.PolicyStatement{
		baseline.ListUnder("ListMlPrefixes", bucket, layout.TrainingPrefix, layout.ModelsPrefix, layout.BatchTransformPrefix),
		baseline.Statement("ReadTrainingSetsAndModels", []string{"s3:GetObject"}, baseline.Objects(bucket, layout.TrainingPrefix), baseline.Objects(bucket, layout.ModelsPrefix)),
		baseline.Statement("WriteModelsAndPredictions", []string{"s3:PutObject", "s3:AbortMultipartUpload"}, baseline.Objects(bucket, layout.ModelsPrefix), baseline.Objects(bucket, layout.BatchTransformPrefix)),
		baseline.Statement("UseLakeKey", []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"}, p.LakeKey.KeyArn()),
		// Volume encryption: SageMaker creates grants for the instances it launches.
		baseline.StatementWhen("GrantLakeKeyToJobVolumes", []string{"kms:CreateGrant"}, map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": "true"}}, p.LakeKey.KeyArn()),
		baseline.Statement("AttachToIsolatedSubnets", []string{"ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"},
			interfaces...),
		// EC2 Describe calls have no resource-level permissions: "*" is all IAM accepts; the condition keeps them in the region.
		baseline.StatementWhen("DescribeNetwork", []string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"},
			regionOnly(), jsii.String("*")),
		baseline.Statement("WriteJobLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
			stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String("/aws/sagemaker/*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})),
		// PutMetricData has no resource-level permissions; the condition limits it to SageMaker's namespaces.
		baseline.StatementWhen("PublishJobMetrics", []string{"cloudwatch:PutMetricData"}, map[string]any{"StringLike": map[string]any{"cloudwatch:namespace": []string{"/aws/sagemaker/*", "aws/sagemaker/*"}}}, jsii.String("*")),
		// The built-in algorithm images live in AWS-owned registries (one account per region).
		baseline.Statement("PullXGBoostImage", []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"},
			stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ecr"), Account: jsii.String("*"), Resource: jsii.String("repository"), ResourceName: jsii.String("sagemaker-xgboost")})),
		baseline.StatementWhen("AuthenticateToEcr", []string{"ecr:GetAuthorizationToken"}, regionOnly(), jsii.String("*")),
	}
	role, _ := baseline.ServiceRole(stack, baseline.ServiceRoleProps{
		RoleID: "SageMakerExecutionRole", PolicyID: "SageMakerExecutionPolicy", Service: "sagemaker.amazonaws.com",
		Description:       "Assumed by SageMaker training, model and transform jobs of " + p.Deployment.Prefix(),
		PolicyDescription: "Lets SageMaker jobs read training sets, write models and predictions, and run in the isolated subnets",
		Statements:        statements,
		WildcardReason:    "Object wildcards are confined to the analytics bucket's training/, models/ and batch-transform/ prefixes, where SageMaker names objects per job; network-interface/* because SageMaker creates the interfaces; log groups under /aws/sagemaker/; ecr:GetAuthorizationToken, EC2 Describe and PutMetricData accept no resource but *, each narrowed by a condition; the XGBoost repository lives in an AWS-owned account that differs per region.",
	})
	return role
}

// newWorkflowRole is the role of both state machines: run the features job
// and the SageMaker jobs named after the deployment, pass the SageMaker role,
// invoke evaluate, register in the table, notify, and log.
func newWorkflowRole(stack awscdk.Stack, p Props, m *Stack) awsiam.IRole {
	prefix := p.Deployment.Prefix()
	sm := func(resource string) *string { return formatArn(stack, "sagemaker", resource, prefix+"-*") }
	eventsRule := func(name string) *string { return formatArn(stack, "events", "rule", name) }
	statements := []awsiam.PolicyStatement{
		baseline.Statement("RunFeaturesJob", []string{"glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"},
			formatArn(stack, "glue", "job", p.FeaturesJobName)),
		baseline.Statement("RunTrainingJobs", []string{"sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob", "sagemaker:AddTags", "sagemaker:ListTags"},
			sm("training-job")),
		baseline.Statement("RunTuningJobs", []string{"sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
			"sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob", "sagemaker:AddTags", "sagemaker:ListTags"},
			sm("hyper-parameter-tuning-job")),
		baseline.Statement("CreateModels", []string{"sagemaker:CreateModel", "sagemaker:AddTags"}, sm("model")),
		baseline.Statement("RunTransformJobs", []string{"sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob", "sagemaker:AddTags", "sagemaker:ListTags"},
			sm("transform-job")),
		baseline.StatementWhen("PassSageMakerRole", []string{"iam:PassRole"}, map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "sagemaker.amazonaws.com"}}, m.SageMakerRole.RoleArn()),
		// The .sync SageMaker integrations wait on these managed EventBridge rules;
		// ListTags and AddTags are in Step Functions' documented policy:
		// https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html
		baseline.Statement("SyncWithSageMakerEvents", []string{"events:PutTargets", "events:PutRule", "events:DescribeRule"},
			eventsRule("StepFunctionsGetEventsForSageMakerTrainingJobsRule"),
			eventsRule("StepFunctionsGetEventsForSageMakerTransformJobsRule"),
			eventsRule("StepFunctionsGetEventsForSageMakerTuningJobsRule")),
		baseline.Statement("InvokeEvaluate", []string{"lambda:InvokeFunction"}, m.Evaluate.Function.FunctionArn(), jsii.String(*m.Evaluate.Function.FunctionArn()+":*")),
		baseline.Statement("RegisterModels", []string{"dynamodb:PutItem"}, m.Registry.TableArn()),
		// ReadDataset: the training set's description the features job wrote.
		baseline.Statement("ReadDatasetDescription", []string{"s3:GetObject"}, p.AnalyticsBucket.ArnForObjects(jsii.String(layout.TrainingCurrentKey))),
		baseline.StatementWhen("UseLakeKeyViaS3", []string{"kms:Decrypt"}, via("s3"), p.LakeKey.KeyArn()),
		// The registry is encrypted with the lake key, and DynamoDB decrypts the
		// table key with the caller's credentials on each access:
		// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html
		baseline.StatementWhen("UseLakeKeyViaDynamoDb", []string{"kms:Decrypt", "kms:DescribeKey"}, via("dynamodb"), p.LakeKey.KeyArn()),
		baseline.Statement("Notify", []string{"sns:Publish"}, m.Topic.TopicArn()),
		// Publishing to the encrypted topic.
		baseline.StatementWhen("UseLakeKeyViaSns", []string{"kms:Decrypt", "kms:GenerateDataKey"}, via("sns"), p.LakeKey.KeyArn()),
		// CloudWatch Logs log delivery and X-Ray accept no resource but "*" (Step Functions' documented policy).
		baseline.StatementWhen("DeliverExecutionLogs", []string{"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
			"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}, regionOnly(), jsii.String("*")),
		// X-Ray's actions have no resource types and no condition keys of
		// their own; a global condition buys nothing on them (lake/golambda
		// says why there is none).
		baseline.Statement("Trace", []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"}, jsii.String("*")),
	}
	role, _ := baseline.ServiceRole(stack, baseline.ServiceRoleProps{
		RoleID: "WorkflowRole", PolicyID: "WorkflowPolicy", Service: "states.amazonaws.com",
		Description:       "Assumed by the ML state machines of " + prefix,
		PolicyDescription: "Lets the ML state machines run the features job and SageMaker jobs named " + prefix + "-*, evaluate, register and notify",
		Statements:        statements,
		WildcardReason:    "SageMaker job and model wildcards are the project's name prefix (names carry a per-run id); the Lambda version wildcard covers the evaluate function's versions; log delivery accepts no resource but *, narrowed to the region; X-Ray's trace writes accept only *, with no condition key of their own.",
	})
	return role
}

// formatArn is an ARN of the stack's account and region, "resource/name".
func formatArn(stack awscdk.Stack, service, resource, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String(service), Resource: jsii.String(resource), ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
}

// via lets a key be used only through one service of the deploy region.
func via(service string) map[string]any {
	return map[string]any{"StringEquals": map[string]any{"kms:ViaService": baseline.ViaService(service)}}
}

// regionOnly keeps a "*"-resource action to the deploy region.
func regionOnly() map[string]any {
	return map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": awscdk.Aws_REGION()}}
}
