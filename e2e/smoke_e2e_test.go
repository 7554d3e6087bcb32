//go:build e2e

package e2e

// The sandbox smoke test (internal/smoke, `make smoke`) run as a library
// against the emulator, with the local profile's names: every step the
// emulator supports must pass, the others must say why they did not run,
// and nothing the run created may be left behind.

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/refdatalake/datalake/internal/localharness"
	"github.com/refdatalake/datalake/internal/samples"
	"github.com/refdatalake/datalake/internal/smoke"
)

// smokeExpected is what each step must report on the emulator.
var smokeExpected = map[smoke.Step]smoke.Status{
	smoke.StepStacks:  smoke.Pass,
	smoke.StepIngest:  smoke.Pass,
	smoke.StepQuery:   smoke.Pass,
	smoke.StepLanding: smoke.Pass,
	// The local profile has no Glue workflow, and Glue never runs jobs here.
	smoke.StepETL:   smoke.Skip,
	smoke.StepAlarm: smoke.Pass,
	// EventBridge rules on AWS service events never fire on the emulator.
	smoke.StepFailure: smoke.Skip,
	// Runs with SageMaker and Glue mocked, like checkMlWorkflows.
	smoke.StepML: smoke.Pass,
}

// checkSmoke runs the smoke test against the emulator after the other
// checks, so its readings, landing files and registry item disturb none of
// their counts.
func checkSmoke(t *testing.T, ctx context.Context, repo localharness.Repo, target localharness.Target, outputs localharness.Outputs, analyticsBucket string) {
	cfg := target.AWSConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(target.S3Endpoint)
		o.UsePathStyle = true
	})

	// The ml step runs train-and-transform's HappyPath test case: the mocked
	// transform job "wrote" predictions under mockPredictionsPrefix, which
	// the evaluate Lambda reads with the labels; good ones pass the gate.
	get := func(stack, key string) string {
		v, err := outputs.Get(stack, key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	trainArn, lakeKey := get(localharness.StackML, "TrainStateMachineArn"), get(localharness.StackStorage, "LakeKeyArn")
	mock := loadMockConfig(t, filepath.Join(repo.Root, "statemachines", "testdata", "mock-config.json"), map[string]string{
		"MOCK_BUCKET":         analyticsBucket,
		"MOCK_FEATURES_JOB":   get(localharness.StackCatalog, "FeaturesJobName"),
		"MOCK_CURATED_BUCKET": get(localharness.StackStorage, "CuratedBucketName"),
		"MOCK_DATABASE":       "datalake_local",
	}, map[string]string{"train-and-transform": arnName(trainArn), "tune": arnName(get(localharness.StackML, "TuneStateMachineArn"))})
	pushEmulatorConfig(t, ctx, target, map[string]any{"stepfunctions._sfn_mock_config": mock.raw, "stepfunctions._SFN_WAIT_SCALE": 0})
	defer pushEmulatorConfig(t, context.WithoutCancel(ctx), target, map[string]any{
		"stepfunctions._sfn_mock_config": map[string]any{}, "stepfunctions._SFN_WAIT_SCALE": 1,
	})
	set := newValidationSet(20260315, 4, []int{180, 150})
	for _, o := range append(set.labelObjects(), set.predictionObjects(set.goodScores())...) {
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(analyticsBucket), Key: aws.String(o.key), Body: strings.NewReader(o.body),
			ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(lakeKey),
		}); err != nil {
			t.Fatalf("upload s3://%s/%s: %v", analyticsBucket, o.key, err)
		}
	}

	var out, log bytes.Buffer
	report, err := smoke.Run(ctx, smoke.Config{
		Project: "datalake", Profile: "local",
		Clients:    smoke.NewClients(cfg, true),
		Emulator:   true,
		Deadline:   5 * time.Minute,
		Readings:   20, // one Lambda call and one object per record here
		LandingDir: filepath.Join(repo.Root, samples.Dir),
		MlTestCase: "HappyPath",
		Out:        &out, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		t.Logf("smoke: %s", line)
	}
	if t.Failed() || report.Failed() {
		t.Logf("smoke log:\n%s", log.String())
	}
	if len(report.Results) != len(smoke.Steps) {
		t.Fatalf("%d results, want one per step (%d)", len(report.Results), len(smoke.Steps))
	}
	for _, res := range report.Results {
		want := smokeExpected[res.Step]
		if res.Status != want {
			t.Errorf("step %s: %s, want %s: %s", res.Step, res.Status, want, res.Detail)
		}
		if res.Status == smoke.Skip && !strings.HasPrefix(res.Detail, "not run on the emulator: ") {
			t.Errorf("step %s skipped with %q, want the emulator's reason", res.Step, res.Detail)
		}
		if line := res.Line(); strings.Count(line, "\n") > 0 || !strings.HasPrefix(line, string(res.Status)+" "+string(res.Step)+" ") {
			t.Errorf("step %s: line %q is not PASS|FAIL|SKIP <step> ...", res.Step, line)
		}
	}
	if len(report.CleanupErrors) > 0 {
		t.Errorf("cleanup failed: %v", report.CleanupErrors)
	}
	if ml, _ := report.Result(smoke.StepML); ml.Status == smoke.Pass && !strings.Contains(ml.Detail, "SUCCEEDED") {
		t.Errorf("ml: %s; want the HappyPath execution SUCCEEDED and registered", ml.Detail)
	}
	checkSmokeCleanedUp(t, ctx, target)
}

// arnName is the last part of an ARN: a state machine's name.
func arnName(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

// checkSmokeCleanedUp asserts that the run left no queue, no subscription
// on the alarm topic and no alarm in ALARM.
func checkSmokeCleanedUp(t *testing.T, ctx context.Context, target localharness.Target) {
	t.Helper()
	cfg := target.AWSConfig()
	queues, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("datalake-local-smoke-")})
	if err != nil {
		t.Fatal(err)
	}
	if len(queues.QueueUrls) > 0 {
		t.Errorf("the smoke test left queues behind: %v", queues.QueueUrls)
	}
	snsc := sns.NewFromConfig(cfg)
	topics, err := snsc.ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range topics.Topics {
		arn := aws.ToString(tp.TopicArn)
		if !strings.Contains(arn, ":datalake-local-streaming-AlarmTopic") {
			continue
		}
		subs, err := snsc.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: tp.TopicArn})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subs.Subscriptions {
			if aws.ToString(s.Protocol) == "sqs" {
				t.Errorf("the smoke test left subscription %s on %s", aws.ToString(s.SubscriptionArn), arn)
			}
		}
	}
	alarms, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("datalake-local-streaming-")})
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms.MetricAlarms) == 0 {
		t.Errorf("no alarm of the Streaming stack found")
	}
	for _, a := range alarms.MetricAlarms {
		if a.StateValue == cwtypes.StateValueAlarm {
			t.Errorf("alarm %s is still in ALARM after the smoke test: %s", aws.ToString(a.AlarmName), aws.ToString(a.StateReason))
		}
	}
}
