package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/refdatalake/datalake/internal/localharness"
	"github.com/refdatalake/datalake/internal/queries"
	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// upOptions are the flags of `up`.
type upOptions struct {
	port      int
	count     int
	malformed float64
	format    string
	anomalies bool
	verbose   bool
}

func upFlagSet(o *upOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.port, "port", 0, "emulator port on 127.0.0.1 (default: a free one)")
	fs.IntVar(&o.count, "count", 200, "telemetry records to send")
	fs.Float64Var(&o.malformed, "malformed-fraction", 0.05, "share of deliberately malformed records, 0..1")
	fs.StringVar(&o.format, "format", "json", "record format: json or csv")
	fs.BoolVar(&o.anomalies, "anomalies", true, "also send readings past the anomaly detector's warm-up, one with an injected spike, and show what it found")
	fs.BoolVar(&o.verbose, "v", false, "show the output of cdklocal and the producer as it runs")
	return fs
}

func parseUpFlags(args []string) (upOptions, error) {
	var o upOptions
	fs := upFlagSet(&o)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.count < 1:
		return o, fmt.Errorf("--count %d: want at least 1", o.count)
	case o.malformed < 0 || o.malformed > 1:
		return o, fmt.Errorf("--malformed-fraction %g: want 0..1", o.malformed)
	case o.port < 0 || o.port > 65535:
		return o, fmt.Errorf("--port %d: want 1..65535, or 0 for a free one", o.port)
	}
	if _, err := telemetrygen.ParseFormat(o.format); err != nil {
		return o, fmt.Errorf("--format: %w", err)
	}
	return o, nil
}

// settleTimeout bounds the wait for delivery: ministack delivers inside
// PutRecords, AWS after Firehose's 60 s buffer.
const settleTimeout = 3 * time.Minute

// up runs the whole local path and leaves the emulator running. When a step
// fails, whatever up started is stopped again.
func up(ctx context.Context, repo localharness.Repo, o upOptions, out io.Writer) (err error) {
	logDir := repo.LocalDir()
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return localharness.Fail("setup", err, "check that .build/ is writable")
	}
	target, emu, err := startTarget(ctx, repo, o.port, out)
	if err != nil {
		return err
	}
	defer func() {
		// An interrupt surfaces as some step's error; say what happened.
		if err != nil && ctx.Err() != nil {
			err = localharness.Fail("", errors.New("interrupted"), "nothing it started is left running; run it again")
		}
	}()
	if emu != nil {
		defer func() {
			if err != nil {
				fmt.Fprintln(out, "local: stopping the emulator this run started")
				if stopErr := emu.Stop(); stopErr != nil {
					fmt.Fprintf(out, "local: %v\n", stopErr)
				}
				_ = os.Remove(repo.StateFile())
			}
		}()
	}

	runLogPath := filepath.Join(logDir, "up.log")
	runLog, err := os.Create(runLogPath)
	if err != nil {
		return localharness.Fail("setup", err, "check that .build/local is writable")
	}
	defer runLog.Close()
	var log io.Writer = runLog
	if o.verbose {
		log = io.MultiWriter(runLog, os.Stderr)
	}
	outputs, err := deployLake(ctx, repo, target, filepath.Join(logDir, "cdk.out"), filepath.Join(logDir, "outputs.json"), log, runLogPath, out)
	if err != nil {
		return err
	}
	lake, err := outputs.Lake()
	if err != nil {
		return localharness.Fail("deploy", err, "see "+runLogPath)
	}

	const devices, interval = 10, 15 * time.Minute
	// Each device reads every 15 minutes up to now, so the readings spread
	// over several hourly partitions and none lies in the future.
	ticks := (o.count + devices - 1) / devices
	b := localharness.Batch{
		Count: o.count,
		// ministack delivers inside PutRecords (about 0.15 s a record), so
		// small calls keep the producer's progress moving.
		BatchSize: 25,
		Config: telemetrygen.Config{
			Devices:           devices,
			Start:             time.Now().UTC().Truncate(time.Minute).Add(-time.Duration(ticks-1) * interval),
			Interval:          interval,
			Seed:              time.Now().UnixNano(),
			AnomalyFraction:   0.01,
			MalformedFraction: o.malformed,
			Format:            telemetrygen.Format(o.format),
		},
	}
	records, err := b.Records()
	if err != nil {
		return localharness.Fail("produce", err, "pick other --count/--malformed-fraction values")
	}
	valid, malformed := localharness.SplitRecords(records)
	prod := &localharness.Producer{Repo: repo, Target: target, Log: log}
	fmt.Fprintf(out, "local: sending %d %s records (%d malformed) to %s\n", b.Count, b.Format, len(malformed), lake.Stream)
	if err := prod.Build(ctx, logDir); err != nil {
		return localharness.Fail("produce", err, "fix the build of scripts/produce")
	}
	res, err := prod.Send(ctx, lake.Stream, b)
	if err != nil {
		return localharness.Fail("produce", err, "see "+runLogPath+" for the producer's progress")
	}
	fmt.Fprintf(out, "local: %s\n", res.Line)

	reader := localharness.NewLakeReader(target, lake.RawBucket)
	landing, _, err := reader.WaitSettled(ctx, len(valid), 2*time.Second, settleTimeout)
	printLanding(out, lake.RawBucket, landing, len(valid), len(malformed))
	if err != nil {
		return localharness.Fail("delivery", err, "look for Firehose and Lambda errors in "+logHint(emu))
	}
	printTransformLogs(ctx, out, target)
	printNamedQuery(ctx, out, target, lake.AnalyticsBucket, "data_freshness", 0)
	if o.anomalies {
		showAnomalies(ctx, out, target, lake, emu)
	}

	if emu != nil {
		fmt.Fprintf(out, "\nThe emulator keeps running at %s (pid %d, log %s).\n", emu.Endpoint(), emu.PID, emu.LogPath)
		fmt.Fprintf(out, "Use it with: export AWS_ENDPOINT_URL=%s AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=%s AWS_DEFAULT_REGION=%s\n",
			emu.Endpoint(), localharness.Region, localharness.Region)
		fmt.Fprintln(out, "Stop it with: make local-down   (or: go run ./scripts/local down)")
	}
	return nil
}

