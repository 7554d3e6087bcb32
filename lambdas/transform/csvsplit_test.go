package main

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// splitPlain must store the cells the cell-by-cell reading finds, whatever
// mix of plain, quoted and broken cells a line has.
func TestSplitPlainMatchesCellByCell(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	c := newConverter(defaultPlan)
	const chars = "ab,,,\"\r\n-9.\t\xff"
	for range 200000 {
		line := make([]byte, rnd.IntN(90))
		for i := range line {
			line[i] = chars[rnd.IntN(len(chars))]
			if rnd.IntN(3) > 0 {
				line[i] = 'x'
			}
		}
		n, start := c.splitPlain(line)
		var want [][]byte
		pos := 0
		for len(want) < n {
			cell, end, err := plainCell(line, pos)
			if err != nil {
				t.Fatalf("%q: splitPlain stored %d cells, the cell-by-cell reading fails at cell %d: %v", line, n, len(want)+1, err)
			}
			want = append(want, cell)
			pos = end + 1
		}
		if start != pos {
			t.Fatalf("%q: next cell at %d, want %d", line, start, pos)
		}
		for k := range want {
			if !bytes.Equal(c.cells[k], want[k]) {
				t.Fatalf("%q: cell %d is %q, want %q", line, k, c.cells[k], want[k])
			}
		}
	}
}

// isPlainText must agree with its table, byte by byte, at every length.
func TestIsPlainText(t *testing.T) {
	rnd := rand.New(rand.NewPCG(13, 14))
	for range 200000 {
		s := make([]byte, rnd.IntN(40))
		for i := range s {
			s[i] = byte(0x20 + rnd.IntN(0x5f))
		}
		if len(s) > 0 && rnd.IntN(2) == 0 {
			s[rnd.IntN(len(s))] = byte(rnd.IntN(256))
		}
		want := true
		for _, c := range s {
			want = want && c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
		}
		if got := isPlainText(s); got != want {
			t.Fatalf("%q: %v, want %v", s, got, want)
		}
	}
}
