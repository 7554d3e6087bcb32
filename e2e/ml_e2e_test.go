//go:build e2e

package e2e

// Execution tests of the two ML state machines in the emulator's Step
// Functions interpreter. SageMaker and Glue are mocked through the AWS Step
// Functions Local mock config (statemachines/testdata/mock-config.json),
// selected per execution with `<stateMachineArn>#<TestCase>`; every other
// state runs for real: the evaluate Lambda reads the validation labels and
// predictions uploaded here, RegisterModel writes to the registry table and
// the Notify states publish to the ML topic, which an SQS queue subscribed
// by this test captures.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/refdatalake/datalake/internal/localharness"
)

const (
	// modelFamily is the registry's partition key (cdk/ml.go ModelFamily).
	modelFamily = "telemetry-failure-xgboost"
	// mlExecutionTimeout bounds one execution; mocked runs take seconds.
	mlExecutionTimeout = 60 * time.Second
	// Where the mocked DescribeTransformJob response says the transform read
	// its input and wrote its output, relative to the analytics bucket: the
	// prefixes the stack's roles allow (cdk/ml.go), as on AWS.
	mockLabelsPrefix = "training/telemetry/snapshots/" + mockSnapshot + "/validation/"
	// mockSnapshot is the training_features snapshot the mocked current.json
	// names (ReadDataset's mocked response).
	mockSnapshot          = "8744736658442914487"
	mockPredictionsPrefix = "batch-transform/mock-bt-000000000000/"
)

// The paths the executions must take, by state name. Both machines begin
// with the states of trainHead.
var (
	trainHead = []string{"ValidateInput", "Initialize", "ApplyDefaults", "NameJobs", "RunFeaturesJob"}
	dataset   = []string{"ReadDataset", "CheckDataset"}
	trainJobs = []string{"TrainModel", "SaveModel", "BatchTransform", "Evaluate", "QualityGate"}
	tuneJobs  = []string{"Tune", "DescribeBestTrainingJob", "SaveModel", "BatchTransform", "Evaluate"}
)

func seq(parts ...[]string) []string { return slices.Concat(parts...) }

func states(n ...string) []string { return n }

