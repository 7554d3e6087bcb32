package anomaly

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var fields = []string{"temperature_c", "battery_v"}

var start = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// stream feeds n readings (one a minute) of a daily temperature cycle and a
// steady battery to d, calling at for each; it returns the results.
func stream(t *testing.T, d *Detector, dev string, from, n int, at func(i int, v []float64)) []Result {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(from), uint64(len(dev))))
	var out []Result
	for i := from; i < from+n; i++ {
		ts := start.Add(time.Duration(i) * time.Minute)
		day := float64(i%1440) / 1440
		v := []float64{22 + 4*math.Sin(2*math.Pi*day) + 0.4*rng.NormFloat64(), 3.9 + 0.01*rng.NormFloat64()}
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

func alerts(rs []Result) int {
	n := 0
	for _, r := range rs {
		if r.Alert {
			n++
		}
	}
	return n
}

// A device raises nothing while it warms up (its readings, and a day of
// its time), however odd its readings.
func TestWarmUpRaisesNothing(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 1})
	for i, r := range stream(t, d, "dev", 0, 1440, func(i int, v []float64) {
		if i%17 == 0 {
			v[0] = 140
		}
	}) {
		if r.Anomaly || r.Warm {
			t.Fatalf("reading %d: %+v during warm-up", i, r)
		}
	}
}

// After two days, a spike in the battery is found and attributed to the
// battery; a stuck temperature is found and attributed to it.
func TestSpikeAndStuckAreFoundAndAttributed(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 1})
	stream(t, d, "dev", 0, 2*1440, nil)
	res := stream(t, d, "dev", 2*1440, 1, func(_ int, v []float64) { v[1] = 3.5 })[0]
	if !res.Anomaly || !res.Alert || len(res.Fields) == 0 || res.Fields[0] != "battery_v" {
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
			// Repeats, or the frozen value leaving the daily cycle: either
			// way the temperature.
			stuck = &r
			if i < 2 || (r.Detector != ByRepeat && r.Detector != ByContext && r.Detector != ByDrift) || r.Fields[0] != "temperature_c" {
				t.Fatalf("stuck reading %d: %+v", i, r)
			}
			break
		}
	}
	if stuck == nil {
		t.Fatal("60 identical temperatures raised nothing")
	}
}

// The budget holds on a device whose residuals wander widely and slowly
// (an AR(1) walk ten times the noise, as weather or a machine switched on
// and off make them), where fixed alert levels fire all day; a level
// shift well beyond that envelope is still reported.
func TestLevelsFollowTheDevicesOwnWander(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 3})
	rng := rand.New(rand.NewPCG(7, 7))
	wander := 0.0
	walk := func(_ int, v []float64) {
		wander = 0.995*wander + 0.4*rng.NormFloat64()
		v[0] += wander
	}
	stream(t, d, "wanderer", 0, 2*1440, walk)
	const days = 5
	got := alerts(stream(t, d, "wanderer", 2*1440, days*1440, walk))
	if perDay := float64(got) / days; perDay > 1.5 {
		t.Errorf("%d alerts in %d days on the wandering device: %.2f a day, budget 1", got, days, perDay)
	}
	shifted := stream(t, d, "wanderer", (2+days)*1440, 120, func(i int, v []float64) {
		walk(i, v)
		v[0] += 25 // far beyond anything the walk reached
	})
	if alerts(shifted) == 0 {
		t.Error("a 25 degree shift beyond the device's envelope raised nothing")
	}
}

// Two fields that move together (one driver) breaking apart, while each
// stays within its range, is reported by the correlation detector; the
// same device with the link intact stays within its budget.
func TestCorrelationBreak(t *testing.T) {
	two := []string{"supply_temp", "return_temp"}
	d, _ := New(Config{Fields: two, Seed: 5})
	rng := rand.New(rand.NewPCG(9, 9))
	driver := 0.0
	run := func(dev string, from, n int, broken bool) []Result {
		var out []Result
		for i := from; i < from+n; i++ {
			driver = 0.99*driver + 0.5*rng.NormFloat64()
			other := driver
			if broken {
				other = -driver // the same spread, the link reversed
			}
			v := []float64{40 + 3*driver + 0.2*rng.NormFloat64(), 35 + 3*other + 0.2*rng.NormFloat64()}
			res, err := d.Process(Reading{Device: dev, Time: start.Add(time.Duration(i) * time.Minute), Values: v})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res)
		}
		return out
	}
	run("pump", 0, 3*1440, false)
	if n := alerts(run("pump", 3*1440, 2*1440, false)); n > 3 {
		t.Errorf("%d alerts in two intact days", n)
	}
	found := false
	for _, r := range run("pump", 5*1440, 240, true) {
		if r.Anomaly && r.Scores[ByCorrelation] >= 1 {
			found = true
			break
		}
	}
	if !found {
		t.Error("the link breaking raised no correlation alert within 4 hours")
	}
}

