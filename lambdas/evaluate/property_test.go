package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// pairwiseAUC is the definition: the share of (positive, negative) pairs
// whose positive scores higher, ties counting one half. O(n²).
func pairwiseAUC(pos, neg []float64) float64 {
	var s float64
	for _, p := range pos {
		for _, n := range neg {
			switch {
			case p > n:
				s++
			case p == n:
				s += 0.5
			}
		}
	}
	return s / float64(len(pos)*len(neg))
}

// rankSumAUC is the Mann-Whitney form: the rank sum of the positives with
// tied scores given their average rank, less its minimum, over the pairs.
func rankSumAUC(pos, neg []float64) float64 {
	type row struct {
		score float64
		pos   bool
	}
	var all []row
	for _, p := range pos {
		all = append(all, row{p, true})
	}
	for _, n := range neg {
		all = append(all, row{n, false})
	}
	slices.SortFunc(all, func(a, b row) int {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return 0
	})
	var rankSum float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].score == all[i].score {
			j++
		}
		avg := float64(i+1+j) / 2 // ranks i+1 .. j
		for k := i; k < j; k++ {
			if all[k].pos {
				rankSum += avg
			}
		}
		i = j
	}
	np, nn := float64(len(pos)), float64(len(neg))
	return (rankSum - np*(np+1)/2) / (np * nn)
}

// randomSplit draws n scores from a few distinct values (so ties are
// frequent, within and across classes) and splits them by random labels.
func randomSplit(rnd *rand.Rand, n, distinct int) (pos, neg []float64) {
	for range n {
		s := float64(rnd.IntN(distinct)) / float64(distinct)
		// Scores lean towards the label, as a useful model's do.
		if rnd.Float64() < 0.3+0.4*s {
			pos = append(pos, s)
		} else {
			neg = append(neg, s)
		}
	}
	return pos, neg
}

func TestAUCMatchesDefinitions(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		pos, neg := randomSplit(rnd, 1+rnd.IntN(60), 1+rnd.IntN(12))
		if len(pos) == 0 || len(neg) == 0 {
			if _, ok := rocAUC(pos, neg); ok {
				t.Fatalf("case %d: auc defined with %d positives and %d negatives", i, len(pos), len(neg))
			}
			continue
		}
		want, wantRank := pairwiseAUC(pos, neg), rankSumAUC(pos, neg)
		got, ok := rocAUC(slices.Clone(pos), slices.Clone(neg))
		if !ok || !near(got, want) || !near(wantRank, want) {
			t.Fatalf("case %d: pos %v neg %v: auc %v, pairwise %v, rank sum %v", i, pos, neg, got, want, wantRank)
		}
	}
}

func TestAUCExtremes(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		n := 1 + rnd.IntN(50)
		var pos, neg, same []float64
		for range n {
			pos = append(pos, 0.5+rnd.Float64()/2+1e-9) // all above every negative
			neg = append(neg, rnd.Float64()/2)
			same = append(same, 0.25)
		}
		neg = neg[:1+rnd.IntN(n)]
		if auc, _ := rocAUC(slices.Clone(pos), slices.Clone(neg)); auc != 1 {
			t.Fatalf("case %d: perfect classifier auc %v", i, auc)
		}
		if auc, _ := rocAUC(slices.Clone(neg), slices.Clone(pos)); auc != 0 {
			t.Fatalf("case %d: inverted classifier auc %v", i, auc)
		}
		if auc, _ := rocAUC(same, slices.Clone(same[:len(neg)])); auc != 0.5 {
			t.Fatalf("case %d: constant scores auc %v", i, auc)
		}
	}
}

