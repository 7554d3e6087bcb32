package telemetrygen

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/refdatalake/datalake/internal/schema"
)

// AnomalyKind is a labeled kind of anomaly the generator can inject.
type AnomalyKind string

// The kinds. NoiseBurst is not an anomaly: a short stretch of noisier
// readings that a detector should leave alone.
const (
	Spike      AnomalyKind = "spike"       // one reading far off
	LevelShift AnomalyKind = "level_shift" // the field jumps and stays there
	Drift      AnomalyKind = "drift"       // the field walks away slowly
	Stuck      AnomalyKind = "stuck"       // the sensor repeats one value (flatline)
	Contextual AnomalyKind = "contextual"  // normal values at the wrong time of the daily cycle
	NoiseBurst AnomalyKind = "noise_burst" // four times the noise for a while: not an anomaly
)

// AnomalyKinds are the kinds that are anomalies, in report order.
var AnomalyKinds = []AnomalyKind{Spike, LevelShift, Drift, Stuck, Contextual}

// episodeLength is how many readings each kind lasts.
var episodeLength = map[AnomalyKind]int{Spike: 1, LevelShift: 180, Drift: 240, Stuck: 180, Contextual: 180, NoiseBurst: 30}

// Episode is one injected stretch of one device's readings.
type Episode struct {
	Device string
	Kind   AnomalyKind
	Field  string
	// Start and End index the device's readings: [Start, End).
	Start, End int
}

// LabeledConfig configures a labeled stream.
type LabeledConfig struct {
	// Devices send one reading each per Interval, starting at Start.
	Devices  int
	Start    time.Time
	Interval time.Duration
	// Readings per device.
	Readings int
	// WarmUp readings at the start of each device carry no episode.
	WarmUp int
	// Kinds to inject, each Every readings per device on average (with
	// jitter); NoiseBursts are added NoiseEvery readings apart (0: none).
	Kinds      []AnomalyKind
	Every      int
	NoiseEvery int
	Seed       int64
	// Format of Record.Data; default JSON.
	Format Format
}

// LabeledReading is one reading with its label.
type LabeledReading struct {
	Record
	// Device indexes the device, Index the reading within it.
	Device, Index int
	// Values are the numeric fields (NumericFields order), NaN when null.
	Values []float64
	// Episode is the index into the episodes, -1 outside any.
	Episode int
}

// NumericFields are the schema's numeric input fields, the detector's inputs.
func NumericFields() []string {
	var out []string
	for _, f := range schema.Telemetry.InputFields() {
		if f.Type == schema.Double {
			out = append(out, f.Name)
		}
	}
	return out
}