// A vibration that cycles every 20 minutes, which the time-of-day profile
// cannot follow, doubling its swing while its mean and range stay where
// they were, is reported by the volatility detector; the same cycle left
// alone stays within the budget.
func TestAmplitudeChangeIsVolatility(t *testing.T) {
	two := []string{"vibration_mm_s", "battery_v"}
	d, _ := New(Config{Fields: two, Seed: 4})
	rng := rand.New(rand.NewPCG(4, 4))
	run := func(from, n int, swing float64) []Result {
		var out []Result
		for i := from; i < from+n; i++ {
			v := []float64{2 + swing*math.Sin(2*math.Pi*float64(i)/20) + 0.05*rng.NormFloat64(), 3.9 + 0.01*rng.NormFloat64()}
			res, err := d.Process(Reading{Device: "fan", Time: start.Add(time.Duration(i) * time.Minute), Values: v})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res)
		}
		return out
	}
	run(0, 2*1440, 0.4)
	if n := alerts(run(2*1440, 2*1440, 0.4)); n > 3 {
		t.Errorf("%d alerts in two ordinary days", n)
	}
	found := false
	for _, r := range run(4*1440, 120, 0.8) {
		if r.Anomaly && r.Scores[ByVolatility] >= 1 && slices.Contains(r.Fields, "vibration_mm_s") {
			found = true
			break
		}
	}
	if !found {
		t.Error("the swing doubling raised no volatility anomaly on vibration_mm_s within 2 hours")
	}
}

// A larger budget raises more alerts on the same readings; the budget is
// the one setting that moves every level.
func TestBudgetMovesTheLevels(t *testing.T) {
	count := func(budget float64) int {
		d, _ := New(Config{Fields: fields, Seed: 2, AlertsPerDay: budget})
		stream(t, d, "dev", 0, 2*1440, nil)
		return alerts(stream(t, d, "dev", 2*1440, 3*1440, nil))
	}
	low, high := count(0.2), count(20)
	if high <= low || low > 2 {
		t.Errorf("budget 0.2: %d alerts in 3 days; budget 20: %d", low, high)
	}
}

// An event is one alert: readings that stay anomalous after the first
// alert no more.
func TestAnEventAlertsOnce(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 1})
	stream(t, d, "dev", 0, 2*1440, nil)
	rs := stream(t, d, "dev", 2*1440, 20, func(_ int, v []float64) { v[1] = 2.5 })
	anomalous := 0
	for _, r := range rs {
		if r.Anomaly {
			anomalous++
		}
	}
	if anomalous < 10 || alerts(rs) != 1 {
		t.Errorf("%d anomalous readings, %d alerts: want many and one", anomalous, alerts(rs))
	}
}

// Missing values count as no repeat and no residual; a reading of the
// wrong width is refused; out-of-range settings are refused.
func TestBadInput(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 1})
	if _, err := d.Process(Reading{Device: "x", Time: start, Values: []float64{1}}); err == nil {
		t.Error("one value for two fields accepted")
	}
	if _, err := d.Process(Reading{Device: "x", Time: start, Values: []float64{math.NaN(), math.Inf(1)}}); err != nil {
		t.Errorf("missing values refused: %v", err)
	}
	for _, c := range []Config{{}, {Fields: fields, AlertsPerDay: -1}, {Fields: fields, HorizonDays: 1000}, {Fields: make([]string, 20)}} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// A restored detector carries on: the same devices, warm, and an anomaly
// right after the restore is still found. Equal states write equal bytes.
// Incompatible and damaged checkpoints are refused with the reason.
func TestCheckpoint(t *testing.T) {
	d, _ := New(Config{Fields: fields, Seed: 1})
	for k := range 50 {
		stream(t, d, "dev-"+string(rune('A'+k%26))+string(rune('a'+k/26)), 0, 2*1440, nil)
	}
	data, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := d.MarshalBinary()
	if !bytes.Equal(data, again) {
		t.Error("two checkpoints of one state differ")
	}
	t.Logf("checkpoint of %d devices (%d fields; forest %d trees x %d points): %d bytes; %d bytes of state per device",
		d.Devices(), len(fields), d.cfg.Trees, d.cfg.SampleSize, len(data), d.StateBytes())
	r, err := Restore(Config{Fields: fields, Seed: 1}, data)
	if err != nil {
		t.Fatal(err)
	}
	if r.Devices() != 50 || r.Readings("dev-Aa") != 2*1440 {
		t.Fatalf("%d devices restored, %d readings of dev-Aa", r.Devices(), r.Readings("dev-Aa"))
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
	bad := slices.Clone(data)
	bad[4] = CheckpointVersion + 1
	if _, err := Restore(Config{Fields: fields}, bad); !errors.Is(err, ErrIncompatible) {
		t.Errorf("other version: %v", err)
	}
	for _, cut := range []int{0, 5, len(data) / 2, len(data) - 1} {
		if _, err := Restore(Config{Fields: fields}, data[:cut]); err == nil || errors.Is(err, ErrIncompatible) {
			t.Errorf("cut at %d: %v", cut, err)
		}
	}
	if _, err := Restore(Config{Fields: fields}, append(slices.Clone(data), 0)); err == nil {
		t.Error("trailing bytes accepted")
	}
}

// FuzzRestore: no input makes Restore panic; whatever it accepts writes a
// checkpoint it accepts again.
func FuzzRestore(f *testing.F) {
	d, _ := New(Config{Fields: fields, Seed: 1, SampleSize: 16, Trees: 4})
	for i := range 300 {
		_, _ = d.Process(Reading{Device: "dev", Time: start.Add(time.Duration(i) * time.Minute), Values: []float64{float64(i % 7), 3.9}})
	}
	data, _ := d.MarshalBinary()
	f.Add(data)
	f.Add([]byte("ADET\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Restore(Config{Fields: fields, Seed: 1, SampleSize: 16, Trees: 4}, b)
		if err != nil {
			return
		}
		out, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Restore(Config{Fields: fields, Seed: 1, SampleSize: 16, Trees: 4}, out); err != nil {
			t.Fatalf("a restored detector's checkpoint is refused: %v", err)
		}
	})
}
