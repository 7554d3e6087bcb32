// Package anomaly is the lake's streaming anomaly detector: one Random Cut
// Forest per device over shingled, scaled readings (internal/rcf), with
// three simple detectors beside it for what a forest is known to find late
// or not at all:
//
//   - repeat: a sensor that sends the same value again and again (a stuck
//     sensor looks more normal to a forest, not less);
//   - drift: a two-sided CUSUM of each field's residual against its
//     time-of-day profile, for slow walks away;
//   - context: a short average of that residual, for values that are
//     normal in themselves but wrong for the time of day, and level shifts.
//
// Each detector's score is scaled so that 1 is its alert level; a reading's
// score is the largest, and Result says which detector and which fields
// drove it. A device raises nothing while it warms up (its forest's samples
// filling, its profile learning a day). Numeric fields only: status and the
// strings never reach the detector.
package anomaly

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/refdatalake/datalake/internal/rcf"
)

// Detector names, as Result.Detector reports them.
const (
	ByForest  = "rcf"
	ByRepeat  = "repeat"
	ByDrift   = "drift"
	ByContext = "context"
)

// Detectors lists them in report order.
var Detectors = []string{ByForest, ByRepeat, ByDrift, ByContext}

// Config sets the detector's parameters; zero values take the defaults.
type Config struct {
	// Fields names the numeric fields, in the order Reading.Values has them. Required.
	Fields []string
	// Shingle is how many consecutive readings form one forest point. Default 1: on the labeled streams longer shingles dilute a one-reading spike over more dimensions (make detect-eval measures it).
	Shingle int
	// Trees, SampleSize and TimeDecay are the forest's (rcf.Config). Defaults 30, 128, 1/(10*SampleSize).
	Trees, SampleSize int
	TimeDecay         float64
	// Seed makes every device's forest deterministic.
	Seed uint64
	// ForestZ is the forest's alert level: how many standard deviations a
	// score must lie above the device's recent scores. Default 6.
	ForestZ float64
	// Repeats is how many identical readings in a row make a field stuck. Default 20.
	Repeats int
	// DriftH is the CUSUM's alert level in residual standard deviations
	// (slack 1). Default 15.
	DriftH float64
	// ContextZ is the alert level of the residual's short average. Default 3.
	ContextZ float64
	// Sensitivity multiplies every alert level (1 = as set; above 1 alerts
	// less). Default 1.1, the level make detect-eval sets for at most one false
	// alert per device and day on its clean stream.
	Sensitivity float64
	// WarmUp is how many readings a device sends before it may raise
	// anything. Default 2*SampleSize. The profile detectors (drift,
	// context) also wait until every hour of the day has been seen.
	WarmUp int
}

func (c Config) withDefaults() (Config, error) {
	if len(c.Fields) == 0 {
		return c, errors.New("anomaly: no fields")
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Shingle, 1)
	def(&c.Trees, 30)
	def(&c.SampleSize, 128)
	def(&c.Repeats, 20)
	def(&c.WarmUp, 2*c.SampleSize)
	deff(&c.ForestZ, 6)
	deff(&c.DriftH, 15)
	deff(&c.ContextZ, 3)
	deff(&c.Sensitivity, 1.1)
	if c.Shingle < 1 || c.Repeats < 2 || c.WarmUp < 1 || c.ForestZ <= 0 || c.DriftH <= 0 || c.ContextZ <= 0 || c.Sensitivity <= 0 {
		return c, fmt.Errorf("anomaly: parameters out of range: %+v", c)
	}
	return c, nil
}

// Reading is one device's numeric values at one time; NaN marks a field
// the record did not carry.
type Reading struct {
	Device string
	Time   time.Time
	Values []float64
}

