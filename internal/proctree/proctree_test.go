package proctree

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A shell that starts a grandchild in a process group of its own is stopped
// with everything below it.
func TestStopEndsTheWholeTree(t *testing.T) {
	cmd := exec.Command("sh", "-c", "setsid sleep 300 & sleep 300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	var below []int
	for deadline := time.Now().Add(5 * time.Second); len(below) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		below = Descendants(cmd.Process.Pid)
	}
	if len(below) < 2 {
		t.Fatalf("descendants %v, want the two sleeps", below)
	}
	Stop(cmd.Process.Pid, exited, time.Second)
	time.Sleep(100 * time.Millisecond) // let init reap the orphan
	for _, pid := range append(below, cmd.Process.Pid) {
		if Alive(pid) {
			t.Errorf("pid %d still running", pid)
		}
	}
}

func TestFreeLoopbackAddr(t *testing.T) {
	addr, err := FreeLoopbackAddr()
	if err != nil || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("%q, %v", addr, err)
	}
}
