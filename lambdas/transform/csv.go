package main

import (
	"errors"
	"fmt"
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
	n := 0
	for pos := 0; ; {
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
	for k, i := range inputs {
		if err := c.setCell(i, c.cells[k]); err != nil {
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

// csvSpecial marks the bytes that end or invalidate an unquoted cell, so the
// scan does one table load per byte instead of four comparisons.
var csvSpecial = [256]bool{',': true, '"': true, '\n': true, '\r': true}

// plainCell returns the unquoted cell starting at pos and the position of the
// comma or end of line after it.
func plainCell(line []byte, pos int) ([]byte, int, error) {
	i := pos
	for i < len(line) && !csvSpecial[line[i]] {
		i++
	}
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
