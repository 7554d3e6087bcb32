//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/refdatalake/datalake/internal/lambdabuild"
	"github.com/refdatalake/datalake/internal/proctree"
	"github.com/refdatalake/datalake/internal/rietest"
)

// functionEnv is the environment every emulated invocation gets: only what
// the function needs, nothing of the caller's.
var functionEnv = []string{"AWS_LAMBDA_FUNCTION_NAME=evaluate", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
	"AWS_LAMBDA_FUNCTION_TIMEOUT=60", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "TZ=UTC"}

// The real bootstrap, built as it is deployed, fails an invalid event
// through the Lambda Runtime API with the error the workflow will see, and
// keeps serving: the next invocation fails the same way.
func TestBootstrapRejectsInvalidEvent(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bootstrap, rie := rietest.Build(ctx, t, "./lambdas/evaluate")
	emu := startEmulator(t, rie, bootstrap, functionEnv)

	cases := []struct{ event, want string }{
		{`{"predictionsUri":"s3://lake-bucket/batch-transform/job-1/","labelsUri":"s3:/lake-bucket/validation/"}`,
			`labelsUri "s3:/lake-bucket/validation/" is not an S3 URI (it does not start with "s3://"): want s3://bucket/prefix/`},
		{`{"predictionsUri":"s3://lake-bucket/p/","labelsUri":"s3://lake-bucket/l/","threshold":2}`, "threshold 2 is not in [0, 1]"},
		{`{"predictionsUri":"s3://lake-bucket/p/","labelsUri":"s3://lake-bucket/l/","problemType":"multiclass"}`,
			`unknown problemType "multiclass": want "binary" or "regression"`},
	}
	for _, c := range cases {
		fe := emu.invokeFailing(ctx, t, c.event)
		if fe.ErrorMessage != c.want {
			t.Errorf("error message %q, want %q", fe.ErrorMessage, c.want)
		}
	}
	if pids := proctree.Descendants(emu.PID); len(pids) == 0 {
		t.Error("no runtime process under the emulator")
	}
	if logs := emu.Output.String(); !strings.Contains(logs, `"level":"ERROR","msg":"evaluation failed","error":"threshold 2 is not in [0, 1]"`) {
		t.Errorf("failure log missing from the function's output:\n%s", logs)
	}
}

// The real bootstrap evaluates objects in a real S3 implementation (the
// project's ministack, on 127.0.0.1): it pairs and reads them over HTTP,
// writes the metrics with SSE-KMS under the key it is given, and returns
// what an in-process run over the same bytes returns. A missing .out then
// fails the invocation with both keys named.
func TestBootstrapAgainstS3Emulator(t *testing.T) {
	root, err := lambdabuild.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	ministack := filepath.Join(root, ".venv", "bin", "ministack")
	if _, err := os.Stat(ministack); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is missing (the S3 emulator): run make deps", ministack)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	endpoint := startMinistack(t, ministack)
	bootstrap, rie := rietest.Build(ctx, t, "./lambdas/evaluate")

	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	const bucket = "lake-bucket"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	// The same objects in the emulator and in the in-memory fake.
	fake := newFakeS3()
	upload := func(uri, data string) {
		t.Helper()
		loc := mustObject(t, uri)
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key), Body: strings.NewReader(data)}); err != nil {
			t.Fatalf("upload %s: %v", uri, err)
		}
		fake.put(t, uri, data)
	}
	for part := range 3 {
		rel := fmt.Sprintf("part-%05d.csv", part)
		labels, _ := io.ReadAll(&genReader{part: part, n: 3000 + part, labels: true})
		preds, _ := io.ReadAll(&genReader{part: part, n: 3000 + part})
		upload(labelsPrefix+rel, string(labels))
		upload(predsPrefix+rel+".out", string(preds))
	}
	upload(labelsPrefix+"_SUCCESS", "")
	upload(labelsPrefix+"part-00009.csv", "") // empty, without an .out

	const keyARN = "arn:aws:kms:us-east-1:000000000000:key/0b6f4a3e-6c55-4c3a-9d38-0e6a2f1f7a11"
	env := append(functionEnv[:len(functionEnv):len(functionEnv)], "AWS_ENDPOINT_URL="+endpoint,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", keyEnv+"="+keyARN)
	emu := startEmulator(t, rie, bootstrap, env)

	event := `{"predictionsUri":"` + predsPrefix + `","labelsUri":"` + labelsPrefix + `","threshold":0.6}`
	got := emu.invokeOK(ctx, t, event)
	inProcess, err := func() (*Result, error) {
		e, _ := testEvaluator(fake, keyARN)
		return invoke(t, e, event)
	}()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.RFC3339, got.EvaluatedAt); err != nil || !strings.HasSuffix(got.EvaluatedAt, "Z") {
		t.Errorf("evaluatedAt %q is not RFC 3339 UTC", got.EvaluatedAt)
	}
	inProcess.EvaluatedAt = got.EvaluatedAt
	if !reflect.DeepEqual(got, inProcess) {
		t.Errorf("bootstrap result\n%+v %+v\ndiffers from the in-process one\n%+v %+v", got, got.BinaryMetrics, inProcess, inProcess.BinaryMetrics)
	}
	if got.Files != 3 || got.Rows != 9003 || got.Threshold != 0.6 || !got.AUCDefined {
		t.Errorf("result %+v %+v", got, got.BinaryMetrics)
	}

	// The metrics object: the returned result, encrypted with the lake key.
	loc := mustObject(t, predsPrefix+"metrics.json")
	obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
	if err != nil {
		t.Fatalf("read the metrics: %v", err)
	}
	defer obj.Body.Close()
	var written Result
	if err := json.NewDecoder(obj.Body).Decode(&written); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&written, got) {
		t.Errorf("written metrics %+v differ from the result %+v", written, got)
	}
	if obj.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(obj.SSEKMSKeyId) != keyARN || aws.ToString(obj.ContentType) != "application/json" {
		t.Errorf("metrics object: sse %q key %q type %q", obj.ServerSideEncryption, aws.ToString(obj.SSEKMSKeyId), aws.ToString(obj.ContentType))
	}

	// A label object with rows but no predictions fails the invocation.
	upload(labelsPrefix+"part-00010.csv", "1,2\n0,3\n")
	fe := emu.invokeFailing(ctx, t, event)
	want := "predictions " + predsPrefix + "part-00010.csv.out not found for labels " + labelsPrefix + "part-00010.csv, which has 2 rows"
	if !strings.HasPrefix(fe.ErrorMessage, want) {
		t.Errorf("error %q, want it to start with %q", fe.ErrorMessage, want)
	}
}

