package smoke

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	atypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	gtypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// landingDir is a small stand-in for glue/samples/landing.
func landingDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"devices/devices.csv":               "device_id,site\ndevice-0000,warehouse-east\n",
		"maintenance/2026/03/events.jsonl":  `{"device_id":"device-0000"}` + "\n",
		".DS_Store":                         "hidden",
		"maintenance/2026/04/events.jsonl":  `{"device_id":"device-0001"}` + "\n",
		"maintenance/2026/04/.events.swp":   "hidden",
		"maintenance/2026/04/notes/.keep/x": "hidden folder",
	}
	for rel, body := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testConfig is a run against f on a fake clock that runs only the given
// steps (and stacks); every other step is skipped.
func testConfig(t *testing.T, f *fakeAWS, only ...Step) Config {
	t.Helper()
	clock := newClock()
	skip := map[Step]bool{}
	for _, s := range Steps[1:] {
		if len(only) > 0 && !slices.Contains(only, s) {
			skip[s] = true
		}
	}
	return Config{
		Project: "datalake", Profile: "sandbox",
		Clients:    f.clients(),
		Skip:       skip,
		LandingDir: landingDir(t),
		now:        clock.Now,
		sleep:      clock.Sleep,
		runID:      "0badcafe",
	}
}

// runSmoke runs cfg and returns the report and the printed lines.
func runSmoke(t *testing.T, ctx context.Context, cfg Config) (Report, []string) {
	t.Helper()
	var out, log bytes.Buffer
	cfg.Out, cfg.Log = &out, &log
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output:\n%s\nlog:\n%s", out.String(), log.String())
		}
	})
	return rep, lines
}

// expectStep checks one step's status and that its detail holds every
// fragment.
func expectStep(t *testing.T, rep Report, s Step, want Status, fragments ...string) Result {
	t.Helper()
	res, ok := rep.Result(s)
	if !ok {
		t.Fatalf("no result for step %s", s)
	}
	if res.Status != want {
		t.Errorf("step %s: %s, want %s: %s", s, res.Status, want, res.Detail)
	}
	for _, f := range fragments {
		if !strings.Contains(res.Detail, f) {
			t.Errorf("step %s: detail %q lacks %q", s, res.Detail, f)
		}
	}
	return res
}

var lineFormat = regexp.MustCompile(`^(PASS|FAIL|SKIP) (stacks|ingest|query|landing|etl|alarm|failure|ml) [0-9.hms]+ \$[0-9]+\.[0-9]{4} \S.*$`)

func TestRunEveryStepPasses(t *testing.T) {
	f := newFake()
	rep, lines := runSmoke(t, t.Context(), testConfig(t, f))
	for _, s := range Steps {
		expectStep(t, rep, s, Pass)
	}
	if rep.Failed() {
		t.Errorf("report failed: %+v", rep)
	}
	if len(lines) != len(Steps)+1 {
		t.Fatalf("%d lines, want one per step and the summary: %q", len(lines), lines)
	}
	for i, s := range Steps {
		if !lineFormat.MatchString(lines[i]) || !strings.HasPrefix(lines[i], "PASS "+string(s)+" ") {
			t.Errorf("line %d %q is not PASS %s <duration> <cost> <detail>", i, lines[i], s)
		}
	}
	summary := lines[len(lines)-1]
	// The ml run skips the features job after a passed etl: 0.001+0.005+0.0001+0.24+0.0001+0.0002+0.03.
	if !strings.Contains(summary, "8 passed, 0 failed, 0 skipped") || !strings.Contains(summary, "estimated cost $0.28 (budget $0.50") {
		t.Errorf("summary %q", summary)
	}
	if c := rep.Cost(); c >= DefaultBudget {
		t.Errorf("a full run is estimated at $%.4f, over the budget", c)
	}
	// What the run created is gone, the alarm is back to OK.
	if len(f.queues) != 0 || len(f.subscriptions) != 0 {
		t.Errorf("left behind: queues %v, subscriptions %v", f.queues, f.subscriptions)
	}
	if f.alarmState != cwtypes.StateValueOk {
		t.Errorf("alarm left in %s", f.alarmState)
	}
	// Finished work is not stopped again.
	if len(f.queryStopped)+f.workflowStops+len(f.execStopped) != 0 {
		t.Errorf("stopped finished work: queries %v, workflow runs %d, executions %v", f.queryStopped, f.workflowStops, f.execStopped)
	}
}

