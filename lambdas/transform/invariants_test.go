package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/refdatalake/datalake/internal/schema"
)

// checkResponse checks the contract between a batch and its response, using
// independent oracles (encoding/json, encoding/csv, time.Parse) rather than the
// function's own code. It returns the first violation.
func checkResponse(in []events.KinesisFirehoseEventRecord, out events.KinesisFirehoseResponse) error {
	if len(out.Records) != len(in) {
		return fmt.Errorf("%d response records for %d input records", len(out.Records), len(in))
	}
	for i, r := range out.Records {
		if err := checkRecord(in[i], r); err != nil {
			return fmt.Errorf("record %d (%s): %w", i, in[i].RecordID, err)
		}
	}
	return nil
}

func checkRecord(in events.KinesisFirehoseEventRecord, r events.KinesisFirehoseResponseRecord) error {
	if r.RecordID != in.RecordID {
		return fmt.Errorf("id %q, want %q", r.RecordID, in.RecordID)
	}
	switch r.Result {
	case events.KinesisFirehoseTransformedStateOk:
		row, err := parseOutput(r.Data)
		if err != nil {
			return fmt.Errorf("Ok output %q: %w", r.Data, err)
		}
		if err := checkPartitionKeys(row, r.Metadata.PartitionKeys); err != nil {
			return err
		}
		return checkAgainstInput(in.Data, row)
	case events.KinesisFirehoseTransformedStateDropped:
		if !bytes.Equal(r.Data, in.Data) {
			return fmt.Errorf("Dropped with data %q, want the input", r.Data)
		}
		if len(bytes.TrimSpace(in.Data)) != 0 && !isHeaderLine(in.Data) {
			return fmt.Errorf("dropped %q, which is neither blank nor the header", in.Data)
		}
	case events.KinesisFirehoseTransformedStateProcessingFailed:
		if !bytes.Equal(r.Data, in.Data) {
			return fmt.Errorf("failed with data %q, want the input unchanged", r.Data)
		}
	default:
		return fmt.Errorf("result %q", r.Result)
	}
	if r.Metadata.PartitionKeys != nil {
		return fmt.Errorf("%s record has partition keys", r.Result)
	}
	return nil
}

// outputRow is one Ok output: values by field name, decoded by encoding/json.
type outputRow map[string]any

// parseOutput checks that data is one JSON line whose keys are exactly the
// schema fields in declared order, each value of its Glue type and valid.
func parseOutput(data []byte) (outputRow, error) {
	if len(data) == 0 || data[len(data)-1] != '\n' || bytes.Count(data, []byte("\n")) != 1 {
		return nil, fmt.Errorf("not one line ending in a newline")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %v %v", tok, err)
	}
	row := outputRow{}
	for _, f := range schema.Telemetry.Fields {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if tok != f.Name {
			return nil, fmt.Errorf("key %v, want %s", tok, f.Name)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if err := checkOutputValue(f, v); err != nil {
			return nil, err
		}
		row[f.Name] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, fmt.Errorf("more than the schema fields: %v %v", tok, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the object")
	}
	return row, nil
}

func checkOutputValue(f schema.Field, v any) error {
	if v == nil {
		if f.Required {
			return fmt.Errorf("%s: null, but required", f.Name)
		}
		return nil
	}
	switch f.Type {
	case schema.String:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: %T, want a string", f.Name, v)
		}
		if f.Name == schema.ExtrasColumn {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal([]byte(s), &obj); err != nil || len(obj) == 0 {
				return fmt.Errorf("extras %q is not a non-empty JSON object: %v", s, err)
			}
		}
		return f.CheckString(s)
	case schema.Double:
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%s: %T, want a number", f.Name, v)
		}
		x, err := n.Float64()
		if err != nil || math.IsInf(x, 0) {
			return fmt.Errorf("%s: %s: %v", f.Name, n, err)
		}
		return f.CheckNumber(x)
	case schema.Timestamp:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: %T, want a string", f.Name, v)
		}
		t, err := time.Parse(schema.TimeLayout, s)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		return schema.CheckTime(t)
	}
	return fmt.Errorf("%s: unknown type %s", f.Name, f.Type)
}

// timeFieldName is the field partitions come from, found the way the plan finds it.
func timeFieldName() string {
	for _, f := range schema.Telemetry.Fields {
		if f.Type == schema.Timestamp {
			return f.Name
		}
	}
	return ""
}

