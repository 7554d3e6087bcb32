package anomaly

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var fields = []string{"temperature_c", "battery_v"}

// stream feeds n readings of a daily temperature cycle and a steady
// battery to d, calling at for each; it returns the last result.
func stream(t *testing.T, d *Detector, dev string, from, n int, at func(i int, v []float64)) []Result {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(len(dev))))
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var out []Result
	for i := from; i < from+n; i++ {
		ts := start.Add(time.Duration(i) * time.Minute)
		day := float64(i%1440) / 1440
		v := []float64{22 + 4*math.Sin(2*math.Pi*day) + 0.4*rng.NormFloat64(), math.Round((3.9+0.01*rng.NormFloat64())*1000) / 1000}
		if at != nil {
			at(i, v)
		}
		res, err := d.Process(Reading{Device: dev, Time: ts, Values: v})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res)
	}
	return out
}

// A device raises nothing while warming up, however odd its readings.
func TestWarmUpRaisesNothing(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 1})
	for _, r := range stream(t, d, "dev", 0, d.Config().WarmUp, func(i int, v []float64) {
		if i%17 == 0 {
			v[0] = 140
		}
	}) {
		if r.Anomaly || r.Warm {
			t.Fatalf("%+v during warm-up", r)
		}
	}
}

// After two days, a spike in the battery is found by the forest and
// attributed to the battery; a stuck temperature by the repeat counter.
func TestSpikeAndStuckAreFoundAndAttributed(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 1})
	stream(t, d, "dev", 0, 2*1440, nil)
	res := stream(t, d, "dev", 2*1440, 1, func(_ int, v []float64) { v[1] = 3.5 })[0]
	if !res.Anomaly || res.Detector != ByForest || !slices.Equal(res.Fields, []string{"battery_v"}) {
		t.Fatalf("battery spike: %+v", res)
	}
	stream(t, d, "dev", 2*1440+1, 120, nil)
	var stuck *Result
	frozen := math.NaN()
	for i, r := range stream(t, d, "dev", 2*1440+121, 60, func(_ int, v []float64) {
		if math.IsNaN(frozen) {
			frozen = math.Round(v[0]*100) / 100 // the sensor stops at its current reading
		}
		v[0] = frozen
	}) {
		if r.Anomaly {
			stuck = &r
			if i < 10 || r.Detector != ByRepeat || r.Fields[0] != "temperature_c" {
				t.Fatalf("stuck reading %d: %+v", i, r)
			}
			break
		}
	}
	if stuck == nil {
		t.Fatal("60 identical temperatures raised nothing")
	}
}

// Ordinary readings of a warmed-up device raise (almost) nothing.
func TestOrdinaryReadingsAreQuiet(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 2})
	stream(t, d, "dev", 0, 2*1440, nil)
	alerts := 0
	for _, r := range stream(t, d, "dev", 2*1440, 1440, nil) {
		if r.Anomaly {
			alerts++
		}
	}
	if alerts > 10 {
		t.Errorf("%d of 1440 ordinary readings alerted", alerts)
	}
}

// Missing values repeat the last one and count as no repeat; a reading of
// the wrong width is refused.
func TestBadInput(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 1})
	if _, err := d.Process(Reading{Device: "x", Time: time.Now(), Values: []float64{1}}); err == nil {
		t.Error("one value for two fields accepted")
	}
	if _, err := d.Process(Reading{Device: "x", Time: time.Now(), Values: []float64{math.NaN(), math.Inf(1)}}); err != nil {
		t.Errorf("missing values refused: %v", err)
	}
	if _, err := New(Config{}); err == nil {
		t.Error("no fields accepted")
	}
}

// A restored detector carries on: the same devices, warm, and an anomaly
// right after the restore is still found. Incompatible and damaged
// checkpoints are refused with the reason. For 50 devices after two days
// the checkpoint's size is logged (make detect-eval's setup).
func TestCheckpoint(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 1})
	for k := range 50 {
		stream(t, d, "dev-"+string(rune('A'+k%26))+string(rune('a'+k/26)), 0, 2*1440, nil)
	}
	data, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checkpoint of %d devices (%d fields, %d trees x %d points): %d bytes", d.Devices(), len(fields), d.cfg.Trees, d.cfg.SampleSize, len(data))
	r, err := Restore(Config{Fields: fields, Seed: 1}, data)
	if err != nil {
		t.Fatal(err)
	}
	if r.Devices() != 50 {
		t.Fatalf("%d devices restored", r.Devices())
	}
	res := stream(t, r, "dev-Aa", 2*1440, 1, func(_ int, v []float64) { v[1] = 3.5 })[0]
	if !res.Warm || !res.Anomaly {
		t.Errorf("after restore: %+v", res)
	}
	if _, err := Restore(Config{Fields: []string{"temperature_c"}, Seed: 1}, data); !errors.Is(err, ErrIncompatible) {
		t.Errorf("other fields: %v", err)
	}
	if _, err := Restore(Config{Fields: fields, Trees: 10, Seed: 1}, data); !errors.Is(err, ErrIncompatible) {
		t.Errorf("other forest: %v", err)
	}
	bad := append([]byte{}, data...)
	bad[4] = CheckpointVersion + 1
	if _, err := Restore(Config{Fields: fields}, bad); !errors.Is(err, ErrIncompatible) {
		t.Errorf("other version: %v", err)
	}
	for _, cut := range []int{0, 5, len(data) / 2} {
		if _, err := Restore(Config{Fields: fields}, data[:cut]); err == nil || errors.Is(err, ErrIncompatible) {
			t.Errorf("cut at %d: %v", cut, err)
		}
	}
}
