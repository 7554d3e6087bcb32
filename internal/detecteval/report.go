package detecteval

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/refdatalake/datalake/internal/anomaly"
	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// Source is one yardstick: a clean stream (no labelled anomaly) and one
// stream per kind of anomaly, from one generator or data set.
type Source struct {
	Name string
	// About says where it comes from (generator, licence).
	About string
	Clean Stream
	Kinds []KindStream
}

// KindStream is a source's stream of one kind of anomaly.
type KindStream struct {
	Kind   telemetrygen.AnomalyKind
	Stream Stream
}

// TelemetrygenSource is the project's own generator: a clean stream and one
// stream per kind, with noise bursts (not anomalies) in every one.
func TelemetrygenSource(c Config) (Source, error) {
	c = c.withDefaults()
	src := Source{Name: "telemetrygen", About: fmt.Sprintf("the project's own generator (internal/telemetrygen), %d devices, %d days after a day of warm-up, seed %d", c.Devices, c.Days, c.Seed)}
	var err error
	if src.Clean, err = NewStream(c, c.Seed); err != nil {
		return src, err
	}
	for k, kind := range c.Kinds {
		st, err := NewStream(c, c.Seed+int64(k)+1, kind)
		if err != nil {
			return src, err
		}
		src.Kinds = append(src.Kinds, KindStream{kind, st})
	}
	return src, nil
}

// ManifestSource reads a folder of streams (manifest.json and the common
// CSV format): the stream without kinds is the clean one.
func ManifestSource(dir string) (Source, error) {
	m, err := LoadManifest(dir + "/manifest.json")
	if err != nil {
		return Source{}, err
	}
	seed := "none recorded"
	if m.Seed != nil {
		seed = fmt.Sprint(*m.Seed)
	}
	src := Source{Name: m.Source, About: fmt.Sprintf("%s %s (%s), seed %s, %d devices", m.Title, m.Version, m.Licence, seed, m.Devices)}
	clean := false
	for _, s := range m.Streams {
		st, err := LoadStream(m.Path(s))
		if err != nil {
			return src, err
		}
		if len(s.Kinds) == 0 {
			src.Clean, clean = st, true
			continue
		}
		src.Kinds = append(src.Kinds, KindStream{s.Kinds[0], st})
	}
	if !clean {
		return src, fmt.Errorf("detecteval: %s has no clean stream", dir)
	}
	return src, nil
}

// Contender is one detector as the evaluation runs it: Prepare sees the
// source's clean stream first (a fitted threshold learns from it; the
// others ignore it), then Run gives its alerts on each stream.
type Contender struct {
	Name string
	// Fitted marks a threshold chosen afterwards on the source's own clean
	// stream: a reference no deployment could reach.
	Fitted  bool
	Prepare func(clean Stream) (run func(Stream) (Verdicts, error), err error)
}

// Contenders are the detectors compared: the lake's with its defaults
// (cfg), the z-score at Z sigma, AWS's TRCF by its own grade when java is
// given (trcf.Dir != ""), and, for reference, both baselines with a
// threshold fitted on each source's clean stream to the budget.
func Contenders(c Config, cfg anomaly.Config, trcf TRCF, budget float64) []Contender {
	c = c.withDefaults()
	ours := Contender{Name: "lake detector (defaults)", Prepare: func(Stream) (func(Stream) (Verdicts, error), error) {
		return func(st Stream) (Verdicts, error) {
			cc := c
			cc.Detector = cfg
			return Ours(cc, st)
		}, nil
	}}
	z := Contender{Name: fmt.Sprintf("z-score %g sigma", c.Z), Prepare: func(Stream) (func(Stream) (Verdicts, error), error) {
		return func(st Stream) (Verdicts, error) { return Events(ZScores(c, st), 1, c.Quiet), nil }, nil
	}}
	zFit := Contender{Name: "z-score, threshold fitted", Fitted: true, Prepare: func(clean Stream) (func(Stream) (Verdicts, error), error) {
		level := Fit(ZScores(c, clean), clean, budget, c.Quiet)
		return func(st Stream) (Verdicts, error) { return Events(ZScores(c, st), level, c.Quiet), nil }, nil
	}}
	out := []Contender{ours, z}
	if trcf.Dir != "" {
		out = append(out, Contender{Name: "AWS TRCF (its own grade)", Prepare: func(Stream) (func(Stream) (Verdicts, error), error) {
			return func(st Stream) (Verdicts, error) {
				_, grade, err := trcf.Run(st)
				return Events(grade, 1e-9, c.Quiet), err
			}, nil
		}}, Contender{Name: "AWS TRCF, threshold fitted", Fitted: true, Prepare: func(clean Stream) (func(Stream) (Verdicts, error), error) {
			score, _, err := trcf.Run(clean)
			if err != nil {
				return nil, err
			}
			level := Fit(score, clean, budget, c.Quiet)
			return func(st Stream) (Verdicts, error) {
				score, _, err := trcf.Run(st)
				return Events(score, level, c.Quiet), err
			}, nil
		}})
	}
	return append(out, zFit)
}

