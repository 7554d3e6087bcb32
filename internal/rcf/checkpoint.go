package rcf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
)

// Version is the checkpoint format MarshalBinary writes; UnmarshalBinary
// refuses any other, so a model from an incompatible build is set aside
// rather than misread.
const Version = 1

var magic = [4]byte{'R', 'C', 'F', 'K'}

// MarshalBinary writes the forest compactly: its parameters, the points
// its samples hold (float32, once each, however many trees sample them),
// each tree's sample as indices into those points with the sampler keys,
// and every random generator's state. The trees themselves are not
// written: UnmarshalBinary rebuilds them from the samples, which is about
// a tenth of the size. The rebuilt trees cut differently than the
// originals, so scores after a restore follow the same distribution but
// not the same digits; the samples, and so what the forest remembers, are
// exactly those checkpointed.
func (f *Forest) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.Write(magic[:])
	b.WriteByte(Version)
	c := f.cfg
	putU(&b, uint64(c.Dimensions))
	putU(&b, uint64(c.Trees))
	putU(&b, uint64(c.SampleSize))
	putF64(&b, c.TimeDecay)
	putU(&b, c.Seed)
	putU(&b, f.seq)
	// The points in use, renumbered densely.
	index := map[int32]uint64{}
	var order []int32
	for _, s := range f.samples {
		for _, pi := range s.points {
			if _, ok := index[pi]; !ok {
				index[pi] = uint64(len(order))
				order = append(order, pi)
			}
		}
	}
	putU(&b, uint64(len(order)))
	for _, pi := range order {
		putU(&b, f.seq-f.store.seq[pi]) // age, small
		for _, v := range f.store.get(pi) {
			if v > math.MaxFloat32 || v < -math.MaxFloat32 {
				return nil, fmt.Errorf("rcf: value %v does not fit a checkpoint's float32", v)
			}
			putF32(&b, float32(v))
		}
	}
	now := c.TimeDecay * float64(f.seq)
	for i, s := range f.samples {
		putU(&b, uint64(len(s.points)))
		for k, pi := range s.points {
			putU(&b, index[pi])
			putF32(&b, float32(s.keys[k]+now)) // keys relative to now keep their digits
		}
		for _, src := range []*rand.PCG{f.trees[i].src, s.src} {
			st, err := src.MarshalBinary()
			if err != nil {
				return nil, err
			}
			putU(&b, uint64(len(st)))
			b.Write(st)
		}
	}
	return b.Bytes(), nil
}

