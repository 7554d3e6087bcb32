// Package schema declares the telemetry record once. The Glue table (which
// Firehose converts to Parquet with and Athena queries), the transform
// Lambda's validation, the producer and the tests all read this declaration.
package schema

import (
	"fmt"
	"time"
)

// Type is a Glue (Hive) column type.
type Type string

// The Glue types the telemetry record uses.
const (
	String    Type = "string"
	Double    Type = "double"
	Timestamp Type = "timestamp"
)

// Field is one column of a record.
type Field struct {
	// Name is the column name: lower case, as Glue and Athena fold names.
	Name string
	// Type is the Glue type.
	Type Type
	// Comment documents the column in the Glue table.
	Comment string
	// Required fields must be present and non-null; others may be null.
	Required bool
	// Min and Max bound a Double (inclusive). Ignored for other types.
	Min, Max float64
	// MaxLen bounds a String in bytes (0 = no bound beyond MaxStringBytes).
	MaxLen int
	// Enum, when not empty, lists the only values a String may take.
	Enum []string
}

// Record is a named list of fields, in CSV column order.
type Record struct {
	Name   string
	Fields []Field
}

// MaxStringBytes bounds any string value, so one bad record cannot bloat a batch.
const MaxStringBytes = 256

// TimeLayout is how ts is written in the JSON the transform emits: Hive's
// timestamp format (UTC, milliseconds), which the Firehose JSON deserializer
// parses into the Parquet TIMESTAMP column without extra configuration.
const TimeLayout = "2006-01-02 15:04:05.000"

// EarliestTime and LatestTime bound ts: anything outside is a clock or parse
// error on the device, not a reading, and would create a stray partition.
// The window starts after the dates a device falls back to when its clock
// was never set or lost power (1970-01-01, 1980-01-06, 2000-01-01), leaves
// sixteen years of history for backfills, and ends in 2039. It is also the
// raw table's projected year range: 30 years of year/month/day/hour keys
// (267,840 combinations) that Athena enumerates for a query without a year
// predicate, where the former 2000-2099 gave 892,800.
var (
	EarliestTime = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	LatestTime   = time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ExtrasColumn holds, as a JSON object, any input fields the schema does not
// know, so a producer that is ahead of the schema loses nothing.
const ExtrasColumn = "extras"

// Telemetry is the sensor reading a device sends, one per record.
var Telemetry = Record{
	Name: "telemetry",
	Fields: []Field{
		{Name: "device_id", Type: String, Required: true, MaxLen: 64, Comment: "device identifier, 1-64 bytes of [A-Za-z0-9_-]"},
		{Name: "ts", Type: Timestamp, Required: true, Comment: "event time of the reading, UTC; partitions come from it"},
		{Name: "temperature_c", Type: Double, Min: -60, Max: 150, Comment: "temperature, degrees Celsius"},
		{Name: "humidity_pct", Type: Double, Min: 0, Max: 100, Comment: "relative humidity, percent"},
		{Name: "vibration_mm_s", Type: Double, Min: 0, Max: 500, Comment: "vibration velocity RMS, mm/s"},
		{Name: "pressure_kpa", Type: Double, Min: 30, Max: 200, Comment: "pressure, kPa"},
		{Name: "battery_v", Type: Double, Min: 0, Max: 15, Comment: "battery voltage, volts"},
		{Name: "status", Type: String, Required: true, Enum: []string{"ok", "warn", "fault", "maintenance"}, Comment: "device-reported state"},
		{Name: "site", Type: String, MaxLen: 64, Comment: "site the device is installed at"},
		{Name: "firmware", Type: String, MaxLen: 32, Comment: "firmware version string"},
		{Name: ExtrasColumn, Type: String, MaxLen: 4096, Comment: "JSON object of input fields this schema does not declare (null when none)"},
	},
}

// PartitionKeys are the Hive partition columns of the raw telemetry table, in
// order. Their values come from ts, never from arrival time.
var PartitionKeys = []string{"year", "month", "day", "hour"}

// PartitionValues returns year, month, day and hour of t (UTC), zero-padded
// as they appear in S3 keys (year=2026/month=03/day=07/hour=09).
func PartitionValues(t time.Time) [4]string {
	t = t.UTC()
	return [4]string{
		fmt.Sprintf("%04d", t.Year()),
		fmt.Sprintf("%02d", int(t.Month())),
		fmt.Sprintf("%02d", t.Day()),
		fmt.Sprintf("%02d", t.Hour()),
	}
}

// Field returns the named field, or false.
func (r Record) Field(name string) (Field, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// InputFields are the fields a producer sends: all but ExtrasColumn, which the
// transform fills. Their order is the CSV column order.
func (r Record) InputFields() []Field {
	out := make([]Field, 0, len(r.Fields))
	for _, f := range r.Fields {
		if f.Name != ExtrasColumn {
			out = append(out, f)
		}
	}
	return out
}

// CheckString reports why s is not a valid value of f, or nil.
func (f Field) CheckString(s string) error {
	limit := f.MaxLen
	if limit == 0 {
		limit = MaxStringBytes
	}
	if len(s) > limit {
		return fmt.Errorf("%s: %d bytes, at most %d", f.Name, len(s), limit)
	}
	if len(f.Enum) > 0 {
		for _, e := range f.Enum {
			if s == e {
				return nil
			}
		}
		return fmt.Errorf("%s: %q is not one of %v", f.Name, s, f.Enum)
	}
	if f.Name == "device_id" {
		if s == "" {
			return fmt.Errorf("device_id: empty")
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return fmt.Errorf("device_id: byte %q at %d is not [A-Za-z0-9_-]", c, i)
			}
		}
	}
	return nil
}

// CheckNumber reports why v is not a valid value of f, or nil.
func (f Field) CheckNumber(v float64) error {
	if v != v { // NaN
		return fmt.Errorf("%s: NaN", f.Name)
	}
	if v < f.Min || v > f.Max {
		return fmt.Errorf("%s: %g outside [%g, %g]", f.Name, v, f.Min, f.Max)
	}
	return nil
}

// CheckTime reports why t is not a valid event time, or nil. The caller
// names the field.
func CheckTime(t time.Time) error {
	if t.Before(EarliestTime) || !t.Before(LatestTime) {
		return fmt.Errorf("%s outside [%s, %s)", t.UTC().Format(time.RFC3339), EarliestTime.Format("2006-01-02"), LatestTime.Format("2006-01-02"))
	}
	return nil
}
