// Package lambdabuild compiles Go Lambda handlers into `bootstrap` executables
// for the provided.al2023 runtime while the CDK app synthesizes, without Docker.
//
// Builds are reproducible (-trimpath, no VCS stamp, empty build ID, stripped,
// cgo off), so the same source gives the same bytes and the asset hash CDK
// computes from the output changes exactly when the code does — including code
// in shared internal/ packages, which a hash of the handler's own folder would miss.
package lambdabuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Flags are the fixed `go build` flags of every bootstrap. lambda.norpc drops
// the net/rpc shim that only the retired go1.x runtime needed.
var Flags = []string{"-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}

// Build compiles the main package pkg (an import path or a ./relative path
// inside the module rooted at moduleRoot) for linux/arch into outDir/bootstrap
// and returns that file's path. The error names the package and carries the
// compiler's output.
func Build(ctx context.Context, moduleRoot, pkg, arch, outDir string) (string, error) {
	if arch != "arm64" && arch != "amd64" {
		return "", fmt.Errorf("build Lambda package %s: architecture %q is not arm64 or amd64", pkg, arch)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("build Lambda package %s: %w", pkg, err)
	}
	out := filepath.Join(outDir, "bootstrap")
	args := append([]string{"build"}, Flags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleRoot
	// GOFLAGS is cleared so a developer's own settings cannot change the bytes.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build Lambda package %s for linux/%s: %v: %s", pkg, arch, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// ModuleRoot walks up from dir to the folder holding go.mod.
func ModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from inside the repository")
		}
		dir = parent
	}
}
