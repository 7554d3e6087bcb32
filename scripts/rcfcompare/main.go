// Command rcfcompare runs the lake's Random Cut Forest (internal/rcf) and
// AWS's own library (randomcutforest-core 4.2.0, Java, built from
// scripts/rcfcompare/java by make bench) on the same points with the same
// parameters, and prints the rank correlation of the two forests' scores
// and each one's points per second on one core. (make detect-eval runs
// AWS's ThresholdedRandomCutForest beside the lake's detector.)
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/refdatalake/datalake/internal/detecteval"
	"github.com/refdatalake/datalake/internal/rcf"
)

type params struct {
	trees, sample int
	decay         float64
	seed          uint64
}

func main() {
	var c detecteval.Config
	flag.IntVar(&c.Devices, "devices", 10, "devices in each stream")
	flag.IntVar(&c.Days, "days", 3, "days per device after a day of warm-up")
	flag.Int64Var(&c.Seed, "seed", 1, "seed of the streams")
	java := flag.String("java", "scripts/rcfcompare/java/target", "folder with rcf-compare-1.jar and lib/ (mvn package)")
	flag.Parse()
	p := params{trees: 30, sample: 128, seed: 1}
	p.decay = 1 / (10 * float64(p.sample))
	cp := filepath.Join(*java, "rcf-compare-1.jar") + string(os.PathListSeparator) + filepath.Join(*java, "lib", "*")
	if _, err := os.Stat(filepath.Join(*java, "rcf-compare-1.jar")); err != nil {
		fail(fmt.Errorf("%v: build it with mvn -q -B -f scripts/rcfcompare/java/pom.xml package (make bench does)", err))
	}
	c.Detector.Trees, c.Detector.SampleSize = p.trees, p.sample

	clean, err := detecteval.NewStream(c, c.Seed)
	if err != nil {
		fail(err)
	}
	fmt.Printf("Both forests: %d trees, sample size %d, time decay %.6f (1/(10*sample)), one forest per device in both; %d devices, %d days after a day of warm-up, one reading a minute.\n\n",
		p.trees, p.sample, p.decay, c.Devices, c.Days)

	// 1. The same points into both forests.
	devs, points := forestPoints(clean)
	ours, oursNs := goScores(devs, points, p)
	javaOut, javaNs, err := runJava(cp, "rcf", devs, points, p)
	if err != nil {
		fail(err)
	}
	// The ceiling: AWS's forest against itself with another seed (random
	// cuts differ, so even the same code does not rank points identically).
	other := p
	other.seed = p.seed + 1000
	javaOther, _, err := runJava(cp, "rcf", devs, points, other)
	if err != nil {
		fail(err)
	}
	var a, b, b2 []float64
	seen := map[string]int{}
	for i := range points {
		seen[devs[i]]++
		if seen[devs[i]] > 2*p.sample { // both past their warm-up
			a = append(a, ours[i])
			b = append(b, javaOut[i][0])
			b2 = append(b2, javaOther[i][0])
		}
	}
	fmt.Println("| forest | points/s (one core) | score rank correlation with AWS's |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| lake internal/rcf (Go) | %.0f | %.3f (Spearman, %d points) |\n", float64(len(points))/(float64(oursNs)/1e9), spearman(a, b), len(a))
	fmt.Printf("| AWS randomcutforest-core 4.2.0 (Java 17, JIT) | %.0f | %.3f (with another seed: the ceiling) |\n", float64(len(points))/(float64(javaNs)/1e9), spearman(b2, b))
	fmt.Printf("\nRatio Go / Java throughput: %.2f. Times are inside each library (no process start, no I/O).\n\n", float64(javaNs)/float64(oursNs))

	fmt.Println("The per-kind detection table, AWS's ThresholdedRandomCutForest beside the lake's detector and a z-score on several sources, is make detect-eval's.")
}

