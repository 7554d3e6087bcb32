// Package lakeparquet writes telemetry as the Parquet that Firehose's record
// format conversion produces from the transform Lambda's JSON output: the
// schema comes from the Glue table's columns (internal/schema), every value
// is read strictly by its column's Glue type, and files are SNAPPY
// compressed as the delivery stream is configured.
package lakeparquet

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/refdatalake/datalake/internal/schema"
)

// Schema is the Parquet schema Firehose derives from the Glue table of r:
// string as BYTE_ARRAY with the String logical type, double as DOUBLE,
// timestamp as TIMESTAMP(MILLIS, UTC); required fields are required
// columns, the others optional.
func Schema(r schema.Record) (*parquet.Schema, error) {
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

// Row reads one JSON line of the transform's output strictly by each field's
// Glue type, as a JSON deserializer bound to the table does, and returns it
// as a row of s (which Schema(r) made). The object must have exactly r's
// fields; ts is in schema.TimeLayout.
func Row(s *parquet.Schema, r schema.Record, line []byte) (parquet.Row, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, err
	}
	if len(obj) != len(r.Fields) {
		return nil, fmt.Errorf("%d members, want %d", len(obj), len(r.Fields))
	}
	row := make(parquet.Row, len(s.Columns()))
	for _, f := range r.Fields {
		leaf, ok := s.Lookup(f.Name)
		if !ok {
			return nil, fmt.Errorf("no column %s", f.Name)
		}
		raw, ok := obj[f.Name]
		if !ok {
			return nil, fmt.Errorf("%s missing", f.Name)
		}
		v, err := Value(f, raw)
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

// Value converts one JSON value of field f by its Glue type. A JSON null is
// a null value, an error for a required field.
func Value(f schema.Field, raw json.RawMessage) (parquet.Value, error) {
	if string(raw) == "null" {
		if f.Required {
			return parquet.Value{}, fmt.Errorf("%s: null in a required column", f.Name)
		}
		return parquet.NullValue(), nil
	}
	// The first byte tells a JSON value's type; json.Valid rejects a bad
	// value before it is converted.
	if len(raw) == 0 || !json.Valid(raw) {
		return parquet.Value{}, fmt.Errorf("%s: %q is not JSON", f.Name, raw)
	}
	isString := raw[0] == '"'
	isNumber := raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'
	switch f.Type {
	case schema.String:
		var s string
		if !isString || json.Unmarshal(raw, &s) != nil {
			return parquet.Value{}, fmt.Errorf("%s: %s is not a JSON string", f.Name, raw)
		}
		return parquet.ByteArrayValue([]byte(s)), nil
	case schema.Double:
		if !isNumber {
			return parquet.Value{}, fmt.Errorf("%s: %s is not a JSON number", f.Name, raw)
		}
		x, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return parquet.Value{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		return parquet.DoubleValue(x), nil
	case schema.Timestamp:
		var s string
		if !isString || json.Unmarshal(raw, &s) != nil {
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

// Write writes rows of s to w as one Parquet file, SNAPPY compressed. Extra
// options (row group size, say) follow the defaults and override them.
func Write(w io.Writer, s *parquet.Schema, rows []parquet.Row, opts ...parquet.WriterOption) error {
	pw := parquet.NewWriter(w, append([]parquet.WriterOption{s, parquet.Compression(&parquet.Snappy)}, opts...)...)
	if _, err := pw.WriteRows(rows); err != nil {
		return err
	}
	return pw.Close()
}
