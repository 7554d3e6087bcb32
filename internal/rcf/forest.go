// Package rcf is a streaming Random Cut Forest (Guha, Mishra, Roy and
// Schrijvers, "Robust Random Cut Forest Based Anomaly Detection on Streams",
// ICML 2016), the algorithm behind Kinesis Data Analytics' RANDOM_CUT_FOREST
// and AWS's randomcutforest-core library, written for the lake's detector.
//
// A forest holds Trees random cut trees, each built over its own sample of
// at most SampleSize points of the stream. Samples are time-decayed
// reservoirs: point t gets the key log(-log(u)) - TimeDecay*t and a tree
// keeps the SampleSize smallest keys, so recent points are favoured with
// weight exp(TimeDecay*t). A point's anomaly score is the tree average of
// AWS's default score (how shallow it would be isolated, with the library's
// seen/unseen/damping functions and log2 normalisation): around 1 for
// typical points, larger for anomalies. Attribution splits each score over
// the dimensions by how much each widened the boxes that would cut the
// point off, so a caller can say which reading made it anomalous.
//
// Everything random comes from one seed: the same Config and the same
// stream give the same scores.
package rcf

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Limits of Config.
const (
	MaxTrees      = 1000
	MaxSampleSize = 1 << 14
)

// Config sets a forest's parameters; zero values take the defaults.
type Config struct {
	// Dimensions of each point. Required.
	Dimensions int
	// Trees in the forest. Default 50 (AWS's default).
	Trees int
	// SampleSize is the points each tree keeps. Default 256 (AWS's default).
	SampleSize int
	// TimeDecay favours recent points; 0 means 1/(10*SampleSize), AWS's default.
	TimeDecay float64
	// Seed makes the forest deterministic.
	Seed uint64
}

func (c Config) withDefaults() (Config, error) {
	if c.Dimensions <= 0 || c.Dimensions > math.MaxInt16 {
		return c, fmt.Errorf("rcf: Dimensions %d, want 1 to %d", c.Dimensions, math.MaxInt16)
	}
	if c.Trees == 0 {
		c.Trees = 50
	}
	if c.SampleSize == 0 {
		c.SampleSize = 256
	}
	if c.Trees < 1 || c.Trees > MaxTrees || c.SampleSize < 2 || c.SampleSize > MaxSampleSize {
		return c, fmt.Errorf("rcf: Trees %d and SampleSize %d: want 1 to %d trees and 2 to %d points", c.Trees, c.SampleSize, MaxTrees, MaxSampleSize)
	}
	if c.TimeDecay == 0 {
		c.TimeDecay = 1 / (10 * float64(c.SampleSize))
	}
	if c.TimeDecay < 0 || math.IsNaN(c.TimeDecay) || math.IsInf(c.TimeDecay, 0) {
		return c, fmt.Errorf("rcf: TimeDecay %v must be a finite value >= 0", c.TimeDecay)
	}
	return c, nil
}

// Forest is a streaming random cut forest. It is not safe for concurrent use.
type Forest struct {
	cfg     Config
	store   *store
	trees   []*tree
	samples []*sampler
	seq     uint64 // points seen
	path    []int32
	scratch []float64
}

// New returns an empty forest.
func New(cfg Config) (*Forest, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	f := &Forest{cfg: cfg, store: newStore(cfg.Dimensions)}
	f.trees = make([]*tree, cfg.Trees)
	f.samples = make([]*sampler, cfg.Trees)
	for i := range f.trees {
		f.trees[i] = newTree(cfg.Dimensions, cfg.SampleSize, rand.NewPCG(cfg.Seed, uint64(2*i+1)))
		f.samples[i] = newSampler(cfg.SampleSize, rand.NewPCG(cfg.Seed, uint64(2*i+2)))
	}
	return f, nil
}

// Config returns the forest's parameters, defaults filled in.
func (f *Forest) Config() Config { return f.cfg }

// Seen is how many points the forest has been updated with.
func (f *Forest) Seen() uint64 { return f.seq }

// Ready reports whether every tree's sample is full: before that, scores
// come from few points and mean little.
func (f *Forest) Ready() bool { return f.seq >= uint64(f.cfg.SampleSize) }

var errDims = errors.New("rcf: point has the wrong number of dimensions")

// Score returns p's anomaly score without changing the forest; attr, when
// not nil, receives each dimension's share (it must have Dimensions
// entries and is overwritten). An empty forest scores 0.
func (f *Forest) Score(p []float64, attr []float64) (float64, error) {
	if len(p) != f.cfg.Dimensions || (attr != nil && len(attr) != f.cfg.Dimensions) {
		return 0, errDims
	}
	for i := range attr {
		attr[i] = 0
	}
	var sum float64
	for _, t := range f.trees {
		var s float64
		s, f.path = t.score(p, f.store, attr, f.path)
		sum += s
	}
	n := float64(len(f.trees))
	for i := range attr {
		attr[i] /= n
	}
	return sum / n, nil
}

