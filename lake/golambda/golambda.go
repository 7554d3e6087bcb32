// Package golambda is the lake's Go Lambda construct: a provided.al2023
// function built from Go source at synth (no Docker), reproducibly, with its
// own encrypted log group and a role that holds one customer-managed policy.
package golambda

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/lambdabuild"
	"github.com/refdatalake/datalake/lake/baseline"
)

// Props configures a Go Lambda. Zero values take the defaults given.
type Props struct {
	// Arch is the GOARCH the bootstrap is built for: "arm64" (default) or
	// "amd64"; an emulator that runs the bootstrap as a host process needs
	// the host's.
	Arch string
	// LogRetentionDays keeps the function's logs this long (one of
	// baseline.LogRetentionDays). Default 30.
	LogRetentionDays int
	// AllowDestroy makes the log group DESTROY instead of RETAIN. Default false.
	AllowDestroy bool
	// Package is the handler's main package, module-relative ("./lambdas/transform").
	Package string
	// Description says what the function does.
	Description string
	// LakeKey encrypts the function's log group.
	LakeKey awskms.IKey
	// MemoryMB defaults to 256.
	MemoryMB int
	// Timeout defaults to one minute.
	Timeout awscdk.Duration
	// ReservedConcurrency, when above zero, reserves that much concurrency.
	ReservedConcurrency int
	// Environment is passed to the function.
	Environment map[string]string
	// OutsideVpcReason says why the function is not attached to the VPC. Every
	// function in this project either runs in the VPC or gives a reason.
	OutsideVpcReason string
	// NoDlqReason says why a dead-letter queue does not apply (it only does for
	// asynchronous invocations).
	NoDlqReason string
	// WildcardReason explains the wildcards of the statements a caller adds to
	// Policy, if any; it joins the reason for X-Ray's "*" in the policy's one
	// AwsSolutions-IAM5 suppression.
	WildcardReason string
}

// Function is a provided.al2023 Lambda built from Go source at synth, with
// its own encrypted log group and a role that holds only a customer-managed
// policy: callers add statements to Policy, never inline grants.
type Function struct {
	constructs.Construct
	Function awslambda.Function
	Role     awsiam.Role
	// Policy is the role's only permissions document.
	Policy   awsiam.ManagedPolicy
	LogGroup awslogs.LogGroup
}

// New builds props.Package and creates the function. A build error is
// returned with the package name so synth stops with it.
func New(scope constructs.Construct, id string, props Props) (*Function, error) {
	cfg := props
	if cfg.Arch == "" {
		cfg.Arch = "arm64"
	}
	if cfg.LogRetentionDays == 0 {
		cfg.LogRetentionDays = 30
	}
	code, err := lambdabuild.Code(props.Package, cfg.Arch)
	if err != nil {
		return nil, err
	}
	if props.OutsideVpcReason == "" || props.NoDlqReason == "" {
		return nil, fmt.Errorf("function %s: OutsideVpcReason and NoDlqReason are required", id)
	}
	c := constructs.NewConstruct(scope, &id)
	f := &Function{Construct: c}
	f.LogGroup = awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: props.LakeKey,
		Retention:     baseline.Retention(cfg.LogRetentionDays),
		RemovalPolicy: baseline.Removal(cfg.AllowDestroy),
	})
	f.Policy = awsiam.NewManagedPolicy(c, jsii.String("Policy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Permissions of the " + id + " function"),
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("WriteOwnLogs"),
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: &[]*string{f.LogGroup.LogGroupArn()},
		}),
			// Active tracing sends segments to X-Ray, whose write actions have
			// no resource types and no condition keys of their own, so only
			// "*" fits. Lambda checks the role for them at CreateFunction in
			// a way AWS does not document; a condition buys nothing here and
			// could fail that check, so there is none.
			// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
			baseline.Statement("Trace", []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, jsii.String("*")),
		},
	})
	f.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		Description:     jsii.String("Execution role of the " + id + " function"),
		AssumedBy:       awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		ManagedPolicies: &[]awsiam.IManagedPolicy{f.Policy},
	})
	memory := props.MemoryMB
	if memory == 0 {
		memory = 256
	}
	timeout := props.Timeout
	if timeout == nil {
		timeout = awscdk.Duration_Minutes(jsii.Number(1))
	}
	env := map[string]*string{}
	for k, v := range props.Environment {
		env[k] = jsii.String(v)
	}
	fnProps := &awslambda.FunctionProps{
		Description:   jsii.String(props.Description),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  lambdabuild.Architecture(cfg.Arch),
		Handler:       jsii.String("bootstrap"),
		Code:          code,
		MemorySize:    jsii.Number(float64(memory)),
		Timeout:       timeout,
		Environment:   &env,
		LogGroup:      f.LogGroup,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		// X-Ray traces show where an invocation spent its time, next to the
		// state machines' traces (the first 100,000 traces a month are free).
		Tracing: awslambda.Tracing_ACTIVE,
		// The role is final: grants would add inline policies next to Policy.
		Role: f.Role.WithoutPolicyUpdates(nil),
	}
	if props.ReservedConcurrency > 0 {
		fnProps.ReservedConcurrentExecutions = jsii.Number(float64(props.ReservedConcurrency))
	}
	f.Function = awslambda.NewFunction(c, jsii.String("Function"), fnProps)

	reasons := append(baseline.Twins("LambdaInsideVPC", props.OutsideVpcReason), baseline.Twins("LambdaDLQ", props.NoDlqReason)...)
	reasons = append(reasons, baseline.NagReason{Rule: "Serverless-LambdaDLQ", Reason: props.NoDlqReason})
	wildcards := "X-Ray's trace writes accept no resource but * and have no condition key of their own."
	if props.WildcardReason != "" {
		wildcards += " " + props.WildcardReason
	}
	baseline.Suppress(f.Policy, baseline.NagReason{Rule: "AwsSolutions-IAM5", Reason: wildcards})
	if props.ReservedConcurrency == 0 {
		why := "No reserved concurrency by default: a new account has 10 concurrent executions in total and cannot reserve any. Set it per profile (e.g. -c transformReservedConcurrency=N) where the account allows."
		reasons = append(reasons, baseline.Twins("LambdaConcurrency", why)...)
	}
	baseline.Suppress(f.Function, reasons...)
	return f, nil
}