// checkMlWorkflows runs both state machines through every mocked test case
// and through malformed input, and checks the path taken, the evaluate
// Lambda's metrics against values computed here, the registry and the
// notifications.
func checkMlWorkflows(t *testing.T, ctx context.Context, target localharness.Target, outputs localharness.Outputs, analyticsBucket string) {
	t.Helper()
	get := func(stack, key string) string {
		v, err := outputs.Get(stack, key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	trainArn, tuneArn := get(localharness.StackML, "TrainStateMachineArn"), get(localharness.StackML, "TuneStateMachineArn")
	table, topic := get(localharness.StackML, "ModelRegistryTableName"), get(localharness.StackML, "MlTopicArn")
	lakeKey := get(localharness.StackStorage, "LakeKeyArn")
	featuresJob := get(localharness.StackCatalog, "FeaturesJobName")

	cfg := target.AWSConfig()
	m := &mlHarness{
		t: t, ctx: ctx, bucket: analyticsBucket, lakeKey: lakeKey, table: table,
		sfn: sfn.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(target.S3Endpoint)
			o.UsePathStyle = true
		}),
	}
	train := m.machine(trainArn, "train-and-transform")
	tune := m.machine(tuneArn, "tune")

	repo, err := localharness.FindRepo()
	if err != nil {
		t.Fatal(err)
	}
	mock := loadMockConfig(t, filepath.Join(repo.Root, "statemachines", "testdata", "mock-config.json"), map[string]string{
		"MOCK_BUCKET":         analyticsBucket,
		"MOCK_FEATURES_JOB":   featuresJob,
		"MOCK_CURATED_BUCKET": get(localharness.StackStorage, "CuratedBucketName"),
		"MOCK_DATABASE":       "datalake_local",
	}, map[string]string{"train-and-transform": train.name, "tune": tune.name})
	pushEmulatorConfig(t, ctx, target, map[string]any{
		"stepfunctions._sfn_mock_config": mock.raw,
		// Retries would otherwise sleep their real intervals.
		"stepfunctions._SFN_WAIT_SCALE": 0,
	})
	defer pushEmulatorConfig(t, context.WithoutCancel(ctx), target, map[string]any{
		"stepfunctions._sfn_mock_config": map[string]any{},
		"stepfunctions._SFN_WAIT_SCALE":  1,
	})

	notes := newNotificationQueue(t, ctx, cfg, topic)
	defer notes.delete(context.WithoutCancel(ctx))

	set := newValidationSet(20260315, 4, []int{180, 150})
	good, poor := set.goodScores(), set.poorScores()
	// The data must make the gate's decision obvious, whatever the rounding.
	if a := expectBinary(set.labels, good, 0.5).AUC; a < 0.85 || a > 0.95 {
		t.Fatalf("the generated good predictions have AUC %.4f, want 0.85..0.95: pick another seed", a)
	}
	if a := expectBinary(set.labels, poor, 0.5).AUC; a < 0.35 || a > 0.65 {
		t.Fatalf("the generated poor predictions have AUC %.4f, want 0.35..0.65: pick another seed", a)
	}
	m.upload(set.labelObjects())
	m.upload(set.predictionObjects(good))

	minAuc := train.defaultMinAuc(t)
	registryBefore := len(m.registryItems())
	var runs []*mlRun
	run := func(sm deployedMachine, testCase, input string) *mlRun {
		r := m.execute(sm, testCase, input)
		runs = append(runs, r)
		return r
	}
	registered := func(r *mlRun, want int) []map[string]ddbtypes.AttributeValue {
		items := m.registryItemsOf(r.arn)
		if len(items) != want {
			t.Errorf("%s: %d registry items name the execution, want %d", r.label, len(items), want)
		}
		return items
	}

	// Each execution is a subtest, in order: they share the emulator's mock
	// configuration, the uploaded predictions and the notification queue.
	// Success: the scheduled input, defaults for the rest.
	t.Run("train-and-transform HappyPath scheduled", func(t *testing.T) {
		r := run(train, "HappyPath", `{"runFeatures": true}`)
		r.expect(t, "SUCCEEDED", "", seq(trainHead, states("GenerateDataset"), dataset, trainJobs, states("RegisterModel", "NotifySuccess", "Succeeded")))
		m.checkMetrics(r, set.labels, good, 0.5)
		model := r.modelName(t, `^datalake-local-model-[0-9a-f]{12}$`)
		if items := registered(r, 1); len(items) == 1 {
			m.checkRegistryItem(r, items[0], model, mock, minAuc)
		}
		n := notes.expect(r.arn)
		checkNotification(t, r, n, "Model registered: "+modelFamily, model, r.metricsURI(), "Training job: "+mock.returned(t, "TrainingJobSucceeded", "TrainingJobName"))
	})

	// Without the features job, with the gate and threshold overridden.
	t.Run("train-and-transform HappyPath overrides", func(t *testing.T) {
		r := run(train, "HappyPath", `{"runFeatures": false, "threshold": 0.3, "minAuc": 0.8}`)
		r.expect(t, "SUCCEEDED", "", seq(trainHead, dataset, trainJobs, states("RegisterModel", "NotifySuccess", "Succeeded")))
		m.checkMetrics(r, set.labels, good, 0.3)
		model := r.modelName(t, `^datalake-local-model-[0-9a-f]{12}$`)
		if items := registered(r, 1); len(items) == 1 {
			m.checkRegistryItem(r, items[0], model, mock, 0.8)
		}
		checkNotification(t, r, notes.expect(r.arn), "Model registered: "+modelFamily, model, "at threshold 0.3")
	})

	var metricsURI, metricsBefore string
	t.Run("tune HappyPath", func(t *testing.T) {
		r := run(tune, "HappyPath", "")
		r.expect(t, "SUCCEEDED", "", seq(trainHead, states("GenerateDataset"), dataset, tuneJobs, states("NotifySuccess", "Succeeded")))
		m.checkMetrics(r, set.labels, good, 0.5)
		model := r.modelName(t, `^datalake-local-tuned-[0-9a-f]{8}$`)
		registered(r, 0) // tune reports the best model; only train-and-transform registers
		checkNotification(t, r, notes.expect(r.arn), "Tuning finished", model, r.metricsURI(),
			"Tuning job "+mock.returned(t, "TuningJobSucceeded", "HyperParameterTuningJobName")+" finished",
			"Best training job: "+mock.returned(t, "BestTrainingJobDescribed", "TrainingJobName"))
		metricsURI = r.metricsURI()
	})

	// Job failures: caught, notified with the job's error, no evaluation.
	metricsBefore = m.metricsObject()
	failure := func(t *testing.T, sm deployedMachine, testCase, response string, want []string) {
		r := run(sm, testCase, "")
		r.expect(t, "FAILED", "WorkflowFailed", want)
		if want, got := sm.failCause(t, "WorkflowFailed"), r.cause; got != want {
			t.Errorf("%s: cause %q, want the WorkflowFailed state's %q", r.label, got, want)
		}
		registered(r, 0)
		checkNotification(t, r, notes.expect(r.arn), sm.short+" failed", "Error: States.TaskFailed", "Cause: "+mock.thrown(t, response))
	}
	for _, c := range []struct {
		sm                 deployedMachine
		testCase, response string
		path               []string
	}{
		{train, "TrainingFails", "TrainingJobFailed", seq(trainHead, states("GenerateDataset"), dataset, states("TrainModel", "NotifyFailure", "WorkflowFailed"))},
		{train, "TransformFails", "TransformJobFailed", seq(trainHead, states("GenerateDataset"), dataset, states("TrainModel", "SaveModel", "BatchTransform", "NotifyFailure", "WorkflowFailed"))},
		{tune, "TuningFails", "TuningJobFailed", seq(trainHead, states("GenerateDataset"), dataset, states("Tune", "NotifyFailure", "WorkflowFailed"))},
	} {
		t.Run(c.sm.short+" "+c.testCase, func(t *testing.T) { failure(t, c.sm, c.testCase, c.response, c.path) })
	}
	if after := m.metricsObject(); after != metricsBefore {
		t.Errorf("%s changed during the failing runs: Evaluate ran although no transform succeeded", metricsURI)
	}

	// Malformed input fails at the first state, naming the field; nothing
	// is notified (there is nothing to report but the execution's own error).
	invalid := func(t *testing.T, sm deployedMachine, input, field, failState string) {
		r := run(sm, "HappyPath", input)
		r.expect(t, "FAILED", "InvalidInput", states("ValidateInput", failState))
		if want := sm.failCause(t, failState); r.cause != want || !strings.Contains(r.cause, "field "+field+" ") {
			t.Errorf("%s: cause %q, want %q naming the field %s", r.label, r.cause, want, field)
		}
		registered(r, 0)
	}
	for _, c := range []struct {
		sm                      deployedMachine
		input, field, failState string
	}{
		{train, `{"minAuc": "high"}`, "minAuc", "InvalidMinAuc"},
		{train, `{"threshold": 2}`, "threshold", "InvalidThreshold"},
		{tune, `{"runFeatures": "yes"}`, "runFeatures", "InvalidRunFeatures"},
	} {
		t.Run(c.sm.short+" invalid "+c.field, func(t *testing.T) { invalid(t, c.sm, c.input, c.field, c.failState) })
	}

	// Below the gate: near-random predictions replace the good ones.
	m.upload(set.predictionObjects(poor))
	t.Run("train-and-transform BelowThreshold", func(t *testing.T) {
		r := run(train, "BelowThreshold", "")
		r.expect(t, "FAILED", "ModelBelowThreshold", seq(trainHead, states("GenerateDataset"), dataset, trainJobs, states("NotifyRejected", "ModelRejected")))
		m.checkMetrics(r, set.labels, poor, 0.5)
		model := r.modelName(t, `^datalake-local-model-[0-9a-f]{12}$`)
		registered(r, 0)
		checkNotification(t, r, notes.expect(r.arn), "Model rejected: "+modelFamily, model+" was not registered",
			"below minAuc "+strconv.FormatFloat(minAuc, 'f', -1, 64))
	})

	notes.checkNoStray(runs)
	if n := len(m.registryItems()) - registryBefore; n != 2 {
		t.Errorf("%d items of %s were registered, want the 2 accepted models", n, modelFamily)
	}
	t.Logf("ml executions (mock config from statemachines/testdata, evaluate Lambda and registry real):")
	t.Logf("  %-84s %-9s %-19s %6s %8s  %s", "machine#test case input", "status", "error", "states", "took", "auc")
	for _, r := range runs {
		auc := "-"
		if r.metrics != nil && r.metrics.AUC != nil {
			auc = strconv.FormatFloat(*r.metrics.AUC, 'f', 6, 64)
		}
		t.Logf("  %-84s %-9s %-19s %6d %8s  %s", r.label, r.status, r.errorName, len(r.path), r.took().Round(time.Millisecond), auc)
	}
	for _, r := range runs {
		if e := r.metrics; e != nil && e.AUC != nil {
			c := e.ConfusionMatrix
			t.Logf("  %s: rows %d (%d positive), threshold %g: tp %d fp %d tn %d fn %d, accuracy %.4f precision %.4f recall %.4f f1 %.4f auc %.4f logLoss %.4f",
				r.label, e.Rows, e.Positives, e.Threshold, c.TP, c.FP, c.TN, c.FN, e.Accuracy, e.Precision, e.Recall, e.F1, *e.AUC, e.LogLoss)
		}
	}
}

