package curated

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/lake/baseline"
	"github.com/refdatalake/datalake/lake/layout"
)

// addQuality is the data quality ruleset on curated_telemetry (what curate
// promises downstream) and the role its evaluation runs assume. Glue Data
// Quality evaluates Iceberg tables of the Data Catalog
// (https://docs.aws.amazon.com/prescriptive-guidance/latest/apache-iceberg-on-aws/measuring-data-quality-for-iceberg-tables.html);
// the run reads the table's metadata and data files, no catalog partitions.
func (c *Stack) addQuality(cfg Props) {
	d := cfg.Deployment
	database := awsglue.Database_FromDatabaseArn(c.Stack, jsii.String("LakeDatabaseRef"), c.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("glue"), Resource: jsii.String("database"), ResourceName: jsii.String(d.Database()), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	}))
	c.DataQuality = awsglue.NewDataQualityRuleset(c.Stack, jsii.String("CuratedQuality"), &awsglue.DataQualityRulesetProps{
		RulesetName: jsii.String(d.QualityRuleset()),
		Description: jsii.String("Completeness, ranges and key uniqueness of curated telemetry"),
		TargetTable: awsglue.DataQualityTargetTable_FromTableName(database, jsii.String(layout.CuratedTelemetryTable)),
		Dqdl:        awsglue.Dqdl_FromString(jsii.String(CuratedDqdl())),
	})
	c.DataQuality.Node().AddDependency(c.CuratedTelemetry)
	c.DataQuality.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY) // a definition with a fixed name, not data
	ruleset := c.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("glue"), Resource: jsii.String("dataQualityRuleset"),
		ResourceName: jsii.String(d.QualityRuleset()), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	glue := glueArns(c.Stack, cfg.Deployment)
	c.DataQualityRole, _ = baseline.ServiceRole(c.Stack, baseline.ServiceRoleProps{
		RoleID: "DataQualityRole", PolicyID: "DataQualityRolePolicy", Service: "glue.amazonaws.com",
		Description:       "Assumed by Glue Data Quality evaluation runs of " + d.QualityRuleset(),
		PolicyDescription: "Reads curated_telemetry (an Iceberg table) and publishes its data quality results",
		Statements: []awsiam.PolicyStatement{
			// Unconditioned for S3's 404-or-403 rule (see optimizerRole).
			baseline.Statement("ListCuratedBucket", []string{"s3:ListBucket", "s3:GetBucketLocation"}, cfg.CuratedBucket.BucketArn()),
			baseline.Statement("ReadCuratedFiles", []string{"s3:GetObject"}, baseline.Objects(cfg.CuratedBucket, layout.CuratedIcebergPrefix)),
			baseline.Statement("ReadCuratedTable", []string{"glue:GetDatabase", "glue:GetTable"}, glue[0], glue[1], glue[2]),
			baseline.Statement("UseRuleset", []string{"glue:GetDataQualityRuleset", "glue:PublishDataQuality"}, ruleset),
			baseline.StatementWhen("DecryptThroughS3", []string{"kms:Decrypt"},
				map[string]any{"StringEquals": map[string]any{"kms:ViaService": baseline.ViaService("s3")}}, cfg.LakeKey.KeyArn()),
			baseline.Statement("WriteGlueLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"}, logGroupArns(c.Stack, "/aws-glue/*")...),
			baseline.StatementWhen("PublishMetrics", []string{"cloudwatch:PutMetricData"}, map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "Glue Data Quality"}}, jsii.String("*")),
		},
		WildcardReason: "Object wildcards are confined to curated_telemetry's folder, whose file names Iceberg chooses; log wildcards to Glue's own /aws-glue groups; PutMetricData accepts no resource but *, limited to the Glue Data Quality namespace by a condition.",
	})
	baseline.SkipOnEmulator(cfg.Emulator, c.Stack, "DataQualityEnabled", "Emulators reject AWS::Glue::DataQualityRuleset",
		c.DataQuality.Node().DefaultChild().(awscdk.CfnResource))
	awscdk.NewCfnOutput(c.Stack, jsii.String("DataQualityRoleArn"), &awscdk.CfnOutputProps{Value: c.DataQualityRole.RoleArn()})
}

// CuratedDqdl is the ruleset, derived from the schema: every rule is
// something curate guarantees, so a failure means curate or its input
// changed. Ranges use CustomSql because a ColumnValues rule counts the nulls
// of an optional column as failures.
func CuratedDqdl() string {
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
