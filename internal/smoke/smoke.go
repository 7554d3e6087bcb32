// Package smoke is the sandbox smoke test behind `make smoke`: after
// `make deploy`, it drives each path of the deployed lake once, with real
// data, and reports one line per step:
//
//	PASS|FAIL|SKIP <step> <duration> <cost estimate> <detail>
//
// where the detail of a PASS says what was checked, of a FAIL what went wrong
// and where to look, and of a SKIP why the step did not run.
//
// The steps, in order: stacks (read the stack outputs), ingest (readings on
// the stream -> Parquet in the raw bucket), query (a named query in the
// analysts workgroup), landing (the sample landing files, SSE-KMS with the
// lake key), etl (the Glue workflow), alarm (an ingestion alarm -> its topic
// -> a temporary SQS queue) and ml (train-and-transform -> the model
// registry). Whatever a run creates (queue, subscription, alarm state,
// unfinished executions) is removed at the end, also after a failure or an
// interrupt.
//
// The AWS calls go through the small interfaces of clients.go, so each
// step's logic is unit-tested with fakes. The same Run also runs against the
// local emulator in the end-to-end test (e2e/), where the steps the
// emulator cannot run are reported as SKIP with the reason.
package smoke

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/refdatalake/datalake/internal/samples"
)

// Step names a step; they are also the values --skip takes.
type Step string

// The steps, in the order they run.
const (
	StepStacks  Step = "stacks"
	StepIngest  Step = "ingest"
	StepQuery   Step = "query"
	StepLanding Step = "landing"
	StepETL     Step = "etl"
	StepAlarm   Step = "alarm"
	StepFailure Step = "failure"
	StepML      Step = "ml"
)

// Steps are every step in run order.
var Steps = []Step{StepStacks, StepIngest, StepQuery, StepLanding, StepETL, StepAlarm, StepFailure, StepML}

// ParseSteps parses a comma-separated list of step names, e.g. "ml,etl".
// The stacks step cannot be skipped: every other step needs its outputs.
func ParseSteps(s string) (map[Step]bool, error) {
	out := map[Step]bool{}
	for _, part := range strings.Split(s, ",") {
		name := Step(strings.TrimSpace(part))
		switch {
		case name == "":
			continue
		case name == StepStacks:
			return nil, fmt.Errorf("step %q cannot be skipped: the other steps need the stack outputs", name)
		case !slices.Contains(Steps, name):
			return nil, fmt.Errorf("unknown step %q: want some of %s", name, stepList(Steps[1:]))
		}
		out[name] = true
	}
	return out, nil
}

func stepList(steps []Step) string {
	s := make([]string, len(steps))
	for i, st := range steps {
		s[i] = string(st)
	}
	return strings.Join(s, ",")
}

// ProfileProd is the profile the smoke test refuses without AllowProd.
const ProfileProd = "prod"

// DefaultBudget is what one run should stay under, in US dollars: the sum
// of the step estimates (cost.go) is checked against it before anything runs.
const DefaultBudget = 0.50

// Config configures Run.
type Config struct {
	// Project and Profile name the deployment: stacks are
	// <Project>-<Profile>-<stack> (cdk/app.go).
	Project, Profile string
	// AllowProd must be set to run against the prod profile.
	AllowProd bool
	// Clients are the AWS clients; NewClients builds them from an aws.Config.
	Clients Clients
	// Emulator marks a LocalStack-compatible emulator: the steps it cannot
	// run (emulator.go) are skipped with the reason, and waits are shorter.
	Emulator bool
	// Skip lists steps not to run (--skip).
	Skip map[Step]bool
	// Deadline bounds the whole run, cleanup excluded; 0 means 30 minutes.
	Deadline time.Duration
	// Readings is how many readings the ingest step puts on the stream,
	// 1..500 (one PutRecords call); 0 means 100.
	Readings int
	// Query is the named query the query step runs; "" means data_freshness.
	Query string
	// LandingDir holds the sample landing files; "" means glue/samples/landing
	// relative to the working directory (make runs from the repository root).
	LandingDir string
	// Alarm is the logical ID prefix of the Streaming stack's alarm the alarm
	// step sets to ALARM; "" means TransformThrottlesAlarm.
	Alarm string
	// MlInput is the execution input of train-and-transform; "" means
	// {"runFeatures": false} when the etl step passed in this run (its
	// workflow ends with the features job), else {"runFeatures": true}.
	MlInput string
	// MlTestCase is for emulators only: the Step Functions Local mock test
	// case (statemachines/testdata/mock-config.json) appended to the state
	// machine ARN as #<case>. On an emulator without it the ml step is
	// skipped: SageMaker and Glue .sync tasks only run mocked there.
	MlTestCase string
	// Budget is the most the run may cost by its estimates; 0 means
	// DefaultBudget.
	Budget float64
	// Out receives the result lines; Log receives progress. Nil discards.
	Out, Log io.Writer

	// now and sleep are the clock; tests replace them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	// runID names what the run creates; tests fix it.
	runID string
	// timeouts override the per-step timeouts; tests shorten them.
	timeouts map[Step]time.Duration
}

