package localharness

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/refdatalake/datalake/lake/layout"
)

// localLake is the deployment the harness deploys: the default project in
// the local profile. Its names are fixed, so the harness need not parse templates.
var localLake = layout.Deployment{Project: "datalake", Profile: "local"}

// Names the local profile gives its resources (lake/layout).
var (
	StackStorage   = localLake.StackName(layout.StackStorage)
	stackNetwork   = localLake.StackName(layout.StackNetwork)
	StackCatalog   = localLake.StackName(layout.StackCatalog)
	StackCurated   = localLake.StackName(layout.StackCurated)
	StackStreaming = localLake.StackName(layout.StackStreaming)
	stackAnalytics = localLake.StackName(layout.StackAnalytics)
	StackML        = localLake.StackName(layout.StackML)
	StackOps       = localLake.StackName(layout.StackOps)
	stackUpkeep    = localLake.StackName(layout.StackUpkeep)
	glueDatabase   = localLake.Database()
)

const (
	RawTable = layout.RawTelemetryTable
	// account is the account id the bundled emulator and LocalStack report for
	// the test credentials; bootstrap names it so it does not synthesize the
	// app just to learn it.
	account = "000000000000"
	Region  = "us-east-1"
)

// Stacks are every stack of the local profile, in deploy order.
var Stacks = []string{StackStorage, stackNetwork, StackCatalog, StackCurated, StackStreaming, stackAnalytics, StackML, StackOps, stackUpkeep}

// Target is the emulator endpoint the harness works against:
// an emulator it started, or one the user named with AWS_ENDPOINT_URL.
type Target struct {
	// Endpoint serves every AWS API.
	Endpoint string
	// S3Endpoint serves S3; cdklocal requires it to be set with Endpoint.
	S3Endpoint string
	// AccessKey and SecretKey sign requests; emulators accept any.
	AccessKey, SecretKey string
	// External is true when the user runs the endpoint: `up` then starts
	// nothing and `down` stops nothing.
	External bool
}

// LocalTarget is the emulator this harness started.
func LocalTarget(e *Emulator) Target {
	return Target{Endpoint: e.Endpoint(), S3Endpoint: e.Endpoint(), AccessKey: "test", SecretKey: "test"}
}

// ExternalTarget returns the endpoint named by AWS_ENDPOINT_URL, or false
// when it is unset. Credentials default to the test ones emulators accept.
func ExternalTarget() (Target, bool, error) {
	ep := strings.TrimRight(os.Getenv("AWS_ENDPOINT_URL"), "/")
	if ep == "" {
		return Target{}, false, nil
	}
	if err := checkEmulatorURL(ep); err != nil {
		return Target{}, true, err
	}
	t := Target{Endpoint: ep, S3Endpoint: ep, AccessKey: "test", SecretKey: "test", External: true}
	if s3 := strings.TrimRight(os.Getenv("AWS_ENDPOINT_URL_S3"), "/"); s3 != "" {
		t.S3Endpoint = s3
	}
	if k, s := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); k != "" && s != "" {
		t.AccessKey, t.SecretKey = k, s
	}
	return t, true, nil
}

// checkEmulatorURL refuses URLs that are plainly real AWS: the local
// profile deletes everything it creates and must never reach an account.
func checkEmulatorURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("AWS_ENDPOINT_URL=%q is not a URL like http://localhost:4566", raw)
	}
	if h := u.Hostname(); strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn") {
		return fmt.Errorf("AWS_ENDPOINT_URL=%q is real AWS; the local harness only targets an emulator: unset it or point it at LocalStack", raw)
	}
	return nil
}

// Env is the environment of cdklocal and the producer: the caller's without
// any AWS_ setting (no profile or real credential may leak in), plus the
// endpoint, test credentials and the project's Node 22 first on PATH.
func (t Target) Env(repo Repo) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "GOFLAGS=")
	})
	return append(env,
		"AWS_ENDPOINT_URL="+t.Endpoint,
		// cdklocal refuses AWS_ENDPOINT_URL without AWS_ENDPOINT_URL_S3.
		"AWS_ENDPOINT_URL_S3="+t.S3Endpoint,
		"AWS_ACCESS_KEY_ID="+t.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+t.SecretKey,
		"AWS_REGION="+Region,
		"AWS_DEFAULT_REGION="+Region,
		// No SDK may look for credentials on the instance metadata address.
		"AWS_EC2_METADATA_DISABLED=true",
		"CDK_DISABLE_CLI_TELEMETRY=true",
		// As in the Makefile: the CDK app builds Lambdas with go.mod as it is.
		"GOFLAGS=-mod=readonly",
		"PATH="+repo.NodeBin()+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
}

// AWSConfig is an SDK configuration for the target. It is built by hand,
// not from the shared config files, so no profile setting can redirect it.
func (t Target) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(t.AccessKey, t.SecretKey, ""),
		BaseEndpoint: aws.String(t.Endpoint),
	}
}
