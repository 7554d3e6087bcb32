// Command detecteval judges the stream's anomaly detector on yardsticks the
// project did not make (make detect-eval): for each source, the lake's
// detector with its default settings beside AWS's ThresholdedRandomCutForest
// and a rolling z-score, false alerts per device-day on clean stretches and
// per kind precision, recall, F1 and readings to detection; the real TCPD
// series beside their published results; and a leave-one-source-out run.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/refdatalake/datalake/internal/anomaly"
	"github.com/refdatalake/datalake/internal/detecteval"
)

func main() {
	var c detecteval.Config
	flag.IntVar(&c.Devices, "devices", 20, "telemetrygen: devices in each stream")
	flag.IntVar(&c.Days, "days", 3, "telemetrygen: days per device after a day of warm-up (one reading a minute)")
	flag.Int64Var(&c.Seed, "seed", 1, "telemetrygen: seed of the streams")
	budget := flag.Float64("budget", 1, "false alerts per device and day: the detector's one setting (anomalyAlertsPerDay)")
	gutentag := flag.String("gutentag", "", "folder of GutenTAG streams (scripts/detecteval/sources/gutentag_streams.py); empty: skip")
	tcpd := flag.String("tcpd", "", "folder of the TCPD series (scripts/detecteval/sources/tcpd_streams.py); empty: skip")
	java := flag.String("java", "scripts/rcfcompare/java/target", "folder with rcf-compare-1.jar and lib/ for AWS's TRCF; empty: skip TRCF")
	loso := flag.Bool("loso", true, "run the leave-one-source-out tuning")
	flag.Parse()
	if c.Devices < 1 || c.Days < 1 || *budget <= 0 {
		fail(fmt.Errorf("-devices and -days must be at least 1 and -budget above 0"))
	}
	began := time.Now()
	cfg := anomaly.Config{AlertsPerDay: *budget}
	trcf := detecteval.TRCF{Dir: *java}
	if *java != "" {
		if err := trcf.Available(); err != nil {
			fail(fmt.Errorf("AWS TRCF: %v (or pass -java= to skip it)", err))
		}
	}
	contenders := detecteval.Contenders(c, cfg, trcf, *budget)

	var sources []detecteval.Source
	tg, err := detecteval.TelemetrygenSource(c)
	if err != nil {
		fail(err)
	}
	sources = append(sources, tg)
	if *gutentag != "" {
		src, err := detecteval.ManifestSource(*gutentag)
		if err != nil {
			fail(err)
		}
		sources = append(sources, src)
	}
	fmt.Printf("## Anomaly detector on yardsticks it was not tuned on\n\nEvery detector runs as deployed: the lake's with its default settings (alert levels from each device's own history and a budget of %g false alert per device and day), the z-score at a fixed level, AWS's TRCF by its own anomaly grade. Rows marked (reference) fit their threshold afterwards on the source's own clean stream, which no deployment can do. An alert is the first anomalous reading after %d quiet ones.\n\n", *budget, 30)
	var misses []string
	ours, trcfName := contenders[0].Name, ""
	for _, ct := range contenders {
		if strings.Contains(ct.Name, "TRCF") && !ct.Fitted {
			trcfName = ct.Name
		}
	}
	for _, src := range sources {
		res, err := detecteval.EvaluateSource(src, contenders)
		if err != nil {
			fail(err)
		}
		res.Print(os.Stdout, *budget)
		misses = append(misses, res.Verdict(ours, trcfName)...)
	}
	var series []detecteval.TCPDSeries
	if *tcpd != "" {
		var citation string
		series, citation, err = detecteval.LoadTCPD(*tcpd)
		if err != nil {
			fail(err)
		}
		rows, err := detecteval.EvaluateTCPD(series, contenders)
		if err != nil {
			fail(err)
		}
		detecteval.PrintTCPD(os.Stdout, series, rows, citation)
		misses = append(misses, detecteval.TCPDVerdict(rows, ours, trcfName)...)
	}
	if *loso {
		l, err := detecteval.RunLOSO(c, cfg, sources, series, *budget)
		if err != nil {
			fail(err)
		}
		l.Print(os.Stdout)
	}
	fmt.Println("### Targets")
	fmt.Println()
	fmt.Printf("On every source: at most 1.5 false alerts per device-day on clean stretches, and F1 at least %s's on every kind (TCPD: on every series).\n\n", trcfName)
	if len(misses) == 0 {
		fmt.Println("All met.")
	}
	for _, m := range misses {
		fmt.Println("- missed:", m)
	}
	fmt.Printf("\n(%.0f s)\n", time.Since(began).Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "detecteval:", err)
	os.Exit(1)
}