func TestStacks(t *testing.T) {
	tests := []struct {
		name   string
		breakf func(f *fakeAWS)
		only   []Step
		want   map[Step]Status
		detail map[Step]string
	}{{
		name:   "a missing stack fails the steps that need it, not the others",
		breakf: func(f *fakeAWS) { delete(f.stacks, "datalake-sandbox-ml") },
		only:   []Step{StepLanding, StepML},
		want:   map[Step]Status{StepStacks: Fail, StepLanding: Pass, StepML: Fail},
		detail: map[Step]string{StepStacks: "datalake-sandbox-ml not deployed; look at:", StepML: "stack datalake-sandbox-ml is not deployed"},
	}, {
		name:   "a stack whose create rolled back is unusable",
		breakf: func(f *fakeAWS) { f.statusByName["datalake-sandbox-catalog"] = cftypes.StackStatusRollbackComplete },
		only:   []Step{StepETL},
		want:   map[Step]Status{StepStacks: Fail, StepETL: Fail},
		detail: map[Step]string{StepStacks: "datalake-sandbox-catalog in status ROLLBACK_COMPLETE"},
	}, {
		name: "an update rolled back leaves the previous version, which works",
		breakf: func(f *fakeAWS) {
			f.statusByName["datalake-sandbox-catalog"] = cftypes.StackStatusUpdateRollbackComplete
		},
		only: []Step{StepETL},
		want: map[Step]Status{StepStacks: Pass, StepETL: Pass},
	}, {
		name: "credentials or region wrong: nothing else runs",
		breakf: func(f *fakeAWS) {
			f.describeErr = apiError{"ExpiredToken", "the security token included in the request is expired"}
		},
		want:   map[Step]Status{StepStacks: Fail, StepIngest: Skip, StepQuery: Skip, StepLanding: Skip, StepETL: Skip, StepAlarm: Skip, StepML: Skip},
		detail: map[Step]string{StepStacks: "ExpiredToken", StepIngest: "the stack outputs could not be read"},
	}, {
		name:   "a missing output names the stack and the fix",
		breakf: func(f *fakeAWS) { f.outputsDrop["EtlWorkflowName"] = true },
		only:   []Step{StepETL},
		want:   map[Step]Status{StepStacks: Pass, StepETL: Fail},
		detail: map[Step]string{StepETL: "stack datalake-sandbox-catalog has no output EtlWorkflowName: deploy the current code with make deploy"},
	}, {
		name: "only the stacks the planned steps need are read",
		only: []Step{StepLanding},
		want: map[Step]Status{StepStacks: Pass, StepLanding: Pass},
		detail: map[Step]string{
			StepStacks: "1 stack(s) read: datalake-sandbox-storage CREATE_COMPLETE",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.breakf != nil {
				tc.breakf(f)
			}
			rep, _ := runSmoke(t, t.Context(), testConfig(t, f, tc.only...))
			for s, want := range tc.want {
				expectStep(t, rep, s, want, tc.detail[s])
			}
			wantFailed := false
			for _, st := range tc.want {
				wantFailed = wantFailed || st == Fail
			}
			if rep.Failed() != wantFailed {
				t.Errorf("Failed() = %v, want %v", rep.Failed(), wantFailed)
			}
		})
	}
}

