package main

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// lineSeeds are lines of the kinds the parser meets or must refuse.
var lineSeeds = []string{
	"1", "0", "0.5", "0.123456789012345678", "1,0.3,7.5,ok", "0\r\n", "1\n", "  0.25\t,x", "-0", "+.5", "5.",
	"", "\n", "\r\n", " \t ", ",", ",1", "1,", `"1"`, "1 2",
	"NaN", "nan", "Inf", "-Inf", "+inf", "infinity", "1e309", "-1e309", "1e-400", "1.7976931348623157e308", "4.9e-324",
	"0x1p-2", "1_000", "١", "1\x00", "\xff\xfe", "\xc3\x28", "\xed\xa0\x80", "\xEF\xBB\xBF1",
	strings.Repeat("9", 400), strings.Repeat("1", 10000) + "e-10000", "1" + strings.Repeat(",", 1000),
	"1e", "e1", ".", "-", "+", "1e+", "1.5.5", "--1",
}

// FuzzParseLine checks the line parser against an independent reading of
// the same bytes: it never panics, every value it accepts is finite and is
// what strconv reads from the first field, blank lines are exactly those
// of blanks only, and messages stay printable. (FuzzRowReader checks that
// the streaming reader splits fields as parseLine does.)
func FuzzParseLine(f *testing.F) {
	for _, s := range lineSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		input := bytes.Clone(line)
		v, blank, err := parseLine(line)
		if !bytes.Equal(line, input) {
			t.Fatal("input modified")
		}
		body := strings.TrimSuffix(string(line), "\n")
		wantBlank := strings.Trim(body, " \t\r") == ""
		if blank != wantBlank {
			t.Fatalf("%q: blank %v, want %v", line, blank, wantBlank)
		}
		if blank {
			if err != nil {
				t.Fatalf("%q: blank with error %v", line, err)
			}
			return
		}
		field, _, _ := strings.Cut(body, ",")
		field = strings.Trim(field, " \t\r")
		if err != nil {
			if msg := err.Error(); msg == "" || !utf8.ValidString(msg) || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("%q: bad message %q", line, msg)
			}
			if ref, rerr := strconv.ParseFloat(field, 64); rerr == nil && plainDecimal(field) && !math.IsInf(ref, 0) {
				t.Fatalf("%q: refused (%v) a plain decimal strconv reads as %v", line, err, ref)
			}
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%q: accepted non-finite %v", line, v)
		}
		ref, rerr := strconv.ParseFloat(field, 64)
		if rerr != nil || ref != v || !plainDecimal(field) {
			t.Fatalf("%q: accepted %v; strconv reads %q as %v (%v)", line, v, field, ref, rerr)
		}
	})
}

func plainDecimal(s string) bool {
	return s != "" && strings.Trim(s, "0123456789.+-eE") == ""
}

// FuzzRowReader checks the streaming reader against splitting the whole
// input at "\n": the same fields, numbered with the same lines, whatever
// the read sizes, with lines longer than the read buffer included.
func FuzzRowReader(f *testing.F) {
	f.Add([]byte("1,2\n\n0\r\n  \n0.5"), uint8(3))
	f.Add([]byte("\xEF\xBB\xBF1\n0"), uint8(1))
	f.Add([]byte("\xEF\xBB\xBF1\n0"), uint8(2))
	f.Add([]byte(strings.Repeat("x", 50)+"\n,\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, wide uint8) {
		// Lines past the buffer: a wide row whose rest is skipped, or a
		// blank one, which does not fit either.
		switch wide % 4 {
		case 0:
			data = append(append([]byte("1,"), bytes.Repeat([]byte{'z'}, readBuffer+int(wide))...), append([]byte{'\n'}, data...)...)
		case 1:
			data = append(bytes.Repeat([]byte{' '}, readBuffer+int(wide)), append([]byte{'\n'}, data...)...)
		}
		type row struct {
			field string
			line  int64
		}
		var want []row
		for i, l := range strings.SplitAfter(string(data), "\n") {
			// A line that fills the buffer must have its first comma in it;
			// the buffer holds the BOM too.
			if len(l) > readBuffer {
				window := l[:readBuffer]
				if i == 0 {
					window = strings.TrimPrefix(window, string(utf8BOM))
				}
				if !strings.Contains(window, ",") {
					want = append(want, row{"<too long>", int64(i + 1)})
					break
				}
			}
			if i == 0 {
				l = strings.TrimPrefix(l, string(utf8BOM))
			}
			if field, blank := firstField([]byte(l)); !blank {
				want = append(want, row{string(field), int64(i + 1)})
			}
		}
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.HalfReader(bytes.NewReader(data))} {
			rr := newRowReader(r)
			var got []row
			for {
				f, err := rr.next()
				if err == io.EOF {
					break
				}
				if err == errFieldTooLong {
					got = append(got, row{"<too long>", rr.line})
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, row{string(f), rr.line})
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("row %d: %q at line %d, want %q at line %d", i, got[i].field, got[i].line, want[i].field, want[i].line)
				}
			}
		}
	})
}
