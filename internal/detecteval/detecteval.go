// Package detecteval measures anomaly detectors on labeled streams from
// several sources: the project's own generator (internal/telemetrygen), an
// independent one (GutenTAG), and real sensor data with published results
// (tcpd.go). Every detector runs as it would be deployed: the lake's
// detector with its default settings, whose alert levels set themselves
// (internal/anomaly); AWS's ThresholdedRandomCutForest with its own
// thresholds (trcf.go); a rolling z-score at a fixed 4 sigma. Beside them,
// for reference, the z-score and TRCF with an alert level fitted
// afterwards on each source's clean stream, which no deployment could do.
//
// For each source and detector it reports the false alerts per device and
// day on the clean stretches, and per kind of anomaly precision, recall,
// F1 and the median readings to detection. `make detect-eval` prints the
// tables (scripts/detecteval).
package detecteval

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/refdatalake/datalake/internal/anomaly"
	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// Config sets the generated streams and the detectors.
type Config struct {
	// Devices and Days shape telemetrygen's streams: Days per device after
	// a day of warm-up, one reading a minute.
	Devices, Days int
	Seed          int64
	// Quiet is how many readings without an anomalous one end an event,
	// for every detector (the lake's detector's default). Default 30.
	Quiet int
	// Detector is the lake's detector's configuration (Fields are set per
	// source); zero values are its defaults.
	Detector anomaly.Config
	// ZWindow and Z are the rolling z-score's window and alert level.
	// Defaults 60 readings and 4.
	ZWindow int
	Z       float64
	// Kinds of telemetrygen to evaluate; default every anomaly kind.
	Kinds []telemetrygen.AnomalyKind
}

const (
	// episodeEvery spaces telemetrygen's anomalies about a day apart on each
	// device: anomalies are what a device rarely does. (Closer together, a
	// 180-reading level shift every 600 readings, a third of a stream is
	// anomalous, and a detector that learns what its device does learns
	// the anomalies.) Noise bursts, which are not anomalies, come twice a
	// day.
	episodeEvery = 2880
	perDay       = 1440
	// Within is the detection horizon the targets name, in readings.
	Within = 60
	// grace after an episode ends in which an alert still counts for it.
	grace = 10
)

func (c Config) withDefaults() Config {
	if c.Quiet == 0 {
		c.Quiet = 30
	}
	if c.ZWindow == 0 {
		c.ZWindow = 60
	}
	if c.Z == 0 {
		c.Z = 4
	}
	if len(c.Kinds) == 0 {
		c.Kinds = telemetrygen.AnomalyKinds
	}
	if c.Devices == 0 {
		c.Devices = 20
	}
	if c.Days == 0 {
		c.Days = 3
	}
	return c
}

// Stream is one labeled stream of one or more devices.
type Stream struct {
	Readings []telemetrygen.LabeledReading
	Episodes []telemetrygen.Episode
	// Fields name the values of each reading.
	Fields  []string
	Devices int
	// PerDev is how many readings each device sends.
	PerDev int
}

// NewStream generates a telemetrygen stream with the given kinds (none: a
// clean stream) and noise bursts, which are not anomalies.
func NewStream(c Config, seed int64, kinds ...telemetrygen.AnomalyKind) (Stream, error) {
	c = c.withDefaults()
	n := perDay * (c.Days + 1)
	rs, eps, err := telemetrygen.Labeled(telemetrygen.LabeledConfig{
		Devices: c.Devices, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Interval: time.Minute,
		Readings: n, WarmUp: perDay, Kinds: kinds, Every: episodeEvery, NoiseEvery: 720, Seed: seed,
	})
	return Stream{Readings: rs, Episodes: eps, Fields: telemetrygen.NumericFields(), Devices: c.Devices, PerDev: n}, err
}

// Alert is one alert: the first reading of an event.
type Alert struct {
	Device, Index int
	By            string
}