// startTarget starts the emulator, or checks the user's AWS_ENDPOINT_URL.
// The emulator is nil for an external endpoint.
func startTarget(ctx context.Context, repo localharness.Repo, port int, out io.Writer) (localharness.Target, *localharness.Emulator, error) {
	if t, ok, err := localharness.ExternalTarget(); ok {
		if err != nil {
			return t, nil, localharness.Fail("endpoint", err, "unset AWS_ENDPOINT_URL to use the built-in emulator")
		}
		if _, err := os.Stat(repo.Cdklocal()); err != nil {
			return t, nil, localharness.Fail("setup", errors.New("node_modules/.bin/cdklocal is missing"), "run make deps")
		}
		// Before anything is deployed: an endpoint without Glue or Athena
		// (LocalStack below its Ultimate tier) would fail halfway through.
		if err := localharness.CheckServices(ctx, t.Endpoint, localharness.RequiredServices); err != nil {
			return t, nil, localharness.Fail("endpoint", fmt.Errorf("AWS_ENDPOINT_URL: %w", err),
				"docs/local.md says what each emulator serves; unset AWS_ENDPOINT_URL to use the bundled one")
		}
		fmt.Fprintf(out, "local: AWS_ENDPOINT_URL is set: using %s (it lists the %d services the local profile needs), starting no emulator\n",
			t.Endpoint, len(localharness.RequiredServices))
		return t, nil, nil
	}
	if missing := repo.MissingTools(); len(missing) > 0 {
		return localharness.Target{}, nil, localharness.Fail("setup", fmt.Errorf("%s not installed", strings.Join(missing, ", ")), "run make deps")
	}
	if err := clearStaleState(repo); err != nil {
		return localharness.Target{}, nil, err
	}
	began := time.Now()
	emu, err := localharness.StartEmulator(ctx, repo, localharness.StartOptions{Port: port, LogPath: filepath.Join(repo.LocalDir(), "ministack.log")})
	if err != nil {
		return localharness.Target{}, nil, &localharness.Failure{Step: "start emulator", Err: err, Fix: "see .build/local/ministack.log", Detail: err.Error()}
	}
	if err := emu.SaveState(repo.StateFile()); err != nil {
		_ = emu.Stop()
		return localharness.Target{}, nil, localharness.Fail("start emulator", err, "check that .build/local is writable")
	}
	if err := localharness.CheckServices(ctx, emu.Endpoint(), localharness.RequiredServices); err != nil {
		_ = emu.Stop()
		_ = os.Remove(repo.StateFile())
		return localharness.Target{}, nil, localharness.Fail("start emulator", err, "install the version requirements-emulator.txt pins (make local does)")
	}
	fmt.Fprintf(out, "local: ministack on %s (pid %d) ready in %s\n", emu.Endpoint(), emu.PID, time.Since(began).Round(time.Millisecond))
	return localharness.LocalTarget(emu), emu, nil
}

// clearStaleState refuses to start a second emulator and forgets one that
// is no longer running.
func clearStaleState(repo localharness.Repo) error {
	prev, err := localharness.LoadState(repo.StateFile())
	switch {
	case errors.Is(err, localharness.ErrNoState):
		return nil
	case err != nil:
		return localharness.Fail("start emulator", err, "delete "+repo.StateFile()+" if no emulator runs")
	case prev.Running():
		return localharness.Fail("start emulator", fmt.Errorf("an emulator already runs on %s (pid %d)", prev.Endpoint(), prev.PID),
			"stop it with make local-down first")
	}
	// Left by a crash or a reboot: clean up what remains.
	_ = prev.Stop()
	return os.Remove(repo.StateFile())
}

