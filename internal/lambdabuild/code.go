package lambdabuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
)

// Code builds the Go main package pkg (module-relative, e.g. "./lambdas/transform")
// for arch and returns it as Lambda code. The asset's hash is the hash of the
// built folder (only `bootstrap` is in it), so it is stable across machines that
// share the Go toolchain version and changes whenever any compiled code does.
// The output goes to .build/lambda/ under the module root.
func Code(pkg, arch string) (awslambda.Code, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	root, err := ModuleRoot(wd)
	if err != nil {
		return nil, fmt.Errorf("build Lambda package %s: %w", pkg, err)
	}
	name := strings.NewReplacer("./", "", "/", "-", ".", "-").Replace(pkg)
	outDir := filepath.Join(root, ".build", "lambda", name+"-"+arch)
	if _, err := Build(context.Background(), root, pkg, arch, outDir); err != nil {
		return nil, err
	}
	return awslambda.Code_FromAsset(&outDir, nil), nil
}

// Architecture maps a GOARCH to the Lambda architecture.
func Architecture(arch string) awslambda.Architecture {
	if arch == "amd64" {
		return awslambda.Architecture_X86_64()
	}
	return awslambda.Architecture_ARM_64()
}