// mlHarness holds the clients and names the checks share.
type mlHarness struct {
	t       *testing.T
	ctx     context.Context
	bucket  string
	lakeKey string
	table   string
	sfn     *sfn.Client
	ddb     *dynamodb.Client
	s3      *s3.Client
}

// deployedMachine is a state machine as the emulator holds it.
type deployedMachine struct {
	arn, name string
	// short is the name without the profile prefix: the file's name.
	short      string
	definition map[string]any
}

func (m *mlHarness) machine(arn, short string) deployedMachine {
	out, err := m.sfn.DescribeStateMachine(m.ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		m.t.Fatalf("describe state machine %s: %v", arn, err)
	}
	d := deployedMachine{arn: arn, name: aws.ToString(out.Name), short: short}
	if !strings.HasSuffix(d.name, "-"+short) {
		m.t.Fatalf("state machine %s is named %q, want a name ending in -%s", arn, d.name, short)
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Definition)), &d.definition); err != nil {
		m.t.Fatalf("the definition of %s is not JSON: %v", d.name, err)
	}
	return d
}

func (d deployedMachine) state(t *testing.T, name string) map[string]any {
	t.Helper()
	states, _ := d.definition["States"].(map[string]any)
	s, ok := states[name].(map[string]any)
	if !ok {
		t.Fatalf("%s has no state %s", d.name, name)
	}
	return s
}

// failCause is the Cause of a Fail state, as deployed.
func (d deployedMachine) failCause(t *testing.T, state string) string {
	t.Helper()
	c, _ := d.state(t, state)["Cause"].(string)
	return c
}

