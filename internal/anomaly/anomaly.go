// Package anomaly is the lake's streaming anomaly detector for one shard of
// the telemetry stream: per-device state of about a kilobyte, one Random
// Cut Forest shared by the shard's devices (internal/rcf), and alert levels
// that each device's own history sets.
//
// Every reading is first turned into residuals: each field's distance from
// the device's own time-of-day profile, in the device's own residual
// standard deviations (rz). Six detectors score the residuals and one the steps:
//
//   - rcf: the shard's forest over the residual vectors of all its
//     devices, for points unlike anything the shard has been seeing;
//   - correlation: each field's level (its long average, in its spread
//     over the horizon) against what the other fields' levels predict for
//     it under the device's own running covariance, for fields that
//     usually move together breaking apart while each stays within its
//     range;
//   - context: a short average of each residual, for level shifts and
//     values that are normal in themselves but wrong for the time of day;
//   - drift: a longer average of each residual, for slow walks away;
//   - repeat: how many identical readings in a row, for a stuck sensor
//     (which looks more normal to a forest, not less);
//   - jump: each field's step away from its last few readings, in its own
//     typical steps, for spikes and sudden jumps on fields whose swings the
//     time-of-day profile does not explain (cycles of other periods, walks);
//   - volatility: each field's mean absolute step over the short span
//     against its own over the horizon, for noise, amplitude and frequency
//     changes that leave the level where it was.
//
// No detector has a fixed alert level. For each device and detector, the
// level is the score the device's own recent scores exceed with probability
// q per reading (tail.go: a generalized Pareto tail over the upper 5 %),
// where q spreads the false-alert budget (Config.AlertsPerDay) over the
// device's readings per day (measured from its timestamps) and the
// tests. A detector whose scores wander widely on a device (weather,
// a machine switched on and off, a battery draining) gets a level that
// wander does not reach; a change beyond the envelope the device has shown
// still does. Each detector's score is divided by its level, so 1 is the
// alert level; Result says which detector and which fields drove it.
//
// A device raises nothing while it warms up (Config.WarmUp readings, and
// in each hour of the day until its profile has seen that hour). An alert is the first anomalous reading after a quiet
// spell (Config.Quiet readings): one event, however long it lasts.
// Numeric fields only: status and the strings never reach the detector.
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
	ByForest      = "rcf"
	ByCorrelation = "correlation"
	ByContext     = "context"
	ByDrift       = "drift"
	ByRepeat      = "repeat"
	ByJump        = "jump"
	ByVolatility  = "volatility"
)

// Detectors lists them in report order (and slab order).
var Detectors = []string{ByForest, ByCorrelation, ByContext, ByDrift, ByRepeat, ByJump, ByVolatility}

// Indices of Detectors; the forest scores the whole reading, the others
// each field apart.
const (
	kForest = iota
	kCorrelation
	kContext
	kDrift
	kRepeat
	kJump
	kVolatility
)

// Config sets the detector's parameters; zero values take the defaults.
type Config struct {
	// Fields names the numeric fields, in the order Reading.Values has them. Required.
	Fields []string
	// AlertsPerDay is the false-alert budget: how many alerts a device
	// behaving as it has been may raise per day, at most. Default 1.
	AlertsPerDay float64
	// Trees, SampleSize and TimeDecay are the shard forest's (rcf.Config).
	// Defaults 50, 256 and 1/(10*SampleSize).
	Trees, SampleSize int
	TimeDecay         float64
	// Seed makes the forest deterministic.
	Seed uint64
	// WarmUp is how many readings a device sends before it may raise
	// anything. Default 120.
	WarmUp int
	// AnyHour lets a device raise anomalies in an hour of the day its
	// profile has not learnt yet (a short demonstration stream). By
	// default a reading is scored only once its hour of the day has been
	// seen for an hour's worth of the device's readings (at most WarmUp/2):
	// about a day for a device reading every minute or every few, minutes
	// for one reading every few seconds.
	AnyHour bool
	// Quiet is how many readings without an anomalous one end an event:
	// the next anomalous reading is a new alert. Default 30.
	Quiet int
	// HorizonDays is how far back a device's alert levels and residual
	// statistics remember, in days of its own readings. Default 7.
	HorizonDays float64
	// ContextSpan and DriftSpan are the spans (readings) of the short and
	// the long average of each residual. Defaults 10 and 60.
	ContextSpan, DriftSpan int
}

