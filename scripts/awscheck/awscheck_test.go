// Package awscheck holds the check that make's AWS targets run before
// anything else (awscheck.sh) and its tests.
package awscheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run runs awscheck.sh with exactly env (plus PATH) in a home of its own.
func run(t *testing.T, env map[string]string, files map[string]string, args ...string) (int, string) {
	t.Helper()
	home := t.TempDir()
	for name, body := range files {
		p := filepath.Join(home, ".aws", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", append([]string{"awscheck.sh"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stderr.String()
}

func TestRefusals(t *testing.T) {
	keys := map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range keys {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	config := "[default]\nregion = eu-west-1\n[profile dev]\nsso_session = x\n"
	for _, c := range []struct {
		name    string
		env     map[string]string
		files   map[string]string
		profile string
		want    string // "" = allowed
	}{
		{"credentials, no override", keys, nil, "sandbox", ""},
		{"make local's export line", with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}), nil, "sandbox", "unset AWS_ENDPOINT_URL"},
		{"a per-service override", with(map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:4566"}), nil, "prod", "unset AWS_ENDPOINT_URL_S3"},
		{"both", with(map[string]string{"AWS_ENDPOINT_URL": "x", "AWS_ENDPOINT_URL_KINESIS": "y"}), nil, "prod", "AWS_ENDPOINT_URL AWS_ENDPOINT_URL_KINESIS"},
		{"the local profile may use the emulator", with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}), nil, "local", ""},
		{"no credentials", nil, nil, "sandbox", "no AWS credentials found"},
		{"an unknown profile", map[string]string{"AWS_PROFILE": "nope"}, map[string]string{"config": config}, "sandbox", "AWS_PROFILE=nope is not a profile"},
		{"a profile in config", map[string]string{"AWS_PROFILE": "dev"}, map[string]string{"config": config}, "sandbox", ""},
		{"the default profile", map[string]string{"AWS_PROFILE": "default"}, map[string]string{"config": config}, "sandbox", ""},
		{"a profile in credentials", map[string]string{"AWS_PROFILE": "ci.deploy"}, map[string]string{"credentials": "[ci.deploy]\naws_access_key_id = x\n"}, "sandbox", ""},
		{"a dot is not a wildcard", map[string]string{"AWS_PROFILE": "ci.deploy"}, map[string]string{"credentials": "[ciXdeploy]\n"}, "sandbox", "is not a profile"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stderr := run(t, c.env, c.files, "deploy", c.profile)
			if c.want == "" {
				if code != 0 {
					t.Fatalf("refused (%d): %s", code, stderr)
				}
				return
			}
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "make deploy: ") {
				t.Fatalf("exit %d, %q: want one line naming %q", code, stderr, c.want)
			}
		})
	}
}

// The real make refuses each AWS target in one line before it installs,
// synthesizes or writes anything: the check runs while make reads the
// Makefile.
func TestMakeRefusesBeforeAnything(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"bootstrap", "deploy", "diff", "destroy", "protect", "smoke"} {
		t.Run(target, func(t *testing.T) {
			// -n would print the recipes make runs after the check: none may be printed.
			cmd := exec.Command("make", "--no-print-directory", "-n", "-C", root, target, "PROFILE=sandbox")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "AWS_ENDPOINT_URL=http://127.0.0.1:9"}
			out, err := cmd.CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 {
				t.Fatalf("make %s: %v\n%s", target, err, out)
			}
			text := strings.TrimSpace(string(out))
			if strings.Count(text, "\n") != 0 || !strings.Contains(text, "make "+target+": AWS_ENDPOINT_URL set") || !strings.Contains(text, "unset AWS_ENDPOINT_URL") {
				t.Fatalf("make %s printed %q, want one line saying what to unset", target, text)
			}
		})
	}
}
