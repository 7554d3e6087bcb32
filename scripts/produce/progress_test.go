package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the reporter writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressPlainLines(t *testing.T) {
	saved := plainEvery
	plainEvery = 10 * time.Millisecond
	t.Cleanup(func() { plainEvery = saved })

	var out syncBuffer
	st := &stats{}
	st.sent.Store(40)
	st.retried.Store(3)
	p := startProgress(&out, false, 100, 0, st)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "\n") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.logf("a problem with %s", "device-0001")
	p.finish()
	got := out.String()
	if !strings.Contains(got, "produce: sent 40/100, ") || !strings.Contains(got, "retried 3, failed 0") {
		t.Errorf("no progress line in %q", got)
	}
	if !strings.Contains(got, "produce: a problem with device-0001\n") {
		t.Errorf("message missing from %q", got)
	}
	if strings.Contains(got, "\r") {
		t.Errorf("carriage return outside a terminal: %q", got)
	}
}

func TestProgressBar(t *testing.T) {
	st := &stats{}
	st.sent.Store(50)
	tests := []struct {
		name     string
		total    int64
		duration time.Duration
		elapsed  time.Duration
		want     string
	}{
		{"count", 100, 0, 2 * time.Second, "[=====     ]  50% 50/100  25.0 rec/s  retried 0  failed 0"},
		{"duration", 0, 10 * time.Second, 2 * time.Second, "[==        ]  20% 50 sent, 2s/10s  25.0 rec/s  retried 0  failed 0"},
		{"overrun is capped", 0, time.Second, 2 * time.Second, "[==========] 100% 50 sent, 2s/1s  25.0 rec/s  retried 0  failed 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &progress{total: tc.total, duration: tc.duration, stats: st}
			if got := p.bar(tc.elapsed, 10); got != tc.want {
				t.Errorf("bar:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestProgressTerminalRedraws(t *testing.T) {
	var out syncBuffer
	st := &stats{}
	p := &progress{w: &out, tty: true, total: 10, stats: st, start: time.Now(), stop: make(chan struct{})}
	p.report()
	p.logf("warning")
	st.sent.Store(10)
	p.report()
	got := out.String()
	if !strings.HasPrefix(got, "\r[") || !strings.Contains(got, "\r\x1b[Kproduce: warning\n\r[") || !strings.Contains(got, "10/10") {
		t.Errorf("terminal output %q: want bars redrawn with \\r and the message on a cleared line", got)
	}
}

func TestIsTerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}