func (c Config) withDefaults() (Config, error) {
	if len(c.Fields) == 0 {
		return c, errors.New("anomaly: no fields")
	}
	if len(c.Fields) > maxFields {
		return c, fmt.Errorf("anomaly: %d fields, at most %d", len(c.Fields), maxFields)
	}
	if c.AlertsPerDay == 0 {
		c.AlertsPerDay = 1
	}
	if c.Trees == 0 {
		c.Trees = 50
	}
	if c.SampleSize == 0 {
		c.SampleSize = 256
	}
	if c.WarmUp == 0 {
		c.WarmUp = 120
	}
	if c.Quiet == 0 {
		c.Quiet = 30
	}
	if c.HorizonDays == 0 {
		c.HorizonDays = 7
	}
	if c.ContextSpan == 0 {
		c.ContextSpan = 10
	}
	if c.DriftSpan == 0 {
		c.DriftSpan = 60
	}
	if math.IsNaN(c.AlertsPerDay) || c.AlertsPerDay <= 0 || c.AlertsPerDay > 1000 || c.WarmUp < 2 || c.Quiet < 1 || c.ContextSpan < 1 || c.DriftSpan < 1 ||
		math.IsNaN(c.HorizonDays) || c.HorizonDays < 1 || c.HorizonDays > 365 {
		return c, fmt.Errorf("anomaly: parameters out of range: alerts per day %v (0, 1000], warm-up %d (>= 2), quiet %d (>= 1), horizon %v days [1, 365]",
			c.AlertsPerDay, c.WarmUp, c.Quiet, c.HorizonDays)
	}
	return c, nil
}

// maxFields bounds the residual vector (the correlation detector solves a
// fields x fields system per reading).
const maxFields = 16

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
	// Detector is the one that scored highest; Scores has each, divided by
	// its level.
	Detector string
	Scores   map[string]float64
	// Anomaly is Score >= 1 on a warmed-up device; Alert marks the first
	// anomalous reading of an event (after Config.Quiet quiet readings).
	Anomaly, Alert bool
	// Warm reports whether the device has finished warming up.
	Warm bool
	// Attribution is each field's share of the driving detector's score,
	// in Config.Fields order. Fields lists the fields that drove it,
	// largest first.
	Attribution []float64
	Fields      []string
	// ForestScore is the forest's raw RCF score (for comparisons with other
	// RCF implementations).
	ForestScore float64
}

// Detector keeps the shard's forest and every device's state. It is not
// safe for concurrent use.
type Detector struct {
	cfg     Config
	forest  *rcf.Forest
	lay     layout
	devices map[string]*device
}

// New returns a detector with no devices yet.
func New(cfg Config) (*Detector, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	f, err := rcf.New(cfg.forest())
	if err != nil {
		return nil, err
	}
	return &Detector{cfg: cfg, forest: f, lay: newLayout(len(cfg.Fields)), devices: map[string]*device{}}, nil
}

func (c Config) forest() rcf.Config {
	return rcf.Config{Dimensions: len(c.Fields), Trees: c.Trees, SampleSize: c.SampleSize, TimeDecay: c.TimeDecay, Seed: c.Seed}
}

// Config returns the parameters, defaults filled in.
func (d *Detector) Config() Config { return d.cfg }

// Devices is how many devices the detector keeps.
func (d *Detector) Devices() int { return len(d.devices) }

const hours = 24

// Constants of the detectors' shapes, not of any data: each is a span in
// readings or a unit of the residuals, chosen before any evaluation.
const (
	// clipZ bounds a residual: one wild reading moves every statistic by a
	// bounded amount.
	clipZ = 20
	// localSpan is the jump detector's recent level (readings), spreadSpan
	// the span of its typical step.
	localSpan  = 3
	spreadSpan = 60
	// ridge keeps the residual covariance invertible.
	ridge = 0.05
	// profileMemory is how many visits of an hour its mean averages over
	// once it has seen that many (about ten days at one reading a minute).
	profileMemory = 600
)

// floors are each detector's smallest tail scale, in its own units: below
// them a score's spread is resolution, not behaviour (a run of readings is
// counted in whole readings).
var floors = [7]float64{kForest: 0.02, kCorrelation: 0.5, kContext: 0.1, kDrift: 0.05, kRepeat: 1, kJump: 0.5, kVolatility: 0.1}