// deployLake bootstraps the target and deploys every stack.
func deployLake(ctx context.Context, repo localharness.Repo, t localharness.Target, cdkOut, outputsFile string, log io.Writer, logPath string, out io.Writer) (localharness.Outputs, error) {
	// The CLI's temporary files go to a folder of ours, emptied on each run.
	tmp := filepath.Join(filepath.Dir(cdkOut), "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, localharness.Fail("setup", err, "delete "+tmp)
	}
	d := localharness.Deployer{Repo: repo, Target: t, OutDir: cdkOut, TempDir: tmp, Log: log}
	began := time.Now()
	fmt.Fprintf(out, "local: cdklocal bootstrap (log: %s)\n", logPath)
	if err := d.Bootstrap(ctx); err != nil {
		return nil, &localharness.Failure{Step: "bootstrap", Err: err, Fix: "see " + logPath, Detail: localharness.LogTail(logPath, 15)}
	}
	fmt.Fprintf(out, "local: bootstrapped in %s; cdklocal deploy --all -c profile=local\n", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	outputs, err := d.Deploy(ctx, outputsFile)
	if err != nil {
		return nil, &localharness.Failure{Step: "deploy", Err: err, Fix: "see " + logPath, Detail: localharness.LogTail(logPath, 25)}
	}
	fmt.Fprintf(out, "local: deployed %d stacks in %s (outputs: %s)\n", len(localharness.Stacks), time.Since(began).Round(time.Millisecond), outputsFile)
	return outputs, nil
}

// printLanding shows objects and readings per partition and the error
// prefix.
func printLanding(out io.Writer, bucket string, l localharness.Landing, wantValid, malformed int) {
	fmt.Fprintf(out, "\nlanded in s3://%s/%s: %d records in %d objects (this run sent %d valid records)\n", bucket, localharness.TelemetryPrefix, len(l.Readings), len(l.Objects), wantValid)
	parts := l.ByPartition()
	for _, p := range localharness.SortedPartitions(parts) {
		c := parts[p]
		fmt.Fprintf(out, "  %s  %4d objects  %4d records\n", p, c[0], c[1])
	}
	if len(l.Unpartitioned) > 0 {
		fmt.Fprintf(out, "  %d objects outside year=/month=/day=/hour=, e.g. %s\n", len(l.Unpartitioned), l.Unpartitioned[0])
	}
	fmt.Fprintf(out, "s3://%s/%s: %d objects", bucket, localharness.ErrorsPrefix, len(l.ErrorKeys))
	for kind, n := range l.Errors {
		fmt.Fprintf(out, ", %s %d", kind, n)
	}
	fmt.Fprintln(out)
	if len(l.ErrorKeys) == 0 && malformed > 0 {
		fmt.Fprintf(out, "  (%d malformed records were sent and none is here: ministack drops the records the transform marks ProcessingFailed; AWS writes them under processing-failed/)\n", malformed)
	}
}

// printTransformLogs shows what the transform logged about rejected records.
func printTransformLogs(ctx context.Context, out io.Writer, t localharness.Target) {
	tl, err := localharness.ReadTransformLogs(ctx, t)
	if err != nil {
		fmt.Fprintf(out, "transform logs: not readable: %v\n", oneLine(err))
		return
	}
	fmt.Fprintf(out, "transform log group %s: %d invocations reported, %d records rejected\n", tl.Group, tl.Reports, len(tl.Failures))
	for i, f := range tl.Failures {
		if i == 3 {
			fmt.Fprintf(out, "  ... %d more\n", len(tl.Failures)-i)
			break
		}
		fmt.Fprintf(out, "  %s: %q\n", f.Reason, f.DataPrefix)
	}
}

// printNamedQuery runs a named query (internal/queries) through the
// target's Athena and shows its result, at most maxRows rows (0: all); an
// emulator without Athena is reported, not fatal.
func printNamedQuery(ctx context.Context, out io.Writer, t localharness.Target, analyticsBucket, name string, maxRows int) {
	qs, err := queries.All()
	if err != nil {
		fmt.Fprintf(out, "athena: %v\n", err)
		return
	}
	for _, q := range qs {
		if q.Name != name {
			continue
		}
		res, err := localharness.Query(ctx, t, analyticsBucket, q.SQL, time.Minute)
		if err != nil {
			fmt.Fprintf(out, "athena: named query %s: not available here: %v\n", name, oneLine(err))
			return
		}
		fmt.Fprintf(out, "athena: named query %s (%s): %v\n", name, res.Elapsed.Round(time.Millisecond), res.Columns)
		for i, row := range res.Rows {
			if maxRows > 0 && i == maxRows {
				fmt.Fprintf(out, "  ... %d more rows\n", len(res.Rows)-i)
				break
			}
			fmt.Fprintf(out, "  %v\n", row)
		}
		return
	}
	fmt.Fprintf(out, "athena: no named query %s in internal/queries\n", name)
}

// logHint says where the emulator's log is.
func logHint(e *localharness.Emulator) string {
	if e == nil {
		return "the emulator's log"
	}
	return e.LogPath
}

// oneLine keeps the first line of an error message.
func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
