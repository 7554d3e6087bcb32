package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/refdatalake/datalake/internal/schema"
)

// reading is one record's device, event time and numeric values (NaN when
// the record did not carry one).
type reading struct {
	device string
	at     time.Time
	values []float64
}

// numericFields are the schema's numeric input fields: what the detector
// reads. status and the other strings never reach it.
var numericFields = func() []schema.Field {
	var out []schema.Field
	for _, f := range schema.Telemetry.InputFields() {
		if f.Type == schema.Double {
			out = append(out, f)
		}
	}
	return out
}()

func fieldNames() []string {
	out := make([]string, len(numericFields))
	for i, f := range numericFields {
		out[i] = f.Name
	}
	return out
}

var (
	deviceField, _ = schema.Telemetry.Field("device_id")
	csvColumns     = schema.Telemetry.InputFields()
)

// parse reads a producer record: a JSON object or a CSV line in the
// schema's column order, as the transform accepts them (docs/ingestion.md).
// A record the transform would reject is an error: the detector skips it
// (the transform sends it to the error prefix).
func parse(data []byte) (reading, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		return parseJSON(data)
	}
	return parseCSV(data)
}

func parseJSON(data []byte) (reading, error) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return reading{}, fmt.Errorf("not a JSON object: %w", err)
	}
	var r reading
	var dev string
	if err := json.Unmarshal(obj["device_id"], &dev); err != nil {
		return reading{}, errors.New("device_id: not a string")
	}
	ts, err := parseTime(obj["ts"])
	if err != nil {
		return reading{}, err
	}
	r.device, r.at = dev, ts
	r.values = make([]float64, len(numericFields))
	for i, f := range numericFields {
		raw, ok := obj[f.Name]
		if !ok || string(raw) == "null" {
			r.values[i] = math.NaN()
			continue
		}
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil {
			return reading{}, fmt.Errorf("%s: not a number", f.Name)
		}
		r.values[i] = v
	}
	return r, r.check()
}

func parseCSV(data []byte) (reading, error) {
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = len(csvColumns)
	cells, err := rd.Read()
	if err != nil {
		return reading{}, fmt.Errorf("not a CSV line of %d columns: %w", len(csvColumns), err)
	}
	var r reading
	r.values = make([]float64, len(numericFields))
	k := 0
	for i, f := range csvColumns {
		c := cells[i]
		switch {
		case f.Name == "device_id":
			r.device = c
		case f.Type == schema.Timestamp:
			if r.at, err = parseTime([]byte(strconv.Quote(c))); err != nil {
				if ms, e := strconv.ParseInt(c, 10, 64); e == nil {
					r.at, err = time.UnixMilli(ms).UTC(), nil
				}
			}
			if err != nil {
				return reading{}, err
			}
		case f.Type == schema.Double:
			if c == "" {
				r.values[k] = math.NaN()
			} else if r.values[k], err = strconv.ParseFloat(c, 64); err != nil {
				return reading{}, fmt.Errorf("%s: not a number", f.Name)
			}
			k++
		}
	}
	return r, r.check()
}

// parseTime reads ts: RFC 3339, "YYYY-MM-DD HH:MM:SS[.fff]" (UTC) or epoch
// milliseconds, the forms the transform accepts.
func parseTime(raw json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var ms json.Number
		if err := json.Unmarshal(raw, &ms); err != nil {
			return time.Time{}, errors.New("ts: missing or not a timestamp")
		}
		n, err := ms.Int64()
		if err != nil {
			return time.Time{}, errors.New("ts: not epoch milliseconds")
		}
		return time.UnixMilli(n).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("ts %q: not RFC 3339, YYYY-MM-DD HH:MM:SS or epoch milliseconds", truncate(s))
}

// check applies the schema's bounds: out-of-range values, a bad device id
// or time make the record one the transform rejects.
func (r reading) check() error {
	if err := deviceField.CheckString(r.device); err != nil {
		return fmt.Errorf("device_id: %w", err)
	}
	if err := schema.CheckTime(r.at); err != nil {
		return fmt.Errorf("ts: %w", err)
	}
	for i, f := range numericFields {
		if v := r.values[i]; !math.IsNaN(v) {
			if err := f.CheckNumber(v); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
