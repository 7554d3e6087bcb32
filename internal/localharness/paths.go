package localharness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/refdatalake/datalake/internal/lambdabuild"
)

// Repo locates the repository and the tools `make deps` installs into it.
type Repo struct {
	// Root is the folder holding go.mod.
	Root string
}

// FindRepo walks up from the working directory to the module root, so the
// command works from the root (`go run ./scripts/local`) and the test from
// its own folder.
func FindRepo() (Repo, error) {
	wd, err := os.Getwd()
	if err != nil {
		return Repo{}, fmt.Errorf("find the repository: %w", err)
	}
	root, err := lambdabuild.ModuleRoot(wd)
	if err != nil {
		return Repo{}, fmt.Errorf("find the repository: %w", err)
	}
	return Repo{Root: root}, nil
}

// Ministack is the emulator's launcher in the project's Python venv.
func (r Repo) Ministack() string { return filepath.Join(r.Root, ".venv", "bin", "ministack") }

// NodeBin holds cdk, cdklocal and node (Node 22) from package-lock.json.
func (r Repo) NodeBin() string { return filepath.Join(r.Root, "node_modules", ".bin") }

// Cdklocal is the CDK CLI wrapper that targets an emulator endpoint (AWS_ENDPOINT_URL).
func (r Repo) Cdklocal() string { return filepath.Join(r.NodeBin(), "cdklocal") }

// NodeModules is given to the emulator as NODE_PATH: the CDK custom resource
// that locks down the VPC's default security group needs @aws-sdk/client-ec2,
// which the emulator's Node workers do not provide themselves.
func (r Repo) NodeModules() string { return filepath.Join(r.Root, "node_modules") }

// LocalDir holds the running emulator's state file, its log, the deploy
// outputs and the synthesized templates; .build/ is ignored by git.
func (r Repo) LocalDir() string { return filepath.Join(r.Root, ".build", "local") }

// StateFile records the emulator that `up` left running.
func (r Repo) StateFile() string { return filepath.Join(r.LocalDir(), "emulator.json") }

// MissingTools names the installed tools the harness needs that are absent;
// `make deps` installs all of them.
func (r Repo) MissingTools() []string {
	var missing []string
	for _, p := range []string{r.Ministack(), r.Cdklocal(), filepath.Join(r.NodeBin(), "node")} {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			rel, _ := filepath.Rel(r.Root, p)
			missing = append(missing, rel)
		}
	}
	return missing
}
