package main

import (
	"fmt"
	"io"
	"strconv"
	"testing"
)

// Generated data: row i of a part file has a label (1 for about a quarter
// of the rows) and a score k/1000 for an integer k in [0, 1000) that leans
// towards the label, so the AUC is well inside (0.5, 1) and scores tie
// often. Label rows carry feature columns after the label, as the
// validation split does. Everything derives from (part, i), so the label
// and prediction streams agree without being stored.

// genRow returns the label and the score's numerator of row i of part.
func genRow(part, i int) (label int, k int) {
	h := splitmix(uint64(part)<<40 | uint64(i))
	if h%4 == 0 {
		label = 1
	}
	k = int(h >> 8 % 1000)
	if label == 1 {
		k = min(999, k/2+450)
	}
	return label, k
}

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

// genReader produces the lines of a generated object on demand: it never
// holds more than one line.
type genReader struct {
	part, i, n int
	labels     bool
	buf        []byte
	pending    []byte
}

func (g *genReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(g.pending) == 0 {
			if g.i == g.n {
				if n == 0 {
					return 0, io.EOF
				}
				break
			}
			g.pending = g.line(g.buf[:0])
			g.buf = g.pending[:0]
			g.i++
		}
		c := copy(p[n:], g.pending)
		n += c
		g.pending = g.pending[c:]
	}
	return n, nil
}

func (g *genReader) line(b []byte) []byte {
	label, k := genRow(g.part, g.i)
	if !g.labels {
		// As XGBoost prints it: shortest form, "0.5", "0.123".
		return append(strconv.AppendFloat(b, float64(k)/1000, 'g', -1, 64), '\n')
	}
	b = strconv.AppendInt(b, int64(label), 10)
	// Features: a temperature, a vibration, a battery voltage, a site, a row id.
	b = appendFixed(append(b, ','), 150+k%300, 1)
	b = appendFixed(append(b, ','), g.i%977, 2)
	b = appendFixed(append(b, ','), 310+k%90, 2)
	b = strconv.AppendInt(append(b, ",site-"...), int64(g.i%17), 10)
	b = strconv.AppendInt(append(b, ','), int64(g.i), 10)
	return append(b, '\n')
}

// appendFixed appends v/10^decimals with that many decimals, without fmt
// (whose allocations would drown those of the code under test).
func appendFixed(b []byte, v, decimals int) []byte {
	scale := 1
	for range decimals {
		scale *= 10
	}
	b = append(strconv.AppendInt(b, int64(v/scale), 10), '.')
	for d := scale / 10; d > 0; d /= 10 {
		b = append(b, byte('0'+v%scale/d%10))
	}
	return b
}

// genSize is the byte size of a generated object.
func genSize(part, rows int, labels bool) int64 {
	n, _ := io.Copy(io.Discard, &genReader{part: part, n: rows, labels: labels})
	return n
}

// genOracle is the expected binary outcome of generated parts at
// threshold 0.5, computed by counting rows per score value: an independent
// way to the AUC that needs no sorting.
type genOracle struct {
	tp, fp, tn, fn int64
	auc            float64
}

func oracleFor(parts, rows int) genOracle {
	var pos, neg [1000]int64
	var o genOracle
	for part := range parts {
		for i := range rows {
			label, k := genRow(part, i)
			predicted := k >= 500
			switch {
			case label == 1 && predicted:
				o.tp++
			case label == 1:
				o.fn++
			case predicted:
				o.fp++
			default:
				o.tn++
			}
			if label == 1 {
				pos[k]++
			} else {
				neg[k]++
			}
		}
	}
	var below, twiceU, np, nn int64
	for k := range 1000 {
		twiceU += pos[k] * (2*below + neg[k])
		below += neg[k]
		np += pos[k]
		nn += neg[k]
	}
	o.auc = float64(twiceU) / (2 * float64(np) * float64(nn))
	return o
}

// putGenerated stores parts generated part files and their predictions in
// f and returns the bytes of labels and predictions together.
func putGenerated(tb testing.TB, f *fakeS3, parts, rows int) int64 {
	tb.Helper()
	var total int64
	for part := range parts {
		rel := fmt.Sprintf("part-%05d.csv", part)
		ls, ps := genSize(part, rows, true), genSize(part, rows, false)
		f.stream(tb, labelsPrefix+rel, ls, func() io.Reader { return &genReader{part: part, n: rows, labels: true} })
		f.stream(tb, predsPrefix+rel+".out", ps, func() io.Reader { return &genReader{part: part, n: rows} })
		total += ls + ps
	}
	return total
}
