package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/refdatalake/datalake/internal/schema"
)

// maxRecordBytes bounds the input of one record. A valid reading is a few
// hundred bytes (strings are capped by the schema, extras at a few KiB even
// fully escaped), so anything larger is refused before parsing: it cannot be
// valid and would only cost time and log space.
const maxRecordBytes = 64 << 10

// outcome is what the batch does with a record.
type outcome uint8

const (
	resultOK outcome = iota
	resultDropped
	resultFailed
)

// kind says which member of value is set.
type kind uint8

const (
	missing kind = iota // absent from the record
	null                // JSON null or an empty CSV cell
	text
	number
	instant
)

// value is one field of the record being converted. text (for a number: its
// JSON text, when it can be emitted verbatim) points into the input or into
// the converter's scratch buffer, so it is valid only until the next record.
type value struct {
	kind kind
	// plain marks text that is valid UTF-8 and needs no JSON escaping, so
	// emit copies it between quotes without scanning it again.
	plain bool
	text  []byte
	num   float64
	time  time.Time
}

// member is a JSON member the schema does not declare, bound for extras.
// rawKey and raw are the input bytes; key is rawKey decoded, for sorting and
// for spotting duplicates spelled differently.
type member struct {
	rawKey, key, raw []byte
}

// converter turns one record at a time into its output line. Its buffers are
// reused from record to record, so a batch allocates them once; it is not safe
// for concurrent use.
type converter struct {
	plan    *plan
	vals    []value  // indexed like plan.fields
	cells   [][]byte // CSV cells of the current line, one per input field
	scratch []byte   // unescaped strings of the current record
	members []member // unknown JSON members of the current record
	extras  []byte   // the extras object of the current record
	dates   dateCache
}

func newConverter(p *plan) *converter {
	return &converter{
		plan:  p,
		vals:  make([]value, len(p.fields)),
		cells: make([][]byte, len(p.inputs)),
	}
}

// convert appends the output line of one record's data to dst and returns the
// extended dst with the record's partition time. A record that is not Ok
// leaves dst's contents as they were.
func (c *converter) convert(dst, data []byte) ([]byte, time.Time, outcome, error) {
	if len(data) > maxRecordBytes {
		return dst, time.Time{}, resultFailed, fmt.Errorf("record of %d bytes exceeds %d: no valid reading is that large", len(data), maxRecordBytes)
	}
	body := trimSpace(data)
	if len(body) == 0 {
		return dst, time.Time{}, resultDropped, nil
	}
	c.reset(len(data))
	if body[0] == '{' {
		if err := c.parseJSON(body); err != nil {
			return dst, time.Time{}, resultFailed, fmt.Errorf("json: %w", err)
		}
	} else {
		header, err := c.parseCSV(trimNewline(data))
		if err != nil {
			return dst, time.Time{}, resultFailed, fmt.Errorf("csv: %w", err)
		}
		if header {
			return dst, time.Time{}, resultDropped, nil
		}
	}
	out, err := c.emit(dst)
	if err != nil {
		return dst, time.Time{}, resultFailed, err
	}
	return out, c.vals[c.plan.timeField].time, resultOK, nil
}

func (c *converter) reset(n int) {
	// Only the kinds: the rest of a value is read only for its kind, and
	// clearing the pointers too would cost a GC write barrier each.
	for i := range c.vals {
		c.vals[i].kind = missing
	}
	c.members = c.members[:0]
	// Unescaped text is never longer than its input, so with this capacity
	// appending to scratch never reallocates within a record.
	if cap(c.scratch) < n {
		c.scratch = make([]byte, 0, n)
	}
	c.scratch = c.scratch[:0]
}

// emit appends every schema field, in declared order, as one JSON line, or
// fails if a required field is missing.
func (c *converter) emit(dst []byte) ([]byte, error) {
	p := c.plan
	for i := range c.vals {
		v := &c.vals[i]
		switch v.kind {
		case missing, null:
			if f := &p.fields[i]; f.Required { // an explicit null or empty cell failed earlier
				return nil, fmt.Errorf("%s: required, but missing", f.Name)
			}
			dst = p.keyPrefix[i].appendTo(dst)
			dst = append(dst, "null"...)
		case text:
			if v.plain {
				dst = p.keyQuote[i].appendTo(dst)
				dst = append(dst, v.text...)
				dst = append(dst, '"')
			} else {
				dst = p.keyPrefix[i].appendTo(dst)
				dst = appendJSONString(dst, v.text)
			}
		case number:
			dst = p.keyPrefix[i].appendTo(dst)
			dst = appendNumber(dst, v.num, v.text)
		case instant:
			dst = p.keyQuote[i].appendTo(dst)
			if schema.TimeLayout == hiveMillis {
				dst = appendHiveMillis(dst, v.time, &c.dates)
			} else {
				dst = appendTime(dst, v.time, schema.TimeLayout)
			}
			dst = append(dst, '"')
		}
	}
	return append(dst, '}', '\n'), nil
}

// setNull records an explicit null (JSON null, empty CSV cell).
func (c *converter) setNull(i int, what string) error {
	if f := &c.plan.fields[i]; f.Required {
		return fmt.Errorf("%s: required, but %s", f.Name, what)
	}
	c.vals[i].kind = null
	return nil
}

