package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"unicode/utf8"

	"github.com/refdatalake/datalake/internal/schema"
)

// maxDepth bounds nesting anywhere in a record, extras included, so a hostile
// record fails cleanly instead of recursing deeply. The record object is level 1.
const maxDepth = 32

// The JSON reader is hand-written rather than encoding/json because the
// contract needs what encoding/json does not give without allocating a map per
// record and losing information: member order and duplicates, the raw bytes of
// unknown members (kept unchanged in extras), the distinction between a number
// and a numeric string, and a depth limit.

// scanner reads one JSON text. Errors carry the byte offset.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", s.pos, fmt.Sprintf(format, args...))
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) && isSpace(s.data[s.pos]) {
		s.pos++
	}
}

// next returns the byte at pos, or 0 at the end (0 is never valid there).
func (s *scanner) next() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	if s.next() != c {
		return s.unexpected(fmt.Sprintf("%q", c))
	}
	s.pos++
	return nil
}

func (s *scanner) unexpected(want string) error {
	if s.pos >= len(s.data) {
		return s.errorf("unexpected end, want %s", want)
	}
	return s.errorf("unexpected %q, want %s", s.data[s.pos], want)
}

// str reads the string starting at pos (a quote) and returns its content
// between the quotes, still escaped, and whether it has escapes. It checks
// UTF-8, control bytes and escapes, surrogate pairs included, so unescaping
// afterwards cannot fail.
func (s *scanner) str() (raw []byte, escaped bool, err error) {
	if err := s.expect('"'); err != nil {
		return nil, false, err
	}
	start := s.pos
	for s.pos < len(s.data) {
		// Printable ASCII, the bulk of any string, is skipped eight bytes
		// at a time, up to the first byte the switch must look at.
		if s.pos+8 <= len(s.data) {
			m := notPlainBytes(binary.LittleEndian.Uint64(s.data[s.pos:]))
			if m == 0 {
				s.pos += 8
				continue
			}
			s.pos += bits.TrailingZeros64(m) / 8
		}
		c := s.data[s.pos]
		switch {
		case c == '"':
			raw = s.data[start:s.pos]
			s.pos++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			if err := s.escape(); err != nil {
				return nil, false, err
			}
		case c < 0x20:
			return nil, false, s.errorf("control byte %#x in a string", c)
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size == 1 {
				return nil, false, s.errorf("invalid UTF-8")
			}
			s.pos += size
		}
	}
	return nil, false, s.errorf("unterminated string")
}

// escape checks the escape sequence at pos (a backslash) and moves past it.
func (s *scanner) escape() error {
	if s.pos+1 >= len(s.data) {
		return s.errorf("unterminated escape")
	}
	switch s.data[s.pos+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos += 2
		return nil
	case 'u':
		r, ok := hex4(s.data[s.pos+2:])
		if !ok {
			return s.errorf(`bad \u escape`)
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return s.errorf("lone low surrogate")
		case r >= 0xD800 && r <= 0xDBFF:
			rest := s.data[s.pos+6:]
			if len(rest) < 2 || rest[0] != '\\' || rest[1] != 'u' {
				return s.errorf("lone high surrogate")
			}
			if lo, ok := hex4(rest[2:]); !ok || lo < 0xDC00 || lo > 0xDFFF {
				return s.errorf("lone high surrogate")
			}
			s.pos += 12
		default:
			s.pos += 6
		}
		return nil
	}
	return s.errorf("bad escape \\%c", s.data[s.pos+1])
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnescaped appends the string content raw, already checked by str, unescaped.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := bytes.IndexByte(raw[i:], '\\')
			if j < 0 {
				return append(dst, raw[i:]...)
			}
			dst = append(dst, raw[i:i+j]...)
			i += j
			continue
		}
		switch e := raw[i+1]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(raw[i+2:])
			if r >= 0xD800 && r <= 0xDBFF {
				lo, _ := hex4(raw[i+8:])
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			i += 6
			continue
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
		i += 2
	}
	return dst
}

// number reads the JSON number at pos (strict grammar) and returns its bytes.
func (s *scanner) number() ([]byte, error) {
	start := s.pos
	if s.next() == '-' {
		s.pos++
	}
	switch c := s.next(); {
	case c == '0':
		s.pos++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return nil, s.unexpected("a digit")
	}
	if s.next() == '.' {
		s.pos++
		if s.digits() == 0 {
			return nil, s.unexpected("a digit")
		}
	}
	if c := s.next(); c == 'e' || c == 'E' {
		s.pos++
		if c := s.next(); c == '+' || c == '-' {
			s.pos++
		}
		if s.digits() == 0 {
			return nil, s.unexpected("a digit")
		}
	}
	return s.data[start:s.pos], nil
}

func (s *scanner) digits() int {
	start := s.pos
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(word)) {
		return s.unexpected("a JSON value")
	}
	s.pos += len(word)
	return nil
}

