package queries

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEveryQueryIsDescribedAndReadsALakeTable(t *testing.T) {
	qs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 5 {
		t.Fatalf("%d queries", len(qs))
	}
	for _, q := range qs {
		if q.Description == "" || len(q.Tables) == 0 {
			t.Errorf("%s: description %q, tables %v", q.Name, q.Description, q.Tables)
		}
		if strings.Contains(q.SQL, ";") {
			t.Errorf("%s: a named query is one statement, without ';'", q.Name)
		}
	}
}

func TestTablesEachQueryReads(t *testing.T) {
	qs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"anomalies":                    {RawTelemetry},
		"data_freshness":               {RawTelemetry},
		"hourly_device_aggregates":     {RawTelemetry},
		"partition_pruning":            {RawTelemetry},
		"training_set_statistics":      {TrainingFeatures},
		"curated_daily_device_summary": {CuratedTelemetry},
		"curated_time_travel":          {CuratedTelemetry},
	}
	for _, q := range qs {
		if w, ok := want[q.Name]; ok && !slices.Equal(q.Tables, w) {
			t.Errorf("%s reads %v, want %v", q.Name, q.Tables, w)
		}
		for _, table := range q.Tables {
			if !q.Reads(table) {
				t.Errorf("%s: Reads(%s) false", q.Name, table)
			}
		}
		if q.Reads("stats") {
			t.Errorf("%s: a WITH name counts as a table", q.Name)
		}
	}
}

func TestTablesRead(t *testing.T) {
	for sql, want := range map[string][]string{
		"SELECT 1 FROM raw_telemetry":                                                        {"raw_telemetry"},
		"-- from the comment_table\nSELECT * FROM Raw_Telemetry t":                           {"raw_telemetry"},
		"WITH a AS (SELECT * FROM x), b AS (SELECT * FROM a) SELECT * FROM b JOIN y ON true": {"x", "y"},
		"SELECT 1": nil,
	} {
		if got := tablesRead(sql); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", sql, got, want)
		}
	}
}

// The training statistics query declares the Glue columns of training_features
// and nothing else: a typo would only show in Athena.
func TestTrainingQueryColumns(t *testing.T) {
	qs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(qs, func(q Query) bool { return q.Name == "training_set_statistics" })
	if i < 0 {
		t.Fatal("no training_set_statistics query")
	}
	for _, col := range []string{"split", "label", "temperature_c", "humidity_pct", "log1p_vibration_mm_s", "pressure_kpa", "battery_v"} {
		if !strings.Contains(qs[i].SQL, col) {
			t.Errorf("training_set_statistics does not use %s", col)
		}
	}
}

// Athena's partition projection makes an unfiltered query enumerate every
// hour from 2000 to 2099; every raw_telemetry query filters on year.
func TestRawTelemetryQueriesFilterOnYear(t *testing.T) {
	qs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if !q.FiltersPartitions() {
			t.Errorf("%s reads %s without a year = or year IN ( filter", q.Name, RawTelemetry)
		}
	}
	unfiltered := Query{SQL: "SELECT count(*) FROM raw_telemetry", Tables: []string{RawTelemetry}}
	if unfiltered.FiltersPartitions() {
		t.Error("an unfiltered query passes")
	}
	// Every read of curated_telemetry filters on ts (the time-travel query reads it twice).
	half := Query{SQL: "WITH a AS (SELECT * FROM curated_telemetry WHERE ts >= x), b AS (SELECT * FROM curated_telemetry FOR VERSION AS OF 1) SELECT 1", Tables: []string{CuratedTelemetry}}
	if half.FiltersPartitions() {
		t.Error("a curated_telemetry read without a ts filter passes")
	}
}

func TestAsOf(t *testing.T) {
	day := time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC)
	got := AsOf("WHERE year IN (CAST(year(current_date) AS varchar), CAST(year(CURRENT_DATE) - 1 AS varchar)) -- current_dates", day)
	want := "WHERE year IN (CAST(year(DATE '2026-03-31') AS varchar), CAST(year(DATE '2026-03-31') - 1 AS varchar)) -- current_dates"
	if got != want {
		t.Errorf("AsOf\n %s\nwant\n %s", got, want)
	}
}
