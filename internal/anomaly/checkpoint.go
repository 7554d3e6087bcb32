package anomaly

import (
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/refdatalake/datalake/internal/rcf"
)

// CheckpointVersion is the format MarshalBinary writes; UnmarshalBinary
// refuses others, and a checkpoint of other fields or forest parameters.
const CheckpointVersion = 1

var checkpointMagic = []byte("ADET")

// snapshot is what a checkpoint holds (gob, gzip-compressed).
type snapshot struct {
	Config  Config
	Devices map[string]deviceSnapshot
}

type deviceSnapshot struct {
	N                                   int
	Last, Mean, M2                      []float64
	Shingle                             [][]float64
	ScoreMean, ScoreVar                 float64
	Repeat                              []int
	Profile                             [][hours]float64
	Visits                              [][hours]int
	ResVar, CusumHi, CusumLo, ShortMean []float64
	Forest                              []byte // rcf.Forest.MarshalBinary
}

// MarshalBinary writes every device's model: a versioned, gzip-compressed
// checkpoint.
func (d *Detector) MarshalBinary() ([]byte, error) {
	s := snapshot{Config: d.cfg, Devices: map[string]deviceSnapshot{}}
	for name, dv := range d.devices {
		f, err := dv.forest.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("anomaly: device %s: %w", name, err)
		}
		s.Devices[name] = deviceSnapshot{N: dv.n, Last: dv.last, Mean: dv.mean, M2: dv.m2, Shingle: dv.shingle,
			ScoreMean: dv.scoreMean, ScoreVar: dv.scoreVar, Repeat: dv.repeat, Profile: dv.profile, Visits: dv.visits,
			ResVar: dv.resVar, CusumHi: dv.cusumHi, CusumLo: dv.cusumLo, ShortMean: dv.shortMean, Forest: f}
	}
	var b bytes.Buffer
	b.Write(checkpointMagic)
	b.WriteByte(CheckpointVersion)
	z, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if err := gob.NewEncoder(z).Encode(s); err != nil {
		return nil, fmt.Errorf("anomaly: encode checkpoint: %w", err)
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ErrIncompatible is a checkpoint of another version or configuration.
var ErrIncompatible = errors.New("anomaly: incompatible checkpoint")

// Restore returns a detector with cfg and the devices of the checkpoint.
// A checkpoint of another version, fields or forest is ErrIncompatible;
// damaged data is another error. Either way the caller starts afresh.
func Restore(cfg Config, data []byte) (*Detector, error) {
	d, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if len(data) < len(checkpointMagic)+1 || !bytes.Equal(data[:len(checkpointMagic)], checkpointMagic) {
		return nil, errors.New("anomaly: not a detector checkpoint")
	}
	if v := data[len(checkpointMagic)]; v != CheckpointVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads %d", ErrIncompatible, v, CheckpointVersion)
	}
	z, err := gzip.NewReader(bytes.NewReader(data[len(checkpointMagic)+1:]))
	if err != nil {
		return nil, fmt.Errorf("anomaly: checkpoint damaged: %w", err)
	}
	var s snapshot
	if err := gob.NewDecoder(io.LimitReader(z, 512<<20)).Decode(&s); err != nil {
		return nil, fmt.Errorf("anomaly: checkpoint damaged: %w", err)
	}
	c := d.cfg
	if !slices.Equal(s.Config.Fields, c.Fields) || s.Config.Shingle != c.Shingle || s.Config.Trees != c.Trees ||
		s.Config.SampleSize != c.SampleSize || s.Config.TimeDecay != c.TimeDecay {
		return nil, fmt.Errorf("%w: written for fields %v, shingle %d, %d trees of %d points; this detector has %v, %d, %d, %d",
			ErrIncompatible, s.Config.Fields, s.Config.Shingle, s.Config.Trees, s.Config.SampleSize, c.Fields, c.Shingle, c.Trees, c.SampleSize)
	}
	n := len(c.Fields)
	for name, ds := range s.Devices {
		f, err := rcf.UnmarshalBinary(ds.Forest)
		if err != nil {
			return nil, fmt.Errorf("anomaly: device %s: %w", name, err)
		}
		if f.Config().Dimensions != c.dims() {
			return nil, fmt.Errorf("%w: device %s has a forest of %d dimensions", ErrIncompatible, name, f.Config().Dimensions)
		}
		for _, l := range [][]float64{ds.Last, ds.Mean, ds.M2, ds.ResVar, ds.CusumHi, ds.CusumLo, ds.ShortMean} {
			if len(l) != n {
				return nil, fmt.Errorf("anomaly: checkpoint damaged: device %s", name)
			}
		}
		if len(ds.Repeat) != n || len(ds.Profile) != n || len(ds.Visits) != n || len(ds.Shingle) > c.Shingle {
			return nil, fmt.Errorf("anomaly: checkpoint damaged: device %s", name)
		}
		for _, sh := range ds.Shingle {
			if len(sh) != n {
				return nil, fmt.Errorf("anomaly: checkpoint damaged: device %s", name)
			}
		}
		d.devices[name] = &device{n: ds.N, forest: f, last: ds.Last, mean: ds.Mean, m2: ds.M2, shingle: ds.Shingle,
			scoreMean: ds.ScoreMean, scoreVar: ds.ScoreVar, repeat: ds.Repeat, profile: ds.Profile, visits: ds.Visits,
			resVar: ds.ResVar, cusumHi: ds.CusumHi, cusumLo: ds.CusumLo, shortMean: ds.ShortMean}
	}
	return d, nil
}
