// Command local runs the data lake on an AWS emulator on
// this machine, without Docker or an AWS account.
//
//	go run ./scripts/local up [--port N] [--count N] [--malformed-fraction F] [--format json|csv] [--anomalies=false] [-v]
//	go run ./scripts/local status
//	go run ./scripts/local down
//
// up starts ministack (from the project's .venv) on 127.0.0.1, deploys every
// stack of the local profile with cdklocal, sends telemetry through Kinesis,
// Firehose and the transform Lambda, shows what landed in the raw bucket,
// queries it through Athena, sends readings past the anomaly detector's
// warm-up with one injected spike and shows what the detector found, and
// leaves the emulator running for more experiments. down stops it and
// everything it spawned; status says whether it runs.
//
// When AWS_ENDPOINT_URL is set (for example to a LocalStack container),
// up checks that the endpoint lists the services the local profile needs,
// then deploys there and starts nothing; down and status then have nothing
// to manage.
//
// Exit status: 0 on success, 1 when a step failed (the last line says which
// and what to do), 2 for a usage error, 3 from status when nothing runs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/refdatalake/datalake/internal/localharness"
)

const usage = `usage: go run ./scripts/local <command> [flags]

commands:
  up       start the emulator, deploy the local profile, send telemetry, show what landed
  status   say whether the emulator runs and where
  down     stop the emulator and everything it started

up flags:`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	repo, err := localharness.FindRepo()
	if err != nil {
		fmt.Fprintf(stderr, "local: %v\n", err)
		return 1
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "up":
		o, err := parseUpFlags(rest)
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stderr)
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "local up: %v; go run ./scripts/local up -h lists the flags\n", err)
			return 2
		}
		return report(stderr, "up", up(ctx, repo, o, stdout))
	case "down":
		return report(stderr, "down", down(repo, stdout))
	case "status":
		running, err := status(ctx, repo, stdout)
		if code := report(stderr, "status", err); code != 0 {
			return code
		}
		if !running {
			return 3
		}
		return 0
	case "-h", "-help", "--help", "help":
		printUsage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "local: unknown command %q; want up, status or down\n", cmd)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, usage)
	fs := upFlagSet(&upOptions{})
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// report prints err as detail plus one final line and returns the status.
func report(w io.Writer, cmd string, err error) int {
	if err == nil {
		return 0
	}
	var f *localharness.Failure
	if errors.As(err, &f) {
		if f.Detail != "" {
			fmt.Fprintln(w, f.Detail)
		}
		if f.Step == "" {
			fmt.Fprintf(w, "local %s: %v; %s\n", cmd, oneLine(f.Err), f.Fix)
		} else {
			fmt.Fprintf(w, "local %s: %s failed: %v; %s\n", cmd, f.Step, oneLine(f.Err), f.Fix)
		}
		return 1
	}
	fmt.Fprintf(w, "local %s: %v\n", cmd, oneLine(err))
	return 1
}
