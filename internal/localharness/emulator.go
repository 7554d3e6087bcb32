package localharness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/refdatalake/datalake/internal/proctree"
)

// Emulator is a ministack server on 127.0.0.1, started by this harness. The
// exported fields are what the state file keeps, so `down` and `status` can
// find a server that `up` left running.
type Emulator struct {
	PID      int       `json:"pid"`
	Port     int       `json:"port"`
	StateDir string    `json:"stateDir"`
	LogPath  string    `json:"logPath"`
	Marker   string    `json:"marker"`
	Started  time.Time `json:"started"`

	// exited is closed when the process has exited. It is nil for a server
	// read from the state file: only its parent can wait for it.
	exited chan struct{}
}

// StartOptions configures StartEmulator.
type StartOptions struct {
	// Port is the gateway port; 0 picks a free one.
	Port int
	// LogPath receives the server's output; "" puts it in the state dir.
	LogPath string
}

// startupTimeout bounds the wait for the health endpoint; the server
// normally answers within half a second.
const startupTimeout = 60 * time.Second

// stopGrace is how long the server gets to stop its Lambda workers after
// SIGTERM before everything left is killed.
const stopGrace = 10 * time.Second

// Endpoint is the server's URL, for AWS_ENDPOINT_URL.
func (e *Emulator) Endpoint() string { return "http://127.0.0.1:" + strconv.Itoa(e.Port) }

// StartEmulator starts ministack bound to 127.0.0.1 with its state in a new
// temporary folder and waits until it answers its health check. On error
// nothing it started is left running.
func StartEmulator(ctx context.Context, repo Repo, opts StartOptions) (*Emulator, error) {
	port, err := pickPort(opts.Port)
	if err != nil {
		return nil, err
	}
	stateDir, err := os.MkdirTemp("", stateDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("create the emulator's state folder: %w", err)
	}
	e := &Emulator{Port: port, StateDir: stateDir, LogPath: opts.LogPath, Marker: stateDir, exited: make(chan struct{})}
	if e.LogPath == "" {
		e.LogPath = filepath.Join(stateDir, "ministack.log")
	}
	if err := e.start(repo); err != nil {
		_ = os.RemoveAll(stateDir)
		return nil, err
	}
	if err := e.waitHealthy(ctx); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

// pickPort returns want if it is free, or a free port when want is 0.
func pickPort(want int) (int, error) {
	if want != 0 {
		if PortOpen(want) {
			return 0, fmt.Errorf("port %d on 127.0.0.1 is already in use: pick another with --port or stop what listens there", want)
		}
		return want, nil
	}
	addr, err := proctree.FreeLoopbackAddr()
	if err != nil {
		return 0, err
	}
	_, p, _ := strings.Cut(addr, ":")
	return strconv.Atoi(p)
}

// start launches the server process in a session of its own: it outlives
// `up` and is not hit by the terminal's Ctrl-C, and proctree.Stop can end
// its whole process group.
func (e *Emulator) start(repo Repo) error {
	for _, d := range []string{"tmp", "s3", "state"} {
		if err := os.MkdirAll(filepath.Join(e.StateDir, d), 0o755); err != nil {
			return fmt.Errorf("create the emulator's state folder: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(e.LogPath), 0o755); err != nil {
		return fmt.Errorf("create the emulator's log folder: %w", err)
	}
	logFile, err := os.Create(e.LogPath)
	if err != nil {
		return fmt.Errorf("create the emulator log: %w", err)
	}
	// The child gets its own copy of the descriptor; ours is not needed.
	defer logFile.Close()

	cmd := exec.Command(repo.Ministack())
	cmd.Dir = e.StateDir
	cmd.Env = e.environment(repo)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w (run make deps)", repo.Ministack(), err)
	}
	e.PID, e.Started = cmd.Process.Pid, time.Now()
	go func() {
		_ = cmd.Wait()
		close(e.exited)
	}()
	return nil
}

// environment is the server's environment: the caller's, minus anything
// that would change how the emulator binds, persists or authenticates, plus
// the settings the project's stacks need from it.
func (e *Emulator) environment(repo Repo) []string {
	drop := []string{"AWS_", "LOCALSTACK_", "MINISTACK_", "GATEWAY_PORT=", "EDGE_PORT=", "BIND_HOST=", "USE_SSL=",
		"PERSIST_STATE=", "STATE_DIR=", "S3_PERSIST=", "S3_DATA_DIR=", "SERVICES=", "NODE_PATH=", "TMPDIR=", "PATH=",
		"LAMBDA_", "SFN_", "ATHENA_ENGINE=", "IOT_", "SFTP_", markerVar + "="}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return slices.ContainsFunc(drop, func(p string) bool { return strings.HasPrefix(kv, p) })
	})
	return append(env,
		// Loopback only: the server defaults to 0.0.0.0.
		"BIND_HOST=127.0.0.1",
		"GATEWAY_PORT="+strconv.Itoa(e.Port),
		"MINISTACK_HOST=localhost",
		"MINISTACK_REGION=us-east-1",
		// The IoT mTLS listener would bind 0.0.0.0:8883 and SFTP another port;
		// neither is used here.
		"IOT_MTLS_ENABLED=0",
		"SFTP_ENABLED=0",
		"USE_SSL=0",
		// Go bootstraps run as local subprocesses; nodejs custom resources in
		// warm Node workers.
		"LAMBDA_EXECUTOR=local",
		// Where functions send their AWS calls. ministack gives Python and
		// Node functions this very endpoint by default, but passes a
		// provided.* (Go) bootstrap only what its own environment holds: without
		// it the evaluate Lambda's S3 client would look for real AWS.
		"AWS_ENDPOINT_URL="+e.Endpoint(),
		// DuckDB runs Athena's SQL and Firehose's Parquet conversion.
		"ATHENA_ENGINE=auto",
		// Everything the server writes stays in the state folder, which
		// `down` removes; nothing is persisted across restarts.
		"PERSIST_STATE=0",
		"S3_PERSIST=0",
		"STATE_DIR="+filepath.Join(e.StateDir, "state"),
		"S3_DATA_DIR="+filepath.Join(e.StateDir, "s3"),
		"TMPDIR="+filepath.Join(e.StateDir, "tmp"),
		"NODE_PATH="+repo.NodeModules(),
		// nodejs Lambdas run with the first node on PATH: Node 22 from package.json.
		"PATH="+repo.NodeBin()+string(os.PathListSeparator)+os.Getenv("PATH"),
		markerVar+"="+e.Marker,
	)
}

