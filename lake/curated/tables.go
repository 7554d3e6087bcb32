package curated

import (
	"fmt"

	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/lake/layout"
)

// Column is one column of an Iceberg table as the Glue Data Catalog
// declares it: Iceberg types (timestamptz is an instant, as Spark's
// timestamp; int is 32-bit).
type Column struct {
	Name, Type string
	Required   bool
	Doc        string
}

// Table is an Iceberg table of the lake: what glue/lake_jobs declares in
// Python (curate.CURATED_TABLE, features.FEATURES_TABLE), mirrored here for
// the template. cdk/etl_test.go asks lake_jobs for its definitions and
// compares them with these.
type Table struct {
	Name    string
	Columns []Column
	// Partition is the one partition field: a column and an Iceberg
	// transform ("day", "identity").
	PartitionColumn, PartitionTransform, PartitionName string
	// Properties are the Iceberg table properties.
	Properties map[string]string
}

// Properties every lake table has: format version 2 (row-level operations)
// and write-audit-publish (jobs stage their commits on a branch and publish
// them in one step; spark.wap.branch is honoured only with it).
func commonProperties() map[string]string {
	return map[string]string{"format-version": "2", "write.wap.enabled": "true"}
}

func icebergType(t schema.Type) string {
	switch t {
	case schema.String:
		return "string"
	case schema.Double:
		return "double"
	case schema.Timestamp:
		return "timestamptz"
	}
	panic(fmt.Sprintf("schema type %q has no Iceberg type", t)) // a new schema type needs a case here
}

// CuratedTelemetry is the curate job's table: the schema's fields, then
// what curate derives and joins (glue/lake_jobs/curate.py CURATED_COLUMNS),
// one row per (device_id, ts), partitioned by the UTC day of ts.
func CuratedTelemetry() Table {
	var cols []Column
	for _, f := range schema.Telemetry.Fields {
		cols = append(cols, Column{Name: f.Name, Type: icebergType(f.Type), Required: f.Required, Doc: f.Comment})
		switch f.Name {
		case "ts":
			cols = append(cols,
				Column{Name: "date", Type: "date", Doc: "UTC date of ts"},
				Column{Name: "hour", Type: "int", Doc: "UTC hour of ts, 0-23"})
		case "temperature_c":
			cols = append(cols, Column{Name: "temperature_f", Type: "double", Doc: "temperature, degrees Fahrenheit"})
		}
	}
	cols = append(cols,
		Column{Name: "registered_site", Type: "string", Doc: "site in the device metadata (landing/devices)"},
		Column{Name: "model", Type: "string", Doc: "device model"},
		Column{Name: "install_date", Type: "date", Doc: "installation date"},
		Column{Name: "location", Type: "string", Doc: "free-text location"},
		Column{Name: "lat", Type: "double", Doc: "latitude, degrees"},
		Column{Name: "lon", Type: "double", Doc: "longitude, degrees"},
	)
	return Table{
		Name: layout.CuratedTelemetryTable, Columns: cols,
		PartitionColumn: "ts", PartitionTransform: "day", PartitionName: "ts_day",
		Properties: commonProperties(),
	}
}

// TrainingFeatures is the features job's table (glue/lake_jobs/features.py
// FEATURES_TABLE): each row's split, device and time, the label, the
// standardized features, and the categories the CSV one-hot encodes.
func TrainingFeatures() Table {
	cols := []Column{
		{Name: "split", Type: "string", Required: true, Doc: "train or validation (devices split by a fixed hash)"},
		{Name: "device_id", Type: "string", Required: true},
		{Name: "ts", Type: "timestamptz", Required: true},
		{Name: "label", Type: "int", Doc: "1 when the device reports fault within the horizon (manifest.json)"},
	}
	for _, f := range schema.Telemetry.Fields {
		if f.Type != schema.Double {
			continue
		}
		name := f.Name
		if name == "vibration_mm_s" {
			name = "log1p_" + name // features.py LOG1P_COLUMNS
		}
		cols = append(cols, Column{Name: name, Type: "double", Doc: "standardized"})
	}
	cols = append(cols,
		Column{Name: "battery_v_bin", Type: "int", Doc: "training quartile bin of battery_v, 0-3"},
		Column{Name: "status", Type: "string", Doc: "the reading's status, one-hot encoded in the CSV"},
		Column{Name: "site", Type: "string", Doc: "the reading's site, one-hot encoded in the CSV (the most frequent training sites)"},
	)
	return Table{
		Name: layout.TrainingFeaturesTable, Columns: cols,
		PartitionColumn: "split", PartitionTransform: "identity", PartitionName: "split",
		Properties: commonProperties(),
	}
}
