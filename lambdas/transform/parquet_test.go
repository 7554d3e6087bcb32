package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/parquet-go/parquet-go"
	"github.com/refdatalake/datalake/internal/schema"
)

// parquetSchema is the Parquet schema Firehose's record format conversion
// derives from the Glue table of r: string as BYTE_ARRAY with the String
// logical type, double as DOUBLE, timestamp as TIMESTAMP(MILLIS, UTC);
// required fields are required columns, the others optional.
func parquetSchema(r schema.Record) (*parquet.Schema, error) {
	group := parquet.Group{}
	for _, f := range r.Fields {
		var node parquet.Node
		switch f.Type {
		case schema.String:
			node = parquet.String()
		case schema.Double:
			node = parquet.Leaf(parquet.DoubleType)
		case schema.Timestamp:
			node = parquet.Timestamp(parquet.Millisecond)
		default:
			return nil, fmt.Errorf("parquet schema: field %s has Glue type %s", f.Name, f.Type)
		}
		if f.Required {
			node = parquet.Required(node)
		} else {
			node = parquet.Optional(node)
		}
		group[f.Name] = node
	}
	return parquet.NewSchema(r.Name, group), nil
}

// parquetRow reads one output line strictly by each field's Glue type, as a
// JSON deserializer bound to the table would, and returns it as a row of s.
func parquetRow(s *parquet.Schema, line []byte) (parquet.Row, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, err
	}
	if len(obj) != len(schema.Telemetry.Fields) {
		return nil, fmt.Errorf("%d members, want %d", len(obj), len(schema.Telemetry.Fields))
	}
	row := make(parquet.Row, len(s.Columns()))
	for _, f := range schema.Telemetry.Fields {
		leaf, ok := s.Lookup(f.Name)
		if !ok {
			return nil, fmt.Errorf("no column %s", f.Name)
		}
		raw, ok := obj[f.Name]
		if !ok {
			return nil, fmt.Errorf("%s missing", f.Name)
		}
		v, err := parquetValue(f, raw)
		if err != nil {
			return nil, err
		}
		def := leaf.MaxDefinitionLevel
		if v.IsNull() {
			def = 0
		}
		row[leaf.ColumnIndex] = v.Level(0, def, leaf.ColumnIndex)
	}
	return row, nil
}