// defaultMinAuc is the gate's default as deployed: the Initialize state
// parses the value the stack substituted for ${DefaultMinAuc}.
func (d deployedMachine) defaultMinAuc(t *testing.T) float64 {
	t.Helper()
	defaults, _ := d.state(t, "Initialize")["Parameters"].(map[string]any)["defaults"].(map[string]any)
	expr, _ := defaults["minAuc.$"].(string)
	sub := regexp.MustCompile(`^States\.StringToJson\('([0-9.]+)'\)$`).FindStringSubmatch(expr)
	if sub == nil {
		t.Fatalf("%s: Initialize sets defaults.minAuc with %q, want States.StringToJson('<number>')", d.name, expr)
	}
	v, err := strconv.ParseFloat(sub[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mockConfig is the mock config as pushed to the emulator.
type mockConfig struct {
	raw map[string]any
}

// loadMockConfig reads the mock config, replaces its placeholders and
// renames its state machines to the deployed names. A MOCK_ placeholder
// without a value fails: the emulator would return it verbatim.
func loadMockConfig(t *testing.T, file string, values, machines map[string]string) mockConfig {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for k, v := range values {
		s = strings.ReplaceAll(s, k, v)
	}
	if left := regexp.MustCompile(`MOCK_[A-Z0-9_]+`).FindAllString(s, -1); len(left) > 0 {
		t.Fatalf("%s: no value for the placeholders %v", file, slices.Compact(slices.Sorted(slices.Values(left))))
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	sms, _ := raw["StateMachines"].(map[string]any)
	renamed := map[string]any{}
	for k, v := range sms {
		to, ok := machines[k]
		if !ok {
			t.Fatalf("%s: mocks state machine %q, which is not deployed", file, k)
		}
		renamed[to] = v
	}
	raw["StateMachines"] = renamed
	return mockConfig{raw: raw}
}

func (c mockConfig) response(t *testing.T, name string) map[string]any {
	t.Helper()
	r, _ := c.raw["MockedResponses"].(map[string]any)[name].(map[string]any)["0"].(map[string]any)
	if r == nil {
		t.Fatalf("the mock config has no first attempt of response %s", name)
	}
	return r
}

// returned is a top-level string of a mocked Return.
func (c mockConfig) returned(t *testing.T, response, field string) string {
	t.Helper()
	v, _ := c.response(t, response)["Return"].(map[string]any)[field].(string)
	if v == "" {
		t.Fatalf("mock response %s returns no %s", response, field)
	}
	return v
}

// thrown is the Cause of a mocked Throw.
func (c mockConfig) thrown(t *testing.T, response string) string {
	t.Helper()
	v, _ := c.response(t, response)["Throw"].(map[string]any)["Cause"].(string)
	if v == "" {
		t.Fatalf("mock response %s throws no Cause", response)
	}
	return v
}

// pushEmulatorConfig sets emulator settings at runtime through ministack's
// whitelisted /_ministack/config (the mock config is otherwise read once,
// from SFN_MOCK_CONFIG, when the emulator imports its Step Functions module).
func pushEmulatorConfig(t *testing.T, ctx context.Context, target localharness.Target, settings map[string]any) {
	t.Helper()
	body, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.Endpoint+"/_ministack/config", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("push emulator config: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		Applied map[string]any `json:"applied"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("push emulator config: %s %s", resp.Status, raw)
	}
	for k := range settings {
		if _, ok := out.Applied[k]; !ok {
			t.Fatalf("the emulator did not apply %s: %s", k, raw)
		}
	}
}

// validationSet is a labelled validation split as the features job writes
// it: headerless CSV part files, label first, then numeric features.
type validationSet struct {
	parts  []string // part file names
	rows   [][]string
	labels []int
	// risk is the latent failure risk the good predictions are derived from.
	risk  []float64
	noise *rand.Rand
	sizes []int
}

// newValidationSet draws device-days with a ~15% share of failures within
// 24 hours; failing devices run hotter, vibrate more, have a less stable
// supply voltage and longer since their last maintenance.
func newValidationSet(seed1, seed2 uint64, sizes []int) *validationSet {
	r := rand.New(rand.NewPCG(seed1, seed2))
	s := &validationSet{noise: r, sizes: sizes}
	for i := range sizes {
		s.parts = append(s.parts, fmt.Sprintf("part-%05d-7d0c5a1e-3b7f-4f61-9a2e-5c8d0e4b2f19-c000.csv", i))
	}
	total := 0
	for _, n := range sizes {
		total += n
	}
	for range total {
		y := 0
		if r.Float64() < 0.15 {
			y = 1
		}
		fy := float64(y)
		temp := 61 + 7*r.NormFloat64() + 6*fy
		vib := 2.4 + 0.7*r.NormFloat64() + 0.9*fy
		volt := 0.8 + 0.25*r.NormFloat64() + 0.2*fy
		hours := math.Max(0, 300+150*r.NormFloat64()+120*fy)
		z := 0.09*(temp-61) + 1.1*(vib-2.4) + 2.0*(volt-0.8) + 0.004*(hours-300) + 0.5*r.NormFloat64()
		s.labels = append(s.labels, y)
		s.risk = append(s.risk, z)
		s.rows = append(s.rows, []string{strconv.Itoa(y), f2(temp), f2(vib), f2(volt), f2(hours)})
	}
	return s
}

func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// rounded is v as written to a prediction file and read back.
func rounded(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 6, 64), 64)
	return r
}

// goodScores are what a useful model predicts: a logistic of the risk.
func (s *validationSet) goodScores() []float64 {
	out := make([]float64, len(s.risk))
	for i, z := range s.risk {
		out[i] = rounded(1 / (1 + math.Exp(-(-2.2 + 1.3*z))))
	}
	return out
}

// poorScores ignore the features: AUC near 0.5.
func (s *validationSet) poorScores() []float64 {
	out := make([]float64, len(s.risk))
	for i := range out {
		out[i] = rounded(0.03 + 0.94*s.noise.Float64())
	}
	return out
}

type mlObject struct{ key, body string }

// labelObjects are the part files plus the _SUCCESS marker Spark writes.
func (s *validationSet) labelObjects() []mlObject {
	objs := []mlObject{{mockLabelsPrefix + "_SUCCESS", ""}}
	row := 0
	for i, n := range s.sizes {
		var b strings.Builder
		for range n {
			b.WriteString(strings.Join(s.rows[row], ",") + "\n")
			row++
		}
		objs = append(objs, mlObject{mockLabelsPrefix + s.parts[i], b.String()})
	}
	return objs
}

// predictionObjects are the transform's outputs: <part>.out, one score a line.
func (s *validationSet) predictionObjects(scores []float64) []mlObject {
	var objs []mlObject
	row := 0
	for i, n := range s.sizes {
		var b strings.Builder
		for range n {
			b.WriteString(strconv.FormatFloat(scores[row], 'f', 6, 64) + "\n")
			row++
		}
		objs = append(objs, mlObject{mockPredictionsPrefix + s.parts[i] + ".out", b.String()})
	}
	return objs
}

// upload writes objects as the lake's bucket policy demands: SSE-KMS with
// the lake key.
func (m *mlHarness) upload(objs []mlObject) {
	m.t.Helper()
	for _, o := range objs {
		_, err := m.s3.PutObject(m.ctx, &s3.PutObjectInput{
			Bucket: aws.String(m.bucket), Key: aws.String(o.key), Body: strings.NewReader(o.body),
			ContentType:          aws.String("text/csv"),
			ServerSideEncryption: s3types.ServerSideEncryptionAwsKms,
			SSEKMSKeyId:          aws.String(m.lakeKey),
		})
		if err != nil {
			m.t.Fatalf("upload s3://%s/%s: %v", m.bucket, o.key, err)
		}
	}
}

// binaryMetrics are the evaluate Lambda's binary results
// (lambdas/evaluate/metrics.go).
type binaryMetrics struct {
	ProblemType     string  `json:"problemType"`
	PredictionsURI  string  `json:"predictionsUri"`
	LabelsURI       string  `json:"labelsUri"`
	MetricsURI      string  `json:"metricsUri"`
	EvaluatedAt     string  `json:"evaluatedAt"`
	Files           int     `json:"files"`
	Rows            int64   `json:"rows"`
	Positives       int64   `json:"positives"`
	Negatives       int64   `json:"negatives"`
	Threshold       float64 `json:"threshold"`
	ConfusionMatrix struct {
		TP int64 `json:"tp"`
		FP int64 `json:"fp"`
		TN int64 `json:"tn"`
		FN int64 `json:"fn"`
	} `json:"confusionMatrix"`
	Accuracy    float64  `json:"accuracy"`
	Precision   float64  `json:"precision"`
	Recall      float64  `json:"recall"`
	F1          float64  `json:"f1"`
	Specificity float64  `json:"specificity"`
	AUC         *float64 `json:"auc"`
	AUCDefined  bool     `json:"aucDefined"`
	LogLoss     float64  `json:"logLoss"`
	Note        string   `json:"note"`
}

// expected holds the values computed here, independently of the Lambda.
type expected struct {
	Rows, Positives, Negatives, TP, FP, TN, FN                 int64
	Accuracy, Precision, Recall, F1, Specificity, AUC, LogLoss float64
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// expectBinary computes the metrics by definition: AUC as the share of
// (positive, negative) pairs ranked right, ties counting one half.
func expectBinary(labels []int, scores []float64, threshold float64) expected {
	var e expected
	var loss float64
	for i, y := range labels {
		s := scores[i]
		e.Rows++
		pred := s >= threshold
		switch {
		case y == 1 && pred:
			e.TP++
		case y == 1:
			e.FN++
		case pred:
			e.FP++
		default:
			e.TN++
		}
		p := math.Min(math.Max(s, 1e-15), 1-1e-15)
		if y == 1 {
			e.Positives++
			loss -= math.Log(p)
		} else {
			e.Negatives++
			loss -= math.Log(1 - p)
		}
	}
	var pairs float64
	for i, yi := range labels {
		if yi != 1 {
			continue
		}
		for j, yj := range labels {
			switch {
			case yj != 0:
			case scores[i] > scores[j]:
				pairs++
			case scores[i] == scores[j]:
				pairs += 0.5
			}
		}
	}
	e.AUC = pairs / float64(e.Positives*e.Negatives)
	e.Accuracy = ratio(e.TP+e.TN, e.Rows)
	e.Precision = ratio(e.TP, e.TP+e.FP)
	e.Recall = ratio(e.TP, e.TP+e.FN)
	e.Specificity = ratio(e.TN, e.TN+e.FP)
	e.F1 = ratio(2*e.TP, 2*e.TP+e.FP+e.FN)
	e.LogLoss = loss / float64(e.Rows)
	return e
}

// mlRun is one finished execution.
type mlRun struct {
	label            string
	arn              string
	status           string
	errorName, cause string
	start, stop      time.Time
	path             []string
	exited           map[string]string // state name -> output when it last exited
	metrics          *binaryMetrics
}

func (r *mlRun) took() time.Duration { return r.stop.Sub(r.start) }

// execute starts an execution of the mocked test case and waits for it.
func (m *mlHarness) execute(sm deployedMachine, testCase, input string) *mlRun {
	t := m.t
	t.Helper()
	label := sm.short + "#" + testCase
	if input != "" {
		label += " " + input
	}
	in := &sfn.StartExecutionInput{
		StateMachineArn: aws.String(sm.arn + "#" + testCase),
		Name:            aws.String(fmt.Sprintf("e2e-%s-%08x", strings.ToLower(testCase), rand.Uint32())),
	}
	if input != "" {
		in.Input = aws.String(input)
	}
	started, err := m.sfn.StartExecution(m.ctx, in)
	if err != nil {
		t.Fatalf("%s: start execution: %v", label, err)
	}
	r := &mlRun{label: label, arn: aws.ToString(started.ExecutionArn), exited: map[string]string{}}
	deadline := time.Now().Add(mlExecutionTimeout)
	for {
		d, err := m.sfn.DescribeExecution(m.ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
		if err != nil {
			t.Fatalf("%s: describe execution: %v", label, err)
		}
		if d.Status != sfntypes.ExecutionStatusRunning {
			r.status, r.errorName, r.cause = string(d.Status), aws.ToString(d.Error), aws.ToString(d.Cause)
			r.start, r.stop = aws.ToTime(d.StartDate), aws.ToTime(d.StopDate)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still RUNNING after %s", label, mlExecutionTimeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
	pages := sfn.NewGetExecutionHistoryPaginator(m.sfn, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn, MaxResults: 1000})
	for pages.HasMorePages() {
		page, err := pages.NextPage(m.ctx)
		if err != nil {
			t.Fatalf("%s: execution history: %v", label, err)
		}
		for _, e := range page.Events {
			if d := e.StateEnteredEventDetails; d != nil {
				r.path = append(r.path, aws.ToString(d.Name))
			}
			if d := e.StateExitedEventDetails; d != nil {
				r.exited[aws.ToString(d.Name)] = aws.ToString(d.Output)
			}
		}
	}
	if out, ok := r.exited["Evaluate"]; ok {
		var st struct {
			Evaluation struct {
				Metrics json.RawMessage `json:"metrics"`
			} `json:"evaluation"`
		}
		r.metrics = &binaryMetrics{}
		if err := json.Unmarshal([]byte(out), &st); err != nil || json.Unmarshal(st.Evaluation.Metrics, r.metrics) != nil {
			t.Errorf("%s: Evaluate's output has no evaluation.metrics: %.300s", label, out)
			r.metrics = nil
		}
	}
	return r
}

// expect checks the outcome and the exact path.
func (r *mlRun) expect(t *testing.T, status, errorName string, path []string) {
	t.Helper()
	if r.status != status || r.errorName != errorName {
		t.Errorf("%s: %s with error %q (cause %q), want %s with error %q", r.label, r.status, r.errorName, r.cause, status, errorName)
	}
	if !slices.Equal(r.path, path) {
		t.Errorf("%s: path\n  %v\nwant\n  %v", r.label, r.path, path)
	}
}

// modelName is the name NameJobs gave the model.
func (r *mlRun) modelName(t *testing.T, pattern string) string {
	t.Helper()
	var st struct {
		Jobs struct {
			ModelName string `json:"modelName"`
		} `json:"jobs"`
	}
	_ = json.Unmarshal([]byte(r.exited["NameJobs"]), &st)
	if !regexp.MustCompile(pattern).MatchString(st.Jobs.ModelName) {
		t.Errorf("%s: model name %q, want one matching %s", r.label, st.Jobs.ModelName, pattern)
	}
	return st.Jobs.ModelName
}

func (r *mlRun) metricsURI() string {
	if r.metrics == nil {
		return ""
	}
	return r.metrics.MetricsURI
}

// checkMetrics compares what the evaluate Lambda returned with the values
// computed here and with the metrics.json it wrote.
func (m *mlHarness) checkMetrics(r *mlRun, labels []int, scores []float64, threshold float64) {
	t := m.t
	t.Helper()
	got := r.metrics
	if got == nil {
		t.Errorf("%s: Evaluate did not run", r.label)
		return
	}
	want := expectBinary(labels, scores, threshold)
	labelsURI, predsURI := "s3://"+m.bucket+"/"+mockLabelsPrefix, "s3://"+m.bucket+"/"+mockPredictionsPrefix
	ints := []struct {
		name      string
		got, want int64
	}{
		{"files", int64(got.Files), 2}, {"rows", got.Rows, want.Rows}, {"positives", got.Positives, want.Positives},
		{"negatives", got.Negatives, want.Negatives}, {"tp", got.ConfusionMatrix.TP, want.TP},
		{"fp", got.ConfusionMatrix.FP, want.FP}, {"tn", got.ConfusionMatrix.TN, want.TN}, {"fn", got.ConfusionMatrix.FN, want.FN},
	}
	for _, c := range ints {
		if c.got != c.want {
			t.Errorf("%s: %s = %d, want %d", r.label, c.name, c.got, c.want)
		}
	}
	auc := math.NaN()
	if got.AUC != nil {
		auc = *got.AUC
	}
	floats := []struct {
		name      string
		got, want float64
	}{
		{"threshold", got.Threshold, threshold}, {"accuracy", got.Accuracy, want.Accuracy},
		{"precision", got.Precision, want.Precision}, {"recall", got.Recall, want.Recall}, {"f1", got.F1, want.F1},
		{"specificity", got.Specificity, want.Specificity}, {"auc", auc, want.AUC}, {"logLoss", got.LogLoss, want.LogLoss},
	}
	for _, c := range floats {
		if !(math.Abs(c.got-c.want) <= 1e-9) {
			t.Errorf("%s: %s = %v, want %v", r.label, c.name, c.got, c.want)
		}
	}
	if !got.AUCDefined || got.ProblemType != "binary" || got.LabelsURI != labelsURI || got.PredictionsURI != predsURI ||
		got.MetricsURI != predsURI+"metrics.json" {
		t.Errorf("%s: aucDefined %v, problemType %q, labelsUri %q, predictionsUri %q, metricsUri %q; want true, binary, %s, %s, %smetrics.json",
			r.label, got.AUCDefined, got.ProblemType, got.LabelsURI, got.PredictionsURI, got.MetricsURI, labelsURI, predsURI, predsURI)
	}
	if at, err := time.Parse(time.RFC3339, got.EvaluatedAt); err != nil || at.Before(r.start.Add(-time.Second)) || at.After(r.stop.Add(time.Second)) {
		t.Errorf("%s: evaluatedAt %q is not an RFC 3339 time within the execution (%s to %s)", r.label, got.EvaluatedAt, r.start, r.stop)
	}

	// The object Evaluate wrote next to the predictions holds the same result.
	key := mockPredictionsPrefix + "metrics.json"
	head, err := m.s3.HeadObject(m.ctx, &s3.HeadObjectInput{Bucket: aws.String(m.bucket), Key: aws.String(key)})
	if err != nil {
		t.Errorf("%s: %s: %v", r.label, got.MetricsURI, err)
		return
	}
	if head.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) != m.lakeKey {
		t.Errorf("%s: %s is encrypted with %q key %q, want aws:kms with the lake key %s",
			r.label, got.MetricsURI, head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), m.lakeKey)
	}
	var written map[string]any
	if err := json.Unmarshal([]byte(m.metricsObject()), &written); err != nil {
		t.Errorf("%s: %s is not JSON: %v", r.label, got.MetricsURI, err)
	}
	var st struct {
		Evaluation struct {
			Metrics map[string]any `json:"metrics"`
		} `json:"evaluation"`
	}
	_ = json.Unmarshal([]byte(r.exited["Evaluate"]), &st)
	if !reflect.DeepEqual(written, st.Evaluation.Metrics) {
		t.Errorf("%s: %s differs from what Evaluate returned:\n  written  %s\n  returned %s", r.label, got.MetricsURI, mustJSON(written), mustJSON(st.Evaluation.Metrics))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// metricsObject is the body of metrics.json under the predictions, or "".
func (m *mlHarness) metricsObject() string {
	out, err := m.s3.GetObject(m.ctx, &s3.GetObjectInput{Bucket: aws.String(m.bucket), Key: aws.String(mockPredictionsPrefix + "metrics.json")})
	if err != nil {
		return ""
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

// registryItems are every item of the model family.
func (m *mlHarness) registryItems() []map[string]ddbtypes.AttributeValue {
	m.t.Helper()
	var items []map[string]ddbtypes.AttributeValue
	pages := dynamodb.NewQueryPaginator(m.ddb, &dynamodb.QueryInput{
		TableName:                 aws.String(m.table),
		KeyConditionExpression:    aws.String("modelFamily = :f"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":f": &ddbtypes.AttributeValueMemberS{Value: modelFamily}},
		ConsistentRead:            aws.Bool(true),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(m.ctx)
		if err != nil {
			m.t.Fatalf("query the registry %s: %v", m.table, err)
		}
		items = append(items, page.Items...)
	}
	return items
}

// registryItemsOf are the items an execution registered.
func (m *mlHarness) registryItemsOf(executionArn string) []map[string]ddbtypes.AttributeValue {
	var out []map[string]ddbtypes.AttributeValue
	for _, it := range m.registryItems() {
		if s, ok := it["executionArn"].(*ddbtypes.AttributeValueMemberS); ok && s.Value == executionArn {
			out = append(out, it)
		}
	}
	return out
}

// checkRegistryItem compares a registry item with the run it records.
func (m *mlHarness) checkRegistryItem(r *mlRun, item map[string]ddbtypes.AttributeValue, model string, mock mockConfig, minAuc float64) {
	t := m.t
	t.Helper()
	str := func(k string) string {
		if v, ok := item[k].(*ddbtypes.AttributeValueMemberS); ok {
			return v.Value
		}
		t.Errorf("%s: registry attribute %s is %T, want a string", r.label, k, item[k])
		return ""
	}
	num := func(k string) float64 {
		if v, ok := item[k].(*ddbtypes.AttributeValueMemberN); ok {
			if f, err := strconv.ParseFloat(v.Value, 64); err == nil {
				return f
			}
		}
		t.Errorf("%s: registry attribute %s is %#v, want a number", r.label, k, item[k])
		return math.NaN()
	}
	var dataset map[string]any
	if err := json.Unmarshal([]byte(mock.returned(t, "DatasetRead", "Body")), &dataset); err != nil {
		t.Fatalf("the mocked current.json: %v", err)
	}
	if dataset["features_snapshot_id"] != mockSnapshot || !strings.HasSuffix(fmt.Sprint(dataset["validation_uri"]), mockLabelsPrefix) {
		t.Fatalf("the mocked current.json names %v and %v, the labels are under %s", dataset["features_snapshot_id"], dataset["validation_uri"], mockLabelsPrefix)
	}
	strs := map[string]any{
		"modelFamily":     modelFamily,
		"modelName":       model,
		"trainingJobName": mock.returned(t, "TrainingJobSucceeded", "TrainingJobName"),
		"modelArtifacts":  mock.response(t, "TrainingJobSucceeded")["Return"].(map[string]any)["ModelArtifacts"].(map[string]any)["S3ModelArtifacts"].(string),
		// What the mocked current.json says: the set and the snapshots it came from.
		"trainingDataUri":          dataset["train_uri"],
		"validationDataUri":        dataset["validation_uri"],
		"manifestUri":              dataset["manifest_uri"],
		"featuresTable":            dataset["features_table"],
		"featuresSnapshotId":       dataset["features_snapshot_id"],
		"featuresMetadataLocation": dataset["features_metadata_location"],
		"featuresTag":              dataset["features_tag"],
		"curatedTable":             dataset["curated_table"],
		"curatedSnapshotId":        dataset["curated_snapshot_id"],
		"curatedMetadataLocation":  dataset["curated_metadata_location"],
		"transformOutputUri":       "s3://" + m.bucket + "/" + mockPredictionsPrefix,
		"metricsUri":               r.metricsURI(),
		"executionArn":             r.arn,
	}
	for k, want := range strs {
		if got := str(k); got != fmt.Sprint(want) {
			t.Errorf("%s: registry %s = %q, want %q", r.label, k, got, want)
		}
	}
	if at, err := time.Parse(time.RFC3339, str("registeredAt")); err != nil || at.Before(r.start.Add(-time.Second)) || at.After(r.stop.Add(time.Second)) {
		t.Errorf("%s: registeredAt %q is not an RFC 3339 time within the execution", r.label, str("registeredAt"))
	}
	if r.metrics == nil || r.metrics.AUC == nil {
		return
	}
	nums := map[string]float64{
		"auc": *r.metrics.AUC, "f1": r.metrics.F1, "precision": r.metrics.Precision, "recall": r.metrics.Recall,
		"accuracy": r.metrics.Accuracy, "threshold": r.metrics.Threshold, "minAuc": minAuc,
	}
	for k, want := range nums {
		if got := num(k); !(math.Abs(got-want) <= 1e-9) {
			t.Errorf("%s: registry %s = %v, want %v", r.label, k, got, want)
		}
	}
	if len(item) != len(strs)+len(nums)+1 {
		t.Errorf("%s: registry item has %d attributes, want %d: %v", r.label, len(item), len(strs)+len(nums)+1, slices.Sorted(maps.Keys(item)))
	}
}

// notification is one SNS message as delivered to the queue.
type notification struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	TopicArn  string `json:"TopicArn"`
	Subject   string `json:"Subject"`
	Message   string `json:"Message"`
}

// notificationQueue is an SQS queue subscribed to the ML topic.
type notificationQueue struct {
	t        *testing.T
	ctx      context.Context
	sqs      *sqs.Client
	sns      *sns.Client
	url, sub string
	topic    string
	got      []notification
	seen     map[string]bool // SNS MessageIds in got
}

func newNotificationQueue(t *testing.T, ctx context.Context, cfg aws.Config, topic string) *notificationQueue {
	t.Helper()
	q := &notificationQueue{t: t, ctx: ctx, sqs: sqs.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg), topic: topic, seen: map[string]bool{}}
	created, err := q.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(fmt.Sprintf("datalake-local-ml-e2e-%08x", rand.Uint32())),
		// Visibility timeout 0: see receive.
		Attributes: map[string]string{"SqsManagedSseEnabled": "true", "VisibilityTimeout": "0"},
	})
	if err != nil {
		t.Fatalf("create the notification queue: %v", err)
	}
	q.url = aws.ToString(created.QueueUrl)
	attrs, err := q.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: created.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("queue attributes: %v", err)
	}
	queueArn := attrs.Attributes["QueueArn"]
	// What AWS needs before SNS may deliver: the queue lets the topic send.
	policy := mustJSON(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid": "MlTopicSends", "Effect": "Allow", "Principal": map[string]any{"Service": "sns.amazonaws.com"},
			"Action": "sqs:SendMessage", "Resource": queueArn,
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topic}},
		}},
	})
	if _, err := q.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: created.QueueUrl, Attributes: map[string]string{"Policy": policy}}); err != nil {
		t.Fatalf("set the queue policy: %v", err)
	}
	sub, err := q.sns.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topic), Protocol: aws.String("sqs"), Endpoint: aws.String(queueArn), ReturnSubscriptionArn: true,
	})
	if err != nil {
		t.Fatalf("subscribe the queue to %s: %v", topic, err)
	}
	q.sub = aws.ToString(sub.SubscriptionArn)
	return q
}

