package detecteval

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// handMade is two devices of 3,000 readings, one a minute: a level shift on
// each from 2000 to 2180, a noise burst on b from 2500 to 2530.
func handMade() Stream {
	st := Stream{Devices: 2, PerDev: 3000, Fields: []string{"x"},
		Episodes: []telemetrygen.Episode{
			{Device: "a", Kind: telemetrygen.LevelShift, Start: 2000, End: 2180},
			{Device: "b", Kind: telemetrygen.LevelShift, Start: 2000, End: 2180},
			{Device: "b", Kind: telemetrygen.NoiseBurst, Start: 2500, End: 2530},
		}}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range st.PerDev {
		for d, name := range []string{"a", "b"} {
			st.Readings = append(st.Readings, telemetrygen.LabeledReading{Record: telemetrygen.Record{PartitionKey: name, EventTime: t0.Add(time.Duration(i) * time.Minute)}, Device: d, Index: i, Values: []float64{0}})
		}
	}
	return st
}

// Events, the metrics, false alerts per day and a fitted threshold on a
// hand-made stream: a found shift, a missed one, an alert on a noise
// burst (counted apart) and a false alert.
func TestMetricsByHand(t *testing.T) {
	st := handMade()
	sc := NewScores("x", st)
	for d := range sc.Score {
		for i := perDay; i < st.PerDev; i++ {
			sc.Score[d][i] = 0.1
		}
	}
	sc.Score[0][2070], sc.Score[0][2071] = 2, 2 // device a: found 70 readings in (one event)
	sc.Score[1][2510] = 3                       // device b: on the noise burst; b's shift missed
	sc.Score[1][2900] = 1.5                     // device b: a false alert
	v := Events(sc, 1, 30)
	if len(v.Alerts) != 3 {
		t.Fatalf("alerts %v", v.Alerts)
	}
	m := Evaluate(v, st)
	if m.Episodes != 2 || m.Detected != 1 || m.DetectedWithin != 0 || m.TrueAlerts != 1 || m.Alerts != 2 || m.BurstAlerts != 1 ||
		m.Precision != 0.5 || m.Recall != 0.5 || m.F1 != 0.5 || m.Delay != 70 {
		t.Errorf("metrics %+v", m)
	}
	// 2 x 1,560 scored readings is 2.17 device-days: one false alert.
	if got, want := m.FalsePerDay, 1/(2*1560.0/1440); math.Abs(got-want) > 1e-9 {
		t.Errorf("false per day %v, want %v", got, want)
	}
	if r := ReadingsPerDay(st); math.Abs(r-1440) > 1e-6 {
		t.Errorf("readings per day %v", r)
	}
	// Read as a clean stream: a budget allowing no false alert lifts the
	// fitted level above the false alert's 1.5, no further than needed;
	// any fitted level keeps the budget.
	if l := Fit(sc, st, 0.1, 30); l <= 1.5 || l > 3 {
		t.Errorf("budget 0.1: level %v, want in (1.5, 3]", l)
	}
	for _, budget := range []float64{0.1, 0.5, 1} {
		l := Fit(sc, st, budget, 30)
		if f := FalsePerDay(Events(sc, l, 30), st, 1440); f > budget {
			t.Errorf("budget %v: level %v raises %v a day", budget, l, f)
		}
	}
	// A second anomalous reading within the quiet spell is the same event.
	sc.Score[1][2920] = 5
	if n := len(Events(sc, 1, 30).Alerts); n != 3 {
		t.Errorf("%d alerts with a second reading 20 readings after the first", n)
	}
}

// The lake's detector on small telemetrygen streams keeps its budget on
// the clean stream, finds the stuck sensors by their repeats, and every
// row of the report is there.
func TestLakeDetectorOnASmallSource(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips a run over five small generated streams (CI runs it)")
	}
	c := Config{Devices: 6, Days: 2, Seed: 3, Kinds: []telemetrygen.AnomalyKind{telemetrygen.Stuck, telemetrygen.Spike}}
	src, err := TelemetrygenSource(c)
	if err != nil {
		t.Fatal(err)
	}
	res, err := EvaluateSource(src, Contenders(c, c.Detector, TRCF{}, 1))
	if err != nil {
		t.Fatal(err)
	}
	ours := res.Names[0]
	if f := res.FalsePerDay[ours]; f > 1.5 {
		t.Errorf("%.2f false alerts per device-day on the clean stream", f)
	}
	if len(res.Rows) != len(res.Names)*2 {
		t.Fatalf("%d rows for %d detectors and 2 kinds", len(res.Rows), len(res.Names))
	}
	for _, row := range res.Rows {
		if row.Detector == ours && row.Kind == telemetrygen.Stuck && (row.Recall < 0.8 || row.By["repeat"] == 0) {
			t.Errorf("stuck: %+v", row.Metrics)
		}
	}
	var b strings.Builder
	res.Print(&b, 1)
	if !strings.Contains(b.String(), "| stuck | lake detector (defaults) |") || !strings.Contains(b.String(), "(reference)") {
		t.Errorf("report:\n%s", b.String())
	}
}