// UnmarshalBinary restores a forest written by MarshalBinary, or fails on
// data of another version or that is damaged.
func UnmarshalBinary(data []byte) (*Forest, error) {
	r := &reader{b: data}
	var m [4]byte
	r.read(m[:])
	if r.err == nil && m != magic {
		return nil, errors.New("rcf: not a forest checkpoint")
	}
	if v := r.byte(); r.err == nil && v != Version {
		return nil, fmt.Errorf("rcf: checkpoint version %d, this build reads %d", v, Version)
	}
	cfg := Config{Dimensions: int(r.u(math.MaxInt16)), Trees: int(r.u(MaxTrees)), SampleSize: int(r.u(MaxSampleSize)), TimeDecay: r.f64(), Seed: r.u(math.MaxUint64)}
	seq := r.u(math.MaxUint64)
	if r.err != nil {
		return nil, r.fail()
	}
	// Each tree writes at least its two generators' states: a config that
	// claims more trees than the data could hold is damage, not a forest.
	if cfg.Trees*40 > len(data) {
		return nil, fmt.Errorf("rcf: checkpoint damaged: %d trees in %d bytes", cfg.Trees, len(data))
	}
	f, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("rcf: checkpoint: %w", err)
	}
	f.seq = seq
	n := r.u(uint64(cfg.Trees * cfg.SampleSize))
	if r.err == nil && n*uint64(cfg.Dimensions)*4 > uint64(len(data)-r.off) {
		r.err = io.ErrUnexpectedEOF
	}
	if r.err != nil {
		return nil, r.fail()
	}
	ids := make([]int32, n)
	p := make([]float64, cfg.Dimensions)
	for i := range ids {
		age := r.u(seq)
		for d := range p {
			p[d] = float64(r.f32())
		}
		if r.err != nil {
			return nil, r.fail()
		}
		ids[i] = f.store.add(p, seq-age)
	}
	now := cfg.TimeDecay * float64(seq)
	for i, s := range f.samples {
		k := r.u(uint64(cfg.SampleSize))
		type entry struct {
			pi  int32
			key float64
		}
		entries := make([]entry, k)
		if k > 0 && n == 0 {
			return nil, errors.New("rcf: checkpoint damaged: a sample refers to points there are none of")
		}
		for j := range entries {
			idx := r.u(n - 1)
			if r.err != nil {
				return nil, r.fail()
			}
			entries[j] = entry{ids[idx], float64(r.f32()) - now}
		}
		for _, src := range []*rand.PCG{f.trees[i].src, s.src} {
			st := make([]byte, r.u(64))
			r.read(st)
			if r.err != nil {
				return nil, r.fail()
			}
			if err := src.UnmarshalBinary(st); err != nil {
				return nil, fmt.Errorf("rcf: checkpoint: %w", err)
			}
		}
		// Rebuild the tree oldest point first, as the stream built it.
		slices.SortStableFunc(entries, func(a, b entry) int {
			sa, sb := f.store.seq[a.pi], f.store.seq[b.pi]
			switch {
			case sa < sb:
				return -1
			case sa > sb:
				return 1
			}
			return 0
		})
		for _, e := range entries {
			used := f.trees[i].insert(e.pi, f.store.get(e.pi), f.store)
			f.store.retain(used)
			s.push(e.key, used)
		}
	}
	if len(r.b) != r.off {
		return nil, errors.New("rcf: checkpoint has trailing data")
	}
	for i := range f.store.refs {
		if f.store.refs[i] == 0 {
			f.store.free = append(f.store.free, int32(i))
		}
	}
	return f, nil
}

func putU(b *bytes.Buffer, v uint64) { b.Write(binary.AppendUvarint(nil, v)) }

func putF32(b *bytes.Buffer, v float32) {
	var x [4]byte
	binary.LittleEndian.PutUint32(x[:], math.Float32bits(v))
	b.Write(x[:])
}

func putF64(b *bytes.Buffer, v float64) {
	var x [8]byte
	binary.LittleEndian.PutUint64(x[:], math.Float64bits(v))
	b.Write(x[:])
}

// reader reads a checkpoint, remembering the first error.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail() error {
	return fmt.Errorf("rcf: checkpoint damaged at byte %d: %w", r.off, r.err)
}

func (r *reader) read(p []byte) {
	if r.err != nil {
		return
	}
	if len(r.b)-r.off < len(p) {
		r.err = io.ErrUnexpectedEOF
		return
	}
	copy(p, r.b[r.off:])
	r.off += len(p)
}

func (r *reader) byte() byte {
	var x [1]byte
	r.read(x[:])
	return x[0]
}

// u reads a uvarint no larger than max.
func (r *reader) u(max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	r.off += n
	if v > max {
		r.err = fmt.Errorf("value %d above %d", v, max)
		return 0
	}
	return v
}

func (r *reader) f32() float32 {
	var x [4]byte
	r.read(x[:])
	v := math.Float32frombits(binary.LittleEndian.Uint32(x[:]))
	if r.err == nil && (math.IsNaN(float64(v)) || math.IsInf(float64(v), 0)) {
		r.err = errors.New("non-finite value")
	}
	return v
}

func (r *reader) f64() float64 {
	var x [8]byte
	r.read(x[:])
	return math.Float64frombits(binary.LittleEndian.Uint64(x[:]))
}