// functionError is the body the runtime returns for a failed invocation.
type functionError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// emulator is the bootstrap under the Runtime Interface Emulator.
type emulator struct{ *rietest.Emulator }

func startEmulator(t *testing.T, rie, bootstrap string, env []string) emulator {
	t.Helper()
	return emulator{rietest.Start(t, rie, bootstrap, env)}
}

// invokeOK invokes the function and decodes its result, strictly.
func (e emulator) invokeOK(ctx context.Context, t *testing.T, event string) *Result {
	t.Helper()
	body := e.Invoke(ctx, t, event)
	var res Result
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil || res.ProblemType == "" {
		t.Fatalf("response %s is not a result: %v", body, err)
	}
	return &res
}

// invokeFailing invokes the function and returns the error it failed with.
func (e emulator) invokeFailing(ctx context.Context, t *testing.T, event string) functionError {
	t.Helper()
	body := e.Invoke(ctx, t, event)
	var fe functionError
	if err := json.Unmarshal(body, &fe); err != nil || fe.ErrorMessage == "" || fe.ErrorType == "" {
		t.Fatalf("response %s is not a function error: %v", body, err)
	}
	return fe
}

// startMinistack starts the S3 emulator on a free 127.0.0.1 port with its
// state in a temporary folder, waits for its health check and returns its
// endpoint. It is stopped, with everything it started, when the test ends,
// whatever its outcome.
func startMinistack(t *testing.T, ministack string) string {
	t.Helper()
	addr, err := proctree.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	for _, d := range []string{"tmp", "s3", "state"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(ministack)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8",
		"BIND_HOST=127.0.0.1", "GATEWAY_PORT=" + port, "MINISTACK_HOST=localhost", "MINISTACK_REGION=us-east-1",
		"SERVICES=s3", "IOT_MTLS_ENABLED=0", "SFTP_ENABLED=0", "USE_SSL=0", "LOG_LEVEL=WARNING",
		"PERSIST_STATE=0", "S3_PERSIST=0", "STATE_DIR=" + filepath.Join(dir, "state"),
		"S3_DATA_DIR=" + filepath.Join(dir, "s3"), "TMPDIR=" + filepath.Join(dir, "tmp"),
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &proctree.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v (run make deps)", ministack, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		tree := append([]int{cmd.Process.Pid}, proctree.Descendants(cmd.Process.Pid)...)
		proctree.Stop(cmd.Process.Pid, exited, 5*time.Second)
		for _, pid := range tree {
			if proctree.Alive(pid) {
				t.Errorf("process %d of ministack still running after the test", pid)
			}
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after ministack stopped", addr)
		}
		if t.Failed() {
			t.Logf("ministack output:\n%s", out.String())
		}
	})
	endpoint := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("ministack exited during startup:\n%s", out.String())
		default:
		}
		if res, err := http.Get(endpoint + "/_ministack/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return endpoint
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ministack did not answer on %s within 60s:\n%s", endpoint, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
