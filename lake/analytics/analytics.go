// Package analytics is the lake's Analytics stack: Athena workgroups with
// cost and encryption guardrails, and the named queries of internal/queries.
package analytics

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/queries"
	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
)

// Props configures the Analytics stack. Zero values take the defaults given.
type Props struct {
	awscdk.StackProps
	// Deployment names the workgroups. Required.
	Deployment layout.Deployment
	// LakeKey encrypts query results. Required.
	LakeKey awskms.IKey
	// AnalyticsBucket receives query results under athena-results/. Required.
	AnalyticsBucket awss3.IBucket
	// Database is where the named queries run. Required.
	Database awsglue.IDatabase
	// BytesScannedCutoffMB cancels any query that would scan more (Athena's
	// minimum is 10 MB; at $5 per TB, 1 GB costs half a cent). Default 1024.
	BytesScannedCutoffMB int
	// Emulator keeps the named queries behind a parameter that defaults to
	// false: LocalStack-compatible emulators reject AWS::Athena::NamedQuery.
	Emulator bool
}

// Stack owns the Athena workgroups and the named queries.
type Stack struct {
	awscdk.Stack
	// Workgroups by name (layout.Workgroups): "analysts" for people, "ml" for pipelines.
	Workgroups map[string]awsathena.CfnWorkGroup
}

// NewStack creates the guarded workgroups and publishes every query
// of internal/queries as a named query in the analysts workgroup.
func NewStack(scope constructs.Construct, id string, props *Props) (*Stack, error) {
	cfg := *props
	if cfg.BytesScannedCutoffMB == 0 {
		cfg.BytesScannedCutoffMB = 1024
	}
	stack := awscdk.NewStack(scope, &id, &cfg.StackProps)
	a := &Stack{Stack: stack, Workgroups: map[string]awsathena.CfnWorkGroup{}}
	for _, name := range layout.Workgroups {
		wgName := cfg.Deployment.Workgroup(name)
		a.Workgroups[name] = awsathena.NewCfnWorkGroup(stack, jsii.String(titleCase(name)+"Workgroup"), &awsathena.CfnWorkGroupProps{
			Name:        jsii.String(wgName),
			Description: jsii.String("Athena workgroup " + name + " of the " + cfg.Deployment.Project + " lake (" + cfg.Deployment.Profile + ")"),
			State:       jsii.String("ENABLED"),
			// A workgroup that has run one query, or holds named queries, cannot be
			// deleted without this ("WorkGroup ... is not empty"), so `make destroy`
			// would fail on every used deployment. It removes only the query
			// history and named queries; results stay in the analytics bucket.
			// https://docs.aws.amazon.com/athena/latest/APIReference/API_DeleteWorkGroup.html
			RecursiveDeleteOption: jsii.Bool(true),
			WorkGroupConfiguration: &awsathena.CfnWorkGroup_WorkGroupConfigurationProperty{
				// Clients cannot override the result location, encryption or limit.
				EnforceWorkGroupConfiguration:   jsii.Bool(true),
				PublishCloudWatchMetricsEnabled: jsii.Bool(true),
				// Athena bills $5 per TB scanned: a runaway query stops at this many bytes.
				BytesScannedCutoffPerQuery: jsii.Number(float64(cfg.BytesScannedCutoffMB) * 1024 * 1024),
				EngineVersion:              &awsathena.CfnWorkGroup_EngineVersionProperty{SelectedEngineVersion: jsii.String("Athena engine version 3")},
				ResultConfiguration: &awsathena.CfnWorkGroup_ResultConfigurationProperty{
					OutputLocation: jsii.String("s3://" + *cfg.AnalyticsBucket.BucketName() + "/" + layout.AthenaResultsPrefix + name + "/"),
					EncryptionConfiguration: &awsathena.CfnWorkGroup_EncryptionConfigurationProperty{
						EncryptionOption: jsii.String("SSE_KMS"),
						KmsKey:           cfg.LakeKey.KeyArn(),
					},
				},
			},
		})
	}
	qs, err := queries.All()
	if err != nil {
		return nil, err
	}
	var named []awscdk.CfnResource
	for _, q := range qs {
		nq := awsathena.NewCfnNamedQuery(stack, jsii.String(titleCase(q.Name)+"Query"), &awsathena.CfnNamedQueryProps{
			Name:        jsii.String(q.Name),
			Description: jsii.String(truncate(q.Description, 1024)),
			Database:    cfg.Database.DatabaseName(),
			QueryString: jsii.String(q.SQL),
			WorkGroup:   a.Workgroups[layout.WorkgroupAnalysts].Ref(),
		})
		named = append(named, nq)
	}
	// Emulators reject AWS::Athena::NamedQuery; the end-to-end test runs the same SQL directly instead.
	baseline.SkipOnEmulator(cfg.Emulator, stack, "NamedQueriesEnabled", "Create the named queries (emulators reject AWS::Athena::NamedQuery)", named...)
	return a, nil
}

// titleCase turns "hourly_device_aggregates" into "HourlyDeviceAggregates" for logical IDs.
func titleCase(s string) string {
	out := make([]byte, 0, len(s))
	up := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c == '-' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		out = append(out, c)
	}
	return string(out)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