// receive moves what the queue holds into got.
//
// The queue's visibility timeout is 0 and messages are told apart by
// their SNS MessageId. ministack (1.5.33, hypercorn) now and then drops
// the connection while the SDK reads a ReceiveMessage response; the SDK
// retries, but the lost attempt has already hidden the messages it took
// for the visibility timeout (30 s by default), so a notification would seem
// missing. A consumer must tolerate a redelivery anyway (SNS and SQS
// deliver at least once), so this is still how a correct AWS consumer
// reads; an SNS message published twice would still show up twice, with
// two MessageIds.
func (q *notificationQueue) receive(wait int32) {
	q.t.Helper()
	out, err := q.sqs.ReceiveMessage(q.ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(q.url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
	})
	if err != nil {
		q.t.Fatalf("receive notifications: %v", err)
	}
	for _, msg := range out.Messages {
		var n notification
		if err := json.Unmarshal([]byte(aws.ToString(msg.Body)), &n); err != nil || n.Type != "Notification" {
			q.t.Errorf("the queue received %.300q, not an SNS notification", aws.ToString(msg.Body))
		} else if n.TopicArn != q.topic {
			q.t.Errorf("notification from %s, want %s", n.TopicArn, q.topic)
		}
		if n.MessageID == "" || !q.seen[n.MessageID] {
			q.seen[n.MessageID] = true
			q.got = append(q.got, n)
		}
		if _, err := q.sqs.DeleteMessage(q.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.url), ReceiptHandle: msg.ReceiptHandle}); err != nil {
			q.t.Fatalf("delete a notification: %v", err)
		}
	}
}

