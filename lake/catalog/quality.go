package catalog

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

// quality is the data quality ruleset on the curated table (what curate
// promises downstream) and the role its evaluation runs assume.
func (b *etlBuilder) quality() {
	p, e := b.p, b.e
	e.DataQuality = awsglue.NewDataQualityRuleset(b.stack, jsii.String("CuratedQuality"), &awsglue.DataQualityRulesetProps{
		RulesetName: jsii.String(b.d.QualityRuleset()),
		Description: jsii.String("Completeness, ranges and key uniqueness of curated telemetry"),
		TargetTable: awsglue.DataQualityTargetTable_FromTableName(b.c.Database, jsii.String(layout.CuratedTelemetryTable)),
		Dqdl:        awsglue.Dqdl_FromString(jsii.String(curatedDqdl())),
	})
	e.DataQuality.Node().AddDependency(b.c.CuratedTelemetry)
	e.DataQuality.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY) // a definition with a fixed name, not data
	e.DataQualityRole = glueRole(b.stack, "DataQualityRole", "Assumed by Glue Data Quality evaluation runs of "+b.d.QualityRuleset(), append(sparkPaths("Curated", p.CuratedBucket, false, layout.CuratedTelemetryPrefix), []awsiam.PolicyStatement{
		baseline.Statement("ReadCuratedTable", []string{"glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"},
			b.catalogArn(), b.c.Database.DatabaseArn(), b.tableArn(layout.CuratedTelemetryTable)),
		baseline.Statement("UseRuleset", []string{"glue:GetDataQualityRuleset", "glue:PublishDataQuality"}, b.rulesetArn()),
		baseline.Statement("ReadCurated", []string{"s3:GetObject"}, baseline.Objects(p.CuratedBucket, layout.CuratedTelemetryPrefix)),
		b.useKey,
		baseline.Statement("WriteGlueLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"}, b.logGroupArns("/aws-glue/*")...),
		baseline.StatementWhen("PublishMetrics", []string{"cloudwatch:PutMetricData"}, map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "Glue Data Quality"}}, jsii.String("*")),
	}...), "Object wildcards are confined to curated telemetry/, whose keys Spark chose; log wildcards to Glue's own /aws-glue groups; PutMetricData accepts no resource but *, limited to the Glue Data Quality namespace by a condition.")
	baseline.SkipOnEmulator(p.Emulator, b.stack, "DataQualityEnabled", "Emulators reject AWS::Glue::DataQualityRuleset",
		e.DataQuality.Node().DefaultChild().(awscdk.CfnResource))
}

// curatedDqdl is the ruleset, derived from the schema: every rule is
// something curate guarantees, so a failure means curate or its input
// changed. Ranges use CustomSql because a ColumnValues rule counts the nulls
// of an optional column as failures.
func curatedDqdl() string {
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
