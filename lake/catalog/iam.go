package catalog

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/baseline"
)

// catalogArn is the Glue Data Catalog of the stack's account and region:
// every catalog action is authorized on it as well as on the database and table.
// https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html
func (b *etlBuilder) catalogArn() *string {
	return b.stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("glue"), Resource: jsii.String("catalog")})
}

// tableArn is a table (or, with a trailing *, tables) of the lake's database.
func (b *etlBuilder) tableArn(table string) *string {
	return b.stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("glue"), Resource: jsii.String("table"),
		ResourceName: jsii.String(*b.c.Database.DatabaseName() + "/" + table), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
}

// rulesetArn is the data quality ruleset on the curated table.
func (b *etlBuilder) rulesetArn() *string {
	return b.stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("glue"), Resource: jsii.String("dataQualityRuleset"),
		ResourceName: jsii.String(b.d.QualityRuleset()), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
}

// logGroupArns are the log groups whose names start with prefix, and their streams.
func (b *etlBuilder) logGroupArns(prefix string) []*string {
	group := b.stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"),
		ResourceName: jsii.String(prefix), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	return []*string{group, jsii.String(*group + ":*")}
}

// sparkPaths are what Spark on Glue needs around the prefixes it reads
// (and, with write, writes) in one bucket, beyond the objects under them:
//   - s3:ListBucket on the bucket without a prefix condition. Hadoop's
//     file systems list parents and probe paths with prefixes of their own
//     choosing, and S3 answers a HEAD of a missing key with 403 instead of
//     404 unless the caller may list the bucket: Spark then fails with
//     AccessDenied on a path that merely does not exist yet
//     (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
//     Listing shows key names only; reading stays confined to the prefixes.
//   - the path keys themselves and their "_$folder$" markers, for every
//     level of the prefix: getFileStatus HEADs "a/b" before listing "a/b/",
//     and EMRFS, which Glue's Spark uses, writes "<dir>_$folder$" markers
//     (https://repost.aws/knowledge-center/emr-s3-empty-files).
func sparkPaths(sid string, bucket awss3.IBucket, write bool, prefixes ...string) []awsiam.PolicyStatement {
	var keys []*string
	seen := map[string]bool{}
	for _, p := range prefixes {
		parts := strings.Split(strings.TrimSuffix(p, "/"), "/")
		for i := range parts {
			dir := strings.Join(parts[:i+1], "/")
			for _, k := range []string{dir, dir + "_$folder$"} {
				if !seen[k] {
					seen[k] = true
					keys = append(keys, bucket.ArnForObjects(jsii.String(k)))
				}
			}
		}
	}
	actions := []string{"s3:GetObject"}
	if write {
		actions = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
	}
	return []awsiam.PolicyStatement{
		baseline.Statement("List"+sid, []string{"s3:ListBucket", "s3:GetBucketLocation"}, bucket.BucketArn()),
		baseline.Statement("PathMarkers"+sid, actions, keys...),
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
