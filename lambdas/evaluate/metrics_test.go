package main

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

func binaryOf(t *testing.T, threshold float64, labels []float64, scores []float64) *Result {
	t.Helper()
	a := &binaryAcc{threshold: threshold}
	for i := range labels {
		a.add(labels[i], scores[i])
	}
	var r Result
	if err := a.finish(&r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*max(1, math.Abs(b)) }

// Ten rows, four positive, threshold 0.5 (a score equal to it is positive):
//
//	label  1    1    1    1    0    0    0    0    0    0
//	score  0.9  0.8  0.4  0.6  0.7  0.3  0.2  0.5  0.1  0.05
//	pred   1    1    0    1    1    0    0    1    0    0
//	cell   tp   tp   fn   tp   fp   tn   tn   fp   tn   tn
//
// tp=3 fp=2 tn=4 fn=1; accuracy (3+4)/10 = 0.7; precision 3/5 = 0.6;
// recall 3/4 = 0.75; f1 = 2·0.6·0.75/(0.6+0.75) = 0.9/1.35 = 2/3;
// specificity 4/6 = 2/3.
// AUC: the positives beat 6, 6, 5 (0.6 > all but 0.7) and 4 (0.4 > 0.3,
// 0.2, 0.1, 0.05) of the six negatives: 21/24 = 0.875.
// Log loss: -(ln .9 + ln .8 + ln .4 + ln .6 + ln .3 + ln .7 + ln .8 + ln .5
// + ln .9 + ln .95)/10.
func TestBinaryHandComputed(t *testing.T) {
	labels := []float64{1, 1, 1, 1, 0, 0, 0, 0, 0, 0}
	scores := []float64{0.9, 0.8, 0.4, 0.6, 0.7, 0.3, 0.2, 0.5, 0.1, 0.05}
	r := binaryOf(t, 0.5, labels, scores)
	if got, want := r.ConfusionMatrix, (ConfusionMatrix{TP: 3, FP: 2, TN: 4, FN: 1}); got != want {
		t.Errorf("confusion matrix %+v, want %+v", got, want)
	}
	if r.Rows != 10 || r.Positives != 4 || r.Negatives != 6 || r.Threshold != 0.5 {
		t.Errorf("rows %d positives %d negatives %d threshold %v", r.Rows, r.Positives, r.Negatives, r.Threshold)
	}
	wantLogLoss := -(math.Log(.9) + math.Log(.8) + math.Log(.4) + math.Log(.6) + math.Log(.3) + math.Log(.7) + math.Log(.8) + math.Log(.5) + math.Log(.9) + math.Log(.95)) / 10
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"accuracy", r.Accuracy, 0.7},
		{"precision", r.Precision, 0.6},
		{"recall", r.Recall, 0.75},
		{"f1", r.F1, 2.0 / 3},
		{"specificity", r.Specificity, 2.0 / 3},
		{"logLoss", r.LogLoss, wantLogLoss},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !r.AUCDefined || r.AUC == nil || *r.AUC != 0.875 {
		t.Errorf("auc %v defined %v, want 0.875", r.AUC, r.AUCDefined)
	}
	if r.Note != "" {
		t.Errorf("note %q", r.Note)
	}
}

// Positives score 0.5 and 0.5, negatives 0.5 and 0.1. Pairwise: each
// positive ties the 0.5 negative (1/2) and beats 0.1 (1): 3 of 4 pairs.
// By ranks: 0.1 is rank 1, the three 0.5s share ranks 2-4, average 3; the
// positive rank sum is 6, U = 6 - 2·3/2 = 3, AUC = 3/(2·2) = 0.75.
func TestAUCWithTiesHandComputed(t *testing.T) {
	if auc, ok := rocAUC([]float64{0.5, 0.5}, []float64{0.5, 0.1}); !ok || auc != 0.75 {
		t.Errorf("auc %v %v, want 0.75", auc, ok)
	}
	// Positives 0.8, 0.5, 0.5 against 0.5, 0.2: 2 + 1.5 + 1.5 = 5 of 6 pairs.
	if auc, ok := rocAUC([]float64{0.5, 0.8, 0.5}, []float64{0.5, 0.2}); !ok || !near(auc, 5.0/6) {
		t.Errorf("auc %v %v, want 5/6", auc, ok)
	}
	// Equal scores of different sign of zero are one value.
	if auc, ok := rocAUC([]float64{0}, []float64{math.Copysign(0, -1)}); !ok || auc != 0.5 {
		t.Errorf("auc of 0 against -0 is %v, want 0.5", auc)
	}
}