// waitHealthy polls the health endpoint until it answers 200, the process
// exits, or startupTimeout passes.
func (e *Emulator) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	url := e.Endpoint() + "/_ministack/health"
	for {
		if Healthy(ctx, url) {
			return nil
		}
		select {
		case <-e.exited:
			return fmt.Errorf("ministack exited during startup; its log %s ends with:\n%s", e.LogPath, LogTail(e.LogPath, 20))
		case <-ctx.Done():
			return fmt.Errorf("ministack did not answer %s within %s (%w); its log %s ends with:\n%s", url, startupTimeout, ctx.Err(), e.LogPath, LogTail(e.LogPath, 20))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Healthy reports whether GET url answers 200.
func Healthy(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Running reports whether the server process is alive and is the one this
// Emulator describes (a recycled pid does not carry the marker).
func (e *Emulator) Running() bool {
	return proctree.Alive(e.PID) && slices.Contains(MarkedProcesses(e.Marker), e.PID)
}

// Processes lists the server and every process it spawned that is alive.
func (e *Emulator) Processes() []int {
	pids := MarkedProcesses(e.Marker)
	if e.Running() {
		for _, p := range proctree.Descendants(e.PID) {
			if !slices.Contains(pids, p) {
				pids = append(pids, p)
			}
		}
	}
	slices.Sort(pids)
	return pids
}

// Stop ends the server and every process it spawned, removes its state
// folder, and checks that no process is left and the port is closed.
func (e *Emulator) Stop() error {
	exited := e.exited
	if exited == nil {
		exited = watchExit(e.PID, e.Marker)
	}
	if e.Running() {
		proctree.Stop(e.PID, exited, stopGrace)
	}
	// Anything that escaped the tree (re-parented to init) still carries the
	// marker; it is killed too.
	left := e.killStragglers(5 * time.Second)
	var errs []error
	if len(left) > 0 {
		errs = append(errs, fmt.Errorf("processes %v of the emulator are still running: kill them with kill -9", left))
	}
	if err := waitPortClosed(e.Port, 5*time.Second); err != nil {
		errs = append(errs, err)
	}
	if err := removeStateDir(e.StateDir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// stateDirPrefix names every state folder StartEmulator creates.
const stateDirPrefix = "datalake-ministack-"

// removeStateDir deletes an emulator state folder. The path comes from a
// file on disk, so it is only removed if it looks like one StartEmulator made.
func removeStateDir(dir string) error {
	if !filepath.IsAbs(dir) || !strings.HasPrefix(filepath.Base(dir), stateDirPrefix) {
		return fmt.Errorf("not removing %q: it is not an emulator state folder", dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove the emulator's state folder: %w", err)
	}
	return nil
}

// killStragglers SIGKILLs marked processes until none is left or wait
// passes, and returns those still alive.
func (e *Emulator) killStragglers(wait time.Duration) []int {
	deadline := time.Now().Add(wait)
	for {
		left := MarkedProcesses(e.Marker)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		for _, p := range left {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// watchExit returns a channel closed once pid has exited or is no longer
// the marked process: the way to wait for a process that is not our child.
func watchExit(pid int, marker string) chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for proctree.Alive(pid) && slices.Contains(MarkedProcesses(marker), pid) {
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return ch
}

// waitPortClosed waits until nothing accepts connections on port.
func waitPortClosed(port int, wait time.Duration) error {
	for deadline := time.Now().Add(wait); PortOpen(port); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("127.0.0.1:%d still accepts connections after the emulator stopped: find the listener with ss -ltnp", port)
		}
	}
	return nil
}

// LogTail returns the last n lines of the file at path.
func LogTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// SaveState writes e to path for `down` and `status`.
func (e *Emulator) SaveState(path string) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the emulator state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write the emulator state: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the emulator state: %w", err)
	}
	return nil
}

// ErrNoState means no emulator was recorded: nothing is running.
var ErrNoState = errors.New("no emulator state file")

// LoadState reads the emulator `up` recorded at path.
func LoadState(path string) (*Emulator, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoState
	}
	if err != nil {
		return nil, fmt.Errorf("read the emulator state: %w", err)
	}
	var e Emulator
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&e); err != nil {
		return nil, fmt.Errorf("read the emulator state %s: %w (delete it if no emulator is running)", path, err)
	}
	if e.PID <= 0 || e.Port <= 0 || e.Marker == "" {
		return nil, fmt.Errorf("the emulator state %s is incomplete: delete it if no emulator is running", path)
	}
	return &e, nil
}
