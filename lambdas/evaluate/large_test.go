package main

import (
	"runtime"
	"testing"
)

// A million rows in four part files, streamed from generators: the result
// matches counting by score value, and memory is what doc.go states.
func TestMillionRows(t *testing.T) {
	const parts, rows = 4, 250_000
	f := newFakeS3()
	inputBytes := putGenerated(t, f, parts, rows)
	want := oracleFor(parts, rows)

	e, _ := testEvaluator(f, "")
	res, err := invoke(t, e, binaryEvent())
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != parts*rows || res.Files != parts || res.ConfusionMatrix != (ConfusionMatrix{TP: want.tp, FP: want.fp, TN: want.tn, FN: want.fn}) {
		t.Errorf("rows %d files %d %+v, want %+v", res.Rows, res.Files, res.ConfusionMatrix, want)
	}
	if !near(*res.AUC, want.auc) {
		t.Errorf("auc %v, want %v", *res.AUC, want.auc)
	}
	t.Logf("%d rows, %.1f MB of input: auc %.6f, accuracy %.4f", res.Rows, float64(inputBytes)/1e6, *res.AUC, res.Accuracy)

	// The binary accumulator keeps one float64 per row (with append's
	// slack), nothing of the lines.
	pairs := pairsOf(t, f, parts)
	acc := &binaryAcc{threshold: 0.5}
	for _, p := range pairs {
		if _, err := readPair(t.Context(), f, binary, p, acc); err != nil {
			t.Fatal(err)
		}
	}
	if kept := 8 * (cap(acc.pos) + cap(acc.neg)); kept > 8*parts*rows*13/10 {
		t.Errorf("binary scores hold %d bytes for %d rows", kept, parts*rows)
	}

	// Reading itself allocates nothing per row: a regression pass, which
	// keeps only sums, allocates a small constant for a million rows.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	reg := &regressionAcc{}
	for _, p := range pairs {
		if _, err := readPair(t.Context(), f, regression, p, reg); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
		t.Errorf("reading %d rows allocated %d bytes", parts*rows, alloc)
	} else {
		t.Logf("reading %d rows (%.1f MB) allocated %d bytes", parts*rows, float64(inputBytes)/1e6, alloc)
	}
}

// pairsOf lists the pairs putGenerated stored.
func pairsOf(t *testing.T, f *fakeS3, parts int) []pair {
	t.Helper()
	req, err := parseEvent([]byte(binaryEvent()))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := testEvaluator(f, "")
	labels, err := e.list(t.Context(), f, req.labels)
	if err != nil {
		t.Fatal(err)
	}
	preds, err := e.list(t.Context(), f, req.predictions)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := e.pairObjects(t.Context(), f, req, labels, preds)
	if err != nil || len(pairs) != parts {
		t.Fatalf("%d pairs, %v", len(pairs), err)
	}
	return pairs
}
