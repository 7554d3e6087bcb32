package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// shortUsage is the one line shown with a usage error.
const shortUsage = "usage: produce --stream NAME (--count N | --duration D) [--rate R] [--devices N] [--format json|csv] [flags]; -h lists every flag"

// maxLinger bounds how long a record waits in a batch when the rate limit
// makes the batch fill slowly (the Kinesis Producer Library's default
// RecordMaxBufferedTime is also 100 ms).
const maxLinger = 100 * time.Millisecond

// options are the parsed, validated flags.
type options struct {
	stream     string
	count      int64
	duration   time.Duration
	rate       float64
	batchSize  int
	maxRetries int
	gen        telemetrygen.Config
}

// usageError is a bad flag or flag value: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// parseFlags parses and checks args. It returns flag.ErrHelp for -h, after
// printing every flag to stderr.
func parseFlags(args []string, stderr io.Writer, now time.Time) (options, error) {
	fs := flag.NewFlagSet("produce", flag.ContinueOnError)
	// The flag package would print the whole flag list on every error; a
	// usage error gets one line instead, and -h the list.
	fs.SetOutput(io.Discard)
	var (
		o          options
		format     string
		start      string
		seed       int64
		devices    int
		interval   time.Duration
		anomaly    float64
		malformed  float64
		count      int64
		duration   time.Duration
		rate       float64
		batchSize  int
		maxRetries int
	)
	fs.StringVar(&o.stream, "stream", "", "Kinesis stream `name` or ARN (required)")
	fs.Int64Var(&count, "count", 0, "send `N` records (exactly one of --count and --duration)")
	fs.DurationVar(&duration, "duration", 0, "send for `D`, e.g. 30s or 5m (exactly one of --count and --duration)")
	fs.Float64Var(&rate, "rate", 0, "records per second, 0 = as fast as the stream takes them")
	fs.IntVar(&devices, "devices", telemetrygen.DefaultDevices, "number of simulated devices (partition keys)")
	fs.StringVar(&format, "format", "json", "record format: json or csv")
	fs.Float64Var(&anomaly, "anomaly-fraction", 0.01, "share of valid records with an injected anomaly, 0..1")
	fs.Float64Var(&malformed, "malformed-fraction", 0, "share of deliberately malformed records, 0..1")
	fs.Int64Var(&seed, "seed", 0, "random seed; the same seed and --start reproduce a run (default: from the clock, printed in the summary)")
	fs.StringVar(&start, "start", "", "event time of the first reading, RFC 3339 (default: now)")
	fs.DurationVar(&interval, "interval", time.Minute, "event time step per device between readings")
	fs.IntVar(&batchSize, "batch-size", maxBatchRecords, fmt.Sprintf("records per PutRecords call, 1..%d", maxBatchRecords))
	fs.IntVar(&maxRetries, "max-retries", 6, "retries of throttled or failed records before they count as failed")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "%s\n\nSends synthetic device telemetry to a Kinesis data stream with PutRecords.\nAWS settings come from the environment (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_KINESIS, ...).\n\n", shortUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return options{}, err
		}
		return options{}, usagef("%v", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	switch {
	case fs.NArg() > 0:
		return options{}, usagef("unexpected argument %q", fs.Arg(0))
	case strings.TrimSpace(o.stream) == "":
		return options{}, usagef("--stream is required")
	case set["count"] == set["duration"]:
		return options{}, usagef("give exactly one of --count and --duration")
	case set["count"] && count <= 0:
		return options{}, usagef("--count %d: want a positive number", count)
	case set["duration"] && duration <= 0:
		return options{}, usagef("--duration %s: want a positive duration", duration)
	case rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0):
		return options{}, usagef("--rate %g: want 0 (unlimited) or a positive number", rate)
	case batchSize < 1 || batchSize > maxBatchRecords:
		return options{}, usagef("--batch-size %d: want 1..%d (the PutRecords limit)", batchSize, maxBatchRecords)
	case maxRetries < 0:
		return options{}, usagef("--max-retries %d: want 0 or more", maxRetries)
	case devices < 1:
		return options{}, usagef("--devices %d: want at least 1", devices)
	case interval <= 0:
		return options{}, usagef("--interval %s: want a positive duration", interval)
	}
	o.count, o.duration, o.rate, o.batchSize, o.maxRetries = count, duration, rate, batchSize, maxRetries

	f, err := telemetrygen.ParseFormat(format)
	if err != nil {
		return options{}, usagef("--format: %v", err)
	}
	startTime := now.UTC().Truncate(time.Millisecond)
	if set["start"] {
		if startTime, err = time.Parse(time.RFC3339, start); err != nil {
			return options{}, usagef("--start %q: want RFC 3339, e.g. 2026-03-07T09:00:00Z", start)
		}
	}
	if !set["seed"] {
		seed = now.UnixNano()
	}
	o.gen = telemetrygen.Config{
		Devices:           devices,
		Start:             startTime.UTC(),
		Interval:          interval,
		Seed:              seed,
		AnomalyFraction:   anomaly,
		MalformedFraction: malformed,
		Format:            f,
	}
	// The generator checks the rest (fraction ranges, start within the
	// schema's time bounds) with the same rules it runs on.
	if _, err := telemetrygen.New(o.gen); err != nil {
		return options{}, usagef("%s", strings.TrimPrefix(err.Error(), "telemetrygen: "))
	}
	return o, nil
}