// forestPoints are the points both forests get: each device's readings,
// scaled by the mean and standard deviation of its first day (missing
// values repeat the last), and the time of day as sine and cosine.
func forestPoints(st detecteval.Stream) ([]string, [][]float64) {
	nf := len(st.Readings[0].Values)
	mean, sd := make([][]float64, st.Devices), make([][]float64, st.Devices)
	for d := range mean {
		mean[d], sd[d] = make([]float64, nf), make([]float64, nf)
		for f := range nf {
			var s, s2, n float64
			for _, r := range st.Readings {
				if r.Device == d && r.Index < detecteval.WarmUp(st) && !math.IsNaN(r.Values[f]) {
					s, s2, n = s+r.Values[f], s2+r.Values[f]*r.Values[f], n+1
				}
			}
			mean[d][f] = s / n
			sd[d][f] = math.Max(math.Sqrt(s2/n-mean[d][f]*mean[d][f]), 1e-9)
		}
	}
	devs, raw := readings(st)
	pts := make([][]float64, len(raw))
	for i, r := range st.Readings {
		p := make([]float64, nf+2)
		for f := range nf {
			p[f] = (raw[i][f] - mean[r.Device][f]) / sd[r.Device][f]
		}
		day := float64(r.EventTime.Sub(r.EventTime.Truncate(24*time.Hour))) / float64(24*time.Hour)
		p[nf], p[nf+1] = math.Sin(2*math.Pi*day), math.Cos(2*math.Pi*day)
		pts[i] = p
	}
	return devs, pts
}

// readings are the raw values, missing ones repeating the device's last.
func readings(st detecteval.Stream) ([]string, [][]float64) {
	last := map[string][]float64{}
	devs := make([]string, len(st.Readings))
	out := make([][]float64, len(st.Readings))
	for i, r := range st.Readings {
		devs[i] = r.PartitionKey
		l := last[r.PartitionKey]
		if l == nil {
			l = make([]float64, len(r.Values))
		}
		v := make([]float64, len(r.Values))
		for f, x := range r.Values {
			if math.IsNaN(x) {
				x = l[f]
			}
			v[f] = x
		}
		last[r.PartitionKey] = v
		out[i] = v
	}
	return devs, out
}

func goScores(devs []string, pts [][]float64, p params) ([]float64, int64) {
	forests := map[string]*rcf.Forest{}
	out := make([]float64, len(pts))
	var spent time.Duration
	for i, pt := range pts {
		f := forests[devs[i]]
		if f == nil {
			var err error
			f, err = rcf.New(rcf.Config{Dimensions: len(pt), Trees: p.trees, SampleSize: p.sample, TimeDecay: p.decay, Seed: p.seed + uint64(len(forests))})
			if err != nil {
				fail(err)
			}
			forests[devs[i]] = f
		}
		t0 := time.Now()
		s, err := f.ScoreAndUpdate(pt, nil)
		spent += time.Since(t0)
		if err != nil {
			fail(err)
		}
		out[i] = s
	}
	return out, spent.Nanoseconds()
}

// runJava feeds "device,v..." lines to the Java program and reads one line
// of comma-separated numbers per point, and the library time from stderr.
func runJava(cp, mode string, devs []string, pts [][]float64, p params) ([][]float64, int64, error) {
	var in bytes.Buffer
	for i, pt := range pts {
		in.WriteString(devs[i])
		for _, v := range pt {
			in.WriteByte(',')
			in.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		in.WriteByte('\n')
	}
	cmd := exec.Command("java", "-cp", cp, "lake.RcfCompare", mode, strconv.Itoa(p.trees), strconv.Itoa(p.sample),
		strconv.FormatFloat(p.decay, 'g', -1, 64), strconv.FormatUint(p.seed, 10))
	cmd.Stdin = &in
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("java %s: %v: %s", mode, err, errb.String())
	}
	var res [][]float64
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var row []float64
		for _, f := range strings.Split(sc.Text(), ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("java %s output %q: %v", mode, sc.Text(), err)
			}
			row = append(row, v)
		}
		res = append(res, row)
	}
	if len(res) != len(pts) {
		return nil, 0, fmt.Errorf("java %s: %d results for %d points", mode, len(res), len(pts))
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	ns, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("java %s: no timing on stderr: %s", mode, errb.String())
	}
	return res, ns, nil
}

// spearman is the rank correlation of a and b (ties get their mean rank).
func spearman(a, b []float64) float64 {
	ra, rb := ranks(a), ranks(b)
	var ma, mb float64
	for i := range ra {
		ma, mb = ma+ra[i], mb+rb[i]
	}
	ma, mb = ma/float64(len(ra)), mb/float64(len(rb))
	var num, da, db float64
	for i := range ra {
		num += (ra[i] - ma) * (rb[i] - mb)
		da += (ra[i] - ma) * (ra[i] - ma)
		db += (rb[i] - mb) * (rb[i] - mb)
	}
	return num / math.Sqrt(da*db)
}

func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(x, y int) bool { return v[idx[x]] < v[idx[y]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return r
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rcfcompare:", err)
	os.Exit(1)
}
