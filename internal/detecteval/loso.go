package detecteval

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/refdatalake/datalake/internal/anomaly"
)

// TCPDSeries is one real series with its annotators' change points.
type TCPDSeries struct {
	Name        string
	Stream      Stream
	Annotations map[string][]int
}

// LoadTCPD reads the TCPD folder (scripts/detecteval/sources/tcpd_streams.py).
func LoadTCPD(dir string) ([]TCPDSeries, string, error) {
	m, err := LoadManifest(dir + "/manifest.json")
	if err != nil {
		return nil, "", err
	}
	var out []TCPDSeries
	for _, s := range m.Streams {
		st, err := LoadStream(m.Path(s))
		if err != nil {
			return nil, "", err
		}
		out = append(out, TCPDSeries{Name: s.Series, Stream: st, Annotations: s.Annotations})
	}
	return out, strings.Join(m.Citations, " "), nil
}

// TCPDRow is one detector on one series: its alerts read as change points.
type TCPDRow struct {
	Detector     string
	Scored       int
	ChangePoints []int
	F1, Cover    float64
}

// EvaluateTCPD runs each contender that needs no clean stream on each
// series; the first reading of each alert event is a change point, scored
// with TCPDBench's F1 (margin 5) and cover.
func EvaluateTCPD(series []TCPDSeries, contenders []Contender) (map[string][]TCPDRow, error) {
	out := map[string][]TCPDRow{}
	for _, s := range series {
		for _, ct := range contenders {
			if ct.Fitted {
				continue // no clean stretch to fit on
			}
			run, err := ct.Prepare(Stream{})
			if err != nil {
				return nil, err
			}
			v, err := run(s.Stream)
			if err != nil {
				return nil, fmt.Errorf("%s on %s: %w", ct.Name, s.Name, err)
			}
			row := TCPDRow{Detector: ct.Name, Scored: v.Scored[0]}
			for _, a := range v.Alerts {
				row.ChangePoints = append(row.ChangePoints, a.Index)
			}
			row.F1, _, _ = TCPDF1(s.Annotations, row.ChangePoints, s.Stream.PerDev, 5)
			row.Cover = TCPDCover(s.Annotations, row.ChangePoints, s.Stream.PerDev)
			out[s.Name] = append(out[s.Name], row)
		}
	}
	return out, nil
}

// TCPDVerdict lists the series on which ours finds the annotated change
// points less well (F1) than trcf.
func TCPDVerdict(rows map[string][]TCPDRow, ours, trcf string) []string {
	var out []string
	for _, name := range sortedKeys(rows) {
		f1 := map[string]float64{}
		for _, r := range rows[name] {
			f1[r.Detector] = r.F1
		}
		a, okA := f1[ours]
		b, okB := f1[trcf]
		if okA && okB && a < b {
			out = append(out, fmt.Sprintf("tcpd %s: F1 %.3f below TRCF's %.3f", name, a, b))
		}
	}
	return out
}

// PrintTCPD writes each series' table: TCPDBench's published default
// scores, then each detector's.
func PrintTCPD(w io.Writer, series []TCPDSeries, rows map[string][]TCPDRow, citation string) {
	fmt.Fprintf(w, "### tcpd: real sensor series with published results\n\n%s Labels are change points; an alert's first reading counts as one.\n\n", citation)
	for _, s := range series {
		fmt.Fprintf(w, "**%s** (%d readings, %d fields, %d annotators)\n\n", s.Name, s.Stream.PerDev, len(s.Stream.Fields), len(s.Annotations))
		fmt.Fprintln(w, "| method | F1 (margin 5) | cover | source |")
		fmt.Fprintln(w, "|---|---|---|---|")
		for _, m := range TCPDMethods {
			p := TCPDDefault[s.Name][m]
			fmt.Fprintf(w, "| %s | %.3f | %.3f | published (TCPDBench, default parameters) |\n", m, p.F1, p.Cover)
		}
		for _, r := range rows[s.Name] {
			fmt.Fprintf(w, "| %s | **%.3f** | %.3f | this run: %d change points, %d readings scored |\n", r.Detector, r.F1, r.Cover, len(r.ChangePoints), r.Scored)
		}
		fmt.Fprintln(w)
	}
}

// Tunable is one setting of the lake's detector a leave-one-source-out run
// may choose.
type Tunable struct {
	Name  string
	Apply func(c *anomaly.Config)
}

// Grid is the settings tried when tuning: the spans of the residuals'
// short and long averages, the two shape constants that are not derived
// from the budget or the device.
func Grid() []Tunable {
	var out []Tunable
	for _, ctx := range []int{5, 10, 20} {
		for _, drift := range []int{30, 60, 120} {
			out = append(out, Tunable{Name: fmt.Sprintf("context %d, drift %d", ctx, drift), Apply: func(c *anomaly.Config) { c.ContextSpan, c.DriftSpan = ctx, drift }})
		}
	}
	return out
}

// Score is a detector setting's result on one source: mean F1 over its
// kinds (or its series, for TCPD) and false alerts per device-day on its
// clean stream (NaN for TCPD).
type Score struct{ F1, FalsePerDay float64 }

