package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// readBuffer is the read buffer of each object being read, and so the
// longest first field a line may have. The rest of a line (a label row's
// features) can be of any length: it is skipped, never held.
const readBuffer = 64 << 10

// rowReader yields the first CSV field of each non-blank line of a stream.
// It holds one read buffer, whatever the size of the stream or its lines.
type rowReader struct {
	r *bufio.Reader
	// single refuses lines of more than one field (predictions: one score a line).
	single  bool
	line    int64 // physical line number (1-based) of the last line read
	rows    int64 // non-blank lines returned so far
	scratch []byte
}

func newRowReader(r io.Reader) *rowReader {
	return &rowReader{r: bufio.NewReaderSize(r, readBuffer)}
}

// newPredictionReader reads batch transform output, where each line must be
// one score: reading the first field of a line of several (a probability per
// class from multi:softprob, or two-class output) would score the wrong
// number without a word.
func newPredictionReader(r io.Reader) *rowReader {
	rr := newRowReader(r)
	rr.single = true
	return rr
}

// manyFieldsError reports a prediction line of more than one field.
type manyFieldsError struct{ fields int }

func (e manyFieldsError) Error() string {
	return fmt.Sprintf("has %d comma-separated fields, not one score: the evaluator reads one prediction per line "+
		"(XGBoost binary:logistic or reg:* output); per-class probabilities (multi:softprob) are not supported", e.fields)
}

// errFieldTooLong reports a first field that does not fit the read buffer.
var errFieldTooLong = fmt.Errorf("the first field is longer than %d bytes", readBuffer)

// next returns the first field of the next non-blank line, trimmed of
// blanks, or io.EOF after the last. The field is valid until the next call.
// Any other error is a read error, or errFieldTooLong; line then numbers the
// offending line.
func (rr *rowReader) next() ([]byte, error) {
	for {
		chunk, err := rr.r.ReadSlice('\n')
		if len(chunk) == 0 {
			if err == nil {
				continue
			}
			return nil, err
		}
		rr.line++
		if rr.line == 1 {
			chunk = bytes.TrimPrefix(chunk, utf8BOM)
		}
		switch err {
		case nil, io.EOF:
			// The whole line is in chunk; at io.EOF it is the last one,
			// without a newline, and the next call returns io.EOF.
			field, blank := firstField(chunk)
			if blank {
				continue
			}
			if rr.single && bytes.IndexByte(chunk, ',') >= 0 {
				return nil, manyFieldsError{bytes.Count(chunk, []byte{','}) + 1}
			}
			rr.rows++
			return field, nil
		case bufio.ErrBufferFull:
			comma := bytes.IndexByte(chunk, ',')
			if comma < 0 {
				return nil, errFieldTooLong
			}
			if rr.single {
				return nil, manyFieldsError{bytes.Count(chunk, []byte{','}) + 1}
			}
			// The buffer is reused by the reads that skip the rest of the line.
			rr.scratch = append(rr.scratch[:0], chunk[:comma]...)
			for err == bufio.ErrBufferFull {
				_, err = rr.r.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				return nil, err
			}
			field, _ := firstField(rr.scratch)
			rr.rows++
			return field, nil
		default:
			return nil, err
		}
	}
}

// skipAll counts the non-blank lines left, for error messages that give
// both files' row counts.
func (rr *rowReader) skipAll() error {
	for {
		_, err := rr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// isBlank reports the bytes trimmed around a field and that make up a blank
// line: spaces, tabs and carriage returns (so "\r\n" line ends and a stray
// "\r" are tolerated).
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// firstField splits one line (with or without its "\n") and returns its
// first comma-separated field with blanks trimmed, or blank=true when the
// line holds nothing but blanks.
func firstField(line []byte) (field []byte, blank bool) {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if len(trimBlanks(line)) == 0 {
		return nil, true
	}
	if i := bytes.IndexByte(line, ','); i >= 0 {
		line = line[:i]
	}
	return trimBlanks(line), false
}

func trimBlanks(b []byte) []byte {
	for len(b) > 0 && isBlank(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isBlank(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parseNumber reads a plain decimal number ("0.25", "-3", "1e-7", "+.5").
// NaN, infinities, hexadecimal floats, digit separators and values beyond
// the float64 range ("1e309") are refused, so every accepted value is
// finite. The error quotes the field, shortened if long.
func parseNumber(field []byte) (float64, error) {
	if len(field) == 0 {
		return 0, errors.New("the first field is empty, not a number")
	}
	for _, c := range field {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, fmt.Errorf("%s is not a number", quote(field))
		}
	}
	v, err := strconv.ParseFloat(string(field), 64)
	if errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s is out of the float64 range", quote(field))
	}
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%s is not a number", quote(field))
	}
	if math.IsInf(v, 0) || math.IsNaN(v) { // not reachable with the characters above
		return 0, fmt.Errorf("%s is not a finite number", quote(field))
	}
	return v, nil
}

// parseLine is parseNumber on the first field of one line; blank lines
// return blank=true and no error.
func parseLine(line []byte) (v float64, blank bool, err error) {
	field, blank := firstField(line)
	if blank {
		return 0, true, nil
	}
	v, err = parseNumber(field)
	return v, false, err
}

// maxQuoted bounds how much of a bad field an error message shows.
const maxQuoted = 40

func quote(field []byte) string {
	if len(field) > maxQuoted {
		return strconv.Quote(string(field[:maxQuoted])) + fmt.Sprintf(" (%d bytes)", len(field))
	}
	return strconv.Quote(string(field))
}

// checkLabel and checkScore validate one value for the problem type.
func checkLabel(problem string, v float64) error {
	if problem == binary && v != 0 && v != 1 {
		return fmt.Errorf("%v is not a binary label (0 or 1)", v)
	}
	return nil
}

func checkScore(problem string, v float64) error {
	if problem == binary && !(v >= 0 && v <= 1) {
		return fmt.Errorf("%v is not a probability in [0, 1]", v)
	}
	return nil
}
