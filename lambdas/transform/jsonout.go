package main

import "encoding/binary"

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. s must be valid UTF-8, which
// every caller has checked, so only quotes, backslashes and control bytes need
// escaping.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plainText marks the bytes a JSON string may hold as they are and that
// are ASCII: printable characters other than the quote and the backslash.
var plainText = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// isPlainText reports whether s is made of plainText bytes only: then it is
// valid UTF-8, and appendJSONString would write it unchanged between quotes.
// Strings of eight bytes or more are checked a word at a time, the last word
// overlapping the one before it.
func isPlainText(s []byte) bool {
	if len(s) < 8 {
		for _, c := range s {
			if !plainText[c] {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s); i += 8 {
		if notPlainBytes(binary.LittleEndian.Uint64(s[min(i, len(s)-8):])) != 0 {
			return false
		}
	}
	return true
}

// notPlainBytes has the high bit set in the lowest byte of w (little endian)
// that is not plainText, and possibly in bytes above it, never below: bytes
// below 0x20 (the subtraction borrows into the high bit of the first one, and
// &^w keeps it only if the byte was below 0x80), bytes of 0x80 and over,
// quotes and backslashes.
func notPlainBytes(w uint64) uint64 {
	return (w-ones*0x20)&^w&highs | w&highs | zeroBytes(w^quotes) | zeroBytes(w^backslashes)
}
