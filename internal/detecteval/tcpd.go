package detecteval

// TCPDBench's change-point metrics and its published results on the two
// multivariate sensor series of the Turing Change Point Dataset that the
// river wheel ships (scripts/detecteval/sources/tcpd_streams.py):
//
//	G.J.J. van den Burg and C.K.I. Williams, "An Evaluation of Change Point
//	Detection Algorithms", arXiv:2003.06222 (2020); code and results in
//	github.com/alan-turing-institute/TCPDBench (MIT).
//
// The metrics follow TCPDBench's analysis/scripts/metrics.py (f_measure,
// covering) after its summarize.py cleaning of the predicted locations,
// down to the order in which it walks Python sets: true_positives matches
// the annotated points greedily in a set's iteration order, and that order
// decides which of two nearby annotated points gets a prediction. pySet
// reproduces CPython's order, without which the published bocpd F1 on
// occupancy (0.807) comes out as 0.840.

import (
	"math"
	"slices"
	"strconv"
)

// TCPDMargin is TCPDBench's F1 margin: a prediction within 5 readings of an
// annotated change point matches it.
const TCPDMargin = 5

// TCPDScore is one method's published score on one series.
type TCPDScore struct{ F1, Cover float64 }

// TCPDMethods are the methods TCPDBench ran on the multivariate series (the
// others take univariate input only), in the order of its tables. zero
// predicts no change point.
var TCPDMethods = []string{"bocpd", "bocpdms", "ecp", "kcpa", "rbocpdms", "zero"}

// TCPDDefault are TCPDBench's published "default" scores (each method with
// its default parameters, the column to set a fixed-parameter detector
// beside) on occupancy and run_log: analysis/output/scores/default_f1_scores.json
// and default_cover_scores.json of TCPDBench, van den Burg and Williams
// 2020. The "oracle" columns (best parameters per series, chosen on the
// same metric) are upper bounds and are not kept here.
var TCPDDefault = map[string]map[string]TCPDScore{
	"occupancy": {
		"bocpd":    {F1: 0.8074418604651163, Cover: 0.5490006857012464},
		"bocpdms":  {F1: 0.4605543710021322, Cover: 0.4431190433793105},
		"ecp":      {F1: 0.7497194163860831, Cover: 0.5304111026992682},
		"kcpa":     {F1: 0.10672853828306264, Cover: 0.049901768172888016},
		"rbocpdms": {F1: 0.3288539066999424, Cover: 0.4365708559495105},
		"zero":     {F1: 0.34077855775366944, Cover: 0.23562129218275363},
	},
	"run_log": {
		"bocpd":    {F1: 1.0, Cover: 0.8153563279337671},
		"bocpdms":  {F1: 0.47516778523489933, Cover: 0.38680010165722295},
		"ecp":      {F1: 0.7919588592800375, Cover: 0.6567594752969262},
		"kcpa":     {F1: 0.13924050632911392, Cover: 0.12819148936170213},
		"rbocpdms": {F1: 0.6599326599326599, Cover: 0.5844526194602666},
		"zero":     {F1: 0.4455958549222798, Cover: 0.3035168628338615},
	},
}

// TCPDF1 is TCPDBench's F1 of predicted change points (0-based reading
// indices) against the annotators' on a series of n readings. The
// predictions are cleaned first as TCPDBench does (duplicates dropped, and
// every index outside 1..n-2). Index 0 is added to the predictions and to
// each annotator's points. A prediction matches an annotated point within
// margin readings (TCPDMargin in TCPDBench), each prediction at most once.
// Precision is over the union of all annotators' points, recall the mean
// over annotators, F1 their harmonic mean (alpha 0.5). Annotators are taken
// in the order of their ids (numeric ids by value), the order of TCPDBench's
// annotations.json.
func TCPDF1(annotations map[string][]int, predictions []int, n int, margin int) (f1, precision, recall float64) {
	x := tcpdClean(predictions, n)
	x = append([]int{0}, x...) // the set X: its order does not matter

	var tks []*pySet
	star := &pySet{}
	for _, id := range tcpdAnnotators(annotations) {
		tk := &pySet{}
		for _, v := range annotations[id] {
			tk.add(v)
		}
		tk.add(0)
		tks = append(tks, tk)
	}
	for _, tk := range tks {
		for _, v := range tk.items() {
			star.add(v)
		}
	}
	if len(tks) == 0 {
		return 0, 0, 0
	}
	precision = float64(tcpdTruePositives(star.items(), x, margin)) / float64(len(x))
	sum := 0.0
	for _, tk := range tks {
		sum += float64(tcpdTruePositives(tk.items(), x, margin)) / float64(tk.used)
	}
	recall = 1 / float64(len(tks)) * sum
	if precision == 0 && recall == 0 {
		return 0, 0, 0
	}
	f1 = precision * recall / (0.5*recall + 0.5*precision)
	return f1, precision, recall
}

