package catalog

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
)

// Etl holds the crawler, the jobs and their orchestration.
type Etl struct {
	SecurityConfiguration awsglue.SecurityConfiguration
	Crawler               awsglue.CfnCrawler
	Curate, Features      awsglue.PySparkEtlJob
	// Migrate and TrainingSet run on demand only.
	Migrate, TrainingSet awsglue.PySparkEtlJob
	// FeaturesJobName is the features job's name, known at synth.
	FeaturesJobName string
	Workflow        awsglue.Workflow
}

// etlBuilder carries what the parts of the ETL share while they are built:
// the stack, its props, the security configuration they all name, the
// lake-key statement and the jobs' library asset.
type etlBuilder struct {
	c            *Stack
	stack        awscdk.Stack
	p            Props
	d            layout.Deployment
	e            *Etl
	secCfn       awscdk.CfnResource
	secConfigRef awsglue.ISecurityConfiguration
	useKey       awsiam.PolicyStatement
	lib          awss3assets.Asset
}

// addEtl creates the security configuration, the landing crawler, the
// jobs and the workflow that chains crawler, curate and features.
func (c *Stack) addEtl(p Props) (*Etl, error) {
	b := &etlBuilder{c: c, stack: c.Stack, p: p, d: p.Deployment, e: &Etl{}}
	b.useKey = baseline.Statement("UseLakeKey", []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, p.LakeKey.KeyArn())
	b.securityConfiguration()
	b.crawler()
	if err := b.jobs(); err != nil {
		return nil, err
	}
	b.workflow()
	e := b.e
	// In a fixed order: outputs appear in the template in creation order.
	for _, o := range []struct {
		id string
		v  *string
	}{
		{"LandingCrawlerName", e.Crawler.Ref()}, {"CurateJobName", e.Curate.JobName()}, {"FeaturesJobName", e.Features.JobName()},
		{"MigrateCuratedJobName", e.Migrate.JobName()}, {"TrainingSetJobName", e.TrainingSet.JobName()},
		{"EtlWorkflowName", jsii.String(b.d.EtlWorkflow())},
	} {
		awscdk.NewCfnOutput(b.stack, jsii.String(o.id), &awscdk.CfnOutputProps{Value: o.v})
	}
	return e, nil
}

// securityConfiguration is the one configuration the crawler and both jobs
// name: S3 output, CloudWatch logs and job bookmarks are all encrypted with
// the lake key.
func (b *etlBuilder) securityConfiguration() {
	name := b.d.Prefix()
	b.e.SecurityConfiguration = awsglue.NewSecurityConfiguration(b.stack, jsii.String("SecurityConfiguration"), &awsglue.SecurityConfigurationProps{
		SecurityConfigurationName: jsii.String(name),
		S3Encryption:              awsglue.S3Encryption_Kms(b.p.LakeKey),
		CloudWatchEncryption:      awsglue.CloudWatchEncryption_Kms(b.p.LakeKey),
		JobBookmarksEncryption:    awsglue.JobBookmarksEncryption_ClientSideKms(b.p.LakeKey),
	})
	b.secCfn = b.e.SecurityConfiguration.Node().DefaultChild().(awscdk.CfnResource)
	// A definition, not data: it goes with the stack, so its fixed name is free
	// again for the next deploy after a destroy.
	b.secCfn.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY, nil)
	baseline.SkipOnEmulator(b.p.Emulator, b.stack, "GlueSecurityConfigurationEnabled",
		"Emulators reject AWS::Glue::SecurityConfiguration; jobs and the crawler refer to it by name", b.secCfn)
	b.secConfigRef = awsglue.SecurityConfiguration_FromSecurityConfigurationName(b.stack, jsii.String("SecurityConfigurationRef"), jsii.String(name))
}

// dependsOnSecurity makes r wait for the security configuration it names.
// On an emulator the configuration is not created, so nothing may wait for it.
func (b *etlBuilder) dependsOnSecurity(r awscdk.CfnResource) {
	if !b.p.Emulator {
		r.Node().AddDependency(b.secCfn)
	}
}
