package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parseDecimal must agree bit for bit with strconv.ParseFloat on every
// decimal, inside and outside its fast path.
func TestParseDecimalMatchesStrconv(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	inputs := []string{"0", "-0", "+0", "0.0", "00.5", "1.", ".5", "-.5", "123456789012345", "1234567890123456",
		"0.000000000000000000001", "0.0000000000000000000001", "9007199254740993", "1e3", "1.5E-3", "-1e-400",
		"179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
		"0.1", "0.2", "0.3", "101.3", "3.7", "-59.99"}
	for range 100000 {
		digits := strconv.FormatUint(rnd.Uint64N(1e17), 10)
		cut := rnd.IntN(len(digits) + 1)
		s := digits[:cut] + "." + digits[cut:]
		if rnd.IntN(2) == 0 {
			s = "-" + s
		}
		inputs = append(inputs, s, strconv.FormatFloat(rnd.Float64()*300-100, 'f', rnd.IntN(6), 64))
	}
	for _, s := range inputs {
		if ok, _ := decimalForm([]byte(s)); !ok {
			t.Fatalf("%q: not a decimal", s)
		}
		want, wantErr := strconv.ParseFloat(s, 64)
		got, err := parseDecimal([]byte(s))
		if math.Float64bits(got) != math.Float64bits(want) || (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: %v (%v), strconv says %v (%v)", s, got, err, want, wantErr)
		}
	}
}

// appendTime must write what time.Format writes, on its fast path and off it.
func TestAppendTimeMatchesFormat(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	from, to := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(), time.Date(2110, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for range 100000 {
		ts := time.Unix(0, from+rnd.Int64N(to-from)).UTC()
		for _, layout := range []string{hiveMillis, time.RFC3339Nano} {
			if got, want := string(appendTime(nil, ts, layout)), ts.Format(layout); got != want {
				t.Fatalf("%v in %q: %s, want %s", ts, layout, got, want)
			}
		}
	}
}

// decimalForm's JSON verdict must match encoding/json's, since a number it
// calls JSON is emitted as it came.
func TestDecimalForm(t *testing.T) {
	for _, s := range []string{"0", "-0", "+0", "1.5e3", "1E+3", "21.50", "+1", "01", "-01", "00", "1.", ".5", "-.5",
		"1e", "1e+", "", "-", "+", ".", "1 ", " 1", "1.2.3", "1e3.5", "0x10", "NaN", "Inf", "1_000", "9.9e-999"} {
		decimal, jsonNumber := decimalForm([]byte(s))
		_, err := strconv.ParseFloat(s, 64)
		numErr := err
		if numErr != nil && errors.Is(numErr, strconv.ErrRange) {
			numErr = nil
		}
		if wantJSON := json.Valid([]byte(s)) && s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && s == strings.TrimSpace(s); jsonNumber != wantJSON {
			t.Errorf("%q: JSON number %v, want %v", s, jsonNumber, wantJSON)
		}
		if decimal && numErr != nil {
			t.Errorf("%q: decimal, but ParseFloat refuses it: %v", s, err)
		}
		if jsonNumber && !decimal {
			t.Errorf("%q: a JSON number that is not a decimal", s)
		}
	}
}

// parseShortDecimal must accept only what decimalForm calls a decimal and a
// JSON number, and give for it exactly what parseDecimal and strconv give.
func TestParseShortDecimal(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	inputs := []string{"0", "-0", "+0", "00", "01", "-01", "0.0", "0.", ".0", "1.", ".5", "-", "", "1e3", "1E3", "1.5e-3",
		"123456789012345", "1234567890123456", "12345678.9012345", "12345678.90123456", "0.000000000000001", "0.0000000000000001",
		"-999999999999999", "9007199254740993", "1.2.3", "1-2", "--1", "1 ", " 1", "1,5", "NaN", "Inf", "0x10", "1_0", "\xff",
		"150", "150.00", "-60.0", "99999999999999999999999"}
	const chars = "0123456789.-+e"
	for range 200000 {
		var b []byte
		for range 1 + rnd.IntN(18) {
			b = append(b, chars[rnd.IntN(len(chars))])
		}
		inputs = append(inputs, string(b), strconv.FormatFloat(rnd.Float64()*600-300, 'f', rnd.IntN(8), 64),
			strconv.FormatFloat(rnd.NormFloat64()*1e6, 'f', -1, 64))
	}
	for _, s := range inputs {
		v, ok := parseShortDecimal([]byte(s))
		decimal, jsonNumber := decimalForm([]byte(s))
		if ok && !(decimal && jsonNumber) {
			t.Fatalf("%q: accepted, but decimalForm says decimal %v, JSON number %v", s, decimal, jsonNumber)
		}
		if !ok {
			digits := len(s) - strings.Count(s, "-") - strings.Count(s, ".")
			if decimal && jsonNumber && !strings.ContainsAny(s, "eE") && digits <= 15 {
				t.Fatalf("%q: refused, though it is short and plain", s)
			}
			continue
		}
		want, err := parseDecimal([]byte(s))
		sv, serr := strconv.ParseFloat(s, 64)
		if err != nil || serr != nil || math.Float64bits(v) != math.Float64bits(want) || math.Float64bits(v) != math.Float64bits(sv) {
			t.Fatalf("%q: %v, parseDecimal %v (%v), strconv %v (%v)", s, v, want, err, sv, serr)
		}
	}
}

// appendHiveMillis with a date cache must write what time.Format writes,
// whether the cache holds the day or not, across the whole 4-digit range.
func TestAppendHiveMillisCache(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	var cache dateCache
	from, to := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	ts := time.Date(2026, 3, 7, 23, 59, 0, 0, time.UTC)
	for i := range 300000 {
		switch {
		case i%1000 == 0:
			ts = time.Unix(from+rnd.Int64N(to-from), rnd.Int64N(1e9)).UTC()
		case i%7 == 0:
			ts = time.Unix(-rnd.Int64N(1e12), rnd.Int64N(1e9)).UTC() // before 1970, some before year 0
		default:
			ts = ts.Add(time.Duration(rnd.Int64N(int64(20 * time.Minute))))
		}
		if got, want := string(appendHiveMillis(nil, ts, &cache)), ts.Format(hiveMillis); got != want {
			t.Fatalf("%v: %s, want %s", ts, got, want)
		}
	}
}

// parseDateTime must give what time.Date gives for the fields it reads.
func TestParseDateTimeMatchesTimeDate(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	for range 200000 {
		year, month, day := rnd.IntN(10000), 1+rnd.IntN(12), 1+rnd.IntN(31)
		hour, minute, sec, ms := rnd.IntN(24), rnd.IntN(60), rnd.IntN(60), rnd.IntN(1000)
		off := rnd.IntN(24*60) - 12*60
		s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03d%+03d:%02d", year, month, day, hour, minute, sec, ms, off/60, abs(off%60))
		if off == 0 && rnd.IntN(2) == 0 {
			s = s[:23] + "Z"
		}
		got, ok := parseDateTime([]byte(s))
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok != (err == nil) {
			t.Fatalf("%q: ok %v, time.Parse: %v", s, ok, err)
		}
		if ok && got != want.UTC() {
			t.Fatalf("%q: %v, want %v", s, got, want.UTC())
		}
	}
}

func abs(n int) int { return max(n, -n) }
