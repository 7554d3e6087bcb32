package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// RFC 4180 is handled here rather than with encoding/csv: a csv.Reader
// allocates per line (its record strings and a reader per input), which for
// one-line inputs would be most of the cost of a record, and the rules needed
// are few: a cell starting with a quote runs to the next lone quote, "" inside
// it is one quote, and anything else is plain text up to the next comma.
// Cells are sub-slices of the input; only a quoted cell that needs unescaping
// is copied (into scratch).

// parseCSV sets the input fields from one CSV line (line ending removed).
// header reports a line equal to the input field names.
func (c *converter) parseCSV(line []byte) (header bool, err error) {
	inputs := c.plan.inputs
	n, pos := c.splitPlain(line)
	for {
		var cell []byte
		if pos < len(line) && line[pos] == '"' {
			cell, pos, err = c.quotedCell(line, pos)
		} else {
			cell, pos, err = plainCell(line, pos)
		}
		if err != nil {
			return false, fmt.Errorf("column %d: %w", n+1, err)
		}
		if n < len(c.cells) {
			c.cells[n] = cell
		}
		n++
		if pos == len(line) {
			break
		}
		pos++ // the comma
	}
	if n != len(inputs) {
		return false, fmt.Errorf("%d columns, want %d", n, len(inputs))
	}
	if c.isHeader() {
		return true, nil
	}
	types := c.plan.types
	for k, i := range inputs {
		cell := c.cells[k]
		// Most cells are numbers in the short form parseShortDecimal reads;
		// they skip the calls through setCell and setText, which would end
		// in the same setNumber.
		if types[i] == doubleField {
			if v, ok := parseShortDecimal(cell); ok {
				if err := c.setNumber(i, v, cell); err != nil {
					return false, fmt.Errorf("column %d: %w", k+1, err)
				}
				continue
			}
		}
		if err := c.setCell(i, cell); err != nil {
			return false, fmt.Errorf("column %d: %w", k+1, err)
		}
	}
	return false, nil
}

func (c *converter) setCell(i int, cell []byte) error {
	if len(cell) == 0 {
		return c.setNull(i, "the cell is empty")
	}
	return c.setText(i, cell, true)
}

func (c *converter) isHeader() bool {
	for k, i := range c.plan.inputs {
		if string(c.cells[k]) != c.plan.fields[i].Name {
			return false
		}
	}
	return true
}

// splitPlain is the fast path of parseCSV: it stores the leading cells of
// line that hold no quote, CR or LF, as many as there are commas ending them
// (and no more than c.cells holds), and returns their number and where the
// next cell starts. parseCSV reads the rest, if any, cell by cell, and would
// have found the same cells: a cell without special bytes ends at the next
// comma. It looks at eight bytes at a time, finding every comma of the word
// at once, so a typical line takes a dozen steps instead of a hundred.
func (c *converter) splitPlain(line []byte) (n, start int) {
	// A line break can only be inside a quoted cell, or an error: either
	// way the cell-by-cell path has to read it. Looking for both once per
	// line (bytes.IndexByte is vectorized) leaves the loop only quotes to
	// watch for.
	if bytes.IndexByte(line, '\n') >= 0 || bytes.IndexByte(line, '\r') >= 0 {
		return 0, 0
	}
	cells := c.cells
	for i := 0; i+8 <= len(line); i += 8 {
		w := binary.LittleEndian.Uint64(line[i:])
		stop := zeroBytes(w ^ quotes)
		found := exactZeroBytes(w ^ commas)
		if stop != 0 {
			found &= stop&-stop - 1 // only the commas before the first special byte
		}
		for ; found != 0; found &= found - 1 {
			if n == len(cells) {
				return n, start
			}
			end := i + bits.TrailingZeros64(found)/8
			cells[n] = line[start:end]
			n, start = n+1, end+1
		}
		if stop != 0 {
			break
		}
	}
	return n, start
}

