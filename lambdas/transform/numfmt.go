package main

import (
	"math"
	"strconv"
	"time"
)

// Hand-written fast paths for the conversions that dominate a record.
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

// parseShortDecimal is the path most readings take: it checks and parses in
// one pass a decimal written as a JSON number without exponent ("-12.5",
// "0", "101.25") of at most 15 digits, and reports false for anything else,
// which then goes through decimalForm and parseDecimal. On what it accepts
// it gives what they give: decimalForm calls it a decimal and a JSON number,
// and parseDecimal takes its fast path with the same mantissa and power of
// ten (fewer than 16 digits in all, so under 2^53, and frac < 16).
func parseShortDecimal(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		i, neg = 1, true
	}
	start := i
	var mant uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		mant = mant*10 + uint64(d)
	}
	intDigits := i - start
	if intDigits == 0 || (intDigits > 1 && b[start] == '0') {
		return 0, false
	}
	frac := 0
	if i < len(b) {
		if b[i] != '.' {
			return 0, false
		}
		i++
		for ; i < len(b); i++ {
			d := b[i] - '0'
			if d > 9 {
				return 0, false
			}
			mant = mant*10 + uint64(d)
			frac++
		}
		if frac == 0 {
			return 0, false
		}
	}
	// Past 15 digits mant may have wrapped; it is not used then.
	if intDigits+frac > 15 {
		return 0, false
	}
	v := float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
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

// appendTime appends t (UTC) in layout. For hiveMillis, the one the output
// uses, it works the calendar date out once from the Unix time (t.Date and
// t.Clock each redo it) and writes the digits straight into place.
func appendTime(dst []byte, t time.Time, layout string) []byte {
	if layout != hiveMillis {
		return t.AppendFormat(dst, layout)
	}
	return appendHiveMillis(dst, t, nil)
}

// dateCache holds the date text of the last day appendHiveMillis wrote: the
// readings of a batch span a few hours, so most share it.
type dateCache struct {
	valid bool
	days  int64 // since 1970-01-01
	text  [len("2006-01-02")]byte
}

// appendHiveMillis appends t (UTC) in hiveMillis, using and updating cache
// when it is not nil.
func appendHiveMillis(dst []byte, t time.Time, cache *dateCache) []byte {
	secs := t.Unix()
	days, sod := secs/secondsPerDay, secs%secondsPerDay
	if sod < 0 {
		days, sod = days-1, sod+secondsPerDay
	}
	var b [len(hiveMillis)]byte
	if cache != nil && cache.valid && cache.days == days {
		copy(b[:], cache.text[:])
	} else {
		year, month, day := civilFromDays(days)
		if year < 0 || year > 9999 {
			return t.AppendFormat(dst, hiveMillis)
		}
		put4(b[0:4], year)
		b[4] = '-'
		put2(b[5:7], month)
		b[7] = '-'
		put2(b[8:10], day)
		if cache != nil {
			cache.valid, cache.days = true, days
			copy(cache.text[:], b[:])
		}
	}
	ms := t.Nanosecond() / 1e6
	b[10] = ' '
	put2(b[11:13], int(sod/3600))
	b[13] = ':'
	put2(b[14:16], int(sod/60%60))
	b[16] = ':'
	put2(b[17:19], int(sod%60))
	b[19] = '.'
	b[20] = byte('0' + ms/100)
	b[21] = byte('0' + ms/10%10)
	b[22] = byte('0' + ms%10)
	return append(dst, b[:]...)
}

const secondsPerDay = 86400

// put2 and put4 write n, 0 <= n < 10^width, zero-padded into b.
func put2(b []byte, n int) {
	_ = b[1]
	b[0], b[1] = byte('0'+n/10), byte('0'+n%10)
}

func put4(b []byte, n int) {
	put2(b[0:2], n/100)
	put2(b[2:4], n%100)
}

// civilFromDays returns the proleptic Gregorian date of the day that is days
// after 1970-01-01, and daysFromCivil is its inverse. Both are H. Hinnant's
// algorithms ("chrono-compatible low-level date algorithms"), which count in
// 400-year eras of 146097 days from 0000-03-01, so leap days end a year.
func civilFromDays(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365], from March 1st
	mp := (5*doy + 2) / 153                                // [0, 11], March = 0
	day = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		month = int(mp + 3)
	} else {
		month = int(mp - 9)
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

func daysFromCivil(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400 // [0, 399]
	mp := int64(month + 9)
	if month > 2 {
		mp = int64(month - 3)
	}
	doy := (153*mp+2)/5 + int64(day) - 1   // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468
}