// skipValue checks the value at pos, at nesting level depth, and moves past it.
func (s *scanner) skipValue(depth int) error {
	switch c := s.next(); c {
	case '"':
		_, _, err := s.str()
		return err
	case '{', '[':
		if depth > maxDepth {
			return s.errorf("nested deeper than %d levels", maxDepth)
		}
		return s.skipContainer(c, depth)
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		_, err := s.number()
		return err
	}
}

func (s *scanner) skipContainer(open byte, depth int) error {
	closing := byte('}')
	if open == '[' {
		closing = ']'
	}
	s.pos++
	s.skipSpace()
	if s.next() == closing {
		s.pos++
		return nil
	}
	for {
		s.skipSpace()
		if open == '{' {
			if _, _, err := s.str(); err != nil {
				return err
			}
			s.skipSpace()
			if err := s.expect(':'); err != nil {
				return err
			}
			s.skipSpace()
		}
		if err := s.skipValue(depth + 1); err != nil {
			return err
		}
		s.skipSpace()
		switch s.next() {
		case ',':
			s.pos++
		case closing:
			s.pos++
			return nil
		default:
			return s.unexpected(fmt.Sprintf("',' or %q", closing))
		}
	}
}

// parseJSON sets the fields from one JSON object (surrounding space removed).
func (c *converter) parseJSON(body []byte) error {
	s := scanner{data: body, pos: 1}
	s.skipSpace()
	if s.next() == '}' {
		s.pos++
	} else if err := c.readMembers(&s); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return s.errorf("data after the object")
	}
	return c.collectExtras()
}

// readMembers reads the members of the record object up to and including its '}'.
func (c *converter) readMembers(s *scanner) error {
	for {
		s.skipSpace()
		keyStart := s.pos
		raw, escaped, err := s.str()
		if err != nil {
			return err
		}
		rawKey := s.data[keyStart:s.pos]
		key := raw
		if escaped {
			mark := len(c.scratch)
			c.scratch = appendUnescaped(c.scratch, raw)
			key = c.scratch[mark:]
		}
		s.skipSpace()
		if err := s.expect(':'); err != nil {
			return err
		}
		s.skipSpace()
		if i, ok := c.plan.byName[string(key)]; ok {
			if err := c.field(s, i); err != nil {
				return err
			}
		} else {
			start := s.pos
			if err := s.skipValue(2); err != nil {
				return fmt.Errorf("member %s: %w", quotePrefix(key), err)
			}
			c.members = append(c.members, member{rawKey: rawKey, key: key, raw: s.data[start:s.pos]})
		}
		s.skipSpace()
		switch s.next() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.unexpected("',' or '}'")
		}
	}
}

// field reads the value of declared field i.
func (c *converter) field(s *scanner, i int) error {
	f := &c.plan.fields[i]
	if c.vals[i].kind != missing {
		return fmt.Errorf("duplicate key %q", f.Name)
	}
	switch s.next() {
	case '"':
		raw, escaped, err := s.str()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if escaped {
			mark := len(c.scratch)
			c.scratch = appendUnescaped(c.scratch, raw)
			raw = c.scratch[mark:]
		}
		return c.setText(i, raw, false)
	case 'n':
		if err := s.literal("null"); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		return c.setNull(i, "null")
	case '{', '[':
		return fmt.Errorf("%s: nested object or array, want a %s value", f.Name, f.Type)
	case 't', 'f':
		return fmt.Errorf("%s: boolean, want a %s value", f.Name, f.Type)
	default:
		tok, err := s.number()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		return c.setJSONNumber(i, tok)
	}
}

// collectExtras turns the unknown members into the extras object: keys sorted
// so equal records give equal extras, values as they came.
func (c *converter) collectExtras() error {
	if len(c.members) == 0 {
		return nil
	}
	if c.plan.extras < 0 {
		return fmt.Errorf("unknown field %s, and the schema has no %s column to keep it", quotePrefix(c.members[0].key), schema.ExtrasColumn)
	}
	slices.SortFunc(c.members, func(a, b member) int { return bytes.Compare(a.key, b.key) })
	buf := append(c.extras[:0], '{')
	for k, m := range c.members {
		if k > 0 {
			if bytes.Equal(m.key, c.members[k-1].key) {
				return fmt.Errorf("duplicate key %s", quotePrefix(m.key))
			}
			buf = append(buf, ',')
		}
		buf = append(buf, m.rawKey...)
		buf = append(buf, ':')
		buf = append(buf, m.raw...)
	}
	buf = append(buf, '}')
	c.extras = buf
	if err := checkString(c.plan.checkString[c.plan.extras], buf); err != nil {
		return fmt.Errorf("unknown fields: %w", err)
	}
	v := &c.vals[c.plan.extras]
	v.kind, v.plain, v.text = text, false, buf
	return nil
}