// Update adds p to the stream: each tree's sampler decides whether it
// enters that tree, evicting the point with the largest key when full.
func (f *Forest) Update(p []float64) error {
	if len(p) != f.cfg.Dimensions {
		return errDims
	}
	for _, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("rcf: point has a non-finite value %v", v)
		}
	}
	seq := f.seq
	f.seq++
	pi := int32(-1)
	for i, s := range f.samples {
		key := s.key(seq, f.cfg.TimeDecay)
		if !s.accepts(key) {
			continue
		}
		if pi < 0 {
			pi = f.store.add(p, seq)
		}
		if old, evicted := s.evict(); evicted {
			f.trees[i].remove(old, f.store.get(old), f.store)
			f.store.release(old)
		}
		// A duplicate joins the leaf of its twin, whose point it then shares.
		used := f.trees[i].insert(pi, f.store.get(pi), f.store)
		f.store.retain(used)
		s.push(key, used)
	}
	if pi >= 0 && f.store.refs[pi] == 0 {
		f.store.free = append(f.store.free, pi)
	}
	return nil
}

// ScoreAndUpdate scores p, then adds it: the usual streaming step.
func (f *Forest) ScoreAndUpdate(p []float64, attr []float64) (float64, error) {
	s, err := f.Score(p, attr)
	if err != nil {
		return 0, err
	}
	return s, f.Update(p)
}

// store holds the points some tree's sample refers to, reference counted,
// so a point sampled by many trees is kept once.
type store struct {
	dims   int
	values []float64
	seq    []uint64
	refs   []int32
	free   []int32
}

func newStore(dims int) *store { return &store{dims: dims} }

func (s *store) get(i int32) []float64 {
	o := int(i) * s.dims
	return s.values[o : o+s.dims : o+s.dims]
}

func (s *store) add(p []float64, seq uint64) int32 {
	var i int32
	if k := len(s.free); k > 0 {
		i = s.free[k-1]
		s.free = s.free[:k-1]
		copy(s.get(i), p)
		s.seq[i], s.refs[i] = seq, 0
		return i
	}
	s.values = append(s.values, p...)
	s.seq = append(s.seq, seq)
	s.refs = append(s.refs, 0)
	return int32(len(s.refs) - 1)
}

func (s *store) retain(i int32) { s.refs[i]++ }

func (s *store) release(i int32) {
	s.refs[i]--
	if s.refs[i] == 0 {
		s.free = append(s.free, i)
	}
}

// live counts the points some sample refers to.
func (s *store) live() int { return len(s.refs) - len(s.free) }

// sampler is a time-decayed reservoir: a max-heap of the sample's keys.
type sampler struct {
	capacity int
	keys     []float64
	points   []int32
	src      *rand.PCG // the state a checkpoint keeps
	rng      *rand.Rand
}

func newSampler(capacity int, src *rand.PCG) *sampler {
	n := min(capacity, 64)
	return &sampler{capacity: capacity, src: src, rng: rand.New(src), keys: make([]float64, 0, n), points: make([]int32, 0, n)}
}

// key is AWS's sampler weight for the point at seq: smaller keys stay.
func (s *sampler) key(seq uint64, decay float64) float64 {
	u := s.rng.Float64()
	for u == 0 {
		u = s.rng.Float64()
	}
	return math.Log(-math.Log(u)) - decay*float64(seq)
}

func (s *sampler) accepts(key float64) bool {
	return len(s.keys) < s.capacity || key < s.keys[0]
}

// evict removes the point with the largest key when the sample is full.
func (s *sampler) evict() (int32, bool) {
	n := len(s.keys)
	if n < s.capacity {
		return 0, false
	}
	old := s.points[0]
	s.swap(0, n-1)
	s.keys, s.points = s.keys[:n-1], s.points[:n-1]
	s.down(0)
	return old, true
}

// push adds a point to a sample with room for it.
func (s *sampler) push(key float64, pi int32) {
	s.keys = append(s.keys, key)
	s.points = append(s.points, pi)
	s.up(len(s.keys) - 1)
}

func (s *sampler) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if s.keys[p] >= s.keys[i] {
			return
		}
		s.swap(i, p)
		i = p
	}
}

func (s *sampler) down(i int) {
	n := len(s.keys)
	for {
		l, r, big := 2*i+1, 2*i+2, i
		if l < n && s.keys[l] > s.keys[big] {
			big = l
		}
		if r < n && s.keys[r] > s.keys[big] {
			big = r
		}
		if big == i {
			return
		}
		s.swap(i, big)
		i = big
	}
}

func (s *sampler) swap(i, j int) {
	s.keys[i], s.keys[j] = s.keys[j], s.keys[i]
	s.points[i], s.points[j] = s.points[j], s.points[i]
}