// Defaults of Config.
const (
	DefaultDeadline = 30 * time.Minute
	DefaultReadings = 100
	DefaultQuery    = "data_freshness"
	DefaultAlarm    = "TransformThrottlesAlarm"
)

// withDefaults fills in the zero values.
func (c Config) withDefaults() Config {
	if c.Deadline == 0 {
		c.Deadline = DefaultDeadline
	}
	if c.Readings == 0 {
		c.Readings = DefaultReadings
	}
	if c.Query == "" {
		c.Query = DefaultQuery
	}
	if c.LandingDir == "" {
		c.LandingDir = samples.Dir
	}
	if c.Alarm == "" {
		c.Alarm = DefaultAlarm
	}
	if c.Budget == 0 {
		c.Budget = DefaultBudget
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.runID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		c.runID = hex.EncodeToString(b)
	}
	return c
}

// ErrProdRefused is returned for the prod profile without AllowProd.
var ErrProdRefused = errors.New("refusing to run against the prod profile: the smoke test puts readings on the stream, uploads landing files, runs the ETL and training and fires an alarm notification; pass --allow-prod if you mean it")

// Validate checks c before anything runs. It is also what the command
// calls to turn a bad flag into a usage error.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Profile == ProfileProd && !c.AllowProd:
		return ErrProdRefused
	case c.Project == "" || c.Profile == "":
		return errors.New("project and profile must be set: stacks are named <project>-<profile>-<stack>")
	case c.Readings < 1 || c.Readings > maxPutRecords:
		return fmt.Errorf("readings %d: want 1..%d (one PutRecords call)", c.Readings, maxPutRecords)
	case c.Deadline < 0:
		return fmt.Errorf("deadline %s: want a positive duration", c.Deadline)
	}
	if c.MlInput != "" && !validJSONObject(c.MlInput) {
		return fmt.Errorf("ml input %q: want a JSON object such as {\"runFeatures\": false}", c.MlInput)
	}
	if est := PlannedCost(c); est > c.Budget {
		return fmt.Errorf("the steps to run are estimated at $%.2f, over the $%.2f budget: skip some with --skip", est, c.Budget)
	}
	return nil
}

// Status is the outcome of a step.
type Status string

// The outcomes.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Result is one step's outcome.
type Result struct {
	Step     Step
	Status   Status
	Duration time.Duration
	// Cost is the step's estimated cost in US dollars; 0 for a skipped step.
	Cost float64
	// Detail says what was checked (PASS), what failed and where to look
	// (FAIL), or why the step did not run (SKIP).
	Detail string
}

// Line formats r as the step's one output line.
func (r Result) Line() string {
	d := strings.Join(strings.Fields(r.Detail), " ") // one line, whatever the error text holds
	return fmt.Sprintf("%s %s %s $%.4f %s", r.Status, r.Step, formatDuration(r.Duration), r.Cost, d)
}

// formatDuration rounds to a tenth of a second below a minute and to the
// second above, so lines stay short.
func formatDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// Report is the outcome of a run.
type Report struct {
	Results []Result
	// CleanupErrors are what could not be removed at the end.
	CleanupErrors []error
	// Elapsed is the run's wall time, cleanup included.
	Elapsed time.Duration
}

// Failed reports whether a step failed or cleanup left something behind.
func (r Report) Failed() bool {
	return len(r.CleanupErrors) > 0 || slices.ContainsFunc(r.Results, func(x Result) bool { return x.Status == Fail })
}

// Cost is the sum of the step estimates.
func (r Report) Cost() float64 {
	var sum float64
	for _, x := range r.Results {
		sum += x.Cost
	}
	return sum
}

// Result returns the result of one step.
func (r Report) Result(s Step) (Result, bool) {
	i := slices.IndexFunc(r.Results, func(x Result) bool { return x.Step == s })
	if i < 0 {
		return Result{}, false
	}
	return r.Results[i], true
}

