package telemetrygen

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/refdatalake/datalake/internal/schema"
)

// Kind names how a malformed record is broken. Each kind breaks one thing, the
// way a real producer bug would, so a consumer's error routing can be tested
// kind by kind.
type Kind string

// The malformed kinds. Kinds() says which ones a Generator uses: some only
// make sense for one format, and some need a field the schema may not have.
const (
	// NotJSON is text that is not a record at all, e.g. a log line sent to a
	// JSON stream. JSON only.
	NotJSON Kind = "not_json"
	// Truncated is a record cut short: an unterminated JSON object, or a CSV
	// line missing its last columns.
	Truncated Kind = "truncated"
	// WrongType is a value of the wrong type: a numeric string or a boolean
	// where a number belongs, a number where a string belongs, a boolean
	// where a time belongs, a decimal
	// comma or an error code in a numeric CSV column.
	WrongType Kind = "wrong_type"
	// MissingRequired lacks a required field (absent, null, or an empty CSV
	// column).
	MissingRequired Kind = "missing_required"
	// OutOfRange has a number outside its field's [Min, Max] or a string
	// longer than its MaxLen.
	OutOfRange Kind = "out_of_range"
	// BadEnum has a value its field's Enum does not list.
	BadEnum Kind = "bad_enum"
	// BadTimestamp has an unparseable event time, or one outside
	// [schema.EarliestTime, schema.LatestTime) (an unset device clock).
	BadTimestamp Kind = "bad_timestamp"
	// InvalidUTF8 has bytes in a string field that are not UTF-8.
	InvalidUTF8 Kind = "invalid_utf8"
	// WrongColumnCount is a CSV line with a column too many or too few. CSV
	// only.
	WrongColumnCount Kind = "wrong_column_count"
)

// AllKinds lists every kind, in a fixed order.
func AllKinds() []Kind {
	return []Kind{NotJSON, Truncated, WrongType, MissingRequired, OutOfRange, BadEnum, BadTimestamp, InvalidUTF8, WrongColumnCount}
}

// kindsFor returns the kinds that format and fields allow.
func kindsFor(format Format, fields []schema.Field) []Kind {
	var out []Kind
	for _, k := range AllKinds() {
		ok := false
		switch k {
		case NotJSON:
			ok = format == FormatJSON
		case WrongColumnCount:
			ok = format == FormatCSV
		case Truncated:
			ok = format == FormatJSON || len(fields) > 1
		case WrongType:
			ok = format == FormatJSON || slices.ContainsFunc(fields, isDouble)
		case MissingRequired:
			ok = slices.ContainsFunc(fields, func(f schema.Field) bool { return f.Required })
		case OutOfRange:
			ok = len(rangeCandidates(fields)) > 0
		case BadEnum:
			ok = slices.ContainsFunc(fields, func(f schema.Field) bool { return len(f.Enum) > 0 })
		case BadTimestamp:
			ok = slices.ContainsFunc(fields, func(f schema.Field) bool { return f.Type == schema.Timestamp })
		case InvalidUTF8:
			ok = slices.ContainsFunc(fields, func(f schema.Field) bool { return f.Type == schema.String })
		}
		if ok {
			out = append(out, k)
		}
	}
	return out
}

func isDouble(f schema.Field) bool { return f.Type == schema.Double }

// rangeCandidates are the fields a value can be out of range for: numbers,
// and strings with a length bound but no enum (an enum violation is BadEnum).
func rangeCandidates(fields []schema.Field) []int {
	var out []int
	for i, f := range fields {
		if f.Type == schema.Double || f.Type == schema.String && f.MaxLen > 0 && len(f.Enum) == 0 {
			out = append(out, i)
		}
	}
	return out
}

// indexes returns the indexes of fields that satisfy keep.
func (g *Generator) indexes(keep func(schema.Field) bool) []int {
	var out []int
	for i, f := range g.fields {
		if keep(f) {
			out = append(out, i)
		}
	}
	return out
}

func (g *Generator) pick(idx []int) int { return idx[g.rng.IntN(len(idx))] }