// Verdicts are one detector's alerts on one stream, and how many readings
// of each device it scored (after its warm-up): the denominators of the
// false alerts per day.
type Verdicts struct {
	Alerts []Alert
	Scored []int
	// Seconds is the time the detector took over the stream.
	Seconds float64
}

// Ours runs the lake's detector, as deployed, over the stream: its alerts
// are its own (Result.Alert).
func Ours(c Config, s Stream) (Verdicts, error) {
	c = c.withDefaults()
	cfg := c.Detector
	cfg.Fields = s.Fields
	if cfg.Quiet == 0 {
		cfg.Quiet = c.Quiet
	}
	d, err := anomaly.New(cfg)
	if err != nil {
		return Verdicts{}, err
	}
	v := Verdicts{Scored: make([]int, s.Devices)}
	began := time.Now()
	for _, r := range s.Readings {
		res, err := d.Process(anomaly.Reading{Device: r.PartitionKey, Time: r.EventTime, Values: r.Values})
		if err != nil {
			return Verdicts{}, err
		}
		if res.Warm {
			v.Scored[r.Device]++
		}
		if res.Alert {
			v.Alerts = append(v.Alerts, Alert{r.Device, r.Index, res.Detector})
		}
	}
	v.Seconds = time.Since(began).Seconds()
	return v, nil
}

// Scores are a detector's continuous scores, by device and reading index;
// NaN where the detector is not yet warm. By names what drove each score.
type Scores struct {
	Name  string
	Score [][]float64
	By    [][]string
	// Seconds is the time the detector took over the stream.
	Seconds float64
}