// about are the notifications naming the execution.
func (q *notificationQueue) about(executionArn string) []notification {
	var out []notification
	for _, n := range q.got {
		if mentions(n.Message, executionArn) {
			out = append(out, n)
		}
	}
	return out
}

// mentions is true when s names arn as a whole, not as a prefix of a
// longer execution ARN.
func mentions(s, arn string) bool {
	for i := strings.Index(s, arn); i >= 0; {
		end := i + len(arn)
		if end == len(s) || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:", rune(s[end])) {
			return true
		}
		j := strings.Index(s[end:], arn)
		if j < 0 {
			return false
		}
		i = end + j
	}
	return false
}

// expect waits for the one notification about an execution.
func (q *notificationQueue) expect(executionArn string) notification {
	q.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for len(q.about(executionArn)) == 0 && time.Now().Before(deadline) {
		q.receive(1)
	}
	got := q.about(executionArn)
	if len(got) != 1 {
		var seen []string
		for _, n := range q.got {
			seen = append(seen, fmt.Sprintf("%.160q", n.Message))
		}
		q.t.Errorf("%d notifications name %s, want 1; the queue received %d:\n  %s", len(got), executionArn, len(q.got), strings.Join(seen, "\n  "))
		return notification{}
	}
	return got[0]
}

