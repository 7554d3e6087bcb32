package telemetrygen

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/refdatalake/datalake/internal/schema"
)

// parsed is a record read back through the schema: field name -> value
// (float64, string or time.Time); absent and null fields are missing.
type parsed map[string]any

// parseRecord reads data as the schema says a record must look, using only
// the declaration's checks, and returns why it is invalid. It is deliberately
// written from the schema, not from the generator, so it can judge it.
func parseRecord(rec schema.Record, format Format, data []byte) (parsed, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not UTF-8")
	}
	fields := rec.InputFields()
	out := parsed{}
	if format == FormatCSV {
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = len(fields)
		cols, err := r.Read()
		if err != nil {
			return nil, fmt.Errorf("csv: %w", err)
		}
		if _, err := r.Read(); err != io.EOF {
			return nil, fmt.Errorf("csv: more than one line (%v)", err)
		}
		for i, f := range fields {
			if cols[i] == "" {
				if f.Required {
					return nil, fmt.Errorf("%s: required, empty", f.Name)
				}
				continue
			}
			v, err := parseText(f, cols[i])
			if err != nil {
				return nil, err
			}
			out[f.Name] = v
		}
		return out, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	for _, f := range fields {
		raw, ok := obj[f.Name]
		if !ok || string(raw) == "null" {
			if f.Required {
				return nil, fmt.Errorf("%s: required, missing", f.Name)
			}
			continue
		}
		switch f.Type {
		case schema.Double:
			var v float64
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, fmt.Errorf("%s: %s is not a number", f.Name, raw)
			}
			if err := f.CheckNumber(v); err != nil {
				return nil, err
			}
			out[f.Name] = v
		default:
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("%s: %s is not a string", f.Name, raw)
			}
			v, err := parseText(f, s)
			if err != nil {
				return nil, err
			}
			out[f.Name] = v
		}
	}
	return out, nil
}

// parseText parses a field's text form (a CSV column, a JSON string).
func parseText(f schema.Field, s string) (any, error) {
	switch f.Type {
	case schema.Double:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", f.Name, s)
		}
		return v, f.CheckNumber(v)
	case schema.Timestamp:
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		return t, schema.CheckTime(t)
	default:
		return s, f.CheckString(s)
	}
}
