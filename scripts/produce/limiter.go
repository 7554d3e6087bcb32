package main

import "time"

// tokenBucket limits the record rate: it holds up to burst tokens, gains rate
// tokens per second, and each record takes one.
//
// It is written here rather than taken from golang.org/x/time/rate because
// the producer needs one operation ("when may the next record go?") and this
// keeps the module's dependencies to those the stacks already use. Time is
// passed in, so tests run on a fake clock.
type tokenBucket struct {
	rate   float64 // tokens per second, > 0
	burst  float64
	tokens float64 // may go negative: a debt later records wait off
	last   time.Time
}

// newTokenBucket returns a full bucket.
func newTokenBucket(rate float64, burst int, now time.Time) *tokenBucket {
	b := float64(max(burst, 1))
	return &tokenBucket{rate: rate, burst: b, tokens: b, last: now}
}

// reserve takes a token and returns when the caller may use it: now if one
// was available, otherwise the moment the bucket will have refilled it.
// Reserving ahead (going into debt) keeps the long-run rate exact even when
// the caller's sleeps overshoot.
func (b *tokenBucket) reserve(now time.Time) time.Time {
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return now
	}
	return b.last.Add(time.Duration(-b.tokens / b.rate * float64(time.Second)))
}