// Result is what the detector says about one reading.
type Result struct {
	// Score is the largest detector score; 1 is the alert level.
	Score float64
	// Detector is the one that scored highest; Scores has each.
	Detector string
	Scores   map[string]float64
	// Anomaly is Score >= 1 on a warmed-up device.
	Anomaly bool
	// Warm reports whether the device has finished warming up.
	Warm bool
	// Attribution is each field's share of the driving detector's score,
	// in Config.Fields order; TimeOfDay is the forest's share for the time
	// features. Fields lists the fields that drove it, largest first.
	Attribution []float64
	TimeOfDay   float64
	Fields      []string
	// ForestScore is the forest's raw RCF score (for comparisons with other
	// RCF implementations).
	ForestScore float64
}

// Detector keeps one model per device. It is not safe for concurrent use.
type Detector struct {
	cfg     Config
	devices map[string]*device
}

// New returns a detector with no devices yet.
func New(cfg Config) (*Detector, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, err := rcf.New(cfg.forest(0)); err != nil {
		return nil, err
	}
	return &Detector{cfg: cfg, devices: map[string]*device{}}, nil
}

// Config returns the parameters, defaults filled in.
func (d *Detector) Config() Config { return d.cfg }

// Devices is how many devices the detector models.
func (d *Detector) Devices() int { return len(d.devices) }

func (c Config) dims() int { return c.Shingle*len(c.Fields) + 2 }

func (c Config) forest(device uint64) rcf.Config {
	return rcf.Config{Dimensions: c.dims(), Trees: c.Trees, SampleSize: c.SampleSize, TimeDecay: c.TimeDecay, Seed: c.Seed ^ device}
}

const hours = 24

// device is one device's state.
type device struct {
	n      int
	forest *rcf.Forest
	last   []float64 // last value of each field (for missing ones)
	// scale: running mean and variance per field (Welford until WarmUp, then slow EWMA).
	mean, m2 []float64
	shingle  [][]float64 // ring of scaled readings
	// forest score statistics (EWMA)
	scoreMean, scoreVar float64
	// per field
	repeat []int
	// profile: per field and hour, mean and visits; residual variance per field
	profile   [][hours]float64
	visits    [][hours]int
	resVar    []float64
	cusumHi   []float64
	cusumLo   []float64
	shortMean []float64
}

func (d *Detector) device(name string) (*device, error) {
	if dv, ok := d.devices[name]; ok {
		return dv, nil
	}
	f, err := rcf.New(d.cfg.forest(hash(name)))
	if err != nil {
		return nil, err
	}
	n := len(d.cfg.Fields)
	dv := &device{forest: f, last: nanSlice(n), mean: make([]float64, n), m2: make([]float64, n),
		repeat: make([]int, n), profile: make([][hours]float64, n), visits: make([][hours]int, n),
		resVar: make([]float64, n), cusumHi: make([]float64, n), cusumLo: make([]float64, n), shortMean: make([]float64, n)}
	d.devices[name] = dv
	return dv, nil
}

