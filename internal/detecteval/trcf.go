package detecteval

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// TRCF runs AWS's ThresholdedRandomCutForest (randomcutforest-parkservices
// 4.2.0, Java) over a stream, one model per device, through the program in
// scripts/rcfcompare/java (built by `mvn -f scripts/rcfcompare/java/pom.xml
// package`, which make bench and make detect-eval run). Each device's model
// has the library's default forest (50 trees, sample size 256, time decay
// 1/(10*256)), shingle size 1 and NORMALIZE, so fields of different scales
// count alike. It returns the RCF score and the library's own anomaly grade
// (above 0: an anomaly by its own thresholds), NaN during the first
// WarmUp(st) readings of each device, as for every baseline.
type TRCF struct {
	// Dir holds rcf-compare-1.jar and lib/.
	Dir string
}

// Available reports whether the Java program is built and java runs.
func (j TRCF) Available() error {
	if _, err := os.Stat(filepath.Join(j.Dir, "rcf-compare-1.jar")); err != nil {
		return fmt.Errorf("%v: build it with mvn -q -B -f scripts/rcfcompare/java/pom.xml package", err)
	}
	if _, err := exec.LookPath("java"); err != nil {
		return fmt.Errorf("java is not installed: %v", err)
	}
	return nil
}

// Run scores the stream: RCF scores and grades.
func (j TRCF) Run(st Stream) (score, grade Scores, err error) {
	var in bytes.Buffer
	last := map[int][]float64{}
	for _, r := range st.Readings {
		l := last[r.Device]
		if l == nil {
			l = make([]float64, len(r.Values))
		}
		in.WriteString(r.PartitionKey)
		for f, x := range r.Values {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				x = l[f] // a missing value repeats the last
			}
			l[f] = x
			in.WriteByte(',')
			in.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
		last[r.Device] = l
		in.WriteByte('\n')
	}
	cp := filepath.Join(j.Dir, "rcf-compare-1.jar") + string(os.PathListSeparator) + filepath.Join(j.Dir, "lib", "*")
	cmd := exec.Command("java", "-cp", cp, "lake.RcfCompare", "trcf", "50", "256", strconv.FormatFloat(1.0/2560, 'g', -1, 64), "1")
	cmd.Stdin = &in
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return Scores{}, Scores{}, fmt.Errorf("trcf: %v: %s", err, errb.String())
	}
	score = NewScores("AWS ThresholdedRandomCutForest", st)
	grade = NewScores("AWS ThresholdedRandomCutForest", st)
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	warm := WarmUp(st)
	i := 0
	for sc.Scan() {
		if i >= len(st.Readings) {
			return Scores{}, Scores{}, fmt.Errorf("trcf: more results than readings")
		}
		a, b, ok := strings.Cut(sc.Text(), ",")
		s, err1 := strconv.ParseFloat(a, 64)
		g, err2 := strconv.ParseFloat(b, 64)
		if !ok || err1 != nil || err2 != nil {
			return Scores{}, Scores{}, fmt.Errorf("trcf: output line %d %q", i+1, sc.Text())
		}
		r := st.Readings[i]
		if r.Index >= warm {
			score.Score[r.Device][r.Index], score.By[r.Device][r.Index] = s, "trcf"
			grade.Score[r.Device][r.Index], grade.By[r.Device][r.Index] = g, "trcf"
		}
		i++
	}
	if i != len(st.Readings) {
		return Scores{}, Scores{}, fmt.Errorf("trcf: %d results for %d readings", i, len(st.Readings))
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if ns, err := strconv.ParseInt(lines[len(lines)-1], 10, 64); err == nil {
		score.Seconds, grade.Seconds = float64(ns)/1e9, float64(ns)/1e9
	}
	return score, grade, nil
}