// Summary is the closing line: counts, wall time and the budget note.
func (r Report) Summary(budget float64) string {
	n := map[Status]int{}
	for _, x := range r.Results {
		n[x.Status]++
	}
	s := fmt.Sprintf("smoke: %d passed, %d failed, %d skipped in %s; estimated cost $%.2f (budget $%.2f; us-east-1 list prices, not a bill)",
		n[Pass], n[Fail], n[Skip], formatDuration(r.Elapsed), r.Cost(), budget)
	if len(r.CleanupErrors) > 0 {
		s += fmt.Sprintf("; cleanup left %d thing(s) behind, see above", len(r.CleanupErrors))
	}
	return s
}

// stepTimeouts bound each step; the run's Deadline bounds them all.
var stepTimeouts = map[Step]time.Duration{
	StepStacks: 2 * time.Minute,
	// Firehose flushes when its buffer interval ends (300 s in sandbox),
	// then writes and converts: the interval plus a few minutes.
	StepIngest:  8 * time.Minute,
	StepQuery:   3 * time.Minute,
	StepLanding: 2 * time.Minute,
	// Crawler (a minute or two), then curate and features on Glue 5.0.
	StepETL:   20 * time.Minute,
	StepAlarm: 3 * time.Minute,
	// Step Functions events reach EventBridge within seconds; delivery
	// retries back off over minutes.
	StepFailure: 5 * time.Minute,
	// Features job, training and batch transform on ml.m5.large.
	StepML: 25 * time.Minute,
}

// progressEvery is how often a poll logs what it still waits for.
const progressEvery = time.Minute

// cleanupTimeout bounds the cleanup at the end of a run, which runs even
// after an interrupt or the deadline.
const cleanupTimeout = 2 * time.Minute

// runner carries one run's state between the steps.
type runner struct {
	cfg     Config
	stacks  *Stacks
	results map[Step]Result
	// cleanups run last-in first-out when the run ends.
	cleanups []cleanup
	// stepDeadline is when the running step's timeout ends, on the run's
	// clock; polls stop there.
	stepDeadline time.Time
}

// cleanup is one thing to undo; what names it in messages.
type cleanup struct {
	what string
	fn   func(ctx context.Context) error
}

// errNothingToDo is what a cleanup returns when there was nothing left to
// undo (a query or execution that had already finished).
var errNothingToDo = errors.New("nothing to do")

// defer_ registers f to run at the end, whatever happens.
func (r *runner) defer_(what string, fn func(ctx context.Context) error) {
	r.cleanups = append(r.cleanups, cleanup{what, fn})
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Log, "smoke: "+format+"\n", args...)
}

// passed reports whether step ran and passed in this run.
func (r *runner) passed(s Step) bool { return r.results[s].Status == Pass }

// stepFunc runs a step: it returns what it checked, or an error. The hint
// says where to look when it fails.
type stepFunc func(ctx context.Context) (detail string, err error)

// Run runs every step that is not skipped and cleans up, printing each
// result line to cfg.Out as it completes and the summary last. The error is
// for a config that cannot run at all (see Validate); a failed step is in
// the Report (Report.Failed).
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	cfg = cfg.withDefaults()
	began := cfg.now()
	r := &runner{cfg: cfg, results: map[Step]Result{}}
	r.logf("%s-%s: steps %s; deadline %s; planned estimate $%.2f (budget $%.2f)",
		cfg.Project, cfg.Profile, stepList(r.planned()), cfg.Deadline, PlannedCost(cfg), cfg.Budget)

	runCtx, cancel := context.WithTimeout(ctx, cfg.Deadline)
	defer cancel()

	steps := map[Step]struct {
		fn   stepFunc
		hint func() string
	}{
		StepStacks:  {r.readStacks, r.stacksHint},
		StepIngest:  {r.ingest, r.ingestHint},
		StepQuery:   {r.query, r.queryHint},
		StepLanding: {r.uploadLanding, r.landingHint},
		StepETL:     {r.etl, r.etlHint},
		StepAlarm:   {r.alarm, r.alarmHint},
		StepFailure: {r.failure, r.failureHint},
		StepML:      {r.ml, r.mlHint},
	}
	var report Report
	for _, s := range Steps {
		res := r.runStep(ctx, runCtx, s, steps[s].fn, steps[s].hint)
		r.results[s] = res
		report.Results = append(report.Results, res)
		fmt.Fprintln(cfg.Out, res.Line())
	}
	report.CleanupErrors = r.cleanup()
	report.Elapsed = cfg.now().Sub(began)
	fmt.Fprintln(cfg.Out, report.Summary(cfg.Budget))
	return report, nil
}