// Labeled generates a multi-device stream with labeled episodes: readings
// in event-time order (devices take turns), and the episodes.
func Labeled(cfg LabeledConfig) ([]LabeledReading, []Episode, error) {
	if cfg.Format == "" {
		cfg.Format = FormatJSON
	}
	g, err := New(Config{Devices: cfg.Devices, Start: cfg.Start, Interval: cfg.Interval, Seed: cfg.Seed, Format: cfg.Format})
	if err != nil {
		return nil, nil, err
	}
	if cfg.Readings <= cfg.WarmUp || (len(cfg.Kinds) > 0 && cfg.Every < 400) {
		return nil, nil, fmt.Errorf("telemetrygen: %d readings with %d of warm-up, episodes every %d: want readings after the warm-up and episodes at least 400 readings apart", cfg.Readings, cfg.WarmUp, cfg.Every)
	}
	for _, k := range append(slices.Clone(cfg.Kinds), NoiseBurst) {
		if _, ok := episodeLength[k]; !ok {
			return nil, nil, fmt.Errorf("telemetrygen: unknown anomaly kind %q", k)
		}
	}
	numeric := map[string]int{} // field name -> index in g.fields
	var names []string
	for i, f := range g.fields {
		if f.Type == schema.Double {
			numeric[f.Name] = i
			names = append(names, f.Name)
		}
	}
	// Plan each device's episodes: no two overlap.
	var episodes []Episode
	byDevice := make([][]int, cfg.Devices) // reading index -> episode, per device
	for d := range cfg.Devices {
		byDevice[d] = slices.Repeat([]int{-1}, cfg.Readings)
		place := func(kind AnomalyKind, every int) {
			for at := cfg.WarmUp + g.rng.IntN(every/2); at < cfg.Readings; at += every/2 + g.rng.IntN(every) {
				end := min(at+episodeLength[kind], cfg.Readings)
				if slices.ContainsFunc(byDevice[d][max(0, at-60):min(cfg.Readings, end+60)], func(e int) bool { return e >= 0 }) {
					continue
				}
				ep := Episode{Device: g.devices[d].id, Kind: kind, Field: names[g.rng.IntN(len(names))], Start: at, End: end}
				for i := at; i < end; i++ {
					byDevice[d][i] = len(episodes)
				}
				episodes = append(episodes, ep)
			}
		}
		for _, k := range cfg.Kinds {
			place(k, cfg.Every)
		}
		if cfg.NoiseEvery > 0 {
			place(NoiseBurst, cfg.NoiseEvery)
		}
	}
	// The readings, with each episode's effect on its field.
	out := make([]LabeledReading, 0, cfg.Devices*cfg.Readings)
	stuckAt := map[int]float64{}
	for i := range cfg.Readings {
		for d := range cfg.Devices {
			dev := &g.devices[d]
			at := cfg.Start.Add(time.Duration(i) * cfg.Interval).UTC().Truncate(time.Millisecond)
			vals := g.reading(dev, at, false)
			e := byDevice[d][i]
			if e >= 0 {
				ep := episodes[e]
				fi := numeric[ep.Field]
				f, s := g.fields[fi], dev.signals[fi]
				if !vals[fi].null {
					vals[fi].num = clampRound(g.effect(ep, i, vals[fi].num, s, at, stuckAt, e), f, s.decimals)
				}
			}
			rec := Record{PartitionKey: dev.id, EventTime: at, Data: g.encode(vals), Anomaly: e >= 0 && episodes[e].Kind != NoiseBurst}
			lr := LabeledReading{Record: rec, Device: d, Index: i, Episode: e, Values: make([]float64, len(names))}
			for k, n := range names {
				if v := vals[numeric[n]]; v.null {
					lr.Values[k] = math.NaN()
				} else {
					lr.Values[k] = v.num
				}
			}
			out = append(out, lr)
		}
	}
	return out, episodes, nil
}

// effect returns the field's value at reading i of episode ep. Sizes are in
// the field's typical spread: sqrt(amplitude²/2 + noise²), the standard
// deviation of its daily cycle and noise together.
func (g *Generator) effect(ep Episode, i int, v float64, s signal, at time.Time, stuckAt map[int]float64, e int) float64 {
	spread := math.Sqrt(s.amplitude*s.amplitude/2 + s.noise*s.noise)
	sign := 1.0
	if ep.Start%2 == 1 {
		sign = -1
	}
	switch ep.Kind {
	case Spike:
		return v + sign*(5+3*frac(ep.Start))*spread
	case LevelShift:
		return v + sign*(2.5+1.5*frac(ep.Start))*spread
	case Drift:
		return v + sign*(4+2*frac(ep.Start))*spread*float64(i-ep.Start+1)/float64(ep.End-ep.Start)
	case Stuck:
		if _, ok := stuckAt[e]; !ok {
			stuckAt[e] = v
		}
		return stuckAt[e]
	case Contextual:
		// The cycle twelve hours out of phase: the same values, at the wrong time.
		y, m, d := at.Date()
		day := at.Sub(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)).Hours() / 24
		return v - 2*s.amplitude*math.Sin(2*math.Pi*day+s.phase)
	case NoiseBurst:
		return v + 3*s.noise*g.rng.NormFloat64()
	}
	return v
}

// frac is a fixed pseudo-random fraction of n, so an episode's size does
// not depend on how many draws came before it.
func frac(n int) float64 { return float64((n*2654435761)%1000) / 1000 }