func checkPartitionKeys(row outputRow, keys map[string]string) error {
	ts, _ := time.Parse(schema.TimeLayout, row[timeFieldName()].(string))
	want := map[string]string{}
	for i, v := range schema.PartitionValues(ts) {
		want[schema.PartitionKeys[i]] = v
	}
	if !reflect.DeepEqual(keys, want) {
		return fmt.Errorf("partition keys %v, want %v", keys, want)
	}
	return nil
}

// checkAgainstInput compares an Ok output with its input as encoding/json or
// encoding/csv read it: the same strings and numbers, and every undeclared
// JSON member in extras.
func checkAgainstInput(data []byte, row outputRow) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return checkAgainstJSON(data, row)
	}
	return checkAgainstCSV(data, row)
}

func checkAgainstJSON(data []byte, row outputRow) error {
	if !json.Valid(data) {
		return fmt.Errorf("accepted invalid JSON %q", data)
	}
	var in map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("accepted %q, which is not a JSON object: %w", data, err)
	}
	extras := map[string]any{}
	for k, v := range in {
		f, ok := schema.Telemetry.Field(k)
		if !ok || f.Name == schema.ExtrasColumn {
			extras[k] = v
			continue
		}
		if err := sameValue(f, v, row[k]); err != nil {
			return err
		}
	}
	for _, f := range schema.Telemetry.InputFields() {
		if _, ok := in[f.Name]; !ok && row[f.Name] != nil {
			return fmt.Errorf("%s absent from the input but %v in the output", f.Name, row[f.Name])
		}
	}
	var gotExtras map[string]any
	if s, ok := row[schema.ExtrasColumn].(string); ok {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&gotExtras); err != nil {
			return err
		}
	}
	if len(extras) == 0 && gotExtras == nil {
		return nil
	}
	if !reflect.DeepEqual(extras, gotExtras) {
		return fmt.Errorf("extras %v, want %v", gotExtras, extras)
	}
	return nil
}

func checkAgainstCSV(data []byte, row outputRow) error {
	r := csv.NewReader(bytes.NewReader(data))
	cells, err := r.Read()
	if err != nil {
		return fmt.Errorf("accepted %q, which encoding/csv rejects: %w", data, err)
	}
	if _, err := r.Read(); err == nil {
		return fmt.Errorf("accepted %q, which holds more than one CSV record", data)
	}
	fields := schema.Telemetry.InputFields()
	if len(cells) != len(fields) {
		return fmt.Errorf("accepted %d cells, want %d", len(cells), len(fields))
	}
	for k, f := range fields {
		var v any
		if cells[k] != "" {
			v = cells[k]
			if f.Type == schema.Double {
				v = json.Number(cells[k])
			}
		}
		if err := sameValue(f, v, row[f.Name]); err != nil {
			return err
		}
	}
	if row[schema.ExtrasColumn] != nil {
		return fmt.Errorf("extras from a CSV line")
	}
	return nil
}

// sameValue checks that output value got represents input value in.
func sameValue(f schema.Field, in, got any) error {
	if in == nil || got == nil {
		if in != got {
			return fmt.Errorf("%s: %v in, %v out", f.Name, in, got)
		}
		return nil
	}
	switch f.Type {
	case schema.String:
		if in != got {
			return fmt.Errorf("%s: %q in, %q out", f.Name, in, got)
		}
	case schema.Double:
		a, errA := in.(json.Number).Float64()
		b, errB := got.(json.Number).Float64()
		if errA != nil || errB != nil || a != b {
			return fmt.Errorf("%s: %v in, %v out", f.Name, in, got)
		}
	case schema.Timestamp:
		want, err := oracleTime(in)
		if err != nil {
			return fmt.Errorf("%s: accepted %v: %w", f.Name, in, err)
		}
		if s := want.UTC().Format(schema.TimeLayout); s != got {
			return fmt.Errorf("%s: %v in, %v out, want %s", f.Name, in, got, s)
		}
	}
	return nil
}

// oracleTime reads an input timestamp with the standard library.
func oracleTime(v any) (time.Time, error) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = string(v)
	case string:
		s = v
	default:
		return time.Time{}, fmt.Errorf("%T", v)
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	// RFC 3339 allows a lower-case T and Z; time.Parse does not.
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02 15:04:05.999999999", s)
}

// isHeaderLine reports whether data is the CSV header: the input field names.
func isHeaderLine(data []byte) bool {
	cells, err := csv.NewReader(bytes.NewReader(data)).Read()
	if err != nil {
		return false
	}
	fields := schema.Telemetry.InputFields()
	if len(cells) != len(fields) {
		return false
	}
	for k, f := range fields {
		if cells[k] != f.Name {
			return false
		}
	}
	return true
}
