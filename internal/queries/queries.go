// Package queries holds the lake's named Athena queries. The SQL files are the
// source of truth: the Analytics stack publishes them as named queries, and
// the local end-to-end test and scripts/cost run them on DuckDB, so they stay
// in the SQL both engines accept.
package queries

import (
	"embed"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/refdatalake/datalake/lake/layout"
)

// The Glue tables the queries read.
const (
	// RawTelemetry is the stream's table: Parquet under raw/telemetry/,
	// partitioned by year, month, day and hour of the event time.
	RawTelemetry = layout.RawTelemetryTable
	// CuratedTelemetry is curate's output: an Iceberg table partitioned by
	// the day of ts (hidden partitioning).
	CuratedTelemetry = layout.CuratedTelemetryTable
	// TrainingFeatures is the features job's output: an Iceberg table
	// partitioned by split (train, validation).
	TrainingFeatures = layout.TrainingFeaturesTable
	// DetectedAnomalies is the stream detector's output: JSON lines under
	// anomalies/ in the analytics bucket, partitioned by year, month and day.
	DetectedAnomalies = layout.DetectedAnomaliesTable
)

// Tables lists every table a query may read.
var Tables = []string{RawTelemetry, CuratedTelemetry, TrainingFeatures, DetectedAnomalies}

var (
	// fromOrJoin finds the relation after FROM or JOIN.
	fromOrJoin = regexp.MustCompile(`(?i)\b(?:from|join)\s+([a-z_][a-z0-9_]*)`)
	// cteName finds the names a WITH clause defines: "WITH x AS (" and ", y AS (".
	cteName = regexp.MustCompile(`(?i)(?:\bwith|,)\s*([a-z_][a-z0-9_]*)\s+as\s*\(`)
)

//go:embed *.sql
var files embed.FS

// Query is one named query.
type Query struct {
	// Name is the file name without .sql.
	Name string
	// Description is the file's leading "-- " comment lines.
	Description string
	// SQL is the whole file.
	SQL string
	// Tables are the tables the query reads (FROM and JOIN, without the
	// names its WITH clause defines), sorted.
	Tables []string
}

// currentDate finds the SQL current_date function.
var currentDate = regexp.MustCompile(`(?i)\bcurrent_date\b`)

// AsOf returns sql as it would run on day: current_date becomes that day's
// DATE literal. Queries that look back from today (data_freshness) then give
// the same answer on generated data whenever a test runs.
func AsOf(sql string, day time.Time) string {
	return currentDate.ReplaceAllString(sql, "DATE '"+day.UTC().Format("2006-01-02")+"'")
}

// FiltersPartitions reports whether the query constrains the partition
// column year of every raw_telemetry and detected_anomalies read, which
// keeps Athena's partition projection from enumerating every projected
// hour or day, and ts in every curated_telemetry read, which its hidden
// partitioning by the day of ts prunes on.
func (q Query) FiltersPartitions() bool {
	if (q.Reads(RawTelemetry) || q.Reads(DetectedAnomalies)) && !yearFilter.MatchString(q.SQL) {
		return false
	}
	return !q.Reads(CuratedTelemetry) || len(tsFilter.FindAllString(q.SQL, -1)) >= len(curatedRead.FindAllString(q.SQL, -1))
}

var (
	yearFilter = regexp.MustCompile(`(?i)\byear\s*(=|in\s*\()`)
	// tsFilter is a WHERE on ts; curatedRead a read of curated_telemetry.
	tsFilter    = regexp.MustCompile(`(?i)\bwhere\s+ts\s*(>=|>|between)`)
	curatedRead = regexp.MustCompile(`(?i)\bfrom\s+curated_telemetry\b`)
)

// Reads reports whether the query reads table.
func (q Query) Reads(table string) bool { return slices.Contains(q.Tables, table) }

// tablesRead returns the sorted, distinct tables sql reads.
func tablesRead(sql string) []string {
	var body []string
	for _, line := range strings.Split(sql, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		body = append(body, line)
	}
	text := strings.Join(body, "\n")
	ctes := map[string]bool{}
	for _, m := range cteName.FindAllStringSubmatch(text, -1) {
		ctes[strings.ToLower(m[1])] = true
	}
	var out []string
	for _, m := range fromOrJoin.FindAllStringSubmatch(text, -1) {
		if name := strings.ToLower(m[1]); !ctes[name] && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// All returns every query, sorted by name.
func All() ([]Query, error) {
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil, err
	}
	var out []Query
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		q := Query{Name: strings.TrimSuffix(e.Name(), ".sql"), SQL: string(b)}
		var desc []string
		for _, line := range strings.Split(q.SQL, "\n") {
			if !strings.HasPrefix(line, "-- ") {
				break
			}
			desc = append(desc, strings.TrimPrefix(line, "-- "))
		}
		if len(desc) == 0 {
			return nil, fmt.Errorf("query %s: starts with no \"-- \" description", e.Name())
		}
		q.Description = strings.Join(desc, " ")
		q.Tables = tablesRead(q.SQL)
		for _, table := range q.Tables {
			if !slices.Contains(Tables, table) {
				return nil, fmt.Errorf("query %s: reads %s, which is none of the lake's tables %v", e.Name(), table, Tables)
			}
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