// TCPDCover is TCPDBench's covering metric: the mean over annotators of how
// well the segmentation the predictions make covers the annotator's
// (Arbelaez et al. 2010, eq. 8: each annotated segment's length times its
// best Jaccard index with a predicted segment, summed, over n). The
// predictions are cleaned as for TCPDF1. NaN when n < 1 or there are no
// annotators.
func TCPDCover(annotations map[string][]int, predictions []int, n int) float64 {
	ids := tcpdAnnotators(annotations)
	if n < 1 || len(ids) == 0 {
		return math.NaN()
	}
	px := tcpdPartition(tcpdClean(predictions, n), n)
	sum := 0.0
	for _, id := range ids {
		c := 0.0
		for _, r := range tcpdPartition(annotations[id], n) {
			best := 0.0
			for _, q := range px {
				inter := min(r[1], q[1]) - max(r[0], q[0])
				if inter <= 0 {
					continue
				}
				best = max(best, float64(inter)/float64((r[1]-r[0])+(q[1]-q[0])-inter))
			}
			c += float64(r[1]-r[0]) * best
		}
		sum += c / float64(n)
	}
	return sum / float64(len(ids))
}

// tcpdClean is TCPDBench's clean_cps: the distinct locations in 1..n-2,
// sorted.
func tcpdClean(locations []int, n int) []int {
	var out []int
	for _, v := range locations {
		if v >= 1 && v < n-1 {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// tcpdAnnotators orders the annotator ids: numeric ids by value, then the
// others as strings.
func tcpdAnnotators(annotations map[string][]int) []string {
	ids := make([]string, 0, len(annotations))
	for id := range annotations {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		x, errA := strconv.Atoi(a)
		y, errB := strconv.Atoi(b)
		switch {
		case errA == nil && errB == nil && x != y:
			if x < y {
				return -1
			}
			return 1
		case errA == nil && errB != nil:
			return -1
		case errA != nil && errB == nil:
			return 1
		}
		if a < b {
			return -1
		} else if a > b {
			return 1
		}
		return 0
	})
	return ids
}

// tcpdTruePositives is TCPDBench's true_positives count: for each point of t in
// order, the closest unused prediction within margin (the smaller one on a
// tie) is used up.
func tcpdTruePositives(t []int, x []int, margin int) int {
	left := slices.Clone(x)
	slices.Sort(left)
	n := 0
	for _, tau := range t {
		best := -1
		for i, v := range left {
			d := tau - v
			if d < 0 {
				d = -d
			}
			if d <= margin && (best < 0 || d < tcpdAbs(tau-left[best])) {
				best = i
			}
		}
		if best >= 0 {
			n++
			left = slices.Delete(left, best, best+1)
		}
	}
	return n
}

func tcpdAbs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// tcpdPartition is TCPDBench's partition_from_cps as half-open [start, end)
// segments: it walks 0..n-1 and starts a segment at each location, taken
// in sorted order (a location it never reaches, such as one below 0, holds
// back the ones after it, as there).
func tcpdPartition(locations []int, n int) [][2]int {
	cps := slices.Clone(locations)
	slices.Sort(cps)
	cps = slices.Compact(cps)
	var out [][2]int
	start, next := 0, 0
	for i := range n {
		if next < len(cps) && i == cps[next] {
			if i > start {
				out = append(out, [2]int{start, i})
			}
			start = i
			next++
		}
	}
	return append(out, [2]int{start, n})
}

// pySet is CPython's set of ints (Objects/setobject.c, 3.x): open addressing
// with linear probes of up to 9 slots, then perturbed jumps, growing four
// times when three fifths full, iterated in slot order. Only the order of
// its items is needed; nothing is removed.
type pySet struct {
	slot             []int
	full             []bool
	mask, fill, used uint64
}

const (
	pyLinearProbes = 9
	pyPerturbShift = 5
	pyMinSize      = 8
)

// pyHash is hash(int) in CPython: the value modulo 2**61-1 with its sign, -1
// becoming -2.
func pyHash(v int) uint64 {
	const m = 1<<61 - 1
	h := int64(v) % m
	if h == -1 {
		h = -2
	}
	return uint64(h)
}

func (s *pySet) add(v int) {
	if s.slot == nil {
		s.slot, s.full, s.mask = make([]int, pyMinSize), make([]bool, pyMinSize), pyMinSize-1
	}
	j, present := s.find(v)
	if present {
		return
	}
	s.slot[j], s.full[j] = v, true
	s.fill++
	s.used++
	if s.fill*5 >= s.mask*3 {
		grow := s.used * 4
		if s.used > 50000 {
			grow = s.used * 2
		}
		s.resize(grow)
	}
}

// find probes for v as CPython's set_add_entry does (linear probes, then
// perturbed jumps) and returns v's slot, or the first free one on its path.
func (s *pySet) find(v int) (slot uint64, present bool) {
	h := pyHash(v)
	i, perturb := h&s.mask, h
	for {
		probes := 0
		if i+pyLinearProbes <= s.mask {
			probes = pyLinearProbes
		}
		for j := i; j <= i+uint64(probes); j++ {
			if !s.full[j] {
				return j, false
			}
			if s.slot[j] == v {
				return j, true
			}
		}
		perturb >>= pyPerturbShift
		i = (i*5 + 1 + perturb) & s.mask
	}
}

func (s *pySet) resize(minUsed uint64) {
	size := uint64(pyMinSize)
	for size <= minUsed {
		size <<= 1
	}
	old := s.items()
	s.slot, s.full, s.mask = make([]int, size), make([]bool, size), size-1
	for _, v := range old {
		// The old items are distinct: each lands in the first free slot of its path.
		j, _ := s.find(v)
		s.slot[j], s.full[j] = v, true
	}
}

// items are the set's ints in CPython's iteration order.
func (s *pySet) items() []int {
	var out []int
	for j, ok := range s.full {
		if ok {
			out = append(out, s.slot[j])
		}
	}
	return out
}