// The AUC depends on the order of the scores only.
func TestAUCInvariantUnderMonotoneTransforms(t *testing.T) {
	transforms := map[string]func(float64) float64{
		"square":   func(x float64) float64 { return x * x },
		"sqrt":     math.Sqrt,
		"affine":   func(x float64) float64 { return 0.1 + 0.8*x },
		"logistic": func(x float64) float64 { return 1 / (1 + math.Exp(-8*(x-0.5))) },
		"exp":      math.Exp,
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	for i := range 500 {
		pos, neg := randomSplit(rnd, 2+rnd.IntN(200), 1+rnd.IntN(1000))
		if len(pos) == 0 || len(neg) == 0 {
			continue
		}
		base, _ := rocAUC(slices.Clone(pos), slices.Clone(neg))
		for name, f := range transforms {
			tp, tn := apply(pos, f), apply(neg, f)
			if got, _ := rocAUC(tp, tn); got != base {
				t.Fatalf("case %d: %s changes auc from %v to %v", i, name, base, got)
			}
		}
	}
}

func apply(xs []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// Every binary metric is finite and in [0, 1], the confusion matrix adds up,
// and the AUC of one-minus-scores is one minus the AUC.
func TestBinaryMetricInvariants(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	for i := range 1000 {
		pos, neg := randomSplit(rnd, 1+rnd.IntN(100), 1+rnd.IntN(20))
		threshold := float64(rnd.IntN(11)) / 10
		a := &binaryAcc{threshold: threshold}
		for _, p := range pos {
			a.add(1, p)
		}
		for _, n := range neg {
			a.add(0, n)
		}
		var r Result
		if err := a.finish(&r); err != nil {
			t.Fatal(err)
		}
		cm := r.ConfusionMatrix
		if cm.TP+cm.FN != int64(len(pos)) || cm.TN+cm.FP != int64(len(neg)) || r.Rows != int64(len(pos)+len(neg)) {
			t.Fatalf("case %d: %+v for %d positives, %d negatives", i, cm, len(pos), len(neg))
		}
		for _, v := range []float64{r.Accuracy, r.Precision, r.Recall, r.F1, r.Specificity} {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("case %d: metric %v out of [0, 1]: %+v", i, v, r.BinaryMetrics)
			}
		}
		if math.IsNaN(r.LogLoss) || math.IsInf(r.LogLoss, 0) || r.LogLoss < 0 {
			t.Fatalf("case %d: log loss %v", i, r.LogLoss)
		}
		if r.AUCDefined != (len(pos) > 0 && len(neg) > 0) || (r.AUC == nil) == r.AUCDefined {
			t.Fatalf("case %d: auc %v defined %v", i, r.AUC, r.AUCDefined)
		}
		if r.AUCDefined {
			flipped, _ := rocAUC(apply(pos, func(x float64) float64 { return 1 - x }), apply(neg, func(x float64) float64 { return 1 - x }))
			if !near(flipped, 1-*r.AUC) {
				t.Fatalf("case %d: auc %v, of 1-score %v", i, *r.AUC, flipped)
			}
		}
	}
}

// The running regression sums agree with a direct two-pass computation.
func TestRegressionMatchesTwoPass(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	for i := range 300 {
		n := 2 + rnd.IntN(500)
		ys, ps := make([]float64, n), make([]float64, n)
		offset := rnd.NormFloat64() * 1e6 // a large mean tests the numerics
		for j := range n {
			ys[j] = offset + rnd.NormFloat64()*10
			ps[j] = ys[j] + rnd.NormFloat64()*3
		}
		r, err := regressionOf(t, ys, ps)
		if err != nil {
			t.Fatal(err)
		}
		var meanY, meanP, sse, sae, sst float64
		for j := range n {
			meanY += ys[j] / float64(n)
			meanP += ps[j] / float64(n)
		}
		for j := range n {
			e := ps[j] - ys[j]
			sse += e * e
			sae += math.Abs(e)
			sst += (ys[j] - meanY) * (ys[j] - meanY)
		}
		close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }
		if !close(r.RMSE, math.Sqrt(sse/float64(n))) || !close(r.MAE, sae/float64(n)) || !close(r.MeanLabel, meanY) ||
			!close(r.MeanPrediction, meanP) || !close(*r.R2, 1-sse/sst) {
			t.Fatalf("case %d: %+v r2 %v; two-pass rmse %v mae %v r2 %v", i, r.RegressionMetrics, *r.R2, math.Sqrt(sse/float64(n)), sae/float64(n), 1-sse/sst)
		}
	}
}