// corrupt encodes vals (a valid reading) with one defect of the given kind.
func (g *Generator) corrupt(kind Kind, vals []value) []byte {
	csvOut := g.cfg.Format == FormatCSV
	switch kind {
	case NotJSON:
		// A log line instead of a record. (A CSV line is no such defect: the
		// transform reads CSV and JSON from the same stream.)
		var b strings.Builder
		for i, f := range g.fields {
			if vals[i].null || f.Type == schema.Double && i%2 == 1 {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(f.Name + "=")
			if f.Type == schema.Double {
				b.WriteString(formatNumber(vals[i].num))
			} else {
				b.WriteString(vals[i].str)
			}
		}
		return []byte(b.String())

	case Truncated:
		enc := g.encode(vals)
		if !csvOut {
			// Any proper prefix of a JSON object is invalid: the closing
			// brace is its last byte.
			return enc[:1+g.rng.IntN(len(enc)-1)]
		}
		// Cut before the last separator so at least one column is lost.
		last := bytes.LastIndexByte(enc, ',')
		return enc[:1+g.rng.IntN(last)]

	case WrongType:
		if csvOut {
			i := g.pick(g.indexes(isDouble))
			v := g.numberOf(vals[i], g.fields[i])
			if g.rng.IntN(2) == 0 {
				// A decimal comma from a locale-aware formatter.
				vals[i] = value{lit: strings.Replace(strconv.FormatFloat(v, 'f', 2, 64), ".", ",", 1)}
			} else {
				vals[i] = value{lit: "ERR"}
			}
			return g.encodeCSV(vals)
		}
		i := g.pick(g.indexes(func(schema.Field) bool { return true }))
		f := g.fields[i]
		switch f.Type {
		case schema.Double:
			v := g.numberOf(vals[i], f)
			if g.rng.IntN(2) == 0 {
				vals[i] = value{num: v, numStr: true} // "21.5"
			} else {
				vals[i] = value{lit: "true"}
			}
		case schema.Timestamp:
			// A boolean where a time belongs. (Epoch milliseconds as a JSON
			// integer are a valid time for the transform.)
			vals[i] = value{lit: "false"}
		default:
			vals[i] = value{lit: strconv.Itoa(1 + g.rng.IntN(999))}
		}
		return g.encodeJSON(vals, -1)

	case MissingRequired:
		i := g.pick(g.indexes(func(f schema.Field) bool { return f.Required }))
		if !csvOut && g.rng.IntN(2) == 0 {
			return g.encodeJSON(vals, i) // key absent
		}
		vals[i] = value{null: true} // JSON null, or an empty CSV column
		return g.encode(vals)

	case OutOfRange:
		i := g.pick(rangeCandidates(g.fields))
		f := g.fields[i]
		if f.Type == schema.Double {
			// 5-100 % of the span beyond a bound, +1 so that neither
			// Min == Max nor rounding to two decimals can bring it back in.
			off := (f.Max-f.Min)*(0.05+0.95*g.rng.Float64()) + 1
			v := f.Max + off
			if g.rng.IntN(2) == 0 {
				v = f.Min - off
			}
			vals[i] = value{num: math.Round(v*100) / 100}
		} else {
			// A string a few bytes over its bound, of characters that are
			// otherwise valid for any field (device_id included).
			vals[i] = value{str: strings.Repeat("x", f.MaxLen+1+g.rng.IntN(8))}
		}
		return g.encode(vals)

	case BadEnum:
		i := g.pick(g.indexes(func(f schema.Field) bool { return len(f.Enum) > 0 }))
		f := g.fields[i]
		// Plainly foreign values, not case or whitespace variants that a
		// lenient consumer might normalise into valid ones.
		bad := []string{"unknown", "broken", "rebooting"}
		bad = slices.DeleteFunc(bad, func(s string) bool { return slices.Contains(f.Enum, s) })
		if len(bad) == 0 { // an enum that lists all three: longer than any member
			bad = []string{strings.Join(f.Enum, "|") + "|"}
		}
		vals[i] = value{str: bad[g.rng.IntN(len(bad))]}
		return g.encode(vals)

	case BadTimestamp:
		i := g.pick(g.indexes(func(f schema.Field) bool { return f.Type == schema.Timestamp }))
		bad := []string{
			"1970-01-01T00:00:00.000Z",                             // device clock never set
			schema.LatestTime.AddDate(50, 0, 0).Format(TimeLayout), // far future
			"2026-13-45T25:61:00.000Z",                             // not a date
			g.cfg.Start.UTC().Format("01/02/2006 15:04:05"),        // US local format
		}
		vals[i] = value{str: bad[g.rng.IntN(len(bad))]}
		return g.encode(vals)

	case InvalidUTF8:
		i := g.pick(g.indexes(func(f schema.Field) bool { return f.Type == schema.String }))
		s := vals[i].str
		if vals[i].null || s == "" {
			s = g.fields[i].Name
		}
		// Latin-1 é, a lone continuation byte pair, a cut 3-byte sequence.
		junk := []string{"\xe9", "\xff\xfe", "\xe2\x82"}[g.rng.IntN(3)]
		cut := g.rng.IntN(len(s) + 1)
		vals[i] = value{str: s[:cut] + junk + s[cut:], raw: true}
		return g.encode(vals)

	case WrongColumnCount:
		cols := g.csvColumns(vals)
		if g.rng.IntN(2) == 0 {
			cols = append(cols, "extra") // a column the schema does not have
		} else {
			cols = slices.Delete(cols, len(cols)-1, len(cols)) // an old producer's shorter layout
		}
		return writeCSV(cols)
	}
	panic(fmt.Sprintf("telemetrygen: unknown malformed kind %q", kind))
}

// numberOf returns v's number, or the middle of f's range when v is null.
func (g *Generator) numberOf(v value, f schema.Field) float64 {
	if v.null {
		return f.Min + (f.Max-f.Min)/2
	}
	return v.num
}
