package main

import (
	"fmt"
	"math"
	"slices"
)

// Result is what the function returns to Step Functions and writes, as
// indented JSON, to metricsUri. The binary or the regression metrics are
// present, never both; a metric that is undefined for the data is null.
type Result struct {
	ProblemType    string `json:"problemType"`
	PredictionsURI string `json:"predictionsUri"`
	LabelsURI      string `json:"labelsUri"`
	MetricsURI     string `json:"metricsUri"`
	EvaluatedAt    string `json:"evaluatedAt"` // RFC 3339, UTC
	Files          int    `json:"files"`       // label/prediction pairs read
	Rows           int64  `json:"rows"`
	*BinaryMetrics
	*RegressionMetrics
	// Note explains a null metric.
	Note string `json:"note,omitempty"`
}

// BinaryMetrics are the metrics of a binary classifier. A row is predicted
// positive when its score is >= Threshold.
type BinaryMetrics struct {
	Positives       int64           `json:"positives"`
	Negatives       int64           `json:"negatives"`
	Threshold       float64         `json:"threshold"`
	ConfusionMatrix ConfusionMatrix `json:"confusionMatrix"`
	Accuracy        float64         `json:"accuracy"`
	Precision       float64         `json:"precision"`   // 0 when tp+fp = 0
	Recall          float64         `json:"recall"`      // 0 when tp+fn = 0
	F1              float64         `json:"f1"`          // 0 when precision+recall = 0
	Specificity     float64         `json:"specificity"` // 0 when tn+fp = 0
	// AUC is the ROC AUC, null when the labels lack positives or negatives.
	AUC        *float64 `json:"auc"`
	AUCDefined bool     `json:"aucDefined"`
	// LogLoss is the mean binary cross-entropy, with scores clipped to
	// [logLossEpsilon, 1-logLossEpsilon].
	LogLoss float64 `json:"logLoss"`
}

// ConfusionMatrix counts rows by label and prediction.
type ConfusionMatrix struct {
	TP int64 `json:"tp"`
	FP int64 `json:"fp"`
	TN int64 `json:"tn"`
	FN int64 `json:"fn"`
}

// RegressionMetrics are the metrics of a regressor.
type RegressionMetrics struct {
	RMSE float64 `json:"rmse"`
	MAE  float64 `json:"mae"`
	// R2 is the coefficient of determination, null when the labels do not
	// vary.
	R2             *float64 `json:"r2"`
	MeanLabel      float64  `json:"meanLabel"`
	MeanPrediction float64  `json:"meanPrediction"`
}

// accumulator takes (label, prediction) rows, already validated for the
// problem type, and computes the metrics at the end.
type accumulator interface {
	add(label, score float64)
	rows() int64
	finish(*Result) error
}

func newAccumulator(req request) accumulator {
	if req.problem == regression {
		return &regressionAcc{}
	}
	return &binaryAcc{threshold: req.threshold}
}

// logLossEpsilon keeps log loss finite for a confident wrong score of
// exactly 0 or 1.
const logLossEpsilon = 1e-15

// binaryAcc keeps the scores of the positive and of the negative rows, one
// float64 each (8 bytes per row), which the AUC needs; everything else is
// counted as rows arrive.
type binaryAcc struct {
	threshold      float64
	tp, fp, tn, fn int64
	pos, neg       []float64
	logLoss        sum
}

func (a *binaryAcc) add(label, score float64) {
	predicted := score >= a.threshold
	if label == 1 {
		a.pos = append(a.pos, score)
		if predicted {
			a.tp++
		} else {
			a.fn++
		}
		a.logLoss.add(-math.Log(max(score, logLossEpsilon)))
		return
	}
	a.neg = append(a.neg, score)
	if predicted {
		a.fp++
	} else {
		a.tn++
	}
	a.logLoss.add(-math.Log(max(1-score, logLossEpsilon)))
}

func (a *binaryAcc) rows() int64 { return a.tp + a.fp + a.tn + a.fn }

