// Package proctree starts nothing itself: it helps tests and scripts that
// start local servers (emulators, runtimes) to find a loopback port, collect
// their output, and stop them together with every process they spawned, so
// nothing is left running or listening. Linux only: it reads /proc.
package proctree

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FreeLoopbackAddr returns a 127.0.0.1 address whose port was free when asked.
func FreeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Stop ends pid, which must lead its own process group (start it with
// SysProcAttr.Setpgid), and every process below it, including those that
// moved into groups of their own: SIGTERM to the group first so the leader
// can shut its children down, then, after grace, SIGKILL to every group and
// process left. It returns once exited is closed (the caller's Wait returned).
func Stop(pid int, exited <-chan struct{}, grace time.Duration) {
	groups := append([]int{pid}, Descendants(pid)...)
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
	}
	for _, g := range groups {
		_ = syscall.Kill(-g, syscall.SIGKILL)
		_ = syscall.Kill(g, syscall.SIGKILL)
	}
	<-exited
}

// Descendants lists the processes below pid, depth first.
func Descendants(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(b)) {
			if child, err := strconv.Atoi(field); err == nil {
				out = append(out, child)
				out = append(out, Descendants(child)...)
			}
		}
	}
	return out
}

// Alive reports whether pid is a process that has not exited (a zombie has).
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesized command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// Buffer collects a process's output while another goroutine reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