// checkNoStray drains the queue and checks that every notification names
// one of the runs, and the runs that end before notifying named none.
func (q *notificationQueue) checkNoStray(runs []*mlRun) {
	q.t.Helper()
	q.receive(2)
	for _, n := range q.got {
		owners := 0
		for _, r := range runs {
			if mentions(n.Message, r.arn) {
				owners++
			}
		}
		if owners != 1 {
			q.t.Errorf("notification %q names %d of the executions, want 1: %.300s", n.Subject, owners, n.Message)
		}
	}
	// One notification per execution that entered a Notify state, none for
	// the others (rejected input).
	for _, r := range runs {
		want := 0
		if slices.ContainsFunc(r.path, func(s string) bool { return strings.HasPrefix(s, "Notify") }) {
			want = 1
		}
		if got := q.about(r.arn); len(got) != want {
			q.t.Errorf("%s: %d notifications name the execution, want %d", r.label, len(got), want)
		}
	}
}

func (q *notificationQueue) delete(ctx context.Context) {
	if q.sub != "" {
		if _, err := q.sns.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(q.sub)}); err != nil {
			q.t.Logf("unsubscribe %s: %v", q.sub, err)
		}
	}
	if _, err := q.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(q.url)}); err != nil {
		q.t.Logf("delete %s: %v", q.url, err)
	}
}

