package lambdabuild

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// assetKey synthesizes a fresh app with one function built by Code and
// returns the S3 key of its code asset, which is the asset hash.
func assetKey(t *testing.T, arch string) string {
	t.Helper()
	code, err := Code("./internal/lambdabuild/testdata/hello", arch)
	if err != nil {
		t.Fatal(err)
	}
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: &outdir})
	stack := awscdk.NewStack(app, jsii.String("Fn"), nil)
	awslambda.NewFunction(stack, jsii.String("Hello"), &awslambda.FunctionProps{
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: Architecture(arch),
		Handler:      jsii.String("bootstrap"),
		Code:         code,
	})
	tpl, _ := json.Marshal(app.Synth(nil).GetStackArtifact(jsii.String("Fn")).Template())
	var doc struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				Code          struct{ S3Key string }
				Architectures []string
			}
		}
	}
	if err := json.Unmarshal(tpl, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Resources {
		if r.Type == "AWS::Lambda::Function" {
			want := map[string]string{"arm64": "arm64", "amd64": "x86_64"}[arch]
			if len(r.Properties.Architectures) != 1 || r.Properties.Architectures[0] != want {
				t.Errorf("architectures %v, want %s", r.Properties.Architectures, want)
			}
			return r.Properties.Code.S3Key
		}
	}
	t.Fatal("no function in the template")
	return ""
}

// Two independent syntheses give the same asset hash, so `cdk diff` shows no
// code change when there is none; the two architectures differ.
func TestAssetHashIsStable(t *testing.T) {
	first, second := assetKey(t, "arm64"), assetKey(t, "arm64")
	if first == "" || first != second {
		t.Fatalf("asset hash changed between identical builds: %q vs %q", first, second)
	}
	if !strings.HasSuffix(first, ".zip") {
		t.Errorf("asset key %q is not a zip", first)
	}
	if amd := assetKey(t, "amd64"); amd == first {
		t.Error("arm64 and amd64 builds share an asset hash")
	}
}

func TestCodeReportsBuildErrors(t *testing.T) {
	_, err := Code("./internal/lambdabuild/testdata/broken", "arm64")
	if err == nil || !strings.Contains(err.Error(), "testdata/broken") {
		t.Fatalf("got %v", err)
	}
}
