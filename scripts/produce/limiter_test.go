package main

import (
	"testing"
	"time"
)

func TestTokenBucket(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name  string
		rate  float64
		burst int
		calls []time.Time // when reserve is called
		want  []time.Time // when each token may be used
	}{
		{"burst then spaced", 10, 2,
			[]time.Time{t0, t0, t0, t0},
			[]time.Time{t0, t0, ms(100), ms(200)}},
		{"idle time refills up to the burst only", 10, 2,
			[]time.Time{t0, t0, ms(5000), ms(5000), ms(5000)},
			[]time.Time{t0, t0, ms(5000), ms(5000), ms(5100)}},
		{"a late caller is not penalised", 100, 1,
			[]time.Time{t0, ms(10), ms(50), ms(50)},
			[]time.Time{t0, ms(10), ms(50), ms(60)}},
		{"burst below one means one", 5, 0,
			[]time.Time{t0, t0},
			[]time.Time{t0, ms(200)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newTokenBucket(tc.rate, tc.burst, t0)
			for i, at := range tc.calls {
				if got := b.reserve(at); !got.Equal(tc.want[i]) {
					t.Errorf("reserve %d at +%s = +%s, want +%s", i, at.Sub(t0), got.Sub(t0), tc.want[i].Sub(t0))
				}
			}
		})
	}
}

// TestTokenBucketLongRunRate checks the rate over many reservations made as
// fast as possible: n tokens take (n - burst) / rate seconds.
func TestTokenBucketLongRunRate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newTokenBucket(250, 25, t0)
	var last time.Time
	now := t0
	for range 10000 {
		last = b.reserve(now)
		now = last // the caller sleeps until its reservation
	}
	want := time.Duration(float64(10000-25) / 250 * float64(time.Second))
	if got := last.Sub(t0); got < want-time.Millisecond || got > want+time.Millisecond {
		t.Errorf("10000 tokens at 250/s with burst 25 end at +%s, want +%s", got, want)
	}
}
