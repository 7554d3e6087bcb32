package anomaly

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"

	"github.com/refdatalake/datalake/internal/rcf"
)

// CheckpointVersion is the format MarshalBinary writes; Restore refuses
// others, and a checkpoint of other fields or forest parameters.
const CheckpointVersion = 2

var checkpointMagic = []byte("ADET")

// MaxCheckpointBytes bounds what Restore reads: far above the ~1 KB per
// device of a real checkpoint (10,000 devices write about 8 MB).
const MaxCheckpointBytes = 256 << 20

// MarshalBinary writes the forest and every device's state: "ADET", the
// version, the fields, the forest (rcf.Forest.MarshalBinary), then per
// device (sorted by name, so equal states write equal bytes) its name,
// counters and slab as little-endian float32s.
func (d *Detector) MarshalBinary() ([]byte, error) {
	forest, err := d.forest.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("anomaly: forest: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(forest) + len(d.devices)*(4*d.lay.size+64))
	b.Write(checkpointMagic)
	b.WriteByte(CheckpointVersion)
	u := func(v uint64) { b.Write(binary.AppendUvarint(nil, v)) }
	str := func(s string) { u(uint64(len(s))); b.WriteString(s) }
	u(uint64(len(d.cfg.Fields)))
	for _, f := range d.cfg.Fields {
		str(f)
	}
	u(uint64(len(forest)))
	b.Write(forest)
	names := make([]string, 0, len(d.devices))
	for n := range d.devices {
		names = append(names, n)
	}
	sort.Strings(names)
	u(uint64(len(names)))
	u(uint64(d.lay.size))
	buf := make([]byte, 4*d.lay.size)
	for _, n := range names {
		dv := d.devices[n]
		str(n)
		u(uint64(dv.n))
		b.Write(binary.LittleEndian.AppendUint64(nil, uint64(dv.first)))
		b.Write(binary.LittleEndian.AppendUint64(nil, uint64(dv.last)))
		u(uint64(dv.quiet))
		for i, v := range dv.s {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		b.Write(buf)
	}
	return b.Bytes(), nil
}

// ErrIncompatible is a checkpoint of another version or configuration.
var ErrIncompatible = errors.New("anomaly: incompatible checkpoint")

// Restore returns a detector with cfg and the forest and devices of the
// checkpoint. A checkpoint of another version, fields or forest is
// ErrIncompatible; damaged data is another error. The caller decides what
// to do with either: the lake's detector logs it, counts it and alarms.
func Restore(cfg Config, data []byte) (*Detector, error) {
	d, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if len(data) > MaxCheckpointBytes {
		return nil, fmt.Errorf("anomaly: checkpoint of %d bytes is over the %d-byte limit", len(data), MaxCheckpointBytes)
	}
	if len(data) < len(checkpointMagic)+1 || !bytes.Equal(data[:len(checkpointMagic)], checkpointMagic) {
		return nil, errors.New("anomaly: not a detector checkpoint")
	}
	if v := data[len(checkpointMagic)]; v != CheckpointVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads %d", ErrIncompatible, v, CheckpointVersion)
	}
	r := &reader{b: data[len(checkpointMagic)+1:]}
	nf := r.u(maxFields)
	fields := make([]string, nf)
	for i := range fields {
		fields[i] = r.str()
	}
	if r.err != nil {
		return nil, r.err
	}
	if !slices.Equal(fields, d.cfg.Fields) {
		return nil, fmt.Errorf("%w: written for fields %v, this detector has %v", ErrIncompatible, fields, d.cfg.Fields)
	}
	forestBytes := r.bytes(r.u(uint64(len(data))))
	if r.err != nil {
		return nil, r.err
	}
	f, err := rcf.UnmarshalBinary(forestBytes)
	if err != nil {
		return nil, fmt.Errorf("anomaly: forest: %w", err)
	}
	fc, want := f.Config(), d.cfg.forest()
	if fc.Dimensions != want.Dimensions || fc.Trees != d.cfg.Trees || fc.SampleSize != d.cfg.SampleSize {
		return nil, fmt.Errorf("%w: a forest of %d dimensions, %d trees of %d points; this detector has %d, %d, %d",
			ErrIncompatible, fc.Dimensions, fc.Trees, fc.SampleSize, want.Dimensions, d.cfg.Trees, d.cfg.SampleSize)
	}
	d.forest = f
	count := r.u(uint64(len(data)))
	if size := r.u(1 << 20); r.err == nil && int(size) != d.lay.size {
		return nil, fmt.Errorf("%w: device state of %d values, this build keeps %d", ErrIncompatible, size, d.lay.size)
	}
	for range count {
		name := r.str()
		dv := &device{n: uint32(r.u(math.MaxUint32)), first: int64(r.u64()), last: int64(r.u64()), quiet: uint32(r.u(math.MaxUint32)), s: make([]float32, d.lay.size)}
		raw := r.bytes(uint64(4 * d.lay.size))
		if r.err != nil {
			return nil, r.err
		}
		for i := range dv.s {
			dv.s[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		d.devices[name] = dv
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("anomaly: checkpoint damaged: %d bytes after the last device", len(r.b))
	}
	return d, nil
}

// reader reads a checkpoint; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) damaged(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("anomaly: checkpoint damaged: %s: %w", what, io.ErrUnexpectedEOF)
	}
}

func (r *reader) u(max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > max {
		r.damaged("a count")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) u64() uint64 {
	b := r.bytes(8)
	if r.err != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.damaged("a value")
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) str() string { return string(r.bytes(r.u(1 << 16))) }
