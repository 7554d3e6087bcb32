package main

import (
	"errors"
	"fmt"
	"time"
)

// errTimeForm is the reason for a timestamp in none of the accepted forms.
var errTimeForm = errors.New(`not RFC 3339, "YYYY-MM-DD HH:MM:SS[.fff]" (UTC) or epoch milliseconds`)

// maxMillisDigits bounds an epoch-milliseconds integer well past LatestTime
// (13 digits) and well below int64 overflow (19 digits).
const maxMillisDigits = 16

// parseTime reads the timestamp text forms documented in the package comment.
// Epoch milliseconds are accepted only when millis is set: in CSV every cell is
// text, whereas JSON has numbers for that. Parsing is hand-written over bytes
// because time.Parse needs a string and one layout per form; the result is
// checked against the calendar the same way.
func parseTime(b []byte, millis bool) (time.Time, error) {
	if millis && isInteger(b) {
		ms, ok := parseMillis(b)
		if !ok {
			return time.Time{}, fmt.Errorf("%s: epoch milliseconds out of range", quotePrefix(b))
		}
		return time.UnixMilli(ms).UTC(), nil
	}
	t, ok := parseDateTime(b)
	if !ok {
		return time.Time{}, fmt.Errorf("%s: %w", quotePrefix(b), errTimeForm)
	}
	return t, nil
}

// parseDateTime reads "YYYY-MM-DDTHH:MM:SS[.f]Z|±HH:MM" (RFC 3339) or
// "YYYY-MM-DD HH:MM:SS[.f]" (UTC).
func parseDateTime(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	century, ok0 := digits2(b[0:2])
	year, ok1 := digits2(b[2:4])
	year += century * 100
	month, ok2 := digits2(b[5:7])
	day, ok3 := digits2(b[8:10])
	hour, ok4 := digits2(b[11:13])
	minute, ok5 := digits2(b[14:16])
	sec, ok6 := digits2(b[17:19])
	if !(ok0 && ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 { // 1 to 9 fractional digits
			return time.Time{}, false
		}
		frac, _ := digits(rest[1:n])
		for i := n; i <= 9; i++ {
			frac *= 10
		}
		nsec, rest = frac, rest[n:]
	}
	offset := 0
	switch sep := b[10]; {
	case sep == ' ':
		if len(rest) != 0 {
			return time.Time{}, false
		}
	case sep == 'T' || sep == 't':
		var ok bool
		if offset, ok = zoneOffset(rest); !ok {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	// The fields are in range, so this is time.Date(...).Add(-offset) in
	// UTC without its normalization and zone lookup.
	unix := daysFromCivil(year, month, day)*secondsPerDay + int64(hour*3600+minute*60+sec-offset)
	return time.Unix(unix, int64(nsec)).UTC(), true
}

// zoneOffset reads an RFC 3339 zone, "Z" or "±HH:MM", as seconds east of UTC.
func zoneOffset(b []byte) (int, bool) {
	if len(b) == 1 && (b[0] == 'Z' || b[0] == 'z') {
		return 0, true
	}
	if len(b) != 6 || (b[0] != '+' && b[0] != '-') || b[3] != ':' {
		return 0, false
	}
	h, ok1 := digits2(b[1:3])
	m, ok2 := digits2(b[4:6])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if b[0] == '-' {
		off = -off
	}
	return off, true
}

// digits2 reads the two ASCII digits b[0:2], without the loop of digits:
// the date and time fields are all two digits wide.
func digits2(b []byte) (int, bool) {
	_ = b[1]
	hi, lo := b[0]-'0', b[1]-'0'
	return int(hi)*10 + int(lo), hi <= 9 && lo <= 9
}

// digits reads b, which must be all ASCII digits and at most 9 of them.
func digits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isInteger reports whether b is an optionally negative run of digits.
func isInteger(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseMillis reads an integer of at most maxMillisDigits digits, so it
// cannot overflow; the caller range-checks the time it denotes.
func parseMillis(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if !isInteger(b) || b[0] == '-' || len(b) > maxMillisDigits {
		return 0, false
	}
	var n int64
	for _, c := range b {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