// Process scores one reading and learns from it.
func (d *Detector) Process(r Reading) (Result, error) {
	c := d.cfg
	if len(r.Values) != len(c.Fields) {
		return Result{}, fmt.Errorf("anomaly: %d values for %d fields", len(r.Values), len(c.Fields))
	}
	dv, err := d.device(r.Device)
	if err != nil {
		return Result{}, err
	}
	nf := len(c.Fields)
	x := make([]float64, nf)
	for i, v := range r.Values {
		switch {
		case !math.IsNaN(v) && !math.IsInf(v, 0):
			x[i] = v
		case !math.IsNaN(dv.last[i]):
			x[i] = dv.last[i] // a missing value repeats the last one...
		default:
			x[i] = 0
		}
	}
	res := Result{Scores: map[string]float64{}, Attribution: make([]float64, nf)}
	dv.n++
	res.Warm = dv.n > c.WarmUp

	// Repeat: identical readings in a row (a missing value counts as neither).
	repeatField, repeatScore := -1, 0.0
	for i, v := range r.Values {
		if math.IsNaN(v) {
			continue
		}
		if v == dv.last[i] {
			dv.repeat[i]++
		} else {
			dv.repeat[i] = 0
		}
		dv.last[i] = v
		if s := float64(dv.repeat[i]+1) / float64(c.Repeats); dv.repeat[i] > 0 && s > repeatScore {
			repeatField, repeatScore = i, s
		}
	}
	res.Scores[ByRepeat] = repeatScore

	// Scale each field by its running mean and standard deviation, so a
	// field with a small range (volts) weighs as much as a large one.
	z := make([]float64, nf)
	for i := range x {
		if dv.n <= c.WarmUp {
			delta := x[i] - dv.mean[i]
			dv.mean[i] += delta / float64(dv.n)
			dv.m2[i] += delta * (x[i] - dv.mean[i])
		}
		sd := math.Sqrt(dv.m2[i] / float64(max(dv.n-1, 1)))
		if dv.n > c.WarmUp {
			sd = math.Sqrt(dv.m2[i] / float64(c.WarmUp-1))
		}
		if sd < 1e-9 {
			sd = 1
		}
		z[i] = (x[i] - dv.mean[i]) / sd
	}

	// Profile residuals: drift (CUSUM) and context (short average).
	hour := r.Time.UTC().Hour()
	profileReady := true
	driftField, driftScore, ctxField, ctxScore := -1, 0.0, -1, 0.0
	resid := make([]float64, nf)
	for i := range x {
		for h := 0; h < hours; h++ {
			if dv.visits[i][h] < 30 {
				profileReady = false
			}
		}
		p := profileAt(dv.profile[i], dv.visits[i], r.Time)
		if dv.visits[i][hour] == 0 {
			p = x[i]
		}
		e := x[i] - p
		sd := math.Sqrt(dv.resVar[i])
		if sd < 1e-9 {
			sd = 1e-9
		}
		rz := math.Max(-10, math.Min(10, e/sd)) // one wild reading moves the sums by at most 10
		if profileReady {
			dv.cusumHi[i] = math.Max(0, dv.cusumHi[i]+rz-driftSlack)
			dv.cusumLo[i] = math.Max(0, dv.cusumLo[i]-rz-driftSlack)
			dv.shortMean[i] += (rz - dv.shortMean[i]) / 10
			if s := math.Max(dv.cusumHi[i], dv.cusumLo[i]) / c.DriftH; s > driftScore {
				driftField, driftScore = i, s
			}
			if s := math.Abs(dv.shortMean[i]) / c.ContextZ; s > ctxScore {
				ctxField, ctxScore = i, s
			}
		}
		resid[i] = e
	}
	res.Scores[ByDrift], res.Scores[ByContext] = driftScore, ctxScore

	// The forest: the shingle of scaled readings and the time of day.
	dv.shingle = append(dv.shingle, z)
	if len(dv.shingle) > c.Shingle {
		dv.shingle = dv.shingle[1:]
	}
	forestScore, forestAttr := 0.0, make([]float64, c.dims())
	if len(dv.shingle) == c.Shingle {
		point := make([]float64, 0, c.dims())
		for _, s := range dv.shingle {
			point = append(point, s...)
		}
		day := float64(r.Time.UTC().Sub(r.Time.UTC().Truncate(24*time.Hour))) / float64(24*time.Hour)
		point = append(point, math.Sin(2*math.Pi*day), math.Cos(2*math.Pi*day))
		if forestScore, err = dv.forest.ScoreAndUpdate(point, forestAttr); err != nil {
			return Result{}, err
		}
		res.ForestScore = forestScore
		if dv.forest.Ready() {
			sd := math.Sqrt(dv.scoreVar)
			if sd > 0 {
				res.Scores[ByForest] = (forestScore - dv.scoreMean) / (sd * c.ForestZ)
			}

			// Learn the score distribution from ordinary scores only, so an
			// anomaly does not raise the bar for the next one.
			if res.Scores[ByForest] < 1 {
				dv.scoreMean += (forestScore - dv.scoreMean) / 500
				dv.scoreVar += ((forestScore-dv.scoreMean)*(forestScore-dv.scoreMean) - dv.scoreVar) / 500
			}
		} else {
			// Warming up: the plain running mean and variance.
			k := float64(dv.forest.Seen())
			delta := forestScore - dv.scoreMean
			dv.scoreMean += delta / k
			dv.scoreVar += (delta*(forestScore-dv.scoreMean) - dv.scoreVar) / k
		}
	}

	// The verdict: the detector with the largest score, and its fields.
	for _, name := range Detectors {
		s := res.Scores[name] / c.Sensitivity
		res.Scores[name] = s
		if s > res.Score || res.Detector == "" {
			res.Score, res.Detector = s, name
		}
	}
	switch res.Detector {
	case ByForest:
		for k, a := range forestAttr[:c.Shingle*nf] {
			res.Attribution[k%nf] += a
		}
		res.TimeOfDay = forestAttr[c.Shingle*nf] + forestAttr[c.Shingle*nf+1]
	case ByRepeat:
		setOne(res.Attribution, repeatField, res.Score)
	case ByDrift:
		setOne(res.Attribution, driftField, res.Score)
	case ByContext:
		setOne(res.Attribution, ctxField, res.Score)
	}
	res.Fields = topFields(c.Fields, res.Attribution)
	res.Anomaly = res.Warm && res.Score >= 1

	// Learn each hour's mean and the residual variance; while a device
	// looks anomalous, a tenth as fast, so a shift that lasts hours is not
	// learnt as normal (and its end reported as an anomaly of its own),
	// while one that stays is absorbed over days.
	rate := 1.0
	if res.Warm && res.Score >= 0.5 {
		rate = 0.1
	}
	for i := range x {
		if math.IsNaN(r.Values[i]) {
			continue
		}
		dv.visits[i][hour]++
		dv.profile[i][hour] += rate * (x[i] - dv.profile[i][hour]) / float64(min(dv.visits[i][hour], profileMemory))
		if dv.visits[i][hour] > 1 {
			dv.resVar[i] += rate * (resid[i]*resid[i] - dv.resVar[i]) / float64(min(dv.n, 500))
		}
	}
	if res.Anomaly && res.Detector == ByDrift {
		// A reported drift starts counting again, so it is reported once.
		for i := range dv.cusumHi {
			dv.cusumHi[i], dv.cusumLo[i] = 0, 0
		}
	}
	return res, nil
}