// setText sets field i from text: a CSV cell (fromCSV) or a decoded JSON
// string. Only CSV may carry numbers and epoch milliseconds as text.
func (c *converter) setText(i int, b []byte, fromCSV bool) error {
	switch c.plan.types[i] {
	case stringField:
		// One pass settles the common case: printable ASCII without quotes or
		// backslashes is valid UTF-8 and is emitted as it is.
		plain := isPlainText(b)
		if !plain && !utf8.Valid(b) {
			return fmt.Errorf("%s: invalid UTF-8", c.plan.fields[i].Name)
		}
		if err := checkString(c.plan.checkString[i], b); err != nil {
			return err
		}
		// Only the members emit reads for this kind: storing the whole value
		// would also clear the others, a write barrier check each.
		v := &c.vals[i]
		v.kind, v.plain, v.text = text, plain, b
	case doubleField:
		if !fromCSV {
			return fmt.Errorf("%s: got the string %s, want a JSON number: quoted numbers are not coerced, so a producer that stringifies values is caught at once", c.plan.fields[i].Name, quotePrefix(b))
		}
		if v, ok := parseShortDecimal(b); ok {
			return c.setNumber(i, v, b)
		}
		decimal, jsonNumber := decimalForm(b)
		if !decimal {
			return fmt.Errorf("%s: %s is not a decimal number", c.plan.fields[i].Name, quotePrefix(b))
		}
		return c.setFloat(i, b, jsonNumber)
	case timestampField:
		t, err := parseTime(b, fromCSV)
		if err != nil {
			return fmt.Errorf("%s: %w", c.plan.fields[i].Name, err)
		}
		return c.setTime(i, t)
	}
	return nil
}

// setJSONNumber sets field i from a JSON number token (grammar already checked).
func (c *converter) setJSONNumber(i int, tok []byte) error {
	f := &c.plan.fields[i]
	switch c.plan.types[i] {
	case doubleField:
		if v, ok := parseShortDecimal(tok); ok {
			return c.setNumber(i, v, tok)
		}
		return c.setFloat(i, tok, true)
	case timestampField:
		ms, ok := parseMillis(tok)
		if !ok {
			return fmt.Errorf("%s: JSON number %s is not an integer of epoch milliseconds in range", f.Name, quotePrefix(tok))
		}
		return c.setTime(i, time.UnixMilli(ms).UTC())
	default:
		return fmt.Errorf("%s: got the number %s, want a JSON string", f.Name, quotePrefix(tok))
	}
}

// setFloat parses b, a syntactically checked decimal, and range-checks it.
// When b is a JSON number already (verbatim), the output repeats it: it
// denotes exactly the double just checked, and copying is cheaper than
// formatting.
func (c *converter) setFloat(i int, b []byte, verbatim bool) error {
	v, err := parseDecimal(b)
	if err != nil || math.IsInf(v, 0) {
		return fmt.Errorf("%s: %s does not fit a double", c.plan.fields[i].Name, quotePrefix(b))
	}
	if !verbatim {
		b = nil
	}
	return c.setNumber(i, v, b)
}

// setNumber range-checks v and sets field i to it; text, when not nil, is
// the JSON number to emit for it.
func (c *converter) setNumber(i int, v float64, text []byte) error {
	// The comparison is false for NaN, which CheckNumber then reports.
	if p := c.plan; !(v >= p.minNum[i] && v <= p.maxNum[i]) {
		if err := p.checkNumber[i](v); err != nil {
			return err
		}
	}
	val := &c.vals[i]
	val.kind, val.num, val.text = number, v, text
	return nil
}

func (c *converter) setTime(i int, t time.Time) error {
	if err := schema.CheckTime(t); err != nil {
		return fmt.Errorf("%s: %w", c.plan.fields[i].Name, err)
	}
	v := &c.vals[i]
	v.kind, v.time = instant, t
	return nil
}

// checkString runs check, a field's CheckString, over b without copying b:
// the copy would be the only allocation per string field on the hot path. The string must not
// outlive the call, because b's memory is reused by the next record, so a
// failure is returned as a fresh error holding only the message.
func checkString(check func(string) error, b []byte) error {
	if err := check(unsafe.String(unsafe.SliceData(b), len(b))); err != nil {
		return errors.New(err.Error())
	}
	return nil
}

// decimalForm reports whether b is a plain decimal: optional sign, digits
// with an optional point (at least one digit in all), optional exponent. This
// keeps strconv.ParseFloat from accepting "NaN", "Inf", hex floats or
// underscores. It also reports whether b is a JSON number as it stands (no
// '+', no leading zero, digits on both sides of the point), which may then be
// emitted verbatim.
func decimalForm(b []byte) (decimal, jsonNumber bool) {
	i := 0
	jsonNumber = true
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		jsonNumber = b[i] == '-'
		i++
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	intDigits := i - start
	if intDigits == 0 || (intDigits > 1 && b[start] == '0') {
		jsonNumber = false
	}
	fracDigits := 0
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			fracDigits++
		}
		if fracDigits == 0 {
			jsonNumber = false
		}
	}
	if intDigits+fracDigits == 0 {
		return false, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		e := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == e {
			return false, false
		}
	}
	if i != len(b) {
		return false, false
	}
	return true, jsonNumber
}

// quotePrefix quotes at most the first 40 bytes of b for an error message, so a
// huge value cannot make a huge log line.
func quotePrefix(b []byte) string {
	const limit = 40
	if len(b) > limit {
		return strconv.Quote(string(b[:limit])) + "..."
	}
	return strconv.Quote(string(b))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// trimNewline removes one trailing "\n" or "\r\n": the line ending a producer
// writes after each reading.
func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