// Process scores one reading and learns from it.
func (d *Detector) Process(r Reading) (Result, error) {
	c := d.cfg
	nf := len(c.Fields)
	if len(r.Values) != nf {
		return Result{}, fmt.Errorf("anomaly: %d values for %d fields", len(r.Values), nf)
	}
	dv := d.device(r.Device)
	L := d.lay
	s := dv.s
	at := r.Time.UnixMilli()

	// Cadence: an exponential average of the gaps between readings, so the
	// budget per reading follows the device's own pace.
	if dv.n == 0 {
		dv.first = at
	} else if gap := float64(at-dv.last) / 1000; gap > 0 {
		gap = math.Max(1, math.Min(gap, 86400))
		if s[L.cadence] == 0 {
			s[L.cadence] = float32(gap)
		} else {
			s[L.cadence] += float32((gap - float64(s[L.cadence])) / 20)
		}
	}
	if at > dv.last {
		dv.last = at
	}
	dv.n++
	perDay := 1440.0
	if s[L.cadence] > 0 {
		perDay = 86400 / float64(s[L.cadence])
	}
	horizon := c.HorizonDays * perDay

	res := Result{Scores: make(map[string]float64, len(Detectors)), Attribution: make([]float64, nf)}
	// raw holds each test's score: the forest's and the correlation
	// detector's, then context, drift and repeat per field (layout.test).
	raw := make([]float64, L.tests())
	attr := make([][]float64, len(Detectors))
	for i := range attr {
		attr[i] = make([]float64, nf)
	}

	// Repeat: identical readings in a row (a missing value is neither).
	steps := make([]float64, nf)
	mags := make([]float64, nf)
	for i := range mags {
		mags[i] = math.NaN()
	}
	for i, v := range r.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if float32(v) == s[L.last+i] {
			s[L.run+i]++
		} else {
			s[L.run+i] = 0
		}
		s[L.last+i] = float32(v)
		raw[L.test(kRepeat, i)] = float64(s[L.run+i])
		// Jump: the step from the field's recent level, in its typical steps.
		local, spread := float64(s[L.local+i]), float64(s[L.spread+i])
		if dv.n > 1 && !math.IsNaN(float64(s[L.local+i])) {
			signed := v - local
			step := math.Abs(signed)
			unit := math.Max(spread, 1e-9*(math.Abs(local)+1))
			steps[i] = math.Max(-clipZ, math.Min(clipZ, signed/unit))
			raw[L.test(kJump, i)] = math.Min(step/unit, clipZ*2)
			s[L.spread+i] += float32((step - spread) / math.Min(float64(dv.n-1), spreadSpan))
			s[L.local+i] += float32((v - local) / localSpan)
			// Volatility: the recent mean absolute step against the
			// device's own over the horizon (absolute, not squared, so
			// one spike moves it by little: spikes are jump's).
			mag := math.Abs(signed)
			s[L.vol+i] += float32((mag - float64(s[L.vol+i])) / math.Min(float64(dv.n-1), float64(c.ContextSpan)))
			mags[i] = mag
			if sv := float64(s[L.stepVar+i]); sv > 0 {
				raw[L.test(kVolatility, i)] = math.Min(float64(s[L.vol+i])/sv, clipZ*clipZ)
			}
		} else {
			s[L.local+i] = float32(v)
		}
	}

	// Residuals against the time-of-day profile, in the device's own
	// residual standard deviations.
	hour := r.Time.UTC().Hour()
	rz := make([]float64, nf)
	resid := make([]float64, nf)
	present := make([]bool, nf)
	for i, v := range r.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		present[i] = true
		p := d.profileAt(s, i, r.Time)
		if s[L.visits+hour] == 0 {
			p = v
		}
		resid[i] = v - p
		sd := math.Sqrt(float64(s[L.resVar+i]))
		if sd < 1e-9 {
			sd = 1e-9
		}
		rz[i] = math.Max(-clipZ, math.Min(clipZ, resid[i]/sd))
	}

	// Context and drift, field by field: a short and a long average of
	// the residual.
	for i := range rz {
		if !present[i] {
			continue
		}
		s[L.ctx+i] += float32((rz[i] - float64(s[L.ctx+i])) / float64(c.ContextSpan))
		s[L.slow+i] += float32((rz[i] - float64(s[L.slow+i])) / float64(c.DriftSpan))
		raw[L.test(kContext, i)] = math.Abs(float64(s[L.ctx+i]))
		raw[L.test(kDrift, i)] = math.Abs(float64(s[L.slow+i]))
	}

	// Correlation: each field's step against what the other fields' steps
	// say it should be, under the device's running covariance of steps
	// (the conditional residual, in its own standard deviations). Fields
	// driven by one cause move together step by step; when one stops
	// following, its conditional residual grows by as much as the link
	// was tight (1/(1-r^2) in variance). A break lasts, so the score is
	// the squared conditional residual averaged over the long span (about
	// 1 while the link holds).
	level := make([]float64, nf)
	for i, v := range r.Values {
		if !present[i] {
			continue
		}
		// The field's level over the long span, in its spread over the
		// horizon: the scale at which slowly coupled fields move together.
		span := math.Min(float64(dv.n), horizon)
		s[L.lvl+i] += float32((v - float64(s[L.lvl+i])) / math.Min(float64(dv.n), float64(c.DriftSpan)))
		s[L.lvlMean+i] += float32((float64(s[L.lvl+i]) - float64(s[L.lvlMean+i])) / span)
		dev := float64(s[L.lvl+i]) - float64(s[L.lvlMean+i])
		s[L.lvlVar+i] += float32((dev*dev - float64(s[L.lvlVar+i])) / span)
		level[i] = math.Max(-clipZ, math.Min(clipZ, dev/math.Sqrt(math.Max(float64(s[L.lvlVar+i]), 1e-12))))
	}
	for i, ci := range d.conditional(s, level) {
		if !present[i] {
			continue
		}
		raw[L.test(kCorrelation, i)] = math.Abs(ci)
	}

	// The shard's forest over the residual vector.
	point := make([]float64, nf)
	for i := range rz {
		point[i] = math.Max(-10, math.Min(10, rz[i]))
	}
	// Until the shard's forest has filled its samples its scores mean
	// little: the forest's test scores nothing, the others go on.
	ready := d.forest.Ready()
	fs, err := d.forest.ScoreAndUpdate(point, attr[0])
	if err != nil {
		return Result{}, err
	}
	res.ForestScore = fs
	if ready {
		raw[0] = fs
	}

	// Levels from the device's own tails, and the verdict.
	hourSeen := float64(s[L.visits+hour]) >= math.Min(float64(c.WarmUp)/2, perDay/hours)
	res.Warm = dv.n > uint32(c.WarmUp) && (c.AnyHour || hourSeen)
	// The budget per reading, spread over every test (a union bound: the
	// tests together exceed their levels at most AlertsPerDay times a day
	// on readings like the device's recent ones).
	q := c.AlertsPerDay / (perDay * float64(L.tests()))
	levels := make([]float64, L.tests())
	for k, name := range Detectors {
		best := 0.0
		for i := range nf {
			j := L.test(k, i)
			if k == kForest && i > 0 {
				break
			}
			levels[j] = L.tail(s, j).level(q, floors[k], k == kForest)
			sc := 0.0
			if levels[j] > 0 {
				sc = raw[j] / levels[j]
			}
			if k != kForest {
				attr[k][i] = sc
			}
			best = math.Max(best, sc)
		}
		res.Scores[name] = best
		if best > res.Score || res.Detector == "" {
			res.Score, res.Detector = best, name
		}
	}
	k := indexOf(res.Detector)
	copy(res.Attribution, attr[k])
	res.Fields = topFields(c.Fields, res.Attribution)
	res.Anomaly = res.Warm && res.Score >= 1
	if res.Anomaly {
		res.Alert = dv.quiet >= uint32(c.Quiet)
		dv.quiet = 0
	} else if dv.quiet < math.MaxUint32 {
		dv.quiet++
	}

	// Learning. Every test learns from every reading, so what a device
	// does often (noisy spells, a machine switched on and off) becomes its
	// normal; a score above its level counts as an ordinary excess (tail.learn),
	// so one anomaly raises the bar by little and a recurring one only
	// slowly. The
	// profile and residual scale learn a tenth as fast while a device
	// looks anomalous, so a shift that lasts hours is not learnt as normal
	// (and its end reported as an anomaly of its own), while one that stays
	// is absorbed over days.
	rate := 1.0
	if res.Warm && res.Score >= 0.5 {
		rate = 0.1
	}
	// The first half of the warm-up feeds only the statistics the scores
	// are made of (profile, residual scale, steps, covariance): their
	// scores are not yet the device's.
	if dv.n > uint32(c.WarmUp/2) {
		for j, x := range raw {
			if j == L.test(kForest, 0) && !ready {
				continue
			}
			L.tail(s, j).learn(x, float64(dv.n-uint32(c.WarmUp/2)), horizon, levels[j])
		}
	}
	if s[L.visits+hour] < profileMemory {
		s[L.visits+hour]++
	}
	visits := float64(s[L.visits+hour])
	for i, v := range r.Values {
		if !present[i] {
			continue
		}
		pi := L.profile + i*hours + hour
		s[pi] += float32(rate * (v - float64(s[pi])) / visits)
		if !math.IsNaN(mags[i]) {
			span := math.Min(float64(dv.n-1), horizon)
			s[L.stepVar+i] += float32(rate * (mags[i] - float64(s[L.stepVar+i])) / span)
		}
		if visits > 1 {
			span := math.Min(float64(dv.n), horizon)
			s[L.resVar+i] += float32(rate * (resid[i]*resid[i] - float64(s[L.resVar+i])) / span)
		}
	}
	d.learnCovariance(s, level, present, rate, math.Min(float64(dv.n), perDay))
	return res, nil
}

