package localharness

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/refdatalake/datalake/internal/proctree"
)

// markerVar is set in the emulator's environment. Every process it spawns
// (Lambda workers, their children) inherits it, so a scan of /proc finds them
// all, even one that left the process tree by being re-parented.
const markerVar = "DATALAKE_LOCAL_EMULATOR"

// MarkedProcesses lists the live processes whose environment carries
// markerVar=marker. Processes of other users cannot be read and are skipped:
// the emulator runs as the current user.
func MarkedProcesses(marker string) []int {
	want := []byte(markerVar + "=" + marker + "\x00")
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil {
			continue
		}
		// environ has no leading NUL; prefixing one makes the match exact.
		if bytes.Contains(append([]byte{0}, env...), append([]byte{0}, want...)) && proctree.Alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// PortOpen reports whether something accepts TCP connections on
// 127.0.0.1:port.
func PortOpen(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// rssKB reads a memory figure (VmRSS or VmHWM) of pid from /proc, in KiB; 0
// when the process is gone.
func rssKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// MemorySampler records the peak memory of the emulator and everything it
// spawned, sampling /proc while the process tree changes: Lambda workers come
// and go, so a single reading at the end would miss them.
type MemorySampler struct {
	mu        sync.Mutex
	peakTree  int64 // largest sum of VmRSS over the tree in one sample
	peakHWM   int64 // the emulator process's own VmHWM
	peakProcs int   // most processes seen in one sample
	samples   int
	seen      map[int]bool
	onNew     func(pid int)
	stop      chan struct{}
	done      chan struct{}
}

// SampleMemory starts sampling the tree of pid (and processes carrying the
// marker) every interval until Stop. onNew, when not nil, is called from the
// sampling goroutine once for every process it sees for the first time, so
// a caller can inspect short-lived workers while they exist.
func SampleMemory(pid int, marker string, interval time.Duration, onNew func(pid int)) *MemorySampler {
	m := &MemorySampler{seen: map[int]bool{}, onNew: onNew, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			m.sample(pid, marker)
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *MemorySampler) sample(pid int, marker string) {
	procs := map[int]bool{pid: true}
	for _, p := range proctree.Descendants(pid) {
		procs[p] = true
	}
	for _, p := range MarkedProcesses(marker) {
		procs[p] = true
	}
	var sum int64
	for p := range procs {
		sum += rssKB(p, "VmRSS")
		if !m.seen[p] {
			m.seen[p] = true
			if m.onNew != nil {
				m.onNew(p)
			}
		}
	}
	hwm := rssKB(pid, "VmHWM")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples++
	m.peakTree = max(m.peakTree, sum)
	m.peakHWM = max(m.peakHWM, hwm)
	m.peakProcs = max(m.peakProcs, len(procs))
}

// Stop ends sampling; it is safe to call more than once.
func (m *MemorySampler) Stop() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

// MemoryPeak is what a MemorySampler saw.
type MemoryPeak struct {
	// TreeRSSKB is the largest total resident memory of the emulator and its
	// children seen in one sample.
	TreeRSSKB int64
	// EmulatorHWMKB is the emulator process's own high-water mark.
	EmulatorHWMKB int64
	// MaxProcesses is the most processes in the tree at once.
	MaxProcesses int
	// Samples is how many samples were taken.
	Samples int
}

// Peak returns the figures so far.
func (m *MemorySampler) Peak() MemoryPeak {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MemoryPeak{TreeRSSKB: m.peakTree, EmulatorHWMKB: m.peakHWM, MaxProcesses: m.peakProcs, Samples: m.samples}
}

// String formats the peak in MiB.
func (p MemoryPeak) String() string {
	return fmt.Sprintf("tree peak RSS %.0f MiB (%d processes at most), emulator VmHWM %.0f MiB, %d samples",
		float64(p.TreeRSSKB)/1024, p.MaxProcesses, float64(p.EmulatorHWMKB)/1024, p.Samples)
}

// ListeningAddrs returns the TCP addresses (ip:port) that the processes
// pids listen on, from /proc/net/tcp{,6} and their open sockets.
func ListeningAddrs(pids []int) ([]string, error) {
	inodes := map[string]bool{}
	for _, pid := range pids {
		fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
		for _, fd := range fds {
			link, err := os.Readlink(fd)
			if ino, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
				inodes[strings.TrimSuffix(ino, "]")] = true
			}
		}
	}
	var out []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			if table == "/proc/net/tcp6" {
				continue // no IPv6 on this machine
			}
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		for line := range strings.Lines(string(b)) {
			f := strings.Fields(line)
			// sl local_address rem_address st ... inode (field 9); 0A is LISTEN.
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
				continue
			}
			addr, err := decodeProcAddr(f[1])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", table, err)
			}
			out = append(out, addr)
		}
	}
	return out, nil
}

// decodeProcAddr turns /proc/net/tcp's "0100007F:1F90" (the address as
// host-order 32-bit words in hex) into "127.0.0.1:8080".
func decodeProcAddr(s string) (string, error) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if !ok || err != nil || (len(hexIP) != 8 && len(hexIP) != 32) {
		return "", fmt.Errorf("bad socket address %q", s)
	}
	ip := make(net.IP, 0, len(hexIP)/2)
	for i := 0; i < len(hexIP); i += 8 {
		w, err := strconv.ParseUint(hexIP[i:i+8], 16, 32)
		if err != nil {
			return "", fmt.Errorf("bad socket address %q", s)
		}
		// Each word is in the kernel's (little-endian) byte order.
		ip = append(ip, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port, 10)), nil
}