func TestIngest(t *testing.T) {
	tests := []struct {
		name   string
		breakf func(f *fakeAWS)
		want   Status
		detail []string
		check  func(t *testing.T, f *fakeAWS)
	}{{
		name:   "readings land as Parquet after Firehose's buffer",
		breakf: func(f *fakeAWS) { f.deliverAfter = 4 },
		want:   Pass,
		detail: []string{"100 readings put on " + fakeStream, "100 rows in 1 new Parquet object(s) under s3://" + fakeRaw + "/telemetry/year=2026/month=12/day=02/hour=10/", "after 45s"},
	}, {
		name: "objects that were there before the run do not count",
		breakf: func(f *fakeAWS) {
			f.objects["telemetry/year=2026/month=12/day=02/hour=10/old.parquet"] = parquetRowsBody(500)
			f.deliverAfter = 0
		},
		want:   Fail,
		detail: []string{"still waiting: 0 of 100 rows in 0 new Parquet object(s)", "look at: the transform Lambda's log group"},
	}, {
		name:   "an object that is not Parquet fails at once",
		breakf: func(f *fakeAWS) { f.deliverBody = func(int) []byte { return []byte(`{"device_id":"device-0000"}`) } },
		want:   Fail,
		detail: []string{"is not Parquet", "record format conversion"},
	}, {
		name:   "fewer rows than readings: still waiting when the timeout ends",
		breakf: func(f *fakeAWS) { f.deliverBody = func(n int) []byte { return parquetRowsBody(n - 1) } },
		want:   Fail,
		detail: []string{"99 of 100 rows in 1 new Parquet object(s)", "when the step's timeout ended"},
	}, {
		name: "throttled records are sent again, only those",
		breakf: func(f *fakeAWS) {
			f.refuse = [][]string{{"", "ProvisionedThroughputExceededException", "", "InternalFailure"}}
		},
		want: Pass,
		check: func(t *testing.T, f *fakeAWS) {
			if len(f.put) != 2 || len(f.put[1]) != 2 || f.putCount() != 100 {
				t.Errorf("calls stored %d and %d records; want 98 then the 2 refused", len(f.put[0]), len(f.put[1]))
			}
		},
	}, {
		name:   "a record refused for good fails the step",
		breakf: func(f *fakeAWS) { f.refuse = [][]string{{"KMSAccessDeniedException"}} },
		want:   Fail,
		detail: []string{"a record was refused: KMSAccessDeniedException"},
	}, {
		name: "records refused on every attempt",
		breakf: func(f *fakeAWS) {
			for range putAttempts {
				f.refuse = append(f.refuse, []string{"ProvisionedThroughputExceededException"})
			}
		},
		want:   Fail,
		detail: []string{"1 records still refused after 5 attempts (ProvisionedThroughputExceededException)"},
	}, {
		name:   "no such stream",
		breakf: func(f *fakeAWS) { f.putErr = apiError{"ResourceNotFoundException", "Stream not found"} },
		want:   Fail,
		detail: []string{"PutRecords to " + fakeStream + ": ResourceNotFoundException"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.breakf != nil {
				tc.breakf(f)
			}
			cfg := testConfig(t, f, StepIngest)
			cfg.timeouts = map[Step]time.Duration{StepIngest: 2 * time.Minute}
			rep, _ := runSmoke(t, t.Context(), cfg)
			expectStep(t, rep, StepIngest, tc.want, tc.detail...)
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

func TestGenerateReadings(t *testing.T) {
	start := time.Date(2026, 12, 2, 10, 59, 58, 0, time.UTC)
	recs, err := generateReadings(30, start, 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Malformed != "" || r.Anomaly {
			t.Errorf("record %s: malformed %q anomaly %v; the smoke test sends plain valid readings", r.Data, r.Malformed, r.Anomaly)
		}
	}
	// Ten devices, one second apart: the readings cross into the next hour.
	got := partitionPrefixes(recs)
	want := []string{"telemetry/year=2026/month=12/day=02/hour=10/", "telemetry/year=2026/month=12/day=02/hour=11/"}
	if !slices.Equal(got, want) {
		t.Errorf("partitions %v, want %v", got, want)
	}
}

func TestQuery(t *testing.T) {
	tests := []struct {
		name     string
		emulator bool
		ingest   bool
		breakf   func(f *fakeAWS)
		want     Status
		detail   []string
		check    func(t *testing.T, f *fakeAWS)
	}{{
		name:   "the named query runs in the analysts workgroup",
		want:   Pass,
		detail: []string{"data_freshness (named query) in workgroup datalake-sandbox-analysts: SUCCEEDED, 10 rows, 1234 bytes scanned"},
		check: func(t *testing.T, f *fakeAWS) {
			in := f.queryStarted[0]
			if aws.ToString(in.WorkGroup) != "datalake-sandbox-analysts" || aws.ToString(in.QueryString) != "SELECT 1" ||
				aws.ToString(in.QueryExecutionContext.Database) != "datalake_sandbox" || in.ResultConfiguration != nil {
				t.Errorf("started %+v; want the named query's SQL and database in the workgroup, results where the workgroup says", in)
			}
		},
	}, {
		name:   "no named query on AWS: the Analytics stack is not what the code says",
		breakf: func(f *fakeAWS) { f.namedQueries = nil },
		want:   Fail,
		detail: []string{"workgroup datalake-sandbox-analysts has no named query data_freshness"},
	}, {
		name:     "no named query on an emulator: the SQL of internal/queries",
		emulator: true,
		breakf:   func(f *fakeAWS) { f.namedQueries = nil },
		want:     Pass,
		detail:   []string{"from internal/queries: the emulator has no named queries"},
		check: func(t *testing.T, f *fakeAWS) {
			if q := aws.ToString(f.queryStarted[0].QueryString); !strings.Contains(q, "FROM raw_telemetry") {
				t.Errorf("ran %q, want data_freshness.sql", q)
			}
		},
	}, {
		name: "a failed query reports Athena's reason",
		breakf: func(f *fakeAWS) {
			f.queryStates = []atypes.QueryExecutionState{atypes.QueryExecutionStateFailed}
			f.queryReason = "Bytes scanned limit was exceeded"
		},
		want:   Fail,
		detail: []string{"ended FAILED: Bytes scanned limit was exceeded", "look at: the query history of Athena workgroup datalake-sandbox-analysts"},
	}, {
		name:   "no rows although readings were just delivered",
		ingest: true,
		breakf: func(f *fakeAWS) { f.resultRows = 0 },
		want:   Fail,
		detail: []string{"returned no rows although the ingest step delivered readings"},
	}, {
		name:   "no rows is fine when nothing was ingested",
		breakf: func(f *fakeAWS) { f.resultRows = 0 },
		want:   Pass,
		detail: []string{"SUCCEEDED, 0 rows"},
	}, {
		name:   "a query still running at the timeout is stopped",
		breakf: func(f *fakeAWS) { f.queryStates = []atypes.QueryExecutionState{atypes.QueryExecutionStateRunning} },
		want:   Fail,
		detail: []string{"still RUNNING (query q-1) when the step's timeout ended"},
		check: func(t *testing.T, f *fakeAWS) {
			if !slices.Equal(f.queryStopped, []string{"q-1"}) {
				t.Errorf("stopped %v, want q-1", f.queryStopped)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.breakf != nil {
				tc.breakf(f)
			}
			steps := []Step{StepQuery}
			if tc.ingest {
				steps = append(steps, StepIngest)
			}
			cfg := testConfig(t, f, steps...)
			cfg.Emulator = tc.emulator
			rep, _ := runSmoke(t, t.Context(), cfg)
			expectStep(t, rep, StepQuery, tc.want, tc.detail...)
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

func TestLanding(t *testing.T) {
	t.Run("every sample file under landing/ with SSE-KMS and the lake key", func(t *testing.T) {
		f := newFake()
		rep, _ := runSmoke(t, t.Context(), testConfig(t, f, StepLanding))
		expectStep(t, rep, StepLanding, Pass, "3 sample files", "s3://"+fakeRaw+"/landing/")
		var keys []string
		for _, in := range f.putObjects {
			keys = append(keys, aws.ToString(in.Key))
			if in.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(in.SSEKMSKeyId) != fakeKey || aws.ToString(in.Bucket) != fakeRaw {
				t.Errorf("%s: SSE %q key %q bucket %q; want aws:kms with the lake key in the raw bucket",
					aws.ToString(in.Key), in.ServerSideEncryption, aws.ToString(in.SSEKMSKeyId), aws.ToString(in.Bucket))
			}
		}
		want := []string{"landing/devices/devices.csv", "landing/maintenance/2026/03/events.jsonl", "landing/maintenance/2026/04/events.jsonl"}
		if !slices.Equal(keys, want) {
			t.Errorf("uploaded %v, want %v (hidden files left out)", keys, want)
		}
	})
	t.Run("a denied upload names the bucket policy", func(t *testing.T) {
		f := newFake()
		f.putObjectErr = apiError{"AccessDenied", "Access Denied"}
		rep, _ := runSmoke(t, t.Context(), testConfig(t, f, StepLanding))
		expectStep(t, rep, StepLanding, Fail, "AccessDenied", "look at: the raw bucket's policy")
	})
	t.Run("no sample files", func(t *testing.T) {
		f := newFake()
		cfg := testConfig(t, f, StepLanding)
		cfg.LandingDir = filepath.Join(t.TempDir(), "missing")
		rep, _ := runSmoke(t, t.Context(), cfg)
		expectStep(t, rep, StepLanding, Fail, "run from the repository root")
	})
}

func TestETL(t *testing.T) {
	failedGraph := &gtypes.WorkflowGraph{Nodes: []gtypes.Node{
		{Type: gtypes.NodeTypeCrawler, Name: aws.String("datalake-sandbox-landing"), CrawlerDetails: &gtypes.CrawlerNodeDetails{Crawls: []gtypes.Crawl{{State: gtypes.CrawlStateSucceeded}}}},
		{Type: gtypes.NodeTypeJob, Name: aws.String("datalake-sandbox-curate"), JobDetails: &gtypes.JobNodeDetails{JobRuns: []gtypes.JobRun{{
			Id: aws.String("jr_1"), JobRunState: gtypes.JobRunStateFailed, ErrorMessage: aws.String("AnalysisException: Path does not exist"),
		}}}},
		{Type: gtypes.NodeTypeTrigger, Name: aws.String("after-curate")},
	}}
	tests := []struct {
		name   string
		breakf func(f *fakeAWS)
		want   Status
		detail []string
	}{{
		name:   "crawler, curate and features succeed",
		want:   Pass,
		detail: []string{"workflow datalake-sandbox-etl run wr_1 COMPLETED: 3 of 3 actions succeeded"},
	}, {
		name: "COMPLETED with a failed job is a failure, and the job says why",
		breakf: func(f *fakeAWS) {
			f.workflowStats = &gtypes.WorkflowRunStatistics{SucceededActions: 1, FailedActions: 1, TotalActions: 2}
			f.workflowGraph = failedGraph
		},
		want:   Fail,
		detail: []string{"ended COMPLETED (1 of 2 actions succeeded, 1 failed)", "job datalake-sandbox-curate run jr_1 FAILED: AnalysisException: Path does not exist", "look at: the Glue console's run graph"},
	}, {
		name:   "a stopped run",
		breakf: func(f *fakeAWS) { f.workflowStates = []gtypes.WorkflowRunStatus{gtypes.WorkflowRunStatusStopped} },
		want:   Fail,
		detail: []string{"ended STOPPED"},
	}, {
		name: "a run already going",
		breakf: func(f *fakeAWS) {
			f.startWfErr = apiError{"ConcurrentRunsExceededException", "Concurrent runs exceeded for workflow"}
		},
		want:   Fail,
		detail: []string{"start workflow datalake-sandbox-etl: ConcurrentRunsExceededException"},
	}, {
		name:   "still running at the timeout: stopped in cleanup",
		breakf: func(f *fakeAWS) { f.workflowStates = []gtypes.WorkflowRunStatus{gtypes.WorkflowRunStatusRunning} },
		want:   Fail,
		detail: []string{"still RUNNING (workflow datalake-sandbox-etl run wr_1, 0 of 1 actions succeeded, 1 running)"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.breakf != nil {
				tc.breakf(f)
			}
			rep, _ := runSmoke(t, t.Context(), testConfig(t, f, StepETL))
			res := expectStep(t, rep, StepETL, tc.want, tc.detail...)
			stillRunning := strings.Contains(res.Detail, "still RUNNING")
			if (f.workflowStops == 1) != stillRunning {
				t.Errorf("StopWorkflowRun called %d times; want once exactly when the run was left running", f.workflowStops)
			}
		})
	}
}

func TestAlarm(t *testing.T) {
	tests := []struct {
		name   string
		breakf func(f *fakeAWS)
		cfg    func(c *Config)
		want   Status
		detail []string
		sets   []cwtypes.StateValue // SetAlarmState calls, cleanup included
	}{{
		name:   "the notification arrives; the alarm goes back to OK",
		want:   Pass,
		detail: []string{"ALARM of " + fakeAlarm + " reached a temporary SSE-SQS queue through " + fakeTopic},
		sets:   []cwtypes.StateValue{cwtypes.StateValueAlarm, cwtypes.StateValueOk},
	}, {
		name:   "an alarm already in ALARM goes to OK first, or nothing would be sent",
		breakf: func(f *fakeAWS) { f.alarmState = cwtypes.StateValueAlarm },
		want:   Pass,
		sets:   []cwtypes.StateValue{cwtypes.StateValueOk, cwtypes.StateValueAlarm, cwtypes.StateValueOk},
	}, {
		name:   "a subscription that asks for confirmation is confirmed",
		breakf: func(f *fakeAWS) { f.pendingSub = true },
		want:   Pass,
		sets:   []cwtypes.StateValue{cwtypes.StateValueAlarm, cwtypes.StateValueOk},
	}, {
		name: "no alarm topic among the resources and no output naming one",
		breakf: func(f *fakeAWS) {
			f.stackRes["datalake-sandbox-streaming"] = f.stackRes["datalake-sandbox-streaming"][:2]
		},
		want:   Fail,
		detail: []string{"has no SNS topic AlarmTopic*"},
	}, {
		name:   "an alarm that does not notify the topic",
		breakf: func(f *fakeAWS) { f.alarmActions = []string{"arn:aws:sns:us-east-1:111122223333:other"} },
		want:   Fail,
		detail: []string{"does not notify the alarm topic " + fakeTopic},
	}, {
		name:   "another alarm by its logical ID",
		cfg:    func(c *Config) { c.Alarm = "NoSuchAlarm" },
		want:   Fail,
		detail: []string{"has no alarm NoSuchAlarm*; it has [IteratorAgeAlarmB1C2D3E4 TransformThrottlesAlarm8941FEF9]"},
	}, {
		name:   "nothing delivered: fails at the timeout and still cleans up",
		breakf: func(f *fakeAWS) { f.deliver = false },
		want:   Fail,
		detail: []string{"still waiting for the ALARM notification of " + fakeAlarm, "look at: the alarm's actions, the alarm topic's access policy"},
		sets:   []cwtypes.StateValue{cwtypes.StateValueAlarm, cwtypes.StateValueOk},
	}, {
		name:   "a notification of another alarm does not count",
		breakf: func(f *fakeAWS) { f.deliverAlarm = "some-other-alarm" },
		want:   Fail,
		sets:   []cwtypes.StateValue{cwtypes.StateValueAlarm, cwtypes.StateValueOk},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.breakf != nil {
				tc.breakf(f)
			}
			cfg := testConfig(t, f, StepAlarm)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			rep, _ := runSmoke(t, t.Context(), cfg)
			expectStep(t, rep, StepAlarm, tc.want, tc.detail...)
			if tc.sets != nil && !slices.Equal(f.alarmSets, tc.sets) {
				t.Errorf("SetAlarmState calls %v, want %v", f.alarmSets, tc.sets)
			}
			if len(f.queues) != 0 || len(f.subscriptions) != 0 {
				t.Errorf("left behind: queues %v, subscriptions %v", f.queues, f.subscriptions)
			}
			if f.called("SQS.CreateQueue") > 0 {
				if f.queueAttrs["SqsManagedSseEnabled"] != "true" || f.queueAttrs["KmsMasterKeyId"] != "" {
					t.Errorf("queue attributes %v: want SSE-SQS", f.queueAttrs)
				}
				for _, frag := range []string{`"Service":"sns.amazonaws.com"`, `"aws:SourceArn":"` + fakeTopic + `"`, `"Resource":"` + fakeQueueArn + `"`, `"Action":"sqs:SendMessage"`} {
					if !strings.Contains(f.queueAttrs["Policy"], frag) {
						t.Errorf("queue policy %s lacks %s", f.queueAttrs["Policy"], frag)
					}
				}
			}
		})
	}
}

func TestAlarmTopicFromOutput(t *testing.T) {
	f := newFake()
	// Without the topic among the resources, only the output can name it.
	f.stackRes["datalake-sandbox-streaming"] = f.stackRes["datalake-sandbox-streaming"][:2]
	st := f.stacks["datalake-sandbox-streaming"]
	st.Outputs = append(st.Outputs, cftypes.Output{OutputKey: aws.String(alarmTopicOutput), OutputValue: aws.String(fakeTopic)})
	f.stacks["datalake-sandbox-streaming"] = st
	rep, _ := runSmoke(t, t.Context(), testConfig(t, f, StepAlarm))
	expectStep(t, rep, StepAlarm, Pass)
}

func TestML(t *testing.T) {
	tests := []struct {
		name      string
		breakf    func(f *fakeAWS)
		cfg       func(c *Config)
		withETL   bool
		want      Status
		detail    []string
		wantInput string
		wantArn   string
	}{{
		name:      "the execution registers the newest model",
		want:      Pass,
		detail:    []string{"execution " + fakeExecPref + "smoke-0badcafe SUCCEEDED in 10m0s", "newest registry item in " + fakeTable + ": model datalake-sandbox-model-abc registered 2026-12-02T10:00:00Z with auc 0.91"},
		wantInput: `{"runFeatures": true}`,
		wantArn:   fakeMachine,
	}, {
		name:      "after a passed etl step the features job does not run again",
		withETL:   true,
		want:      Pass,
		wantInput: `{"runFeatures": false}`,
	}, {
		name:      "an input of the user's own",
		cfg:       func(c *Config) { c.MlInput = `{"minAuc": 0.5}` },
		want:      Pass,
		wantInput: `{"minAuc": 0.5}`,
	}, {
		name:    "an emulator's mock test case is appended to the ARN",
		cfg:     func(c *Config) { c.Emulator, c.MlTestCase = true, "HappyPath" },
		want:    Pass,
		wantArn: fakeMachine + "#HappyPath",
	}, {
		name: "SUCCEEDED but the newest item is another execution's",
		breakf: func(f *fakeAWS) {
			f.registerOwn = false
			f.registry = append(f.registry, registryAttrs("older-model", fakeExecPref+"weekly"))
		},
		want:   Fail,
		detail: []string{"SUCCEEDED but the newest item of telemetry-failure-xgboost in " + fakeTable + " is model older-model"},
	}, {
		name: "the quality gate's rejection passes: every state ran",
		breakf: func(f *fakeAWS) {
			f.execStates = []sfntypes.ExecutionStatus{sfntypes.ExecutionStatusFailed}
			f.execError, f.execCause = errorBelowThreshold, "auc 0.52 is below minAuc 0.75"
		},
		want:   Pass,
		detail: []string{"the quality gate rejected the model (auc 0.52 is below minAuc 0.75)", "newest registry item in " + fakeTable + ": none"},
	}, {
		name: "any other failure fails",
		breakf: func(f *fakeAWS) {
			f.execStates = []sfntypes.ExecutionStatus{sfntypes.ExecutionStatusRunning, sfntypes.ExecutionStatusFailed}
			f.execError, f.execCause = "WorkflowFailed", "TrainModel: ResourceLimitExceeded"
		},
		want:   Fail,
		detail: []string{"ended FAILED: WorkflowFailed: TrainModel: ResourceLimitExceeded", "look at: the execution's history"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.breakf != nil {
				tc.breakf(f)
			}
			steps := []Step{StepML}
			if tc.withETL {
				steps = append(steps, StepETL)
			}
			cfg := testConfig(t, f, steps...)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			rep, _ := runSmoke(t, t.Context(), cfg)
			res := expectStep(t, rep, StepML, tc.want, tc.detail...)
			if len(f.started) != 1 {
				t.Fatalf("%d executions started, want 1", len(f.started))
			}
			in := f.started[0]
			if tc.wantInput != "" && aws.ToString(in.Input) != tc.wantInput {
				t.Errorf("input %s, want %s", aws.ToString(in.Input), tc.wantInput)
			}
			if tc.wantArn != "" && aws.ToString(in.StateMachineArn) != tc.wantArn {
				t.Errorf("started %s, want %s", aws.ToString(in.StateMachineArn), tc.wantArn)
			}
			if aws.ToString(in.Name) != "smoke-0badcafe" {
				t.Errorf("execution name %s", aws.ToString(in.Name))
			}
			wantCost := costML + costMLFeatures
			if !runsFeatures(aws.ToString(in.Input)) {
				wantCost = costML
			}
			if cfg.Emulator {
				wantCost = 0
			}
			if res.Cost != wantCost {
				t.Errorf("cost $%.4f, want $%.4f", res.Cost, wantCost)
			}
		})
	}
}

func TestSkips(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(c *Config)
		want map[Step]string // skipped steps and their reason
	}{{
		name: "--skip",
		cfg:  func(c *Config) { c.Skip = map[Step]bool{StepML: true, StepETL: true} },
		want: map[Step]string{StepML: "skipped with --skip=ml", StepETL: "skipped with --skip=etl"},
	}, {
		name: "the emulator's gaps",
		cfg:  func(c *Config) { c.Skip, c.Emulator = nil, true },
		want: map[Step]string{
			StepETL:     "not run on the emulator: the local profile does not create the Glue workflow",
			StepFailure: "not run on the emulator: EventBridge rules on AWS service events never fire there",
			StepML:      "not run on the emulator: SageMaker and Glue .sync tasks run there only mocked",
		},
	}, {
		name: "the emulator with a mock test case runs ml",
		cfg:  func(c *Config) { c.Skip, c.Emulator, c.MlTestCase = nil, true, "HappyPath" },
		want: map[Step]string{StepETL: "not run on the emulator: ", StepFailure: "not run on the emulator: "},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			cfg := testConfig(t, f)
			tc.cfg(&cfg)
			rep, _ := runSmoke(t, t.Context(), cfg)
			for _, s := range Steps {
				if why, skipped := tc.want[s]; skipped {
					expectStep(t, rep, s, Skip, why)
				} else {
					expectStep(t, rep, s, Pass)
				}
			}
			if rep.Failed() {
				t.Errorf("skips failed the run")
			}
			for _, s := range []Step{StepETL, StepML} {
				if _, skipped := tc.want[s]; skipped {
					if res, _ := rep.Result(s); res.Cost != 0 || res.Duration != 0 {
						t.Errorf("skipped %s: cost %v duration %v", s, res.Cost, res.Duration)
					}
				}
			}
			if _, skipped := tc.want[StepETL]; skipped && f.called("Glue.StartWorkflowRun") > 0 {
				t.Errorf("the skipped etl step started the workflow")
			}
		})
	}
}

func TestInterruptCleansUp(t *testing.T) {
	tests := []struct {
		name     string
		cancelOn string // the call after which Ctrl-C arrives
		failed   Step
		check    func(t *testing.T, f *fakeAWS)
	}{{
		name:     "during the ml execution: it is stopped",
		cancelOn: "SFN.DescribeExecution",
		failed:   StepML,
		check: func(t *testing.T, f *fakeAWS) {
			if !slices.Equal(f.execStopped, []string{fakeExecPref + "smoke-0badcafe"}) {
				t.Errorf("stopped executions %v", f.execStopped)
			}
		},
	}, {
		name:     "while waiting for the alarm: queue, subscription and alarm state are undone",
		cancelOn: "SQS.ReceiveMessage",
		failed:   StepAlarm,
		check: func(t *testing.T, f *fakeAWS) {
			if len(f.queues)+len(f.subscriptions) != 0 || f.alarmState != cwtypes.StateValueOk {
				t.Errorf("left behind: queues %v, subscriptions %v, alarm %s", f.queues, f.subscriptions, f.alarmState)
			}
		},
	}, {
		name:     "during the etl run: it is stopped, later steps do not start",
		cancelOn: "Glue.GetWorkflowRun",
		failed:   StepETL,
		check: func(t *testing.T, f *fakeAWS) {
			if f.workflowStops != 1 || f.called("SQS.CreateQueue")+f.called("SFN.StartExecution") != 0 {
				t.Errorf("workflow stops %d, queues %d, executions %d", f.workflowStops, f.called("SQS.CreateQueue"), f.called("SFN.StartExecution"))
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.deliver = false // the alarm wait would otherwise end before the interrupt
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			f.onCall = func(op string) {
				if op == tc.cancelOn {
					cancel()
				}
			}
			rep, _ := runSmoke(t, ctx, testConfig(t, f))
			after := false
			for _, res := range rep.Results {
				switch {
				case res.Step == tc.failed:
					expectStep(t, rep, res.Step, Fail, "interrupted")
					after = true
				case after:
					expectStep(t, rep, res.Step, Skip, "not run: interrupted")
				}
			}
			if !rep.Failed() {
				t.Errorf("an interrupted run must fail")
			}
			tc.check(t, f)
		})
	}
}

func TestDeadline(t *testing.T) {
	f := newFake()
	f.deliverAfter = 0 // ingest waits until the run's deadline
	cfg := testConfig(t, f, StepIngest, StepLanding)
	cfg.Deadline = 50 * time.Millisecond
	// A real clock here: the deadline is the context's.
	cfg.now, cfg.sleep = time.Now, sleepCtx
	rep, _ := runSmoke(t, t.Context(), cfg)
	expectStep(t, rep, StepIngest, Fail, "the run's deadline (50ms) was reached")
	expectStep(t, rep, StepLanding, Skip, "not run: the run's deadline (50ms) was reached; raise --timeout")
}

func TestCleanupFailureFailsTheRun(t *testing.T) {
	f := newFake()
	cfg := testConfig(t, f, StepAlarm)
	clients := cfg.Clients
	clients.SQS = failingDelete{f}
	cfg.Clients = clients
	rep, lines := runSmoke(t, t.Context(), cfg)
	expectStep(t, rep, StepAlarm, Pass)
	if !rep.Failed() || len(rep.CleanupErrors) != 1 {
		t.Fatalf("cleanup errors %v; want the failed queue deletion to fail the run", rep.CleanupErrors)
	}
	if !slices.ContainsFunc(lines, func(l string) bool {
		return strings.HasPrefix(l, "CLEANUP FAILED cleanup: delete queue datalake-sandbox-smoke-alarm-0badcafe")
	}) {
		t.Errorf("no CLEANUP FAILED line in %q", lines)
	}
	// The other cleanups still ran.
	if len(f.subscriptions) != 0 || f.alarmState != cwtypes.StateValueOk {
		t.Errorf("subscriptions %v, alarm %s", f.subscriptions, f.alarmState)
	}
}

// failingDelete is an SQS whose DeleteQueue fails.
type failingDelete struct{ *fakeAWS }

func (failingDelete) DeleteQueue(context.Context, *sqs.DeleteQueueInput, ...func(*sqs.Options)) (*sqs.DeleteQueueOutput, error) {
	return nil, errors.New("AccessDenied")
}

func TestValidate(t *testing.T) {
	base := Config{Project: "datalake", Profile: "sandbox"}
	tests := []struct {
		name string
		mod  func(c *Config)
		want string // "" = valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"prod refused", func(c *Config) { c.Profile = "prod" }, "refusing to run against the prod profile"},
		{"prod allowed", func(c *Config) { c.Profile, c.AllowProd = "prod", true }, ""},
		{"no project", func(c *Config) { c.Project = "" }, "project and profile must be set"},
		{"too many readings", func(c *Config) { c.Readings = 501 }, "readings 501: want 1..500"},
		{"negative readings", func(c *Config) { c.Readings = -1 }, "readings -1"},
		{"ml input not an object", func(c *Config) { c.MlInput = `[1]` }, "want a JSON object"},
		{"over budget", func(c *Config) { c.Budget = 0.10 }, "estimated at $0.32, over the $0.10 budget"},
		{"over budget without the expensive steps", func(c *Config) { c.Budget = 0.10; c.Skip = map[Step]bool{StepETL: true, StepML: true} }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Run(t.Context(), Config{Project: "datalake", Profile: "prod"}); !errors.Is(err, ErrProdRefused) {
		t.Errorf("Run on prod: %v, want ErrProdRefused", err)
	}
}

func TestParseSteps(t *testing.T) {
	tests := []struct {
		in      string
		want    []Step
		wantErr string
	}{
		{"", nil, ""},
		{"ml,etl", []Step{StepETL, StepML}, ""},
		{" ml , alarm ,", []Step{StepAlarm, StepML}, ""},
		{"stacks", nil, "cannot be skipped"},
		{"training", nil, `unknown step "training": want some of ingest,query,landing,etl,alarm,failure,ml`},
	}
	for _, tc := range tests {
		got, err := ParseSteps(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseSteps(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		var steps []Step
		for s := range got {
			steps = append(steps, s)
		}
		slices.Sort(steps)
		if err != nil || !slices.Equal(steps, tc.want) {
			t.Errorf("ParseSteps(%q) = %v, %v; want %v", tc.in, steps, err, tc.want)
		}
	}
}

func TestResultLine(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Result{Step: StepIngest, Status: Pass, Duration: 41234 * time.Millisecond, Cost: 0.001, Detail: "100 readings"}, "PASS ingest 41.2s $0.0010 100 readings"},
		{Result{Step: StepETL, Status: Fail, Duration: 12*time.Minute + 3400*time.Millisecond, Cost: 0.24, Detail: "job failed:\n  Traceback\n\tline 3"}, "FAIL etl 12m3s $0.2400 job failed: Traceback line 3"},
		{Result{Step: StepML, Status: Skip, Detail: "skipped with --skip=ml"}, "SKIP ml 0s $0.0000 skipped with --skip=ml"},
	}
	for _, tc := range tests {
		if got := tc.r.Line(); got != tc.want {
			t.Errorf("Line() = %q, want %q", got, tc.want)
		}
	}
}

func TestHaveCredentials(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		files []string
		want  bool
	}{
		{"nothing", map[string]string{"HOME": "/home/u"}, nil, false},
		{"no HOME either", nil, nil, false},
		{"access key", map[string]string{"AWS_ACCESS_KEY_ID": "AKIA"}, nil, true},
		{"profile", map[string]string{"AWS_PROFILE": "sandbox"}, nil, true},
		{"session token", map[string]string{"AWS_SESSION_TOKEN": "x"}, nil, true},
		{"web identity (CI)", map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token"}, nil, true},
		{"credentials file", map[string]string{"HOME": "/home/u"}, []string{"/home/u/.aws/credentials"}, true},
		{"credentials file elsewhere", map[string]string{"HOME": "/home/u", "AWS_SHARED_CREDENTIALS_FILE": "/etc/aws"}, []string{"/etc/aws"}, true},
		{"the named file is missing", map[string]string{"HOME": "/home/u", "AWS_SHARED_CREDENTIALS_FILE": "/etc/aws"}, []string{"/home/u/.aws/credentials"}, false},
		{"a config file (SSO profiles)", map[string]string{"HOME": "/home/u"}, []string{"/home/u/.aws/config"}, true},
		{"a config file elsewhere", map[string]string{"AWS_CONFIG_FILE": "/etc/aws-config"}, []string{"/etc/aws-config"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := HaveCredentials(func(k string) string { return tc.env[k] }, func(p string) bool { return slices.Contains(tc.files, p) })
			if got != tc.want {
				t.Errorf("HaveCredentials = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlannedCost(t *testing.T) {
	all := PlannedCost(Config{Project: "datalake", Profile: "sandbox"})
	if all <= 0 || all >= DefaultBudget {
		t.Errorf("every step is estimated at $%.4f; the run must stay under $%.2f", all, DefaultBudget)
	}
	if c := PlannedCost(Config{Project: "datalake", Profile: "local", Emulator: true, MlTestCase: "HappyPath"}); c != 0 {
		t.Errorf("an emulator run is estimated at $%.4f, want 0", c)
	}
	fast := PlannedCost(Config{Project: "datalake", Profile: "sandbox", Skip: map[Step]bool{StepETL: true, StepML: true}})
	if fast >= 0.01 {
		t.Errorf("without etl and ml: $%.4f, want under a cent", fast)
	}
}

// The failure step passes only when the WorkflowFailed message about its
// own execution arrives, and says where to look when it does not.
func TestFailureStep(t *testing.T) {
	f := newFake()
	rep, _ := runSmoke(t, t.Context(), testConfig(t, f, StepFailure))
	expectStep(t, rep, StepFailure, Pass, "smoke-failure-0badcafe reached a temporary SSE-SQS queue through the WorkflowFailed rule")
	if len(f.started) != 1 || aws.ToString(f.started[0].StateMachineArn) != fakeTuneMachine || aws.ToString(f.started[0].Input) != failureInput {
		t.Errorf("started %+v", f.started)
	}
	if len(f.queues) != 0 || len(f.subscriptions) != 0 {
		t.Errorf("left behind: queues %v, subscriptions %v", f.queues, f.subscriptions)
	}

	f = newFake()
	f.deliverFailure = false
	cfg := testConfig(t, f, StepFailure)
	rep, _ = runSmoke(t, t.Context(), cfg)
	expectStep(t, rep, StepFailure, Fail, "waiting for the WorkflowFailed message", "AllowEventBridgeToEncryptedTargets")
}
