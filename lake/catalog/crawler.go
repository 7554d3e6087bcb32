package catalog

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
)

// crawler catalogues the raw bucket's landing/ uploads, nothing else.
func (b *etlBuilder) crawler() {
	p := b.p
	role := glueRole(b.stack, "CrawlerRole", "Assumed by the Glue crawler of the raw bucket's landing/ prefix", []awsiam.PolicyStatement{
		baseline.ListUnder("ListLanding", p.RawBucket, layout.LandingPrefix),
		baseline.Statement("ReadLanding", []string{"s3:GetObject"}, baseline.Objects(p.RawBucket, layout.LandingPrefix)),
		b.useKey,
		baseline.Statement("CatalogLandingTables", []string{"glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable",
			"glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition"},
			b.catalogArn(), b.c.Database.DatabaseArn(), b.tableArn(layout.LandingTablePrefix+"*")),
		// Glue writes crawler logs to this fixed group; with the security
		// configuration it associates the lake key with it first.
		baseline.Statement("WriteCrawlerLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"}, b.logGroupArns("/aws-glue/crawlers*")...),
	}, "Object and table wildcards are confined to the raw bucket's landing/ prefix and the landing_ tables, whose names the crawler derives from folders; log wildcards to Glue's own /aws-glue/crawlers groups.")
	b.e.Crawler = awsglue.NewCfnCrawler(b.stack, jsii.String("LandingCrawler"), &awsglue.CfnCrawlerProps{
		Name:         jsii.String(b.d.Crawler()),
		Description:  jsii.String("Catalogues batch uploads under landing/<dataset>/ (device metadata CSV, maintenance events JSON lines); never telemetry/"),
		Role:         role.RoleArn(),
		DatabaseName: b.c.Database.DatabaseName(),
		TablePrefix:  jsii.String(layout.LandingTablePrefix),
		Targets: &awsglue.CfnCrawler_TargetsProperty{S3Targets: &[]any{
			landingTarget(p.RawBucket, layout.DevicesPrefix),
			landingTarget(p.RawBucket, layout.MaintenancePrefix),
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
		CrawlerSecurityConfiguration: jsii.String(b.d.Prefix()),
		// No Schedule: the workflow's trigger starts the crawler, so the
		// crawl and the jobs that read its tables run in order.
	})
	b.dependsOnSecurity(b.e.Crawler)
}

func landingTarget(bucket awss3.IBucket, prefix string) *awsglue.CfnCrawler_S3TargetProperty {
	return &awsglue.CfnCrawler_S3TargetProperty{
		Path: jsii.String("s3://" + *bucket.BucketName() + "/" + prefix),
		// Spark and Hadoop markers, checksums and anything an upload tool parks under errors/.
		Exclusions: jsii.Strings("**/_SUCCESS", "**/*.crc", "**/_temporary/**", "errors/**", "**/errors/**"),
	}
}