// Row is one detector's result on one stream of a source.
type Row struct {
	Source, Detector string
	Kind             telemetrygen.AnomalyKind
	Metrics
}

// Result is one source's evaluation: per detector its false alerts per
// device-day on the clean stream (and on noise bursts), and a Row per
// detector and kind.
type Result struct {
	Source      Source
	Names       []string
	Fitted      map[string]bool
	FalsePerDay map[string]float64
	Bursts      map[string]int
	PerSecond   map[string]float64
	Rows        []Row
}

// Evaluate runs every contender on a source.
func EvaluateSource(src Source, contenders []Contender) (Result, error) {
	res := Result{Source: src, Fitted: map[string]bool{}, FalsePerDay: map[string]float64{}, Bursts: map[string]int{}, PerSecond: map[string]float64{}}
	for _, ct := range contenders {
		run, err := ct.Prepare(src.Clean)
		if err != nil {
			return res, fmt.Errorf("%s on %s: %w", ct.Name, src.Name, err)
		}
		res.Names = append(res.Names, ct.Name)
		res.Fitted[ct.Name] = ct.Fitted
		v, err := run(src.Clean)
		if err != nil {
			return res, fmt.Errorf("%s on %s: %w", ct.Name, src.Name, err)
		}
		res.FalsePerDay[ct.Name] = FalsePerDay(v, src.Clean, ReadingsPerDay(src.Clean))
		res.Bursts[ct.Name] = BurstAlerts(v, src.Clean)
		secs, points := v.Seconds, float64(len(src.Clean.Readings))
		for _, ks := range src.Kinds {
			v, err := run(ks.Stream)
			if err != nil {
				return res, fmt.Errorf("%s on %s %s: %w", ct.Name, src.Name, ks.Kind, err)
			}
			secs += v.Seconds
			points += float64(len(ks.Stream.Readings))
			res.Rows = append(res.Rows, Row{Source: src.Name, Detector: ct.Name, Kind: ks.Kind, Metrics: Evaluate(v, ks.Stream)})
		}
		if secs > 0 {
			res.PerSecond[ct.Name] = points / secs
		}
	}
	return res, nil
}

// Print writes the source's two tables as Markdown.
func (r Result) Print(w io.Writer, budget float64) {
	fmt.Fprintf(w, "### %s\n\n%s. Budget: %g false alert per device and day.\n\n", r.Source.Name, r.Source.About, budget)
	fmt.Fprintln(w, "| detector | false alerts / device / day (clean stretches) | alerts on noise bursts | readings / s |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, n := range r.Names {
		fmt.Fprintf(w, "| %s | %.2f | %d | %.0f |\n", label(n, r.Fitted[n]), r.FalsePerDay[n], r.Bursts[n], r.PerSecond[n])
	}
	fmt.Fprintf(w, "\n| kind | detector | episodes | precision | recall | F1 | recall within %d | median readings to detection | false / device / day | true alerts by |\n", Within)
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, row := range r.Rows {
		var by []string
		for _, k := range sortedKeys(row.By) {
			by = append(by, fmt.Sprintf("%s %d", k, row.By[k]))
		}
		delay := "-"
		if row.Delay >= 0 {
			delay = fmt.Sprintf("%.0f", row.Delay)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %.2f | %.2f | **%.2f** | %.2f | %s | %.2f | %s |\n", row.Kind, label(row.Detector, r.Fitted[row.Detector]), row.Episodes,
			row.Precision, row.Recall, row.F1, row.RecallWithin, delay, row.FalsePerDay, strings.Join(by, ", "))
	}
	fmt.Fprintln(w)
}

func label(name string, fitted bool) string {
	if fitted {
		return name + " (reference)"
	}
	return name
}

// F1 is a detector's F1 on a kind, NaN without that row.
func (r Result) F1(detector string, kind telemetrygen.AnomalyKind) float64 {
	for _, row := range r.Rows {
		if row.Detector == detector && row.Kind == kind {
			return row.F1
		}
	}
	return math.NaN()
}

// Verdict checks the targets on a source: the lake's detector keeps
// its budget (at most 1.5 false alerts per device-day on clean stretches)
// and its F1 is at least TRCF's (own grade) on every kind. It returns a line
// per target missed.
func (r Result) Verdict(ours, trcf string) []string {
	var out []string
	if f := r.FalsePerDay[ours]; !(f <= 1.5) {
		out = append(out, fmt.Sprintf("%s: %.2f false alerts per device-day on clean stretches (target 1.5)", r.Source.Name, f))
	}
	if trcf == "" {
		return out
	}
	for _, ks := range r.Source.Kinds {
		if a, b := r.F1(ours, ks.Kind), r.F1(trcf, ks.Kind); a < b {
			out = append(out, fmt.Sprintf("%s %s: F1 %.2f below TRCF's %.2f", r.Source.Name, ks.Kind, a, b))
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parallel runs f(i) for i < n on every core.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