// planned are the steps the config leaves to run.
func (r *runner) planned() []Step {
	var out []Step
	for _, s := range Steps {
		if _, skipped := r.skipReason(s); !skipped {
			out = append(out, s)
		}
	}
	return out
}

// skipReason says why a step does not run, if it does not.
func (r *runner) skipReason(s Step) (string, bool) {
	if r.cfg.Skip[s] {
		return "skipped with --skip=" + string(s), true
	}
	if r.cfg.Emulator {
		if why, ok := emulatorGap(s, r.cfg); ok {
			return "not run on the emulator: " + why, true
		}
	}
	return "", false
}

// runStep runs one step within its timeout and the run's deadline and
// turns the outcome into a Result.
func (r *runner) runStep(parent, runCtx context.Context, s Step, fn stepFunc, hint func() string) Result {
	res := Result{Step: s}
	if why, skipped := r.skipReason(s); skipped {
		res.Status, res.Detail = Skip, why
		return res
	}
	if s != StepStacks && r.stacks == nil {
		res.Status, res.Detail = Skip, "not run: the stack outputs could not be read (see the stacks step)"
		return res
	}
	switch {
	case parent.Err() != nil:
		res.Status, res.Detail = Skip, "not run: interrupted"
		return res
	case runCtx.Err() != nil:
		res.Status, res.Detail = Skip, fmt.Sprintf("not run: the run's deadline (%s) was reached; raise --timeout or --skip slow steps", r.cfg.Deadline)
		return res
	}
	res.Cost = r.estimate(s)
	timeout := stepTimeouts[s]
	if t, ok := r.cfg.timeouts[s]; ok {
		timeout = t
	}
	if d, ok := runCtx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d) // the run's deadline comes first
	}
	ctx, cancel := context.WithTimeout(runCtx, timeout)
	defer cancel()
	r.logf("%s: started (timeout %s)", s, timeout)
	began := r.cfg.now()
	r.stepDeadline = began.Add(timeout)
	detail, err := fn(ctx)
	res.Duration = r.cfg.now().Sub(began)
	if err == nil {
		res.Status, res.Detail = Pass, detail
		return res
	}
	switch {
	case parent.Err() != nil:
		err = fmt.Errorf("interrupted: %w", err)
	case runCtx.Err() != nil:
		err = fmt.Errorf("the run's deadline (%s) was reached: %w", r.cfg.Deadline, err)
	case ctx.Err() != nil:
		err = fmt.Errorf("the step's timeout (%s) was reached: %w", timeout, err)
	}
	res.Status, res.Detail = Fail, err.Error()
	if h := hint(); h != "" {
		res.Detail += "; look at: " + h
	}
	return res
}

// cleanup runs every registered cleanup, newest first, with a context of
// its own: the run's may already be cancelled (Ctrl-C, deadline).
func (r *runner) cleanup() []error {
	if len(r.cleanups) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	var errs []error
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		c := r.cleanups[i]
		err := c.fn(ctx)
		if errors.Is(err, errNothingToDo) {
			continue
		}
		if err != nil {
			err = fmt.Errorf("cleanup: %s: %w", c.what, err)
			fmt.Fprintln(r.cfg.Out, "CLEANUP FAILED "+strings.Join(strings.Fields(err.Error()), " "))
			errs = append(errs, err)
			continue
		}
		r.logf("cleanup: %s", c.what)
	}
	r.cleanups = nil
	return errs
}

// sleepCtx waits d, or returns ctx's error if it ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// poll calls check until it reports done or fails, waiting every between
// calls, until the step's timeout has passed on the run's clock or ctx
// ends. On timeout the error says what was still awaited, from the last
// check's state.
func (r *runner) poll(ctx context.Context, every time.Duration, check func() (done bool, state string, err error)) error {
	deadline := r.stepDeadline
	lastLog := r.cfg.now()
	for {
		done, state, err := check()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		// Waits on AWS take minutes: say what is awaited now and then.
		if now := r.cfg.now(); now.Sub(lastLog) >= progressEvery {
			r.logf("still %s", state)
			lastLog = now
		}
		if !r.cfg.now().Before(deadline) {
			return fmt.Errorf("still %s when the step's timeout ended", state)
		}
		if err := r.cfg.sleep(ctx, every); err != nil {
			return fmt.Errorf("still %s: %w", state, err)
		}
	}
}

// every is the poll interval: AWS work takes minutes, the emulator's
// seconds.
func (r *runner) every(aws time.Duration) time.Duration {
	if r.cfg.Emulator {
		return 200 * time.Millisecond
	}
	return aws
}
