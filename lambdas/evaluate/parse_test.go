package main

import (
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseNumber(t *testing.T) {
	accepted := map[string]float64{
		"0": 0, "1": 1, "0.25": 0.25, "-3": -3, "+.5": 0.5, "1e-7": 1e-7, "1E2": 100, "5.": 5,
		"-0": math.Copysign(0, -1), "1e-400": 0, "0.99999994": 0.99999994, "1.7976931348623157e308": math.MaxFloat64,
	}
	for in, want := range accepted {
		got, err := parseNumber([]byte(in))
		if err != nil || got != want || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	refused := map[string]string{
		"":                            "the first field is empty, not a number",
		"abc":                         `"abc" is not a number`,
		"NaN":                         `"NaN" is not a number`,
		"Inf":                         `"Inf" is not a number`,
		"-inf":                        `"-inf" is not a number`,
		"0x1p-2":                      `"0x1p-2" is not a number`,
		"1_000":                       `"1_000" is not a number`,
		"1e309":                       `"1e309" is out of the float64 range`,
		"-1e309":                      `"-1e309" is out of the float64 range`,
		"1..2":                        `"1..2" is not a number`,
		"e5":                          `"e5" is not a number`,
		"--1":                         `"--1" is not a number`,
		`"1"`:                         `"\"1\"" is not a number`,
		"1 2":                         `"1 2" is not a number`,
		"\xff0.5":                     `"\xff0.5" is not a number`,
		strings.Repeat("9", 50) + "x": `"` + strings.Repeat("9", 40) + `" (51 bytes) is not a number`,
	}
	for in, want := range refused {
		if v, err := parseNumber([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("%q: %v %v, want error %s", in, v, err, want)
		}
	}
}

func TestFirstField(t *testing.T) {
	cases := []struct {
		line, field string
		blank       bool
	}{
		{"1,2,3\n", "1", false},
		{"0.5\r\n", "0.5", false},
		{"  0.5 \t,x", "0.5", false},
		{",1", "", false},
		{"1", "1", false},
		{"\n", "", true},
		{"\r\n", "", true},
		{" \t \r\n", "", true},
		{"", "", true},
		{"\r", "", true},
	}
	for _, c := range cases {
		field, blank := firstField([]byte(c.line))
		if string(field) != c.field || blank != c.blank {
			t.Errorf("%q: %q %v, want %q %v", c.line, field, blank, c.field, c.blank)
		}
	}
}

// readAll collects every field and the line it came from.
func readAll(r io.Reader) (fields []string, lines []int64, err error) {
	rr := newRowReader(r)
	for {
		f, err := rr.next()
		if err == io.EOF {
			if int64(len(fields)) != rr.rows {
				return nil, nil, errors.New("row count differs from fields returned")
			}
			return fields, lines, nil
		}
		if err != nil {
			return fields, lines, err
		}
		fields = append(fields, string(f))
		lines = append(lines, rr.line)
	}
}

func TestRowReader(t *testing.T) {
	wide := strings.Repeat(",0.123456", 3*readBuffer/9) // label rows wider than the buffer
	input := "\xEF\xBB\xBF1,a\r\n\n  \n0" + wide + "\n1" + wide + "\r\n" + "0.5\n\n1" + strings.Repeat(",", readBuffer) + "\n0"
	want := []string{"1", "0", "1", "0.5", "1", "0"}
	wantLines := []int64{1, 4, 5, 6, 8, 9}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":      func(r io.Reader) io.Reader { return r },
		"one byte":   iotest.OneByteReader,
		"half":       iotest.HalfReader,
		"data error": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		fields, lines, err := readAll(wrap(strings.NewReader(input)))
		if err != nil || !reflect.DeepEqual(fields, want) || !reflect.DeepEqual(lines, wantLines) {
			t.Errorf("%s: %q at lines %v, %v", name, fields, lines, err)
		}
	}

	// A read error is returned as it is, after the rows before it.
	boom := errors.New("connection reset")
	fields, _, err := readAll(io.MultiReader(strings.NewReader("1\n0\n0."), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) || !reflect.DeepEqual(fields, []string{"1", "0"}) {
		t.Errorf("read error: %q %v", fields, err)
	}
	// So is one in the middle of skipping a wide line.
	_, _, err = readAll(io.MultiReader(strings.NewReader("1"+wide), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Errorf("read error while skipping: %v", err)
	}
	// A first field that does not fit the buffer.
	rr := newRowReader(strings.NewReader("1\n\n" + strings.Repeat("7", readBuffer) + ",1\n"))
	rr.next()
	if _, err := rr.next(); !errors.Is(err, errFieldTooLong) || rr.line != 3 {
		t.Errorf("long field: %v at line %d", err, rr.line)
	}
	// A BOM is only a BOM on the first line.
	if fields, _, _ := readAll(strings.NewReader("1\n\xEF\xBB\xBF1\n")); fields[1] != "\xEF\xBB\xBF1" {
		t.Errorf("BOM on line 2 removed: %q", fields)
	}
}
