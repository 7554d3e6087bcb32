package anomaly

import "math"

// ZScore is the baseline the detector is measured against: per device and
// field, how many standard deviations a reading lies from the mean of the
// previous Window readings; the score is the largest over the fields,
// divided by Z (so 1 is the alert level, as for Detector).
type ZScore struct {
	Window int
	Z      float64
	hist   map[string][][]float64 // device -> field -> ring
}

// NewZScore returns the baseline with a window and alert level.
func NewZScore(window int, z float64) *ZScore {
	return &ZScore{Window: window, Z: z, hist: map[string][][]float64{}}
}

// Process scores one reading and remembers it; ok is false until the
// device has a full window.
func (b *ZScore) Process(r Reading) (score float64, field int, ok bool) {
	h := b.hist[r.Device]
	if h == nil {
		h = make([][]float64, len(r.Values))
		b.hist[r.Device] = h
	}
	field = -1
	for i, v := range r.Values {
		if math.IsNaN(v) {
			continue
		}
		if len(h[i]) >= b.Window {
			var mean, m2 float64
			for k, x := range h[i] {
				d := x - mean
				mean += d / float64(k+1)
				m2 += d * (x - mean)
			}
			sd := math.Sqrt(m2 / float64(len(h[i])-1))
			if sd < 1e-9 {
				sd = 1e-9
			}
			if s := math.Abs(v-mean) / sd / b.Z; s > score {
				score, field = s, i
			}
			ok = true
			h[i] = h[i][1:]
		}
		h[i] = append(h[i], v)
	}
	return score, field, ok
}
