package layout

import (
	"strings"
	"testing"

	"github.com/refdatalake/datalake/internal/schema"
)

func TestDeploymentNames(t *testing.T) {
	d := Deployment{Project: "data-lake", Profile: "sandbox"}
	for got, want := range map[string]string{
		d.StackName(StackStreaming):    "data-lake-sandbox-streaming",
		d.Database():                   "data_lake_sandbox",
		d.Workgroup(WorkgroupAnalysts): "data-lake-sandbox-analysts",
		d.Job("features"):              "data-lake-sandbox-features",
		d.EtlWorkflow():                "data-lake-sandbox-etl",
		d.StateMachine("tune"):         "data-lake-sandbox-tune",
		d.QualityRuleset():             "data-lake-sandbox-curated_telemetry",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// The data prefix names every partition key of the schema, in order, with
// the value the transform Lambda returns for it.
func TestTelemetryDataPrefixFollowsTheSchema(t *testing.T) {
	rest, ok := strings.CutPrefix(TelemetryDataPrefix, RawTelemetryPrefix)
	if !ok {
		t.Fatalf("%q does not start with %q", TelemetryDataPrefix, RawTelemetryPrefix)
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if len(parts) != len(schema.PartitionKeys) {
		t.Fatalf("%d partition folders, the schema has %d keys", len(parts), len(schema.PartitionKeys))
	}
	for i, k := range schema.PartitionKeys {
		if want := k + "=!{partitionKeyFromLambda:" + k + "}"; parts[i] != want {
			t.Errorf("folder %d = %q, want %q", i, parts[i], want)
		}
	}
	if !strings.HasPrefix(TelemetryErrorPrefix, RawErrorsPrefix) || strings.HasPrefix(TelemetryErrorPrefix, RawTelemetryPrefix) {
		t.Errorf("error prefix %q must sit under %q, outside the data", TelemetryErrorPrefix, RawErrorsPrefix)
	}
}
