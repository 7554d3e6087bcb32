package main

import (
	"encoding/json"
	"errors"
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
