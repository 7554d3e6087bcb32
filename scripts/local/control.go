package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/refdatalake/datalake/internal/localharness"
)

// down stops the emulator `up` recorded, removes its state, and checks
// that no process of it is left and its port is closed.
func down(repo localharness.Repo, out io.Writer) error {
	e, err := localharness.LoadState(repo.StateFile())
	if errors.Is(err, localharness.ErrNoState) {
		fmt.Fprintln(out, "local: no emulator recorded in .build/local/emulator.json: nothing to stop")
		if ep := os.Getenv("AWS_ENDPOINT_URL"); ep != "" {
			fmt.Fprintf(out, "local: AWS_ENDPOINT_URL=%s is yours to stop; this harness did not start it\n", ep)
		}
		return nil
	}
	if err != nil {
		return localharness.Fail("read state", err, "stop the ministack process by hand (ps -ef | grep ministack) and delete "+repo.StateFile())
	}
	procs := e.Processes()
	if err := e.Stop(); err != nil {
		return localharness.Fail("stop", err, "stop what is left by hand, then delete "+repo.StateFile())
	}
	if err := os.Remove(repo.StateFile()); err != nil {
		return localharness.Fail("stop", err, "delete "+repo.StateFile())
	}
	// The CDK CLI's temporary files from up.
	_ = os.RemoveAll(filepath.Join(repo.LocalDir(), "tmp"))
	fmt.Fprintf(out, "local: stopped the emulator on %s (%d processes); no process left, port %d closed\n", e.Endpoint(), len(procs), e.Port)
	return nil
}

// status reports whether the recorded emulator runs and answers.
func status(ctx context.Context, repo localharness.Repo, out io.Writer) (bool, error) {
	e, err := localharness.LoadState(repo.StateFile())
	if errors.Is(err, localharness.ErrNoState) {
		fmt.Fprintln(out, "local: not running (start it with make local)")
		return false, nil
	}
	if err != nil {
		return false, localharness.Fail("read state", err, "delete "+repo.StateFile()+" if no emulator runs")
	}
	if !e.Running() {
		fmt.Fprintf(out, "local: not running; the emulator recorded on port %d (pid %d) has exited: make local-down cleans up\n", e.Port, e.PID)
		return false, nil
	}
	health := "healthy"
	if !localharness.Healthy(ctx, e.Endpoint()+"/_ministack/health") {
		health = "NOT answering its health check"
	}
	fmt.Fprintf(out, "local: running at %s (pid %d, %d processes, %s), up %s\n  log: %s\n  state: %s\n",
		e.Endpoint(), e.PID, len(e.Processes()), health, timeSince(e.Started), e.LogPath, e.StateDir)
	return true, nil
}

// timeSince formats the time since t to the second.
func timeSince(t time.Time) string { return time.Since(t).Round(time.Second).String() }