// csvSpecial marks the bytes that end or invalidate an unquoted cell, so the
// scan does one table load per byte instead of four comparisons.
var csvSpecial = [256]bool{',': true, '"': true, '\n': true, '\r': true}

// Repeated bytes for the word-at-a-time scans (splitPlain, plainCell and,
// in jsonout.go, notPlainBytes).
const (
	ones        = 0x0101010101010101
	highs       = 0x8080808080808080
	commas      = ones * ','
	quotes      = ones * '"'
	lfs         = ones * '\n'
	crs         = ones * '\r'
	backslashes = ones * '\\'
)

// zeroBytes has the high bit set in the lowest zero byte of x, and possibly
// in bytes above it (a borrow can only run upwards), never below: its lowest
// set bit finds the first zero byte.
func zeroBytes(x uint64) uint64 { return (x - ones) &^ x & highs }

// exactZeroBytes has the high bit set in every zero byte of x and nowhere
// else: adding 0x7f to the low seven bits of a byte carries into its high bit
// unless they are all zero.
func exactZeroBytes(x uint64) uint64 {
	const lows = ^uint64(highs)
	return ^((x&lows + lows) | x | lows)
}

// plainCell returns the unquoted cell starting at pos and the position of the
// comma or end of line after it.
func plainCell(line []byte, pos int) ([]byte, int, error) {
	i := pos
	// Eight bytes at a time while they last, as in splitPlain, for the
	// cells it leaves (the last one, and those after a quoted cell). The
	// first special byte of the word ends the scan.
	for ; i+8 <= len(line); i += 8 {
		w := binary.LittleEndian.Uint64(line[i:])
		if m := zeroBytes(w^commas) | zeroBytes(w^quotes) | zeroBytes(w^lfs) | zeroBytes(w^crs); m != 0 {
			i += bits.TrailingZeros64(m) / 8
			return plainCellEnd(line, pos, i)
		}
	}
	for i < len(line) && !csvSpecial[line[i]] {
		i++
	}
	return plainCellEnd(line, pos, i)
}

// plainCellEnd returns the cell line[pos:i], i being the end of the line or
// a special byte.
func plainCellEnd(line []byte, pos, i int) ([]byte, int, error) {
	if i == len(line) || line[i] == ',' {
		return line[pos:i], i, nil
	}
	if line[i] == '"' {
		return nil, i, errors.New(`quote inside an unquoted cell (quote the whole cell and double the quote)`)
	}
	return nil, i, errors.New("line break outside quotes: a record is one reading")
}

// quotedCell returns the content of the quoted cell starting at pos (a quote)
// and the position after its closing quote, which must be a comma or the end.
// As in encoding/csv, "" is one quote and a "\r\n" inside the cell reads as "\n".
func (c *converter) quotedCell(line []byte, pos int) ([]byte, int, error) {
	start := pos + 1
	mark := -1    // where the unescaped cell starts in scratch, once it needs one
	from := start // input not yet copied to scratch
	for i := start; i < len(line); i++ {
		switch line[i] {
		case '"':
			if i+1 < len(line) && line[i+1] == '"' {
				mark = c.keep(mark, line[from:i+1])
				i++
				from = i + 1
				continue
			}
			cell := line[start:i]
			if mark >= 0 {
				c.keep(mark, line[from:i])
				cell = c.scratch[mark:]
			}
			if end := i + 1; end < len(line) && line[end] != ',' {
				return nil, end, errors.New("text after a closing quote")
			}
			return cell, i + 1, nil
		case '\r':
			if i+1 < len(line) && line[i+1] == '\n' {
				mark = c.keep(mark, line[from:i])
				from = i + 1
			}
		}
	}
	return nil, len(line), errors.New("unterminated quoted cell")
}

// keep appends b to the unescaped cell that starts at mark in scratch (or
// starts one) and returns its start.
func (c *converter) keep(mark int, b []byte) int {
	if mark < 0 {
		mark = len(c.scratch)
	}
	c.scratch = append(c.scratch, b...)
	return mark
}