// NewScores returns empty (NaN) scores shaped for the stream.
func NewScores(name string, s Stream) Scores {
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

// WarmUp is how many readings of each device a baseline is given before
// its scores count: the first day at one a minute, at most a quarter of a
// short series.
func WarmUp(s Stream) int { return min(perDay, s.PerDev/4) }

// ZScores runs the rolling z-score over the stream (score 1 = Z sigma).
func ZScores(c Config, s Stream) Scores {
	c = c.withDefaults()
	b := anomaly.NewZScore(c.ZWindow, c.Z)
	out := NewScores(fmt.Sprintf("z-score (%d readings)", c.ZWindow), s)
	began := time.Now()
	warm := WarmUp(s)
	for _, r := range s.Readings {
		score, _, ok := b.Process(anomaly.Reading{Device: r.PartitionKey, Time: r.EventTime, Values: r.Values})
		if ok && r.Index >= warm {
			out.Score[r.Device][r.Index], out.By[r.Device][r.Index] = score, "z"
		}
	}
	out.Seconds = time.Since(began).Seconds()
	return out
}

// Events turns scores into alerts at a level: the first reading at or above
// it after quiet readings below it.
func Events(s Scores, level float64, quiet int) Verdicts {
	v := Verdicts{Scored: make([]int, len(s.Score)), Seconds: s.Seconds}
	for d, row := range s.Score {
		calm := quiet
		for i, x := range row {
			if math.IsNaN(x) {
				continue
			}
			v.Scored[d]++
			if x >= level {
				if calm >= quiet {
					v.Alerts = append(v.Alerts, Alert{d, i, s.By[d][i]})
				}
				calm = 0
			} else {
				calm++
			}
		}
	}
	return v
}

// Fit returns the lowest level at which the scores of a clean stream raise
// at most budget false alerts per device and day: a threshold chosen after
// the fact on the source's own data, which a deployment cannot do.
func Fit(s Scores, clean Stream, budget float64, quiet int) float64 {
	lo, hi := 1e-6, 1e6
	perDayOf := ReadingsPerDay(clean)
	for range 80 {
		mid := math.Sqrt(lo * hi)
		v := Events(s, mid, quiet)
		if FalsePerDay(v, clean, perDayOf) <= budget {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// FalsePerDay is the alerts per device and day on the clean stretches:
// outside every labeled episode and every noise burst (and their grace),
// over the readings the detector scored; perDayOf is the stream's readings
// per device and day. Alerts on telemetrygen's noise bursts are counted
// apart (BurstAlerts): the generator does not label four times the noise
// for half an hour an anomaly, GutenTAG labels a variance change one.
func FalsePerDay(v Verdicts, st Stream, perDayOf float64) float64 {
	scored := 0
	for _, n := range v.Scored {
		scored += n
	}
	if scored == 0 {
		return math.NaN()
	}
	false_ := 0
	for _, a := range v.Alerts {
		if episodeAt(st, a) < 0 && !inBurst(st, a) {
			false_++
		}
	}
	return float64(false_) / (float64(scored) / perDayOf)
}

// BurstAlerts counts the alerts on noise bursts.
func BurstAlerts(v Verdicts, st Stream) int {
	n := 0
	for _, a := range v.Alerts {
		if episodeAt(st, a) < 0 && inBurst(st, a) {
			n++
		}
	}
	return n
}

func inBurst(st Stream, a Alert) bool {
	for _, ep := range st.Episodes {
		if ep.Kind == telemetrygen.NoiseBurst && st.deviceIndex(ep.Device) == a.Device && a.Index >= ep.Start && a.Index < ep.End+grace {
			return true
		}
	}
	return false
}

// ReadingsPerDay is the stream's readings per device and day, from its
// first device's timestamps.
func ReadingsPerDay(st Stream) float64 {
	var first, last time.Time
	n := 0
	for _, r := range st.Readings {
		if r.Device != 0 {
			continue
		}
		if n == 0 {
			first = r.EventTime
		}
		last = r.EventTime
		n++
	}
	if n < 2 || !last.After(first) {
		return perDay
	}
	return float64(n-1) / last.Sub(first).Hours() * 24
}

// episodeAt is the episode an alert falls in (or within grace after), -1
// for none. Noise bursts are not anomalies.
func episodeAt(st Stream, a Alert) int {
	for e, ep := range st.Episodes {
		if ep.Kind == telemetrygen.NoiseBurst || st.deviceIndex(ep.Device) != a.Device {
			continue
		}
		if a.Index >= ep.Start && a.Index < ep.End+grace {
			return e
		}
	}
	return -1
}

func (st Stream) deviceIndex(name string) int {
	for _, r := range st.Readings[:min(st.Devices, len(st.Readings))] {
		if r.PartitionKey == name {
			return r.Device
		}
	}
	return -1
}

// Metrics are one detector's results on one stream.
type Metrics struct {
	Episodes, Detected, DetectedWithin  int
	Alerts, TrueAlerts                  int
	Precision, Recall, F1, RecallWithin float64
	// Delay is the median number of readings from an episode's start to its
	// first alert, over detected episodes (-1 when none).
	Delay float64
	// FalsePerDay is the alerts per device and day on clean stretches.
	FalsePerDay float64
	// BurstAlerts are alerts on noise bursts: neither true nor false, and
	// not in Alerts.
	BurstAlerts int
	// By counts the true alerts by the detector that drove them.
	By map[string]int
}

// Evaluate scores verdicts against a stream's episodes.
func Evaluate(v Verdicts, st Stream) Metrics {
	m := Metrics{By: map[string]int{}, BurstAlerts: BurstAlerts(v, st)}
	m.Alerts = len(v.Alerts) - m.BurstAlerts
	for _, ep := range st.Episodes {
		if ep.Kind != telemetrygen.NoiseBurst {
			m.Episodes++
		}
	}
	first := map[int]int{}
	for _, a := range v.Alerts {
		e := episodeAt(st, a)
		if e < 0 {
			continue
		}
		m.TrueAlerts++
		m.By[a.By]++
		if _, ok := first[e]; !ok {
			first[e] = a.Index
		}
	}
	var delays []float64
	for e, at := range first {
		m.Detected++
		d := at - st.Episodes[e].Start
		if d <= Within {
			m.DetectedWithin++
		}
		delays = append(delays, float64(max(d, 0)))
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
	m.FalsePerDay = FalsePerDay(v, st, ReadingsPerDay(st))
	return m
}