// profileAt interpolates field i's hourly means at t (bucket centres on
// the half hour).
func (d *Detector) profileAt(s []float32, i int, t time.Time) float64 {
	L := d.lay
	t = t.UTC()
	pos := float64(t.Hour()) + float64(t.Minute())/60 - 0.5
	h0 := int(math.Floor(pos))
	w := pos - float64(h0)
	a, b := (h0+hours)%hours, (h0+1)%hours
	pa, pb := float64(s[L.profile+i*hours+a]), float64(s[L.profile+i*hours+b])
	switch {
	case s[L.visits+a] == 0:
		return pb
	case s[L.visits+b] == 0:
		return pa
	}
	return pa*(1-w) + pb*w
}

// conditional is, per field, (P d)_i / sqrt(P_ii) with d = rz - mu and P
// the inverse of (Cov + ridge I): field i's residual less its best linear
// prediction from the other fields', in that residual's standard
// deviations. Zero where the covariance is not positive definite.
func (d *Detector) conditional(s []float32, rz []float64) []float64 {
	L := d.lay
	n := len(rz)
	a := make([]float64, n*n)
	diff := make([]float64, n)
	for i := range n {
		diff[i] = rz[i] - float64(s[L.mu+i])
		for j := 0; j <= i; j++ {
			v := float64(s[L.cov+packed(i, j)])
			a[i*n+j], a[j*n+i] = v, v
		}
		a[i*n+i] += ridge
	}
	out := make([]float64, n)
	y, pii, ok := solveSPD(a, diff, n)
	if !ok {
		return out
	}
	for i := range n {
		out[i] = math.Max(-clipZ, math.Min(clipZ, y[i]/math.Sqrt(pii[i])))
	}
	return out
}

