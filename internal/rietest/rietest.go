//go:build linux

// Package rietest runs a Lambda's real bootstrap under the Lambda Runtime
// Interface Emulator on 127.0.0.1, for tests: the bootstrap is built exactly
// as it is deployed (internal/lambdabuild) and invoked through the Runtime
// API, and everything started is stopped when the test ends.
package rietest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/refdatalake/datalake/internal/lambdabuild"
	"github.com/refdatalake/datalake/internal/proctree"
)

// Tool is the Runtime Interface Emulator, declared as a tool in go.mod.
const Tool = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// Build builds, in parallel, the bootstrap of pkg ("./lambdas/transform")
// for the host architecture with the deployment's build, and the emulator
// from go.mod, into a temporary folder of the test.
func Build(ctx context.Context, t *testing.T, pkg string) (bootstrap, rie string) {
	t.Helper()
	root, err := lambdabuild.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var wg sync.WaitGroup
	var errBootstrap, errRIE error
	wg.Go(func() {
		bootstrap, errBootstrap = lambdabuild.Build(ctx, root, pkg, runtime.GOARCH, filepath.Join(dir, "task"))
	})
	wg.Go(func() {
		rie = filepath.Join(dir, "aws-lambda-rie")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", rie, Tool)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			errRIE = fmt.Errorf("build the Runtime Interface Emulator: %v: %s", err, out)
		}
	})
	wg.Wait()
	if err := errors.Join(errBootstrap, errRIE); err != nil {
		t.Fatal(err)
	}
	return bootstrap, rie
}

// Emulator is a running aws-lambda-rie with the bootstrap under it.
type Emulator struct {
	// URL is the invocation endpoint.
	URL string
	// PID is the emulator's process; the runtime runs below it.
	PID int
	// Output holds what the emulator and the function wrote.
	Output *proctree.Buffer
}

// Start starts the emulator on free 127.0.0.1 ports with exactly env (none of
// the caller's environment) and waits until it accepts connections. The
// emulator and the runtime it starts are stopped when the test ends, whatever
// its outcome, and the test fails if any of them is left.
func Start(t *testing.T, rie, bootstrap string, env []string) *Emulator {
	t.Helper()
	addr, apiAddr := FreeAddr(t), FreeAddr(t)
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", apiAddr,
		"--log-level", "warn",
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &proctree.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		tree := append([]int{cmd.Process.Pid}, proctree.Descendants(cmd.Process.Pid)...)
		proctree.Stop(cmd.Process.Pid, exited, 3*time.Second)
		for _, pid := range tree {
			if proctree.Alive(pid) {
				t.Errorf("process %d of the emulator still running after the test", pid)
			}
		}
		if t.Failed() {
			t.Logf("emulator output:\n%s", out.String())
		}
	})
	WaitListening(t, addr, exited, out)
	return &Emulator{URL: "http://" + addr + "/2015-03-31/functions/function/invocations", PID: cmd.Process.Pid, Output: out}
}

// Invoke posts event to the function and returns the response body, failing
// the test on anything but HTTP 200 (a function error is a 200 with an
// errorMessage body).
func (e *Emulator) Invoke(ctx context.Context, t *testing.T, event string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, strings.NewReader(event))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("invoke: HTTP %d: %s", res.StatusCode, body)
	}
	return body
}

// WaitListening waits up to 15s for addr to accept connections, failing the
// test if the process behind exited closes first.
func WaitListening(t *testing.T, addr string, exited <-chan struct{}, out *proctree.Buffer) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("exited before listening on %s:\n%s", addr, out.String())
		default:
		}
		if conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not listening on %s after 15s:\n%s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreeAddr returns a 127.0.0.1 address with a port free at the time of asking.
func FreeAddr(t *testing.T) string {
	t.Helper()
	addr, err := proctree.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