func (a *binaryAcc) finish(r *Result) error {
	n := a.rows()
	m := &BinaryMetrics{
		Positives:       a.tp + a.fn,
		Negatives:       a.tn + a.fp,
		Threshold:       a.threshold,
		ConfusionMatrix: ConfusionMatrix{TP: a.tp, FP: a.fp, TN: a.tn, FN: a.fn},
		Accuracy:        ratio(a.tp+a.tn, n),
		Precision:       ratio(a.tp, a.tp+a.fp),
		Recall:          ratio(a.tp, a.tp+a.fn),
		// 2pr/(p+r) written in counts: the same value when p+r > 0, and 0
		// (the convention) when tp = 0.
		F1:          ratio(2*a.tp, 2*a.tp+a.fp+a.fn),
		Specificity: ratio(a.tn, a.tn+a.fp),
		LogLoss:     a.logLoss.value() / float64(n),
	}
	if auc, ok := rocAUC(a.pos, a.neg); ok {
		m.AUC, m.AUCDefined = &auc, true
	} else {
		r.Note = fmt.Sprintf("auc is undefined: the labels have %d positive and %d negative rows, and it needs both", m.Positives, m.Negatives)
	}
	r.Rows, r.BinaryMetrics = n, m
	return nil
}

// ratio is num/den, and 0 when den is 0.
func ratio(num, den int64) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// rocAUC is the area under the ROC curve: the Mann-Whitney U statistic of
// the positive scores against the negative ones over the number of pairs,
// which is the share of (positive, negative) pairs the scores order
// correctly, a tied pair counting one half. That equals the rank-sum form
// with tied scores given their average rank. ok is false when either class
// is empty. It sorts pos and neg in place: O(n log n), no extra memory.
func rocAUC(pos, neg []float64) (auc float64, ok bool) {
	if len(pos) == 0 || len(neg) == 0 {
		return 0, false
	}
	slices.Sort(pos)
	slices.Sort(neg)
	// twiceU counts a correctly ordered pair 2 and a tie 1, in integers, so
	// the sum is exact up to 2^64 (over four billion rows per class).
	var twiceU uint64
	below, upTo := 0, 0 // negatives < p, negatives <= p
	for _, p := range pos {
		for below < len(neg) && neg[below] < p {
			below++
		}
		upTo = max(upTo, below)
		for upTo < len(neg) && neg[upTo] <= p {
			upTo++
		}
		twiceU += 2*uint64(below) + uint64(upTo-below)
	}
	return float64(twiceU) / (2 * float64(len(pos)) * float64(len(neg))), true
}

// regressionAcc keeps running sums only: constant memory.
type regressionAcc struct {
	n                    int64
	meanY, m2Y           float64 // Welford's mean and sum of squared deviations of the labels
	sqErr, absErr, sumYh sum
}

func (a *regressionAcc) add(y, yhat float64) {
	a.n++
	d := y - a.meanY
	a.meanY += d / float64(a.n)
	a.m2Y += d * (y - a.meanY)
	e := yhat - y
	a.sqErr.add(e * e)
	a.absErr.add(math.Abs(e))
	a.sumYh.add(yhat)
}

func (a *regressionAcc) rows() int64 { return a.n }

func (a *regressionAcc) finish(r *Result) error {
	n := float64(a.n)
	sse := a.sqErr.value()
	m := &RegressionMetrics{
		RMSE:           math.Sqrt(sse / n),
		MAE:            a.absErr.value() / n,
		MeanLabel:      a.meanY,
		MeanPrediction: a.sumYh.value() / n,
	}
	if math.IsInf(a.m2Y, 0) || math.IsNaN(a.m2Y) {
		return fmt.Errorf("the label variance overflows float64: labels are too large (near 1e308) to evaluate")
	}
	if a.m2Y > 0 {
		r2 := 1 - sse/a.m2Y
		m.R2 = &r2
	} else {
		r.Note = "r2 is undefined: every label has the same value"
	}
	for name, v := range map[string]float64{"rmse": m.RMSE, "mae": m.MAE, "meanLabel": m.MeanLabel, "meanPrediction": m.MeanPrediction} {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("%s overflows float64: labels or predictions are too large (near 1e308) to evaluate", name)
		}
	}
	if m.R2 != nil && (math.IsInf(*m.R2, 0) || math.IsNaN(*m.R2)) {
		return fmt.Errorf("r2 overflows float64: labels or predictions are too large (near 1e308) to evaluate")
	}
	r.Rows, r.RegressionMetrics = a.n, m
	return nil
}

// sum is a Neumaier-compensated sum, accurate over millions of terms.
type sum struct{ s, c float64 }

func (k *sum) add(x float64) {
	t := k.s + x
	if math.Abs(k.s) >= math.Abs(x) {
		k.c += (k.s - t) + x
	} else {
		k.c += (x - t) + k.s
	}
	k.s = t
}

func (k *sum) value() float64 { return k.s + k.c }
