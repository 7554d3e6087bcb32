//go:build linux

// Command coldstart measures the transform Lambda's cold start under the
// Lambda Runtime Interface Emulator, and the size of its bootstrap.
//
// It builds the bootstrap exactly as the CDK app does (lambdabuild.Build), for
// linux/arm64 (the deployed architecture, for its size) and for the host (to
// run it), then starts the emulator on 127.0.0.1 with the host bootstrap N
// times. Each run measures the time from starting the emulator process to the
// first successful invocation (a one-record Firehose event answered Ok), and
// the init phase the emulator reports (runtime process start to its first
// request for work). Every process it starts is stopped
// before the next run and on interrupt.
//
//	go run ./scripts/bench/coldstart -n 10
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/refdatalake/datalake/internal/proctree"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/refdatalake/datalake/internal/lambdabuild"
)

const (
	pkg     = "./lambdas/transform"
	rieTool = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
)

func main() {
	runs := flag.Int("n", 10, "number of cold starts")
	timeout := flag.Duration("timeout", 20*time.Second, "give up on a run after this long")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *runs, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, runs int, timeout time.Duration) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := lambdabuild.ModuleRoot(wd)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	for _, arch := range []string{"arm64", "amd64"} {
		path, err := lambdabuild.Build(ctx, root, pkg, arch, filepath.Join(dir, arch))
		if err != nil {
			return err
		}
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		fmt.Printf("bootstrap linux/%s: %d bytes (%.2f MiB)\n", arch, info.Size(), float64(info.Size())/(1<<20))
	}
	bootstrap := filepath.Join(dir, runtime.GOARCH, "bootstrap")
	rie := filepath.Join(dir, "aws-lambda-rie")
	build := exec.CommandContext(ctx, "go", "build", "-o", rie, rieTool)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build the Runtime Interface Emulator: %v: %s", err, out)
	}

	var walls, inits []time.Duration
	for i := range runs {
		wall, init, err := coldStart(ctx, rie, bootstrap, timeout)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Printf("run %2d: first invocation after %7.1f ms (runtime init %5.1f ms)\n", i+1, ms(wall), ms(init))
		walls, inits = append(walls, wall), append(inits, init)
	}
	fmt.Printf("start to first successful invocation: %s\n", summary(walls))
	fmt.Printf("runtime init phase (emulator INIT REPORT): %s\n", summary(inits))
	return nil
}

// initReport is the emulator's log line for the end of the init phase (at log
// level info). Its REPORT line's "Init Duration" is not used: the emulator
// measures it around an asynchronous call, so it reads near zero.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// coldStart starts the emulator with the bootstrap and invokes it until it
// answers, then stops both. It returns the wall time from process start to
// the first good answer and the init phase the emulator logged.
func coldStart(ctx context.Context, rie, bootstrap string, timeout time.Duration) (time.Duration, time.Duration, error) {
	addr, err := proctree.FreeLoopbackAddr()
	if err != nil {
		return 0, 0, err
	}
	apiAddr, err := proctree.FreeLoopbackAddr()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, "--log-level", "info", bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = []string{"AWS_LAMBDA_FUNCTION_NAME=transform", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_LAMBDA_FUNCTION_TIMEOUT=30", "AWS_REGION=us-east-1"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out proctree.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out

	body := []byte(`{"invocationId":"cold","records":[{"recordId":"1","data":"ZGV2LTEsMjAyNi0wMy0wN1QwOToxNTowMC4xMjNaLDIxLjUsNDAsMC4zLDEwMS4zLDMuNyxvayxzaXRlLWEsMS4yLjM="}]}`)
	url := "http://" + addr + "/2015-03-31/functions/function/invocations"
	client := &http.Client{Timeout: timeout}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer proctree.Stop(cmd.Process.Pid, exited, 3*time.Second)

	deadline := start.Add(timeout)
	for {
		ok, err := invoke(ctx, client, url, body)
		if ok {
			break
		}
		select {
		case <-exited:
			return 0, 0, fmt.Errorf("emulator exited: %s", out.String())
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("no successful invocation after %s (last error: %v): %s", timeout, err, out.String())
		}
		time.Sleep(time.Millisecond)
	}
	wall := time.Since(start)

	var init time.Duration
	for range 100 { // the REPORT line follows the response by a moment
		if m := initReport.FindStringSubmatch(out.String()); m != nil {
			f, _ := strconv.ParseFloat(m[1], 64)
			init = time.Duration(f * float64(time.Millisecond))
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return wall, init, nil
}

// invoke posts body and reports whether the function answered with an Ok record.
func invoke(ctx context.Context, client *http.Client, url string, body []byte) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	res, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	var resp struct {
		Records []struct{ Result string }
	}
	if err := json.NewDecoder(bufio.NewReader(res.Body)).Decode(&resp); err != nil {
		return false, fmt.Errorf("HTTP %d: %w", res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK || len(resp.Records) != 1 || resp.Records[0].Result != "Ok" {
		return false, fmt.Errorf("HTTP %d: %+v", res.StatusCode, resp)
	}
	return true, nil
}

func summary(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no runs"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	median := s[len(s)/2]
	if len(s)%2 == 0 {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf("min %.1f ms, median %.1f ms, max %.1f ms (%d runs)", ms(s[0]), ms(median), ms(s[len(s)-1]), len(s))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
