package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// How often progress is shown: a terminal's bar often, a log line rarely
// enough not to flood CI output.
var (
	barEvery   = 200 * time.Millisecond
	plainEvery = 5 * time.Second
)

// isTerminal reports whether w is a terminal (so \r redraws work).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// progress reports the run on stderr: a bar redrawn in place on a terminal,
// otherwise a plain line every plainEvery. Messages go through it so they do
// not land in the middle of the bar.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	total    int64         // records to send, 0 with --duration
	duration time.Duration // with --duration
	stats    *stats
	start    time.Time
	drawn    bool // a bar is on screen and must be cleared before a message
	stop     chan struct{}
	done     sync.WaitGroup
}

func startProgress(w io.Writer, tty bool, total int64, duration time.Duration, st *stats) *progress {
	p := &progress{w: w, tty: tty, total: total, duration: duration, stats: st, start: time.Now(), stop: make(chan struct{})}
	every := plainEvery
	if tty {
		every = barEvery
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.report()
			}
		}
	}()
	return p
}

// report draws the bar or prints a line.
func (p *progress) report() {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.start)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.bar(elapsed, 30))
		p.drawn = true
		return
	}
	fmt.Fprintf(p.w, "produce: %s\n", p.line(elapsed))
}

// finish stops reporting; a bar is drawn once more, complete, and ended.
func (p *progress) finish() {
	close(p.stop)
	p.done.Wait()
	if p.tty {
		p.report()
		p.mu.Lock()
		fmt.Fprintln(p.w)
		p.drawn = false
		p.mu.Unlock()
	}
}

// logf prints a message on its own line.
func (p *progress) logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fmt.Fprintf(p.w, "produce: "+format+"\n", args...)
}

// line is the plain progress text.
func (p *progress) line(elapsed time.Duration) string {
	sent := p.stats.sent.Load()
	of := ""
	if p.total > 0 {
		of = fmt.Sprintf("/%d", p.total)
	}
	return fmt.Sprintf("sent %d%s, %s rec/s, retried %d, failed %d, elapsed %s",
		sent, of, perSecond(sent, elapsed), p.stats.retried.Load(), p.stats.failed.Load(), elapsed.Round(time.Second))
}

// bar is the terminal progress text: a bar of the given width, filled by
// records (--count) or time (--duration), then the line's figures.
func (p *progress) bar(elapsed time.Duration, width int) string {
	sent := p.stats.sent.Load()
	frac, what := 0.0, ""
	switch {
	case p.total > 0:
		frac = float64(sent+p.stats.failed.Load()) / float64(p.total)
		what = fmt.Sprintf("%d/%d", sent, p.total)
	case p.duration > 0:
		frac = float64(elapsed) / float64(p.duration)
		what = fmt.Sprintf("%d sent, %s/%s", sent, elapsed.Round(time.Second), p.duration)
	}
	frac = min(max(frac, 0), 1)
	n := int(frac * float64(width))
	return fmt.Sprintf("[%s%s] %3.0f%% %s  %s rec/s  retried %d  failed %d",
		strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, what,
		perSecond(sent, elapsed), p.stats.retried.Load(), p.stats.failed.Load())
}

// perSecond formats n/elapsed with one decimal.
func perSecond(n int64, elapsed time.Duration) string {
	if elapsed <= 0 {
		return "0.0"
	}
	return fmt.Sprintf("%.1f", float64(n)/elapsed.Seconds())
}
