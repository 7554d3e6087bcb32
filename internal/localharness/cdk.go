package localharness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Deployer runs cdklocal for the local profile against a Target.
type Deployer struct {
	Repo   Repo
	Target Target
	// OutDir receives the synthesized templates, apart from cdk.out so a
	// deploy never races `make synth`.
	OutDir string
	// TempDir, when set, is the CLI's TMPDIR: the CDK app's jsii runtime
	// unpacks itself into a new temporary folder on every synth and leaves
	// it behind, so the caller gives it a folder it cleans up.
	TempDir string
	// Log receives the CLI's output.
	Log io.Writer
}

// Bootstrap creates the CDK toolkit stack (asset bucket, roles) in the
// target. The environment is named so bootstrap needs no synth.
func (d Deployer) Bootstrap(ctx context.Context) error {
	return d.run(ctx, "bootstrap", "aws://"+account+"/"+Region)
}

// Deploy deploys every stack of the local profile and returns the stack
// outputs, which cdklocal writes to outputsFile.
func (d Deployer) Deploy(ctx context.Context, outputsFile string) (Outputs, error) {
	if err := os.MkdirAll(filepath.Dir(outputsFile), 0o755); err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	// Events, not the progress bar: the output goes to a log file.
	if err := d.run(ctx, "deploy", "--all", "--require-approval", "never", "--progress", "events", "--outputs-file", outputsFile); err != nil {
		return nil, err
	}
	return readOutputs(outputsFile)
}

// run runs `cdklocal <args> -c profile=local` in the repository root.
func (d Deployer) run(ctx context.Context, args ...string) error {
	args = append(args, "-c", "profile=local", "-o", d.OutDir, "--no-color")
	cmd := exec.CommandContext(ctx, d.Repo.Cdklocal(), args...)
	cmd.Dir = d.Repo.Root
	cmd.Env = d.Target.Env(d.Repo)
	if d.TempDir != "" {
		if err := os.MkdirAll(d.TempDir, 0o755); err != nil {
			return fmt.Errorf("cdklocal %s: %w", args[0], err)
		}
		cmd.Env = append(cmd.Env, "TMPDIR="+d.TempDir)
	}
	cmd.Stdout, cmd.Stderr = d.Log, d.Log
	if err := runGroup(ctx, cmd); err != nil {
		return fmt.Errorf("cdklocal %s: %w", args[0], err)
	}
	return nil
}

// runGroup runs cmd in a process group of its own. On cancel the whole
// group gets SIGINT, then SIGKILL after a grace period: the CDK CLI runs the
// Go app and Node helpers, and none of them may outlive the harness.
func runGroup(ctx context.Context, cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil && cmd.Process != nil {
		// Whatever the interrupted CLI left behind in its group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return err
}

// Outputs are the stack outputs by stack name, then output key.
type Outputs map[string]map[string]string

// Get returns one output, or an error naming it.
func (o Outputs) Get(stack, key string) (string, error) {
	v := o[stack][key]
	if v == "" {
		return "", fmt.Errorf("stack %s has no output %s after deploy", stack, key)
	}
	return v, nil
}

func readOutputs(path string) (Outputs, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the deploy outputs: %w", err)
	}
	var o Outputs
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("read the deploy outputs %s: %w", path, err)
	}
	return o, nil
}

// LakeOutputs are the outputs the harness uses.
type LakeOutputs struct {
	RawBucket, AnalyticsBucket, Stream string
}

// Lake picks the outputs the harness needs.
func (o Outputs) Lake() (LakeOutputs, error) {
	var l LakeOutputs
	var err error
	if l.RawBucket, err = o.Get(StackStorage, "RawBucketName"); err != nil {
		return l, err
	}
	if l.AnalyticsBucket, err = o.Get(StackStorage, "AnalyticsBucketName"); err != nil {
		return l, err
	}
	l.Stream, err = o.Get(StackStreaming, "TelemetryStreamName")
	return l, err
}
