// Package detecteval measures anomaly detectors on labeled streams
// (telemetrygen.Labeled): each detector's alert level is set on a clean
// stream so it raises at most a fixed number of false alerts per device and
// day, then each kind of anomaly is scored with that level on a stream of
// its own: precision, recall, F1, recall within 60 readings and readings to
// detection. `make detect-eval` prints the table.
package detecteval

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/refdatalake/datalake/internal/anomaly"
	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// Config sets the streams.
type Config struct {
	Devices int
	// Days per device after a day of warm-up; readings are one a minute.
	Days int
	Seed int64
	// Budget is the false alerts allowed per device and day. Default 1.
	Budget float64
	// Cooldown is how many readings an alert covers: another alert of the
	// same device within it is the same alert. Default 30.
	Cooldown int
	// Detector parameters (Fields are set here).
	Detector anomaly.Config
	// BaselineWindow and the z-score baseline's window. Default 60.
	BaselineWindow int
	// Kinds to evaluate; default every anomaly kind.
	Kinds []telemetrygen.AnomalyKind
}

const (
	perDay = 1440
	// Within is the detection horizon the targets name, in readings.
	Within = 60
	// grace after an episode ends in which an alert still counts for it.
	grace = 10
)

func (c Config) withDefaults() Config {
	if c.Budget == 0 {
		c.Budget = 1
	}
	if c.Cooldown == 0 {
		c.Cooldown = 30
	}
	if c.BaselineWindow == 0 {
		c.BaselineWindow = 60
	}
	if len(c.Kinds) == 0 {
		c.Kinds = telemetrygen.AnomalyKinds
	}
	c.Detector.Fields = telemetrygen.NumericFields()
	return c
}

// Stream is one labeled stream.
type Stream struct {
	Readings []telemetrygen.LabeledReading
	Episodes []telemetrygen.Episode
	Devices  int
	PerDev   int
}

// NewStream generates a stream with the given kinds (none: a calibration
// stream) and noise bursts.
func NewStream(c Config, seed int64, kinds ...telemetrygen.AnomalyKind) (Stream, error) {
	c = c.withDefaults()
	n := perDay * (c.Days + 1)
	rs, eps, err := telemetrygen.Labeled(telemetrygen.LabeledConfig{
		Devices: c.Devices, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Interval: time.Minute,
		Readings: n, WarmUp: perDay, Kinds: kinds, Every: 600, NoiseEvery: 720, Seed: seed,
	})
	return Stream{Readings: rs, Episodes: eps, Devices: c.Devices, PerDev: n}, err
}

// Scores are one detector's scores, by device and reading index; NaN where
// the detector is not yet warm. By names what drove each score.
type Scores struct {
	Name  string
	Score [][]float64
	By    [][]string
	// Seconds is the time the detector took over the stream.
	Seconds float64
}

// Ours runs the detector over the stream.
func Ours(c Config, s Stream) (Scores, error) {
	c = c.withDefaults()
	d, err := anomaly.New(c.Detector)
	if err != nil {
		return Scores{}, err
	}
	out := newScores("ours (RCF + repeat, drift, context)", s)
	began := time.Now()
	for _, r := range s.Readings {
		res, err := d.Process(anomaly.Reading{Device: r.PartitionKey, Time: r.EventTime, Values: r.Values})
		if err != nil {
			return Scores{}, err
		}
		if res.Warm {
			out.Score[r.Device][r.Index], out.By[r.Device][r.Index] = res.Score, res.Detector
		}
	}
	out.Seconds = time.Since(began).Seconds()
	return out, nil
}

// Baseline runs the rolling z-score over the stream.
func Baseline(c Config, s Stream) Scores {
	c = c.withDefaults()
	b := anomaly.NewZScore(c.BaselineWindow, 1)
	out := newScores(fmt.Sprintf("rolling z-score (%d readings)", c.BaselineWindow), s)
	began := time.Now()
	for _, r := range s.Readings {
		score, _, ok := b.Process(anomaly.Reading{Device: r.PartitionKey, Time: r.EventTime, Values: r.Values})
		if ok && r.Index >= perDay { // the same warm-up as ours
			out.Score[r.Device][r.Index], out.By[r.Device][r.Index] = score, "z"
		}
	}
	out.Seconds = time.Since(began).Seconds()
	return out
}

