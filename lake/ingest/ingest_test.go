package ingest_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/jsii-runtime-go"

	"github.com/refdatalake/datalake/lake/ingest"
	"github.com/refdatalake/datalake/lake/laketest"
	"github.com/refdatalake/datalake/lake/layout"
)

func TestMain(m *testing.M) { laketest.Main(m) }

// With only its required props the stack passes the five packs: a
// provisioned one-shard stream, Firehose to Parquet and every alarm on the
// encrypted topic.
func TestStackAlonePassesTheCompliancePacks(t *testing.T) {
	app, d, st := laketest.Lake(t)
	catalog := awscdk.NewStack(app, jsii.String("Catalog"), nil)
	db := awsglue.NewDatabase(catalog, jsii.String("Db"), &awsglue.DatabaseProps{DatabaseName: jsii.String(d.Database())})
	table := awsglue.NewS3Table(catalog, jsii.String("Telemetry"), &awsglue.S3TableProps{
		Database: db, TableName: jsii.String(layout.RawTelemetryTable),
		Columns:    &[]*awsglue.Column{{Name: jsii.String("device_id"), Type: awsglue.Schema_STRING()}},
		DataFormat: awsglue.DataFormat_PARQUET(), Storage: awsglue.S3TableStorage_FromBucket(st.RawBucket),
	})
	if _, err := ingest.NewStack(app, "Streaming", &ingest.Props{
		Deployment: d, LakeKey: st.LakeKey, RawBucket: st.RawBucket, Database: db,
		TelemetryTable: table.Node().DefaultChild().(awsglue.CfnTable), AnalyticsBucket: st.AnalyticsBucket,
	}); err != nil {
		t.Fatal(err)
	}
	r := laketest.SynthCompliant(t, app)
	for _, f := range r.Findings {
		t.Error(f)
	}
	tpl := r.Templates["Streaming"]
	for typ, want := range map[string]int{"AWS::Kinesis::Stream": 1, "AWS::KinesisFirehose::DeliveryStream": 1, "AWS::Lambda::Function": 2, "AWS::CloudWatch::Alarm": 12, "AWS::Lambda::EventSourceMapping": 1} {
		if n := laketest.Count(tpl, typ); n != want {
			t.Errorf("%d %s, want %d", n, typ, want)
		}
	}
	for _, raw := range tpl["Resources"].(map[string]any) {
		res := raw.(map[string]any)
		if res["Type"] == "AWS::Lambda::EventSourceMapping" {
			// The detector's mapping: a poison record cannot hold up its shard.
			p := res["Properties"].(map[string]any)
			if p["BisectBatchOnFunctionError"] != true || p["MaximumRetryAttempts"] != float64(5) || p["MaximumRecordAgeInSeconds"] != float64(-1) ||
				p["ParallelizationFactor"] != float64(1) || p["FunctionResponseTypes"] == nil || p["DestinationConfig"] == nil || p["MaximumBatchingWindowInSeconds"] != float64(30) {
				t.Errorf("event source mapping %v", p)
			}
		}
		if res["Type"] == "AWS::Kinesis::Stream" {
			p := res["Properties"].(map[string]any)
			if p["ShardCount"] != float64(1) || p["RetentionPeriodHours"] != float64(24) {
				t.Errorf("stream %v: want 1 shard, 24 h by default", p)
			}
		}
	}
}