func parquetValue(f schema.Field, raw json.RawMessage) (parquet.Value, error) {
	if string(raw) == "null" {
		if f.Required {
			return parquet.Value{}, fmt.Errorf("%s: null in a required column", f.Name)
		}
		return parquet.NullValue(), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return parquet.Value{}, err
	}
	switch f.Type {
	case schema.String:
		s, ok := v.(string)
		if !ok {
			return parquet.Value{}, fmt.Errorf("%s: %s is not a JSON string", f.Name, raw)
		}
		return parquet.ByteArrayValue([]byte(s)), nil
	case schema.Double:
		n, ok := v.(json.Number)
		if !ok {
			return parquet.Value{}, fmt.Errorf("%s: %s is not a JSON number", f.Name, raw)
		}
		x, err := n.Float64()
		if err != nil {
			return parquet.Value{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		return parquet.DoubleValue(x), nil
	case schema.Timestamp:
		s, ok := v.(string)
		if !ok {
			return parquet.Value{}, fmt.Errorf("%s: %s is not a JSON string", f.Name, raw)
		}
		t, err := time.Parse(schema.TimeLayout, s)
		if err != nil {
			return parquet.Value{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		return parquet.Int64Value(t.UnixMilli()), nil
	}
	return parquet.Value{}, fmt.Errorf("%s: Glue type %s", f.Name, f.Type)
}

// The outputs of a generated batch, CSV and JSON with nulls and extras, go
// into a Parquet file with the table's schema and come back value for value.
func TestOutputConvertsToParquet(t *testing.T) {
	var recs []events.KinesisFirehoseEventRecord
	recs = append(recs, newGenerator(21, genOptions{nulls: 0.3}).batch(150)...)
	recs = append(recs, newGenerator(22, genOptions{json: true, nulls: 0.3, extras: 0.5}).batch(150)...)
	resp := quietTransformer().transform(recs)

	s, err := parquetSchema(schema.Telemetry)
	if err != nil {
		t.Fatal(err)
	}
	var rows []parquet.Row
	var nulls, extras int
	for i, r := range resp.Records {
		if r.Result != okResult {
			t.Fatalf("record %d: %s", i, r.Result)
		}
		row, err := parquetRow(s, r.Data)
		if err != nil {
			t.Fatalf("record %d %q: %v", i, r.Data, err)
		}
		for _, v := range row {
			if v.IsNull() {
				nulls++
			}
		}
		if leaf, _ := s.Lookup(schema.ExtrasColumn); !row[leaf.ColumnIndex].IsNull() {
			extras++
		}
		rows = append(rows, row)
	}
	if nulls == 0 || extras == 0 {
		t.Fatalf("batch has %d nulls and %d extras: it does not exercise optional columns", nulls, extras)
	}

	var file bytes.Buffer
	w := parquet.NewWriter(&file, s)
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := parquet.OpenFile(bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		t.Fatal(err)
	}
	checkParquetColumns(t, f.Schema())
	back := readAllRows(t, parquet.NewReader(bytes.NewReader(file.Bytes())))
	if len(back) != len(rows) {
		t.Fatalf("%d rows read back, %d written", len(back), len(rows))
	}
	for i := range rows {
		for c := range rows[i] {
			if !sameParquetValue(rows[i][c], back[i][c]) {
				t.Fatalf("row %d column %d: wrote %v, read %v", i, c, rows[i][c], back[i][c])
			}
		}
	}
	t.Logf("%d rows, %d null values, %d with extras, %d bytes of Parquet", len(rows), nulls, extras, file.Len())
}

// checkParquetColumns checks the file's columns against the declaration:
// physical and logical types and whether they are optional.
func checkParquetColumns(t *testing.T, s *parquet.Schema) {
	t.Helper()
	for _, f := range schema.Telemetry.Fields {
		leaf, ok := s.Lookup(f.Name)
		if !ok {
			t.Fatalf("file has no column %s", f.Name)
		}
		if optional := leaf.Node.Optional(); optional == f.Required {
			t.Errorf("%s: optional=%v, required=%v", f.Name, optional, f.Required)
		}
		typ := leaf.Node.Type()
		var want string
		switch f.Type {
		case schema.String:
			want = "BYTE_ARRAY STRING"
		case schema.Double:
			want = "DOUBLE <nil>"
		case schema.Timestamp:
			want = "INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)"
		}
		if got := fmt.Sprintf("%s %v", typ.Kind(), typ.LogicalType()); got != want {
			t.Errorf("%s: %s, want %s", f.Name, got, want)
		}
	}
}

func readAllRows(t *testing.T, r *parquet.Reader) []parquet.Row {
	t.Helper()
	defer r.Close()
	var out []parquet.Row
	buf := make([]parquet.Row, 64)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			out = append(out, row.Clone())
		}
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func sameParquetValue(a, b parquet.Value) bool {
	if a.IsNull() || b.IsNull() {
		return a.IsNull() == b.IsNull() && a.Column() == b.Column()
	}
	if a.Kind() != b.Kind() || a.Column() != b.Column() || a.DefinitionLevel() != b.DefinitionLevel() {
		return false
	}
	switch a.Kind() {
	case parquet.Double:
		return math.Float64bits(a.Double()) == math.Float64bits(b.Double())
	case parquet.Int64:
		return a.Int64() == b.Int64()
	case parquet.ByteArray:
		return bytes.Equal(a.ByteArray(), b.ByteArray())
	}
	return false
}
