package detecteval

import (
	"math"
	"testing"

	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// Alerts, calibration and the metrics on a hand-made stream: two devices,
// one episode each, a false alert, a late and a missed detection.
func TestMetricsByHand(t *testing.T) {
	st := Stream{Devices: 2, PerDev: 3000,
		Readings: []telemetrygen.LabeledReading{{Record: telemetrygen.Record{PartitionKey: "a"}, Device: 0}, {Record: telemetrygen.Record{PartitionKey: "b"}, Device: 1}},
		Episodes: []telemetrygen.Episode{
			{Device: "a", Kind: telemetrygen.LevelShift, Start: 2000, End: 2180},
			{Device: "b", Kind: telemetrygen.LevelShift, Start: 2000, End: 2180},
			{Device: "b", Kind: telemetrygen.NoiseBurst, Start: 2500, End: 2530},
		}}
	sc := newScores("x", st)
	for d := range sc.Score {
		for i := perDay; i < st.PerDev; i++ {
			sc.Score[d][i] = 0.1
		}
	}
	sc.Score[0][2070], sc.Score[0][2071] = 2, 2 // device a: found 70 readings in (one alert)
	sc.Score[1][2510] = 3                       // device b: a false alert in the noise burst, b's shift missed
	alerts := Alerts(sc, 1, 30)
	if len(alerts) != 2 {
		t.Fatalf("alerts %v", alerts)
	}
	m := Evaluate(alerts, st)
	if m.Episodes != 2 || m.Detected != 1 || m.DetectedWithin != 0 || m.TrueAlerts != 1 || m.Precision != 0.5 || m.Recall != 0.5 || m.F1 != 0.5 || m.Delay != 70 {
		t.Errorf("metrics %+v", m)
	}
	// Read as a clean stream: 1.08 days after warm-up on two devices. A
	// budget of 1 per device-day allows both alerts at any level above the
	// 0.1 floor of scores, a budget of 0.5 one (a level between the peaks),
	// a quarter none (a level above both).
	for _, c := range []struct{ budget, lo, hi float64 }{{1, 0.1, 2}, {0.5, 2, 3}, {0.25, 3, 3.001}} {
		if l := Calibrate(sc, st, c.budget, 30); l <= c.lo || l > c.hi || math.IsNaN(l) {
			t.Errorf("budget %v: level %v, want in (%v, %v]", c.budget, l, c.lo, c.hi)
		}
	}
}

// A short run produces every row, and ours is not beaten by the baseline
// on the stuck sensor, which a z-score cannot see.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the run over two small streams (CI runs it)")
	}
	rep, err := Run(Config{Devices: 4, Days: 1, Seed: 3, Kinds: []telemetrygen.AnomalyKind{telemetrygen.Stuck}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 {
		t.Fatalf("rows %+v", rep.Rows)
	}
	ours, base := rep.Rows[0], rep.Rows[1]
	if ours.Episodes == 0 || ours.RecallWithin < base.RecallWithin || ours.By["repeat"] == 0 {
		t.Errorf("stuck: ours %+v, baseline %+v", ours.Metrics, base.Metrics)
	}
}