// profileAt interpolates the hourly means at t (bucket centres on the half hour).
func profileAt(p [hours]float64, visits [hours]int, t time.Time) float64 {
	t = t.UTC()
	pos := float64(t.Hour()) + float64(t.Minute())/60 - 0.5
	h0 := int(math.Floor(pos))
	w := pos - float64(h0)
	a, b := (h0+hours)%hours, (h0+1)%hours
	if visits[a] == 0 {
		return p[b]
	}
	if visits[b] == 0 {
		return p[a]
	}
	return p[a]*(1-w) + p[b]*w
}

func setOne(attr []float64, i int, v float64) {
	if i >= 0 {
		attr[i] = v
	}
}

// topFields names the fields that carry most of the attribution: those
// with at least a quarter of the largest share, largest first.
func topFields(names []string, attr []float64) []string {
	idx := make([]int, len(attr))
	best := 0.0
	for i := range idx {
		idx[i] = i
		best = math.Max(best, attr[i])
	}
	sort.SliceStable(idx, func(a, b int) bool { return attr[idx[a]] > attr[idx[b]] })
	var out []string
	for _, i := range idx {
		if best > 0 && attr[i] >= best/4 {
			out = append(out, names[i])
		}
	}
	return out
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// hash is FNV-1a: each device's forest gets a seed of its own.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// driftSlack is the CUSUM's allowance per reading, in residual standard
// deviations: a profile that is a little off (it averages each hour) must
// not add up to a drift.
const driftSlack = 1.0

// profileMemory is how many visits of an hour its mean averages over once
// it has seen that many (60 a day at one reading a minute: about ten
// days), so a drift of an hour or two is not learnt as the new normal.
const profileMemory = 600
