package anomaly

import "math"

// tail sets one test's alert level for one device from that device's own
// scores, as peaks over a threshold (Siffer, Fouque, Termier and Largouët,
// "Anomaly Detection in Streams with Extreme Value Theory", KDD 2017):
//
//   - t tracks the (1-tailMass) quantile of recent scores, by stochastic
//     approximation on log(score) (one number, no stored history);
//   - the excesses over t are summarised by their first two moments, from
//     which a generalized Pareto tail is fitted (method of moments);
//   - the alert level is the score exceeded with probability q per reading,
//     read off that tail.
//
// q comes from the false-alert budget and the device's reading cadence, so
// the level is set by how the device behaves, not by constants fitted to a
// test generator. A test whose scores come in runs (an average, a CUSUM)
// exceeds its level in clusters that make one alert each: theta, the
// extremal index estimated by runs (upcrossings of t per exceedance of
// t), turns the budget of alerts into a budget of exceeding readings.
// Six float32s in the device's slab.
type tail struct{ t, m1, m2, n, theta, above *float32 }

// tailSize is how many slab values a tail takes.
const tailSize = 6

const (
	// tailMass is the share of scores above t: the tail the fit uses. Five
	// percent of a week at one reading a minute is about 500 excesses.
	tailMass = 0.05
	// maxStep bounds the stochastic approximation's step in log(score).
	maxStep = 0.5
	// shapeMax bounds a fitted tail shape, so a heavy tail estimated from a
	// few hundred excesses cannot run away; no shape is below 0 (a light
	// tail would promise a finite maximum from a few excesses).
	shapeMax = 0.5
)

// level is the score this device's test exceeds in about alerts events per
// reading (q readings per reading, divided by the extremal index); the
// tail's scale is at least floor. With fit false the tail is exponential
// (shape 0), as extreme value theory gives for scores that are averages of
// residuals, squared distances (chi-square) or run lengths (geometric):
// the Gumbel domain. With fit true its shape is estimated, for scores of no
// known law (the forest's).
func (tl tail) level(alerts, floor float64, fit bool) float64 {
	theta := float64(*tl.theta)
	if theta <= 0 || theta > 1 {
		theta = 1
	}
	q := alerts / math.Max(theta, minTheta)
	t := float64(*tl.t)
	// The excesses seen, shrunk towards a prior of priorExcesses excesses
	// of scale max(floor, t/3): what an exponential distribution of the
	// scores would give above its 95 % quantile t (= 3 scales), with E[e^2]
	// = 2 scale^2. A test with few excesses so far gets that level, one
	// with many its own.
	n := math.Min(float64(*tl.n), maxExcesses)
	prior := math.Max(floor, t/3)
	m1 := (n*float64(*tl.m1) + priorExcesses*prior) / (n + priorExcesses)
	m2 := (n*float64(*tl.m2) + priorExcesses*2*prior*prior) / (n + priorExcesses)
	v := m2 - m1*m1
	scale, shape := m1, 0.0
	if m1 > 0 && v > 1e-12 {
		r := m1 * m1 / v
		shape = 0.5 * (1 - r)
		scale = 0.5 * m1 * (1 + r)
	}
	if !fit {
		shape, scale = 0, m1
	}
	shape = math.Max(0, math.Min(shapeMax, shape))
	scale = math.Max(scale, floor)
	ratio := tailMass / q
	if ratio <= 1 {
		return t
	}
	if math.Abs(shape) < 1e-6 {
		return t + scale*math.Log(ratio)
	}
	return t + scale/shape*(math.Pow(ratio, shape)-1)
}

// learn folds one score in: seen is how many readings the device has sent,
// horizon how many the tail remembers, level the test's current alert
// level. A score at or above the level (an anomaly) moves the quantile and
// the extremal index, so what recurs becomes normal over days, but not the
// excess moments (as in the paper's DSPOT): the level is a multiple of the
// mean excess, and feeding it anomalies' own excesses would let it chase
// them. The quantile's step shrinks as 1/seen to the horizon's
// 1/(tailMass*horizon), so the level converges within the warm-up and then
// moves over days: a change that lasts hours cannot carry the level along
// before it is reported.
func (tl tail) learn(s, seen, horizon, level float64) {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return
	}
	s = math.Max(s, 0)
	if *tl.t == 0 && *tl.n == 0 && *tl.m1 == 0 {
		*tl.t = float32(s) // the first score: start the quantile there
	}
	t := float64(*tl.t)
	// The quantile moves in log space so that it finds the scale of any
	// test's scores quickly and then stays put proportionally.
	above := s > t
	if above {
		// Upcrossings per exceedance: the extremal index by runs.
		up := 0.0
		if *tl.above == 0 {
			up = 1
		}
		w := 1 / math.Min(float64(*tl.n)+1+priorExcesses, math.Max(horizon*tailMass, 2*priorExcesses))
		if *tl.theta == 0 {
			*tl.theta = 1
		}
		*tl.theta += float32(w * (up - float64(*tl.theta)))
		*tl.above = 1
	} else {
		*tl.above = 0
	}
	step := math.Min(maxStep, 1/(tailMass*math.Min(math.Max(seen, 1), horizon)))
	lt := math.Log(t + logFloor)
	if above {
		lt += step * (1 - tailMass)
	} else {
		lt -= step * tailMass
	}
	*tl.t = float32(math.Max(math.Exp(lt)-logFloor, 0))
	if above {
		if level > 0 && s >= level {
			return
		}
		e := s - t
		*tl.n++
		// An average over the excesses seen, then an exponential one over
		// the horizon's worth of them (level shrinks it towards its prior).
		w := 1 / math.Min(float64(*tl.n), math.Max(horizon*tailMass, 2*priorExcesses))
		*tl.m1 += float32(w * (e - float64(*tl.m1)))
		*tl.m2 += float32(w * (e*e - float64(*tl.m2)))
	}
}

// minTheta bounds the extremal index from below: clusters of ten readings
// at most are trusted to make one alert.
const minTheta = 0.1

// priorExcesses is the weight of the tail's prior, in excesses;
// maxExcesses caps the weight of the excesses seen, so the prior keeps a
// share (20 of 520 at most) however long the device has run.
const (
	priorExcesses = 20
	maxExcesses   = 500
)

// logFloor keeps log(t) finite for tests whose scores are often zero.
const logFloor = 1e-3
