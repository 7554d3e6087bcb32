package anomaly

import "math"

// device is one device's state: four counters and one slab of float32s
// whose layout depends only on the number of fields, so 10,000 devices fit
// in tens of megabytes and a checkpoint is the slabs one after the other.
type device struct {
	// n counts the readings; first and last are the earliest and latest
	// event times seen (Unix milliseconds); quiet counts the readings since
	// the last anomalous one.
	n           uint32
	first, last int64
	quiet       uint32
	s           []float32
}

// layout is where each statistic lives in a device's slab.
type layout struct {
	fields int
	// offsets
	cadence, visits, last, run, local, spread, profile, resVar, ctx, slow, lvl, lvlMean, lvlVar, mu, cov, vol, stepVar, tails int
	size                                                                                                                      int
}

func newLayout(nf int) layout {
	l := layout{fields: nf}
	off := 0
	next := func(n int) int { o := off; off += n; return o }
	l.cadence = next(1)
	l.visits = next(hours)
	l.last = next(nf)
	l.run = next(nf)
	l.local = next(nf)
	l.spread = next(nf)
	l.profile = next(nf * hours)
	l.resVar = next(nf)
	l.ctx = next(nf)
	l.slow = next(nf)
	l.mu = next(nf)
	l.cov = next(nf * (nf + 1) / 2)
	l.lvl = next(nf)
	l.lvlMean = next(nf)
	l.lvlVar = next(nf)
	l.vol = next(nf)
	l.stepVar = next(nf)
	l.tails = next(tailSize * l.tests())
	l.size = off
	return l
}

// Tests is how many alert levels the detector keeps per device of fields
// numeric fields (layout.tests).
func Tests(fields int) int { return newLayout(fields).tests() }

// tests is how many alert levels a device keeps: one for the forest,
// which scores the whole reading, and one per field for each of the
// others, which score each field apart (a field that wanders, or repeats
// by its resolution, must not blunt the others).
func (l layout) tests() int { return 1 + (len(Detectors)-1)*l.fields }

// test is the index of detector k's level for field i (i ignored for the
// forest).
func (l layout) test(k, i int) int {
	if k == kForest {
		return 0
	}
	return 1 + (k-1)*l.fields + i
}

// tail is test j's alert-level state in slab s.
func (l layout) tail(s []float32, j int) tail {
	o := l.tails + tailSize*j
	return tail{t: &s[o], m1: &s[o+1], m2: &s[o+2], n: &s[o+3], theta: &s[o+4], above: &s[o+5]}
}

func (d *Detector) device(name string) *device {
	if dv, ok := d.devices[name]; ok {
		return dv
	}
	dv := &device{quiet: math.MaxUint32, s: make([]float32, d.lay.size)}
	for i := range d.lay.fields {
		dv.s[d.lay.last+i] = float32(math.NaN())
		dv.s[d.lay.local+i] = float32(math.NaN())
	}
	d.devices[name] = dv
	return dv
}

// StateBytes is the size of one device's state in memory: its slab and
// counters (not the map entry or the name).
func (d *Detector) StateBytes() int { return 4*d.lay.size + 32 }

// Readings is how many readings the detector has processed of a device.
func (d *Detector) Readings(device string) int {
	if dv, ok := d.devices[device]; ok {
		return int(dv.n)
	}
	return 0
}