// ScoreOurs runs the lake's detector with cfg on a source.
func ScoreOurs(c Config, cfg anomaly.Config, src Source) (Score, error) {
	cc := c
	cc.Detector = cfg
	v, err := Ours(cc, src.Clean)
	if err != nil {
		return Score{}, err
	}
	s := Score{FalsePerDay: FalsePerDay(v, src.Clean, ReadingsPerDay(src.Clean))}
	sum := 0.0
	for _, ks := range src.Kinds {
		v, err := Ours(cc, ks.Stream)
		if err != nil {
			return Score{}, err
		}
		sum += Evaluate(v, ks.Stream).F1
	}
	s.F1 = sum / float64(len(src.Kinds))
	return s, nil
}

// ScoreOursTCPD is the mean TCPD F1 over the series.
func ScoreOursTCPD(c Config, cfg anomaly.Config, series []TCPDSeries) (Score, error) {
	cc := c
	cc.Detector = cfg
	sum := 0.0
	for _, s := range series {
		v, err := Ours(cc, s.Stream)
		if err != nil {
			return Score{}, err
		}
		var cps []int
		for _, a := range v.Alerts {
			cps = append(cps, a.Index)
		}
		f1, _, _ := TCPDF1(s.Annotations, cps, s.Stream.PerDev, 5)
		sum += f1
	}
	return Score{F1: sum / float64(len(series)), FalsePerDay: math.NaN()}, nil
}

// LOSO is a leave-one-source-out run: for each source, the grid setting
// with the best mean F1 there (among those within the budget on its clean
// stream), and its scores on every source, beside the defaults'.
type LOSO struct {
	Sources  []string
	Defaults []Score
	// Chosen[i] is the setting tuned on source i; Scores[i][j] its result
	// on source j.
	Chosen []string
	Scores [][]Score
}

// RunLOSO scores every grid setting on every source (sources by name, in
// order; tcpd, when given, as the last) and picks per source.
func RunLOSO(c Config, base anomaly.Config, sources []Source, tcpd []TCPDSeries, budget float64) (LOSO, error) {
	grid := Grid()
	names := make([]string, 0, len(sources)+1)
	for _, s := range sources {
		names = append(names, s.Name)
	}
	if len(tcpd) > 0 {
		names = append(names, "tcpd")
	}
	// table[g][j]: grid setting g on source j; the defaults are row len(grid).
	table := make([][]Score, len(grid)+1)
	for g := range table {
		table[g] = make([]Score, len(names))
	}
	jobs := (len(grid) + 1) * len(names)
	err := parallel(jobs, func(k int) error {
		g, j := k/len(names), k%len(names)
		cfg := base
		if g < len(grid) {
			grid[g].Apply(&cfg)
		}
		var err error
		if j < len(sources) {
			table[g][j], err = ScoreOurs(c, cfg, sources[j])
		} else {
			table[g][j], err = ScoreOursTCPD(c, cfg, tcpd)
		}
		return err
	})
	if err != nil {
		return LOSO{}, err
	}
	out := LOSO{Sources: names, Defaults: table[len(grid)]}
	for i := range names {
		best := -1
		for g := range grid {
			s := table[g][i]
			if !math.IsNaN(s.FalsePerDay) && s.FalsePerDay > budget {
				continue
			}
			if best < 0 || s.F1 > table[best][i].F1 {
				best = g
			}
		}
		if best < 0 {
			out.Chosen = append(out.Chosen, "none within the budget")
			out.Scores = append(out.Scores, make([]Score, len(names)))
			continue
		}
		out.Chosen = append(out.Chosen, grid[best].Name)
		out.Scores = append(out.Scores, table[best])
	}
	return out, nil
}

// Print writes the leave-one-source-out table.
func (l LOSO) Print(w io.Writer) {
	fmt.Fprintln(w, "### Leave one source out")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Each row tunes the residual averages' spans on one source (best mean F1 within the budget there) and runs that setting untouched on the others. Cells: mean F1 over the kinds (TCPD: over the series) / false alerts per device-day on the clean stream; the tuned-on source is in brackets.")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| tuned on | setting | %s |\n|---|---|%s\n", strings.Join(l.Sources, " | "), strings.Repeat("---|", len(l.Sources)))
	cell := func(s Score) string {
		if math.IsNaN(s.FalsePerDay) {
			return fmt.Sprintf("%.3f", s.F1)
		}
		return fmt.Sprintf("%.3f / %.2f", s.F1, s.FalsePerDay)
	}
	var row []string
	for _, s := range l.Defaults {
		row = append(row, cell(s))
	}
	fmt.Fprintf(w, "| (none) | defaults | %s |\n", strings.Join(row, " | "))
	for i, name := range l.Sources {
		row = row[:0]
		for j, s := range l.Scores[i] {
			c := cell(s)
			if i == j {
				c = "[" + c + "]"
			}
			row = append(row, c)
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, l.Chosen[i], strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
}
