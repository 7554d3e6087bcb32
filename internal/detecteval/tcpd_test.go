package detecteval

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TCPD's annotations of the two series (river/drift/datasets/occupancy.py
// and run_log.py, the same as TCPDBench's annotations.json).
var (
	occupancyAnnotations = map[string][]int{
		"6":  {238, 416},
		"8":  {53, 143, 238, 417},
		"9":  {53, 92, 142, 181, 236, 264, 341, 416, 436, 451, 506},
		"10": {1, 52, 91, 142, 181, 234, 267, 324, 360, 416, 451, 506},
		"12": {234, 415},
	}
	runLogAnnotations = map[string][]int{
		"6":  {60, 96, 114, 174, 204, 240, 258, 317},
		"7":  {60, 96, 114, 177, 204, 240, 258, 317},
		"8":  {60, 96, 114, 174, 204, 240, 258, 317},
		"10": {2, 60, 96, 114, 174, 204, 240, 258, 317},
		"12": {},
	}
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Tiny cases worked out by hand, and the examples in the docstrings of
// TCPDBench's metrics.py.
func TestTCPDByHand(t *testing.T) {
	for _, c := range []struct {
		name      string
		ann       map[string][]int
		pred      []int
		n, margin int
		f1, p, r  float64
		cover     float64 // NaN: not checked
	}{
		{
			// X = T = {0, 5}; both segmentations are [0,5) [5,10).
			name: "exact", ann: map[string][]int{"1": {5}}, pred: []int{5}, n: 10, margin: 5,
			f1: 1, p: 1, r: 1, cover: 1,
		},
		{
			name: "margin 1", ann: map[string][]int{"1": {5}, "2": {15}}, pred: []int{7, 16}, n: 20, margin: 1,
			// X = {0, 7, 16}; T* = {0, 5, 15}: 0-0 and 15-16 match, 5-7 is 2 apart.
			// P = 2/3. R = (|{0}|/2 + |{0,15}|/2)/2 = 3/4. F1 = 2PR/(P+R) = 12/17.
			// Cover, predicted segments [0,7) [7,16) [16,20):
			//   annotator 1, [0,5) [5,20): (5·5/7 + 15·9/15)/20 = 22/35
			//   annotator 2, [0,15) [15,20): (15·8/16 + 5·4/5)/20 = 23/40
			//   mean 337/560.
			f1: 12.0 / 17, p: 2.0 / 3, r: 0.75, cover: 337.0 / 560,
		},
		{
			name: "each prediction once", ann: map[string][]int{"1": {10, 12}}, pred: []int{11}, n: 30, margin: 5,
			// T = {0, 10, 12}, X = {0, 11}: 0-0, 10-11, then 12 finds 11 used.
			// P = 2/2 = 1, R = 2/3, F1 = 0.8.
			// Cover: [0,10) [10,12) [12,30) by [0,11) [11,30):
			//   (10·10/11 + 2·1/12 + 18·18/19)/30 ([10,12) overlaps [0,11) by 1 of 12).
			f1: 0.8, p: 1, r: 2.0 / 3, cover: (10*10.0/11 + 2*1.0/12 + 18*18.0/19) / 30,
		},
		{
			// 0, n-1 = 29, out of range and repeated predictions are dropped: as above.
			name: "cleaning", ann: map[string][]int{"1": {10, 12}}, pred: []int{0, 11, 11, 29, 35, -3}, n: 30, margin: 5,
			f1: 0.8, p: 1, r: 2.0 / 3, cover: (10*10.0/11 + 2*1.0/12 + 18*18.0/19) / 30,
		},
		// metrics.py's doctests (f_measure and covering take no n there;
		// n = 45 keeps every prediction).
		{name: "doctest 1", ann: map[string][]int{"1": {10, 20}, "2": {11, 20}, "3": {10}, "4": {0, 5}}, pred: []int{10, 20}, n: 45, margin: 5, f1: 1, p: 1, r: 1, cover: math.NaN()},
		{name: "doctest 2", ann: map[string][]int{"1": {}, "2": {10}, "3": {50}}, pred: []int{10}, n: 100, margin: 5, f1: 0.9090909090909091, p: 1, r: 5.0 / 6, cover: math.NaN()},
		{name: "doctest 3", ann: map[string][]int{"1": {}, "2": {10}, "3": {50}}, pred: nil, n: 100, margin: 5, f1: 0.8, p: 1, r: 2.0 / 3, cover: math.NaN()},
	} {
		f1, p, r := TCPDF1(c.ann, c.pred, c.n, c.margin)
		if !near(f1, c.f1, 1e-12) || !near(p, c.p, 1e-12) || !near(r, c.r, 1e-12) {
			t.Errorf("%s: F1 %v P %v R %v, want %v %v %v", c.name, f1, p, r, c.f1, c.p, c.r)
		}
		if !math.IsNaN(c.cover) {
			if got := TCPDCover(c.ann, c.pred, c.n); !near(got, c.cover, 1e-12) {
				t.Errorf("%s: cover %v, want %v", c.name, got, c.cover)
			}
		}
	}
	for _, c := range []struct {
		ann  map[string][]int
		pred []int
		want float64
	}{
		{map[string][]int{"1": {10, 20}, "2": {10}, "3": {0, 5}}, []int{10, 20}, 0.7962962962962963},
		{map[string][]int{"1": {}, "2": {10}, "3": {40}}, []int{10}, 0.7954144620811286},
		{map[string][]int{"1": {}, "2": {10}, "3": {40}}, nil, 0.8189300411522634},
	} {
		if got := TCPDCover(c.ann, c.pred, 45); !near(got, c.want, 1e-15) {
			t.Errorf("covering(%v, %v, 45) = %v, want %v (metrics.py doctest)", c.ann, c.pred, got, c.want)
		}
	}
	if !math.IsNaN(TCPDCover(map[string][]int{"1": {3}}, nil, 0)) || !math.IsNaN(TCPDCover(nil, nil, 10)) {
		t.Error("cover of an empty series or without annotators is not NaN")
	}
}

// pySet iterates as CPython 3 does (orders printed by Python 3.11).
func TestPySetOrder(t *testing.T) {
	for _, c := range []struct{ in, want []int }{
		{[]int{238, 416, 0}, []int{416, 0, 238}},
		{[]int{53, 92, 142, 181, 236, 264, 341, 416, 436, 451, 506, 0}, []int{416, 0, 451, 264, 236, 142, 436, 53, 181, 341, 506, 92}},
		{[]int{1, 52, 91, 142, 181, 234, 267, 324, 360, 416, 451, 506, 0}, []int{416, 1, 0, 451, 324, 360, 234, 267, 142, 52, 181, 506, 91}},
		{[]int{0, 8, 16, 24, 32, 40, 1, 9, 0}, []int{0, 32, 1, 8, 40, 9, 16, 24}},
	} {
		s := &pySet{}
		for _, v := range c.in {
			s.add(v)
		}
		if got := s.items(); !slices.Equal(got, c.want) {
			t.Errorf("set(%v): order %v, want %v", c.in, got, c.want)
		}
	}
	s := &pySet{}
	for v := 0; v < 2000; v += 7 {
		s.add(v)
	}
	if got := s.items()[:12]; !slices.Equal(got, []int{0, 1540, 1029, 518, 7, 1547, 1036, 525, 14, 1554, 1043, 532}) {
		t.Errorf("set(range(0, 2000, 7)) begins %v", got)
	}
}

// spans lists the integers of inclusive ranges.
func spans(rs ...[2]int) []int {
	var out []int
	for _, r := range rs {
		for v := r[0]; v <= r[1]; v++ {
			out = append(out, v)
		}
	}
	return out
}

// The change points that bocpd, ecp and kcpa found with their default
// parameters (TCPDBench analysis/output/summaries/summary_<series>.json,
// "default_<method>" cplocations) scored by TCPDF1 and TCPDCover give the
// published default scores. bocpd on occupancy needs CPython's set order:
// matched in ascending order its F1 is 0.840.
func TestTCPDPublishedPredictions(t *testing.T) {
	for _, c := range []struct {
		series, method string
		ann            map[string][]int
		n              int
		pred           []int
	}{
		{"occupancy", "bocpd", occupancyAnnotations, 509, []int{8, 52, 58, 91, 94, 142, 181, 185, 239, 264, 285, 341, 351, 416, 419, 439, 451, 461, 506}},
		{"occupancy", "ecp", occupancyAnnotations, 509, []int{53, 92, 142, 181, 238, 276, 306, 353, 383, 419, 456}},
		{"occupancy", "kcpa", occupancyAnnotations, 509, spans(
			[2]int{1, 9}, [2]int{11, 13}, [2]int{15, 21}, [2]int{23, 26}, [2]int{28, 28}, [2]int{30, 31}, [2]int{33, 33}, [2]int{35, 37}, [2]int{39, 39},
			[2]int{41, 41}, [2]int{43, 43}, [2]int{45, 45}, [2]int{47, 47}, [2]int{49, 49}, [2]int{51, 61}, [2]int{63, 99}, [2]int{101, 108}, [2]int{110, 123},
			[2]int{125, 128}, [2]int{130, 134}, [2]int{136, 139}, [2]int{141, 188}, [2]int{190, 191}, [2]int{193, 194}, [2]int{196, 198}, [2]int{200, 200},
			[2]int{208, 209}, [2]int{211, 212}, [2]int{215, 215}, [2]int{217, 217}, [2]int{222, 222}, [2]int{224, 224}, [2]int{226, 226}, [2]int{229, 230},
			[2]int{232, 235}, [2]int{237, 278}, [2]int{280, 286}, [2]int{288, 291}, [2]int{293, 302}, [2]int{304, 306}, [2]int{308, 309}, [2]int{311, 317},
			[2]int{319, 319}, [2]int{321, 322}, [2]int{324, 358}, [2]int{360, 361}, [2]int{363, 368}, [2]int{373, 374}, [2]int{376, 376}, [2]int{381, 382},
			[2]int{384, 384}, [2]int{386, 386}, [2]int{388, 388}, [2]int{390, 392}, [2]int{396, 396}, [2]int{398, 403}, [2]int{405, 409}, [2]int{411, 411},
			[2]int{413, 413}, [2]int{415, 447}, [2]int{449, 464}, [2]int{466, 470}, [2]int{472, 472}, [2]int{474, 474}, [2]int{476, 476}, [2]int{479, 479},
			[2]int{482, 482}, [2]int{484, 487}, [2]int{492, 493}, [2]int{495, 495}, [2]int{498, 499}, [2]int{503, 503}, [2]int{506, 507})},
		{"occupancy", "zero", occupancyAnnotations, 509, nil},
		{"run_log", "bocpd", runLogAnnotations, 376, []int{3, 60, 96, 115, 176, 204, 240, 258, 317}},
		{"run_log", "ecp", runLogAnnotations, 376, []int{30, 60, 117, 175, 205, 240, 270, 317}},
		{"run_log", "kcpa", runLogAnnotations, 376, []int{1, 2, 3, 4, 5, 6, 8, 10, 12, 20, 21, 26, 29, 31, 36, 41, 44, 46, 47, 48, 51, 52, 53, 60, 61, 62, 64,
			69, 70, 71, 72, 73, 75, 76, 78, 79, 83, 88, 92, 96, 97, 102, 106, 107, 108, 111, 112, 113, 114, 115, 116, 117, 118, 123, 124, 125, 130, 136, 141,
			145, 149, 155, 159, 164, 167, 168, 169, 172, 173, 174, 175, 176, 177, 178, 179, 180, 181, 185, 188, 190, 196, 198, 200, 204, 205, 206, 207, 210,
			215, 220, 225, 228, 231, 233, 240, 241, 242, 243, 245, 250, 252, 253, 254, 258, 259, 260, 262, 270, 272, 276, 277, 279, 280, 284, 285, 286, 289,
			290, 291, 292, 294, 300, 302, 304, 307, 309, 311, 317, 318, 321, 329, 334, 335, 336, 338, 341, 342, 343, 344, 345, 348, 350, 357, 360, 363, 368}},
		{"run_log", "zero", runLogAnnotations, 376, nil},
	} {
		want := TCPDDefault[c.series][c.method]
		f1, _, _ := TCPDF1(c.ann, c.pred, c.n, TCPDMargin)
		cover := TCPDCover(c.ann, c.pred, c.n)
		if !near(f1, want.F1, 1e-12) || !near(cover, want.Cover, 1e-12) {
			t.Errorf("%s %s: F1 %v cover %v, published %v %v", c.series, c.method, f1, cover, want.F1, want.Cover)
		}
	}
	for series, scores := range TCPDDefault {
		for _, m := range TCPDMethods {
			if _, ok := scores[m]; !ok {
				t.Errorf("no published %s score for %s", m, series)
			}
		}
	}
}

// The river wheel's series, brought in by tcpd_streams.py and read by
// LoadStream: the "zero" method (no change point) reproduces the published
// scores, which checks the data, the annotations and the metrics together.
// It needs python3 and the wheel in .build/detecteval/cache (make test
// and make detect-eval put it there); it does not download anything.
func TestTCPDZeroOnRiverSeries(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		missing(t, "python3 is not on PATH: cannot run scripts/detecteval/sources/tcpd_streams.py")
	}
	cache, err := filepath.Abs(filepath.Join("..", "..", ".build", "detecteval", "cache"))
	if err != nil {
		t.Fatal(err)
	}
	wheel := filepath.Join(cache, "river-0.26.1-cp311-cp311-manylinux_2_28_x86_64.whl")
	if _, err := os.Stat(wheel); err != nil {
		missing(t, "no river wheel at %s (make test and make detect-eval download it there): %v", wheel, err)
	}
	out := t.TempDir()
	cmd := exec.Command(python, filepath.Join("..", "..", "scripts", "detecteval", "sources", "tcpd_streams.py"), out, "--cache", cache)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tcpd_streams.py: %v\n%s", err, b)
	}
	m, err := LoadManifest(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		series string
		n      int
		fields []string
		ann    map[string][]int
	}{
		{"occupancy", 509, []string{"temperature_c", "humidity_pct", "light_lux", "co2_ppm"}, occupancyAnnotations},
		{"run_log", 376, []string{"pace", "distance"}, runLogAnnotations},
	} {
		ms, ok := m.Stream(c.series)
		if !ok {
			t.Fatalf("no %s in the manifest", c.series)
		}
		st, err := LoadStream(m.Path(ms))
		if err != nil {
			t.Fatal(err)
		}
		if st.Devices != 1 || st.PerDev != c.n || ms.Readings != c.n || !slices.Equal(st.Fields, c.fields) || len(st.Episodes) != 0 {
			t.Errorf("%s: %d devices of %d readings, fields %v, %d episodes; want 1 of %d, %v, none", c.series, st.Devices, st.PerDev, st.Fields, len(st.Episodes), c.n, c.fields)
		}
		if len(ms.Annotations) != len(c.ann) {
			t.Errorf("%s: annotations %v, want %v", c.series, ms.Annotations, c.ann)
		}
		for id, want := range c.ann {
			if !slices.Equal(ms.Annotations[id], want) {
				t.Errorf("%s: annotator %s marks %v, want %v", c.series, id, ms.Annotations[id], want)
			}
		}
		f1, _, _ := TCPDF1(ms.Annotations, nil, st.PerDev, TCPDMargin)
		cover := TCPDCover(ms.Annotations, nil, st.PerDev)
		want := TCPDDefault[c.series]["zero"]
		if !near(f1, want.F1, 1e-6) || !near(cover, want.Cover, 1e-6) {
			t.Errorf("%s zero: F1 %.17g cover %.17g, published %.17g %.17g", c.series, f1, cover, want.F1, want.Cover)
		}
	}
}

// A series on which ours scores below TRCF is a miss; one where it is not,
// or where either did not run, is not.
func TestTCPDVerdict(t *testing.T) {
	rows := map[string][]TCPDRow{
		"run_log":   {{Detector: "ours", F1: 0.5}, {Detector: "trcf", F1: 0.7}},
		"occupancy": {{Detector: "ours", F1: 0.8}, {Detector: "trcf", F1: 0.3}},
		"other":     {{Detector: "ours", F1: 0.1}},
	}
	got := TCPDVerdict(rows, "ours", "trcf")
	if len(got) != 1 || got[0] != "tcpd run_log: F1 0.500 below TRCF's 0.700" {
		t.Errorf("verdict %q", got)
	}
}