// Documented zero-division conventions: no predicted positive gives
// precision 0; no positive label gives recall 0 and an undefined AUC; f1 is
// then 0.
func TestBinaryZeroDivisionConventions(t *testing.T) {
	r := binaryOf(t, 0.5, []float64{0, 0, 0}, []float64{0.1, 0.2, 0.3})
	if r.Precision != 0 || r.Recall != 0 || r.F1 != 0 || r.Specificity != 1 || r.Accuracy != 1 {
		t.Errorf("all negative, all predicted negative: %+v", r.BinaryMetrics)
	}
	if r.AUC != nil || r.AUCDefined || !strings.Contains(r.Note, "0 positive and 3 negative") {
		t.Errorf("auc %v defined %v note %q", r.AUC, r.AUCDefined, r.Note)
	}

	r = binaryOf(t, 0.5, []float64{1, 1}, []float64{0.1, 0.9})
	if r.Specificity != 0 || r.Precision != 1 || r.Recall != 0.5 || r.AUCDefined {
		t.Errorf("all positive: %+v", r.BinaryMetrics)
	}

	// Scores of exactly 0 and 1, confidently wrong, keep log loss finite.
	r = binaryOf(t, 0.5, []float64{1, 0}, []float64{0, 1})
	if want := -math.Log(logLossEpsilon); !near(r.LogLoss, want) {
		t.Errorf("log loss %v, want %v", r.LogLoss, want)
	}
	// Threshold 0 predicts everything positive, threshold 1 only scores of 1.
	if r := binaryOf(t, 0, []float64{1, 0}, []float64{0, 0}); r.ConfusionMatrix != (ConfusionMatrix{TP: 1, FP: 1}) {
		t.Errorf("threshold 0: %+v", r.ConfusionMatrix)
	}
	if r := binaryOf(t, 1, []float64{1, 1}, []float64{1, 0.999}); r.ConfusionMatrix != (ConfusionMatrix{TP: 1, FN: 1}) {
		t.Errorf("threshold 1: %+v", r.ConfusionMatrix)
	}
}

func regressionOf(t *testing.T, labels, preds []float64) (*Result, error) {
	t.Helper()
	a := &regressionAcc{}
	for i := range labels {
		a.add(labels[i], preds[i])
	}
	var r Result
	err := a.finish(&r)
	return &r, err
}

// Labels 1 2 3 4, predictions 1 3 2 6: errors 0 1 -1 2.
// MAE = (0+1+1+2)/4 = 1; MSE = (0+1+1+4)/4 = 1.5, RMSE = √1.5;
// mean label 2.5, squared deviations 2.25+0.25+0.25+2.25 = 5,
// R² = 1 - 6/5 = -0.2; mean prediction 12/4 = 3.
func TestRegressionHandComputed(t *testing.T) {
	r, err := regressionOf(t, []float64{1, 2, 3, 4}, []float64{1, 3, 2, 6})
	if err != nil {
		t.Fatal(err)
	}
	if r.Rows != 4 || r.MAE != 1 || !near(r.RMSE, math.Sqrt(1.5)) || r.R2 == nil || !near(*r.R2, -0.2) || r.MeanLabel != 2.5 || r.MeanPrediction != 3 {
		t.Errorf("got %+v r2 %v", r.RegressionMetrics, r.R2)
	}
	// A perfect fit.
	r, err = regressionOf(t, []float64{-1, 0.5, 7}, []float64{-1, 0.5, 7})
	if err != nil || r.RMSE != 0 || r.MAE != 0 || *r.R2 != 1 {
		t.Errorf("perfect fit: %+v %v", r.RegressionMetrics, err)
	}
}

func TestRegressionConstantLabelsHaveNoR2(t *testing.T) {
	r, err := regressionOf(t, []float64{3, 3, 3}, []float64{2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if r.R2 != nil || !strings.Contains(r.Note, "r2 is undefined") {
		t.Errorf("r2 %v note %q", r.R2, r.Note)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"r2":null`) {
		t.Errorf("JSON %s %v", b, err)
	}
}

// JSON cannot carry Inf or NaN: values that overflow fail with a clear
// error instead.
func TestRegressionOverflowIsAnError(t *testing.T) {
	_, err := regressionOf(t, []float64{1e308, -1e308}, []float64{-1e308, 1e308})
	if err == nil || !strings.Contains(err.Error(), "overflows float64") {
		t.Errorf("error %v", err)
	}
}

// The JSON member names are part of the contract with the workflow's gate.
func TestResultJSONNames(t *testing.T) {
	auc := 0.5
	r := Result{ProblemType: binary, BinaryMetrics: &BinaryMetrics{AUC: &auc}}
	wantBinary := []string{"problemType", "predictionsUri", "labelsUri", "metricsUri", "evaluatedAt", "files", "rows",
		"positives", "negatives", "threshold", "confusionMatrix", "accuracy", "precision", "recall", "f1", "specificity", "auc", "aucDefined", "logLoss"}
	checkMembers(t, r, wantBinary)
	r2 := 0.1
	r = Result{ProblemType: regression, RegressionMetrics: &RegressionMetrics{R2: &r2}, Note: "x"}
	checkMembers(t, r, []string{"problemType", "predictionsUri", "labelsUri", "metricsUri", "evaluatedAt", "files", "rows",
		"rmse", "mae", "r2", "meanLabel", "meanPrediction", "note"})

	b, _ := json.Marshal(ConfusionMatrix{1, 2, 3, 4})
	if string(b) != `{"tp":1,"fp":2,"tn":3,"fn":4}` {
		t.Errorf("confusion matrix JSON %s", b)
	}
}

func checkMembers(t *testing.T, r Result, want []string) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
}