// NewScores returns empty (NaN) scores shaped for the stream, for a
// detector that runs elsewhere (AWS's library, in scripts/rcfcompare).
func NewScores(name string, s Stream) Scores { return newScores(name, s) }

// WarmUp is how many readings of each device every detector is given
// before its scores count: the first day.
const WarmUp = perDay

func newScores(name string, s Stream) Scores {
	out := Scores{Name: name, Score: make([][]float64, s.Devices), By: make([][]string, s.Devices)}
	for d := range out.Score {
		out.Score[d] = make([]float64, s.PerDev)
		for i := range out.Score[d] {
			out.Score[d][i] = math.NaN()
		}
		out.By[d] = make([]string, s.PerDev)
	}
	return out
}

// Alert is one alert: the first reading of a device at or above the level
// after a quiet Cooldown.
type Alert struct {
	Device, Index int
	By            string
}

// Alerts applies an alert level to scores.
func Alerts(s Scores, level float64, cooldown int) []Alert {
	var out []Alert
	for d, row := range s.Score {
		last := -cooldown - 1
		for i, v := range row {
			if !math.IsNaN(v) && v >= level && i-last > cooldown {
				out = append(out, Alert{d, i, s.By[d][i]})
				last = i
			}
		}
	}
	return out
}

// Calibrate returns the lowest level at which the scores of a stream with
// no anomalies raise at most budget alerts per device and day.
func Calibrate(s Scores, st Stream, budget float64, cooldown int) float64 {
	days := float64(st.PerDev-perDay) / perDay
	allowed := budget * days * float64(st.Devices)
	lo, hi := 1e-3, 1e3
	for range 60 {
		mid := math.Sqrt(lo * hi)
		if float64(len(Alerts(s, mid, cooldown))) <= allowed {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// Metrics are one detector's results on one kind.
type Metrics struct {
	Episodes, Detected, DetectedWithin  int
	Alerts, TrueAlerts                  int
	Precision, Recall, F1, RecallWithin float64
	// Delay is the median number of readings from an episode's start to its
	// first alert, over detected episodes (-1 when none).
	Delay float64
	// By counts the true alerts by the detector that drove them.
	By map[string]int
}

// Evaluate scores alerts against a stream's episodes of the anomaly kinds.
func Evaluate(alerts []Alert, st Stream) Metrics {
	m := Metrics{By: map[string]int{}}
	type key struct{ dev, ep int }
	first := map[int]int{} // episode -> first alert index
	devIndex := map[string]int{}
	for _, r := range st.Readings[:st.Devices] {
		devIndex[r.PartitionKey] = r.Device
	}
	byDev := make([][]int, st.Devices) // episodes of each device
	for e, ep := range st.Episodes {
		if ep.Kind == telemetrygen.NoiseBurst {
			continue
		}
		m.Episodes++
		byDev[devIndex[ep.Device]] = append(byDev[devIndex[ep.Device]], e)
	}
	m.Alerts = len(alerts)
	for _, a := range alerts {
		for _, e := range byDev[a.Device] {
			ep := st.Episodes[e]
			if a.Index >= ep.Start && a.Index < ep.End+grace {
				m.TrueAlerts++
				m.By[a.By]++
				if _, ok := first[e]; !ok {
					first[e] = a.Index
				}
				break
			}
		}
	}
	var delays []float64
	for e, at := range first {
		m.Detected++
		d := at - st.Episodes[e].Start
		if d <= Within {
			m.DetectedWithin++
		}
		delays = append(delays, float64(d))
	}
	if m.Alerts > 0 {
		m.Precision = float64(m.TrueAlerts) / float64(m.Alerts)
	}
	if m.Episodes > 0 {
		m.Recall = float64(m.Detected) / float64(m.Episodes)
		m.RecallWithin = float64(m.DetectedWithin) / float64(m.Episodes)
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	m.Delay = -1
	if len(delays) > 0 {
		sort.Float64s(delays)
		m.Delay = delays[len(delays)/2]
	}
	return m
}

// Row is one line of the report.
type Row struct {
	Kind     telemetrygen.AnomalyKind
	Detector string
	Metrics
}

// Report is the whole evaluation.
type Report struct {
	Config Config
	// Levels are each detector's calibrated alert level; FalsePerDay what
	// it raised on the clean stream.
	Levels      map[string]float64
	FalsePerDay map[string]float64
	Rows        []Row
	// PointsPerSecond is each detector's throughput over the streams.
	PointsPerSecond map[string]float64
}

// Run calibrates and evaluates ours and the baseline on every kind.
func Run(c Config) (Report, error) {
	c = c.withDefaults()
	rep := Report{Config: c, Levels: map[string]float64{}, FalsePerDay: map[string]float64{}, PointsPerSecond: map[string]float64{}}
	clean, err := NewStream(c, c.Seed)
	if err != nil {
		return rep, err
	}
	detectors := []func(Stream) (Scores, error){
		func(s Stream) (Scores, error) { return Ours(c, s) },
		func(s Stream) (Scores, error) { return Baseline(c, s), nil },
	}
	var names []string
	secs, points := map[string]float64{}, map[string]float64{}
	for _, run := range detectors {
		sc, err := run(clean)
		if err != nil {
			return rep, err
		}
		names = append(names, sc.Name)
		level := Calibrate(sc, clean, c.Budget, c.Cooldown)
		rep.Levels[sc.Name] = level
		rep.FalsePerDay[sc.Name] = float64(len(Alerts(sc, level, c.Cooldown))) / (float64(clean.Devices) * float64(c.Days))
		secs[sc.Name] += sc.Seconds
		points[sc.Name] += float64(len(clean.Readings))
	}
	for _, kind := range c.Kinds {
		k := slices.Index(telemetrygen.AnomalyKinds, kind)
		if k < 0 {
			return rep, fmt.Errorf("detecteval: %q is not an anomaly kind (%v)", kind, telemetrygen.AnomalyKinds)
		}
		st, err := NewStream(c, c.Seed+int64(k)+1, kind)
		if err != nil {
			return rep, err
		}
		for i, run := range detectors {
			sc, err := run(st)
			if err != nil {
				return rep, err
			}
			secs[sc.Name] += sc.Seconds
			points[sc.Name] += float64(len(st.Readings))
			rep.Rows = append(rep.Rows, Row{Kind: kind, Detector: names[i], Metrics: Evaluate(Alerts(sc, rep.Levels[sc.Name], c.Cooldown), st)})
		}
	}
	for n, s := range secs {
		rep.PointsPerSecond[n] = points[n] / s
	}
	return rep, nil
}

// Print writes the report as Markdown tables.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%d devices, %d days each after a day of warm-up, one reading a minute, seed %d; alert level per detector set on a clean stream (noise bursts only) for at most %.0f false alert per device per day; an alert covers %d readings.\n\n",
		r.Config.Devices, r.Config.Days, r.Config.Seed, r.Config.Budget, r.Config.Cooldown)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range r.Levels {
			if !yield(n) {
				return
			}
		}
	})
	fmt.Fprintln(w, "| detector | alert level | false alerts / device / day (clean stream) | readings / s (one core) |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, n := range names {
		fmt.Fprintf(w, "| %s | %.3f | %.2f | %.0f |\n", n, r.Levels[n], r.FalsePerDay[n], r.PointsPerSecond[n])
	}
	fmt.Fprintf(w, "\n| kind | detector | episodes | precision | recall | F1 | recall within %d | median readings to detection | true alerts by |\n", Within)
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, row := range r.Rows {
		var by []string
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range row.By {
				if !yield(k) {
					return
				}
			}
		}) {
			by = append(by, fmt.Sprintf("%s %d", k, row.By[k]))
		}
		delay := "-"
		if row.Delay >= 0 {
			delay = fmt.Sprintf("%.0f", row.Delay)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %s | %s |\n", row.Kind, row.Detector, row.Episodes,
			row.Precision, row.Recall, row.F1, row.RecallWithin, delay, strings.Join(by, ", "))
	}
}
