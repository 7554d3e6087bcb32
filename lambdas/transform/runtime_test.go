//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/refdatalake/datalake/internal/proctree"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/refdatalake/datalake/internal/lambdabuild"
)

// rieTool is the Runtime Interface Emulator, declared as a tool in go.mod.
const rieTool = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// The real bootstrap, built as it is deployed, answers a Firehose
// transformation event through the Lambda Runtime API, served by the Runtime
// Interface Emulator on 127.0.0.1.
func TestBootstrapUnderRuntimeEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root, err := lambdabuild.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bootstrap, rie := buildBootstrapAndEmulator(ctx, t, root, dir)
	var runtimePIDs []int
	t.Cleanup(func() { // runs after the emulator's own cleanup
		for _, pid := range runtimePIDs {
			if proctree.Alive(pid) {
				t.Errorf("runtime process %d still running after the test", pid)
			}
		}
	})
	emu := startEmulator(t, rie, bootstrap)

	before := newGenerator(5, genOptions{}).reading()
	recs := []events.KinesisFirehoseEventRecord{
		{RecordID: "csv", Data: []byte(validCSV + "\n")},
		{RecordID: "json", Data: []byte(jsonWith(`,"temperature_c":-3.25,"rssi":-71`))},
		{RecordID: "wrong-type", Data: []byte(jsonWith(`,"temperature_c":"21.5"`))},
		{RecordID: "binary", Data: []byte{0xff, 0xfe, 0x00, '{', 0x80}},
		{RecordID: "header", Data: []byte(headerLine() + "\n")},
		{RecordID: "generated", Data: before},
	}
	want := map[string]string{"csv": okResult, "json": okResult, "wrong-type": failedResult, "binary": failedResult, "header": droppedRes, "generated": okResult}
	ev := events.KinesisFirehoseEvent{
		InvocationID:      "invocation-1",
		DeliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/telemetry",
		Region:            "us-east-1",
		Records:           recs,
	}
	for round := range 2 { // the first call initializes the runtime, the second reuses it
		resp := emu.invoke(ctx, t, ev)
		if err := checkResponse(recs, resp); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		inProcess := quietTransformer().transform(recs)
		for i, r := range resp.Records {
			if r.Result != want[r.RecordID] {
				t.Errorf("round %d: %s is %s, want %s", round, r.RecordID, r.Result, want[r.RecordID])
			}
			if !bytes.Equal(r.Data, inProcess.Records[i].Data) || !reflect.DeepEqual(r.Metadata.PartitionKeys, inProcess.Records[i].Metadata.PartitionKeys) {
				t.Errorf("round %d: %s differs from the in-process result: %q %v", round, r.RecordID, r.Data, r.Metadata.PartitionKeys)
			}
		}
		if got := string(resp.Records[0].Data); got != validOutput {
			t.Errorf("csv output %q, want %q", got, validOutput)
		}
		if got := resp.Records[0].Metadata.PartitionKeys; !reflect.DeepEqual(got, keysOf("2026", "03", "07", "09")) {
			t.Errorf("csv partition keys %v", got)
		}
		if !strings.Contains(string(resp.Records[1].Data), `"extras":"{\"rssi\":-71}"`) {
			t.Errorf("json output %q lacks its extras", resp.Records[1].Data)
		}
	}
	if runtimePIDs = proctree.Descendants(emu.pid); len(runtimePIDs) == 0 {
		t.Error("no runtime process under the emulator")
	}
	// The function logs failures as JSON on stderr, which the runtime forwards.
	logs := emu.output.String()
	if !strings.Contains(logs, `"msg":"record failed","recordId":"wrong-type"`) || !strings.Contains(logs, "want a JSON number") {
		t.Errorf("failure log missing from the function's output:\n%s", logs)
	}
}

// buildBootstrapAndEmulator builds, in parallel, the bootstrap for the host
// architecture with the deployment's build and the emulator from go.mod.
func buildBootstrapAndEmulator(ctx context.Context, t *testing.T, root, dir string) (bootstrap, rie string) {
	t.Helper()
	var wg sync.WaitGroup
	var errBootstrap, errRIE error
	wg.Go(func() {
		bootstrap, errBootstrap = lambdabuild.Build(ctx, root, "./lambdas/transform", runtime.GOARCH, filepath.Join(dir, "task"))
	})
	wg.Go(func() {
		rie = filepath.Join(dir, "aws-lambda-rie")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", rie, rieTool)
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

// emulator is a running aws-lambda-rie with the bootstrap under it.
type emulator struct {
	url    string
	pid    int
	output *proctree.Buffer
}

// startEmulator starts the emulator on free 127.0.0.1 ports and waits until it
// accepts connections. The emulator and the runtime it starts are stopped
// when the test ends, whatever its outcome.
func startEmulator(t *testing.T, rie, bootstrap string) *emulator {
	t.Helper()
	addr, apiAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", apiAddr,
		"--log-level", "warn",
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	// Only what the function needs: nothing of the caller's environment.
	cmd.Env = []string{"AWS_LAMBDA_FUNCTION_NAME=transform", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_LAMBDA_FUNCTION_TIMEOUT=30", "AWS_REGION=us-east-1", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &proctree.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		proctree.Stop(cmd.Process.Pid, exited, 3*time.Second)
		if t.Failed() {
			t.Logf("emulator output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("emulator exited before listening:\n%s", out.String())
		default:
		}
		if conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator not listening on %s after 15s:\n%s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &emulator{url: "http://" + addr + "/2015-03-31/functions/function/invocations", pid: cmd.Process.Pid, output: out}
}

func (e *emulator) invoke(ctx context.Context, t *testing.T, ev events.KinesisFirehoseEvent) events.KinesisFirehoseResponse {
	t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer res.Body.Close()
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("invoke: HTTP %d: %s", res.StatusCode, raw.Bytes())
	}
	var resp events.KinesisFirehoseResponse
	dec := json.NewDecoder(&raw)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&resp); err != nil {
		t.Fatalf("response %q is not a Firehose response: %v", raw.Bytes(), err)
	}
	return resp
}

// freeAddr returns a 127.0.0.1 address with a port free at the time of asking.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := proctree.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
