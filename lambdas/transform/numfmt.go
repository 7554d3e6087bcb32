package main

import (
	"math"
	"strconv"
	"time"
)

// Hand-written fast paths for the three conversions that dominate a record.
// Each gives exactly what the general library call gives (tests compare them
// over many inputs) and falls back to that call outside its domain.

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimal parses b, which decimalForm or the JSON grammar has accepted.
// Readings have a few significant digits, which the classic exact fast path
// (Clinger) handles: an integer mantissa below 2^53 and a power of ten up to
// 1e22 are both exact in float64, so one IEEE division rounds correctly, as
// strconv.ParseFloat does. Exponents and long mantissas go to ParseFloat.
func parseDecimal(b []byte) (float64, error) {
	s, neg := b, false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s, neg = s[1:], s[0] == '-'
	}
	var mant uint64
	significant, frac, dot := 0, 0, false
	for _, c := range s {
		switch {
		case c == '.' && !dot:
			dot = true
			continue
		case c < '0' || c > '9':
			return strconv.ParseFloat(string(b), 64)
		case c != '0' || significant > 0:
			significant++
			mant = mant*10 + uint64(c-'0')
		}
		if dot {
			frac++
		}
	}
	if significant > 15 || frac >= len(pow10) { // 10^15 < 2^53
		return strconv.ParseFloat(string(b), 64)
	}
	v := float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, nil
}

// appendNumber appends v as a JSON number: text as given when it is one
// already, else the shortest form that round-trips.
func appendNumber(dst []byte, v float64, text []byte) []byte {
	if len(text) > 0 {
		return append(dst, text...)
	}
	if math.IsInf(v, 0) || math.IsNaN(v) { // excluded by validation; never emit invalid JSON
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// hiveMillis is the layout appendTime has a fast path for.
const hiveMillis = "2006-01-02 15:04:05.000"

// appendTime appends t (UTC) in layout.
func appendTime(dst []byte, t time.Time, layout string) []byte {
	if layout != hiveMillis || t.Year() < 0 || t.Year() > 9999 {
		return t.AppendFormat(dst, layout)
	}
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, ' ')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	return appendDigits(dst, t.Nanosecond()/1e6, 3)
}

// appendDigits appends n, 0 <= n < 10^width, zero-padded to width digits.
func appendDigits(dst []byte, n, width int) []byte {
	var buf [4]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, buf[:width]...)
}
