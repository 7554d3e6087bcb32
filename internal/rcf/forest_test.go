package rcf

import (
	"math"
	"math/rand/v2"
	"testing"
)

func gaussianStream(seed uint64, n, dims int) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([][]float64, n)
	for i := range out {
		p := make([]float64, dims)
		for d := range p {
			p[d] = rng.NormFloat64()
		}
		out[i] = p
	}
	return out
}

// An outlier scores well above the points of the stream, and the dimension
// it lies out on gets most of the attribution, which sums to the score.
func TestOutlierScoresHighAndIsAttributed(t *testing.T) {
	f, err := New(Config{Dimensions: 4, Trees: 40, SampleSize: 128, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var inlier float64
	stream := gaussianStream(2, 2000, 4)
	for i, p := range stream {
		s, err := f.ScoreAndUpdate(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i >= 1000 {
			inlier += s / 1000
		}
	}
	attr := make([]float64, 4)
	out, err := f.Score([]float64{0, 0, 8, 0}, attr)
	if err != nil {
		t.Fatal(err)
	}
	if out < 2*inlier || inlier < 0.5 || inlier > 1.5 {
		t.Errorf("outlier %.3f, mean inlier %.3f: want the outlier above twice the inliers' mean, which is near 1", out, inlier)
	}
	var sum float64
	for _, a := range attr {
		sum += a
	}
	if math.Abs(sum-out) > 1e-9*out || attr[2] < 0.8*out {
		t.Errorf("attribution %v sums to %v for score %v; dimension 2 should carry most", attr, sum, out)
	}
}

// Same seed and stream, same scores; another seed, other scores.
func TestDeterministic(t *testing.T) {
	run := func(seed uint64) []float64 {
		f, _ := New(Config{Dimensions: 3, Trees: 10, SampleSize: 32, Seed: seed})
		var out []float64
		for _, p := range gaussianStream(3, 500, 3) {
			s, _ := f.ScoreAndUpdate(p, nil)
			out = append(out, s)
		}
		return out
	}
	a, b, c := run(5), run(5), run(6)
	same := true
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 5 differs at %d: %v vs %v", i, a[i], b[i])
		}
		same = same && a[i] == c[i]
	}
	if same {
		t.Error("seeds 5 and 6 gave the same scores")
	}
}

// After any number of updates every tree holds exactly its sample, masses
// add up, every box is the tight box of the points below it, and the store
// keeps only points some sample refers to.
func TestTreeInvariants(t *testing.T) {
	f, _ := New(Config{Dimensions: 3, Trees: 5, SampleSize: 16, Seed: 9})
	stream := gaussianStream(4, 700, 3)
	// Duplicates exercise the leaf mass path.
	for i := 100; i < 700; i += 50 {
		stream[i] = stream[i-1]
	}
	for n, p := range stream {
		if err := f.Update(p); err != nil {
			t.Fatal(err)
		}
		if n%97 != 0 && n != len(stream)-1 {
			continue
		}
		refs := map[int32]int32{}
		for ti, tr := range f.trees {
			s := f.samples[ti]
			if got, want := tr.mass[tr.root], int32(len(s.points)); got != want {
				t.Fatalf("after %d: tree %d mass %d, sample %d", n, ti, got, want)
			}
			for _, pi := range s.points {
				refs[pi]++
			}
			checkNode(t, tr, tr.root, f.store)
		}
		for pi, c := range refs {
			if f.store.refs[pi] != c {
				t.Fatalf("point %d: %d references, store counts %d", pi, c, f.store.refs[pi])
			}
		}
		if f.store.live() != len(refs) {
			t.Fatalf("store keeps %d points, samples use %d", f.store.live(), len(refs))
		}
	}
}

func checkNode(t *testing.T, tr *tree, i int32, s *store) (lo, hi []float64, mass int32) {
	t.Helper()
	if tr.isLeaf(i) {
		p := s.get(tr.point[i])
		return p, p, tr.mass[i]
	}
	llo, lhi, lm := checkNode(t, tr, tr.left[i], s)
	rlo, rhi, rm := checkNode(t, tr, tr.right[i], s)
	if tr.parent[tr.left[i]] != i || tr.parent[tr.right[i]] != i {
		t.Fatalf("node %d: children's parent links broken", i)
	}
	if lm+rm != tr.mass[i] {
		t.Fatalf("node %d: mass %d, children %d+%d", i, tr.mass[i], lm, rm)
	}
	mn, mx := tr.minOf(i), tr.maxOf(i)
	var sum float64
	for k := range mn {
		sum += mx[k] - mn[k]
	}
	if math.Abs(sum-tr.rangeSum[i]) > 1e-9*(1+sum) {
		t.Fatalf("node %d: range sum %v, box says %v", i, tr.rangeSum[i], sum)
	}
	d := tr.cutDim[i]
	if lhi[d] > tr.cut[i] || rlo[d] <= tr.cut[i] {
		t.Fatalf("node %d: cut %v on %d does not separate its children", i, tr.cut[i], d)
	}
	for k := range mn {
		if mn[k] != math.Min(llo[k], rlo[k]) || mx[k] != math.Max(lhi[k], rhi[k]) {
			t.Fatalf("node %d: box not tight in dimension %d", i, k)
		}
	}
	return mn, mx, tr.mass[i]
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{}, {Dimensions: 2, Trees: -1}, {Dimensions: 2, SampleSize: 1}, {Dimensions: 2, TimeDecay: -1}, {Dimensions: 2, TimeDecay: math.NaN()}} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	f, _ := New(Config{Dimensions: 2})
	if err := f.Update([]float64{1}); err == nil {
		t.Error("wrong dimensions accepted")
	}
	if err := f.Update([]float64{1, math.Inf(1)}); err == nil {
		t.Error("infinity accepted")
	}
}