// aucInMessage matches the "auc <value>" the Notify states format.
var aucInMessage = regexp.MustCompile(`\bauc ([-+0-9.eE]+)`)

// checkNotification checks the subject, that the message names the
// execution and carries each of the fragments, and that an auc it reports
// is the one Evaluate computed.
func checkNotification(t *testing.T, r *mlRun, n notification, subject string, fragments ...string) {
	t.Helper()
	if n.Subject != subject {
		t.Errorf("%s: notification subject %q, want %q", r.label, n.Subject, subject)
	}
	for _, f := range fragments {
		if f == "" || !strings.Contains(n.Message, f) {
			t.Errorf("%s: notification %q lacks %q", r.label, n.Message, f)
		}
	}
	m := aucInMessage.FindStringSubmatch(n.Message)
	if r.metrics == nil || r.metrics.AUC == nil {
		if m != nil {
			t.Errorf("%s: notification reports auc %s, but Evaluate did not run", r.label, m[1])
		}
		return
	}
	if m == nil {
		t.Errorf("%s: notification %q reports no auc", r.label, n.Message)
		return
	}
	if v, err := strconv.ParseFloat(strings.TrimRight(m[1], "."), 64); err != nil || math.Abs(v-*r.metrics.AUC) > 1e-9 {
		t.Errorf("%s: notification reports auc %s, Evaluate returned %v", r.label, m[1], *r.metrics.AUC)
	}
}