func (d *Detector) learnCovariance(s []float32, rz []float64, present []bool, rate, span float64) {
	L := d.lay
	w := rate / math.Max(span, 1)
	for i := range rz {
		if present[i] {
			s[L.mu+i] += float32(w * (rz[i] - float64(s[L.mu+i])))
		}
	}
	for i := range rz {
		for j := 0; j <= i; j++ {
			if !present[i] || !present[j] {
				continue
			}
			di, dj := rz[i]-float64(s[L.mu+i]), rz[j]-float64(s[L.mu+j])
			p := L.cov + packed(i, j)
			s[p] += float32(w * (di*dj - float64(s[p])))
		}
	}
}

// packed is the index of (i, j), j <= i, in a packed lower triangle.
func packed(i, j int) int { return i*(i+1)/2 + j }

// solveSPD solves a x = b for a symmetric positive definite a (n x n, row
// major) by Cholesky, and returns the diagonal of a's inverse too; ok is
// false when a is not positive definite.
func solveSPD(a, b []float64, n int) (x, invDiag []float64, ok bool) {
	l := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			sum := a[i*n+j]
			for k := range j {
				sum -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				if sum <= 1e-12 {
					return nil, nil, false
				}
				l[i*n+i] = math.Sqrt(sum)
			} else {
				l[i*n+j] = sum / l[j*n+j]
			}
		}
	}
	y := make([]float64, n)
	for i := range n {
		sum := b[i]
		for k := range i {
			sum -= l[i*n+k] * y[k]
		}
		y[i] = sum / l[i*n+i]
	}
	x = make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		sum := y[i]
		for k := i + 1; k < n; k++ {
			sum -= l[k*n+i] * x[k]
		}
		x[i] = sum / l[i*n+i]
	}
	// inverse(a) = inverse(L)' inverse(L): its diagonal is the column sums
	// of squares of inverse(L).
	inv := make([]float64, n*n) // inverse(L), lower triangular
	for j := range n {
		inv[j*n+j] = 1 / l[j*n+j]
		for i := j + 1; i < n; i++ {
			sum := 0.0
			for k := j; k < i; k++ {
				sum -= l[i*n+k] * inv[k*n+j]
			}
			inv[i*n+j] = sum / l[i*n+i]
		}
	}
	invDiag = make([]float64, n)
	for j := range n {
		for i := j; i < n; i++ {
			invDiag[j] += inv[i*n+j] * inv[i*n+j]
		}
	}
	return x, invDiag, true
}

func indexOf(name string) int {
	for i, n := range Detectors {
		if n == name {
			return i
		}
	}
	return 0
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
