// Command smoke is the sandbox smoke test behind `make smoke`: run it after
// `make deploy` with credentials for the sandbox account. Each step prints
// one line, PASS|FAIL|SKIP <step> <duration> <cost estimate> <detail>, then
// a summary with the estimated cost of the run.
//
//	go run ./scripts/smoke                          # datalake-sandbox-*, every step
//	go run ./scripts/smoke -skip ml,etl             # the fast steps only
//	go run ./scripts/smoke -endpoint http://127.0.0.1:4566   # a local emulator
//
// AWS settings come from the environment like any SDK program (AWS_PROFILE,
// AWS_REGION, ...); AWS_ENDPOINT_URL, like -endpoint, points it at an
// emulator, where the steps the emulator cannot run are skipped. The exit
// status is 1 when a step failed or cleanup left something behind, 2 for a
// usage error, missing credentials or the prod profile without -allow-prod.
// The logic is in internal/smoke; this file only wires flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/refdatalake/datalake/internal/smoke"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the run stops its step and cleans up; a
		// second Ctrl-C gets the default handling and ends it at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv, smoke.FileExists, loadAWS)
	stop()
	os.Exit(code)
}

// options are the parsed flags.
type options struct {
	cfg      smoke.Config
	endpoint string
}

// emulator reports whether the endpoint is an emulator rather than AWS
// itself (a custom endpoint on amazonaws.com, such as FIPS, is AWS).
func (o options) emulator() bool {
	if o.endpoint == "" {
		return false
	}
	u, err := url.Parse(o.endpoint)
	if err != nil {
		return true
	}
	h := u.Hostname()
	return !strings.HasSuffix(h, ".amazonaws.com") && !strings.HasSuffix(h, ".amazonaws.com.cn")
}

// parseFlags turns the command line into a run's configuration.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	var skip string
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cfg.Project, "project", "datalake", "project `name`: stacks are <project>-<profile>-<stack>")
	fs.StringVar(&o.cfg.Profile, "profile", "sandbox", "deployment `profile` to test")
	fs.BoolVar(&o.cfg.AllowProd, "allow-prod", false, "allow -profile prod (the test writes data and fires an alarm notification)")
	fs.StringVar(&skip, "skip", "", "comma-separated `steps` not to run, of ingest,query,landing,etl,alarm,failure,ml")
	fs.DurationVar(&o.cfg.Deadline, "timeout", smoke.DefaultDeadline, "deadline of the whole run, cleanup excluded")
	fs.StringVar(&o.endpoint, "endpoint", getenv("AWS_ENDPOINT_URL"), "`URL` of a LocalStack-compatible emulator (default $AWS_ENDPOINT_URL)")
	fs.IntVar(&o.cfg.Readings, "readings", smoke.DefaultReadings, "readings the ingest step puts on the stream, 1..500")
	fs.StringVar(&o.cfg.Query, "query", smoke.DefaultQuery, "named `query` the query step runs in the analysts workgroup")
	fs.StringVar(&o.cfg.LandingDir, "landing-dir", "glue/samples/landing", "`directory` of the sample landing files")
	fs.StringVar(&o.cfg.Alarm, "alarm", smoke.DefaultAlarm, "logical ID `prefix` of the Streaming stack's alarm the alarm step fires")
	fs.StringVar(&o.cfg.MlInput, "ml-input", "", "train-and-transform execution `input` (default {\"runFeatures\": false} after a passed etl step, else true)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.cfg.Skip, err = smoke.ParseSteps(skip); err != nil {
		return o, fmt.Errorf("-skip: %w", err)
	}
	if o.cfg.Deadline <= 0 {
		return o, fmt.Errorf("-timeout %s: want a positive duration", o.cfg.Deadline)
	}
	o.cfg.Emulator = o.emulator()
	return o, nil
}

// awsLoader builds the SDK configuration; tests never reach it.
type awsLoader func(ctx context.Context, o options, getenv func(string) string) (aws.Config, error)

// loadAWS is the standard configuration chain, pointed at the endpoint if
// one is given. An emulator accepts any credentials: without any set, the
// test ones are used, as scripts/local does.
func loadAWS(ctx context.Context, o options, getenv func(string) string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.cfg.Emulator {
		if !smoke.HaveCredentials(getenv, smoke.FileExists) {
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
		}
		if getenv("AWS_REGION") == "" && getenv("AWS_DEFAULT_REGION") == "" {
			opts = append(opts, config.WithRegion("us-east-1"))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: set AWS_REGION to the region you deployed to")
	}
	if o.endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.endpoint)
	}
	return cfg, nil
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, exists func(string) bool, load awsLoader) int {
	o, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "smoke: %v\n", err)
		return 2
	}
	if !o.cfg.Emulator && !smoke.HaveCredentials(getenv, exists) {
		fmt.Fprintln(stderr, smoke.CredentialsHelp)
		return 2
	}
	if err := o.cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "smoke: %v\n", err)
		return 2
	}
	cfg, err := load(ctx, o, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "smoke: %v\n", err)
		return 2
	}
	o.cfg.Clients = smoke.NewClients(cfg, o.cfg.Emulator)
	o.cfg.Out, o.cfg.Log = stdout, stderr
	fmt.Fprintf(stderr, "smoke: %s in %s%s, started %s\n", smoke.StackName(o.cfg.Project, o.cfg.Profile, "*"), cfg.Region,
		map[bool]string{true: " on the emulator at " + o.endpoint}[o.cfg.Emulator], time.Now().UTC().Format(time.RFC3339))
	report, err := smoke.Run(ctx, o.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "smoke: %v\n", err)
		return 2
	}
	if report.Failed() {
		return 1
	}
	return 0
}
