// Command detecteval runs the anomaly detector and a rolling z-score
// baseline over seeded labeled streams and prints precision, recall, F1
// and readings to detection per kind of anomaly (make detect-eval).
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/refdatalake/datalake/internal/detecteval"
	"github.com/refdatalake/datalake/internal/telemetrygen"
)

func main() {
	var c detecteval.Config
	flag.IntVar(&c.Devices, "devices", 20, "devices in each stream")
	flag.IntVar(&c.Days, "days", 3, "days per device after a day of warm-up (one reading a minute)")
	flag.Int64Var(&c.Seed, "seed", 1, "seed of the streams")
	flag.Float64Var(&c.Budget, "budget", 1, "false alerts allowed per device and day")
	kinds := flag.String("kinds", "", "comma-separated kinds to evaluate (default all)")
	drift := flag.Float64("drift-h", 0, "CUSUM alert level (0: the detector's default)")
	flag.Parse()
	for _, k := range strings.Split(*kinds, ",") {
		if k != "" {
			c.Kinds = append(c.Kinds, telemetrygen.AnomalyKind(k))
		}
	}
	c.Detector.DriftH = *drift
	if c.Devices < 1 || c.Days < 1 {
		fmt.Fprintln(os.Stderr, "detecteval: -devices and -days must be at least 1")
		os.Exit(2)
	}
	rep, err := detecteval.Run(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "detecteval:", err)
		os.Exit(1)
	}
	rep.Print(os.Stdout)
}