// clientFactory makes the Kinesis client once the flags are valid, so a
// usage error never needs AWS configuration.
type clientFactory func(ctx context.Context) (PutRecordsAPI, error)

// run is the whole program: it parses args, sends records and prints the
// summary on stdout, progress and problems on stderr, and returns the exit
// status: 0 when every generated record was stored, 1 when any was lost or
// the run could not start, 2 for a usage error. Cancelling ctx (Ctrl-C) stops
// generating; the batch in flight is still sent and the summary printed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, newClient clientFactory) int {
	o, err := parseFlags(args, stderr, time.Now())
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "produce: %v; %s\n", err, shortUsage)
		return 2
	}
	if w := partitionWarning(o); w != "" {
		fmt.Fprintln(stderr, "produce: warning: "+w)
	}
	client, err := newClient(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "produce: %v\n", err)
		return 1
	}
	st, outcome := produce(ctx, o, client, stderr)
	printSummary(stdout, o, st, outcome)
	if outcome.fatal != nil || st.failed.Load() > 0 {
		return 1
	}
	return 0
}

// outcome says how a run ended, besides its counters.
type outcome struct {
	elapsed     time.Duration
	interrupted bool
	fatal       error
}

// produce generates records and sends them until the count is reached, the
// duration is over, ctx is cancelled or the stream refuses the records.
func produce(ctx context.Context, o options, client PutRecordsAPI, stderr io.Writer) (*stats, outcome) {
	gen, err := telemetrygen.New(o.gen)
	if err != nil { // parseFlags made the same call
		return &stats{}, outcome{fatal: err}
	}
	st := &stats{}
	prog := startProgress(stderr, isTerminal(stderr), o.count, o.duration, st)
	snd := &sender{
		client:     client,
		stream:     o.stream,
		maxRetries: o.maxRetries,
		backoff:    defaultBackoff,
		stats:      st,
		sleep:      sleepCtx,
		logf:       prog.logf,
	}
	// Generation stops when genCtx ends; sends use a context that is never
	// cancelled, so an interrupted run still flushes the batch in flight.
	genCtx := ctx
	if o.duration > 0 {
		var cancel context.CancelFunc
		genCtx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	sendCtx := context.WithoutCancel(ctx)

	var lim *tokenBucket
	if o.rate > 0 {
		// A tenth of a second's worth of burst: smooth, yet whole batches.
		lim = newTokenBucket(o.rate, int(o.rate/10), time.Now())
	}
	b := &batch{max: o.batchSize}
	var fatal error
	flush := func() {
		if len(b.entries) == 0 || fatal != nil {
			return
		}
		if err := snd.send(sendCtx, b.take()); err != nil {
			fatal = err
			prog.logf("%v; stopping", err)
		}
	}

	began := time.Now()
	for fatal == nil && (o.count == 0 || st.generated.Load() < o.count) && genCtx.Err() == nil {
		if lim != nil {
			at := lim.reserve(time.Now())
			if wait := time.Until(at); wait > 0 {
				if len(b.entries) > 0 && time.Since(b.oldest)+wait > maxLinger {
					if flush(); fatal != nil {
						break
					}
				}
				if sleepCtx(genCtx, time.Until(at)) != nil {
					break
				}
			}
		}
		r := gen.Next()
		st.generated.Add(1)
		e := entry{data: r.Data, key: r.PartitionKey, malformed: r.Malformed != "", anomaly: r.Anomaly}
		if e.size() > maxRecordBytes {
			prog.logf("record for %s is %d bytes, over the %d-byte PutRecords limit; not sent", e.key, e.size(), maxRecordBytes)
			st.fail([]entry{e}, "RecordTooLarge")
			continue
		}
		if !b.fits(e) {
			flush()
		}
		b.add(e, time.Now())
		if len(b.entries) >= b.max {
			flush()
		}
	}
	interrupted := ctx.Err() != nil
	if interrupted {
		prog.logf("interrupted: sending the records already generated")
	}
	flush()
	if fatal != nil {
		// Records generated but never attempted are lost too.
		st.fail(b.take(), "NotSent")
	}
	prog.finish()
	return st, outcome{elapsed: time.Since(began), interrupted: interrupted, fatal: fatal}
}

// printSummary writes the run's figures as one line of key=value pairs (easy
// to read and to grep), plus a line naming the error codes of lost records.
func printSummary(w io.Writer, o options, st *stats, out outcome) {
	state := "complete"
	switch {
	case out.fatal != nil:
		state = "aborted"
	case out.interrupted:
		state = "interrupted"
	}
	fmt.Fprintf(w, "produce: %s stream=%s generated=%d sent=%d malformed=%d anomalies=%d retried=%d failed=%d elapsed=%s records_per_s=%s seed=%d start=%s\n",
		state, o.stream, st.generated.Load(), st.sent.Load(), st.sentMalformed.Load(), st.sentAnomalies.Load(),
		st.retried.Load(), st.failed.Load(), out.elapsed.Round(time.Millisecond), perSecond(st.sent.Load(), out.elapsed),
		o.gen.Seed, o.gen.Start.Format(time.RFC3339Nano))
	if st.failed.Load() > 0 {
		fmt.Fprintf(w, "produce: lost %d records: %s\n", st.failed.Load(), st.failureSummary())
	}
}

// firehosePartitionLimit is how many partitions (event hours here) Firehose
// keeps open in one buffer; records of further hours go to the error prefix
// activePartitionExceeded (https://docs.aws.amazon.com/firehose/latest/dev/buffering.html).
const firehosePartitionLimit = 500

// partitionWarning warns about a backfill whose event times span more hours
// than Firehose buffers at once: sent faster than the buffer interval, part
// of it would land under errors/telemetry/activePartitionExceeded/.
func partitionWarning(o options) string {
	if o.count == 0 || o.gen.Devices == 0 {
		return ""
	}
	devices := int64(o.gen.Devices)
	perDevice := (o.count + devices - 1) / devices
	span := time.Duration(perDevice-1) * o.gen.Interval
	hours := int(span/time.Hour) + 1
	if hours <= firehosePartitionLimit {
		return ""
	}
	return fmt.Sprintf("the readings span %d event hours; Firehose keeps at most %d open per buffer, so readings of further hours sent within one buffer interval go to errors/telemetry/activePartitionExceeded/: send a backfill in chunks of at most %d hours (--start, --count), one buffer interval apart", hours, firehosePartitionLimit, firehosePartitionLimit)
}