func BenchmarkScoreAndUpdate(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"trees50_sample256_dims22", Config{Dimensions: 22, Trees: 50, SampleSize: 256, Seed: 1}},
		{"trees30_sample128_dims22", Config{Dimensions: 22, Trees: 30, SampleSize: 128, Seed: 1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			f, _ := New(c.cfg)
			stream := gaussianStream(1, 4096, c.cfg.Dimensions)
			for _, p := range stream[:2048] {
				_ = f.Update(p)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := f.ScoreAndUpdate(stream[i%len(stream)], nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

// A restored forest holds exactly the checkpointed samples, scores the
// stream as the original does (same distribution), and goes on from there;
// other versions and damaged data are refused.
func TestCheckpointRoundTrip(t *testing.T) {
	cfg := Config{Dimensions: 6, Trees: 20, SampleSize: 64, Seed: 3}
	f, _ := New(cfg)
	stream := gaussianStream(8, 3000, 6)
	for _, p := range stream[:2000] {
		_ = f.Update(p)
	}
	data, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	g, err := UnmarshalBinary(data)
	if err != nil {
		t.Fatal(err)
	}
	if g.Seen() != f.Seen() || g.Config() != f.Config() || g.store.live() != f.store.live() {
		t.Fatalf("restored seen %d config %+v points %d; want %d %+v %d", g.Seen(), g.Config(), g.store.live(), f.Seen(), f.Config(), f.store.live())
	}
	for i := range f.samples {
		if len(g.samples[i].points) != len(f.samples[i].points) {
			t.Fatalf("tree %d: sample %d, want %d", i, len(g.samples[i].points), len(f.samples[i].points))
		}
		checkNode(t, g.trees[i], g.trees[i].root, g.store)
	}
	var a, b float64
	for _, p := range stream[2000:] {
		sa, _ := f.ScoreAndUpdate(p, nil)
		sb, err := g.ScoreAndUpdate(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, b = a+sa, b+sb
	}
	if math.Abs(a-b) > 0.05*a {
		t.Errorf("mean score after restore %.4f, original %.4f", b/1000, a/1000)
	}
	t.Logf("checkpoint of %d trees x %d points x %d dims: %d bytes, %d distinct points", cfg.Trees, cfg.SampleSize, cfg.Dimensions, len(data), f.store.live())

	bad := append([]byte{}, data...)
	bad[4] = Version + 1
	if _, err := UnmarshalBinary(bad); err == nil {
		t.Error("another version accepted")
	}
	for _, cut := range []int{0, 3, 10, len(data) / 2, len(data) - 1} {
		if _, err := UnmarshalBinary(data[:cut]); err == nil {
			t.Errorf("truncated at %d accepted", cut)
		}
	}
	if _, err := UnmarshalBinary(append(append([]byte{}, data...), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	fo, _ := New(Config{Dimensions: 2, Trees: 2, SampleSize: 4, Seed: 1})
	for _, p := range gaussianStream(1, 20, 2) {
		_ = fo.Update(p)
	}
	data, _ := fo.MarshalBinary()
	f.Add(data)
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := UnmarshalBinary(b)
		if err != nil {
			return
		}
		// Whatever it accepts must work.
		if _, err := g.ScoreAndUpdate(make([]float64, g.Config().Dimensions), nil); err != nil {
			t.Fatal(err)
		}
	})
}
