package smoke

import "encoding/json"

// Cost estimates per step in US dollars, from us-east-1 list prices for what
// one run of the step uses in the sandbox profile. They are estimates for
// the budget note, not a bill; the always-on costs of the deployment (the
// provisioned shard, the KMS key) accrue with or without a smoke test.
const (
	// 100 readings: Kinesis PUT payload units ($0.014 per million), Firehose
	// ingestion ($0.029/GB, 5 KB minimum per record), format conversion
	// ($0.018/GB) and dynamic partitioning ($0.02/GB plus $0.005 per 1,000
	// objects), one transform Lambda call, S3 requests and KMS requests: well
	// under a tenth of a cent.
	costIngest = 0.001
	// Athena bills $5 per TB scanned with a 10 MB minimum ($0.00005); a sandbox
	// holding more data scans more, up to the analysts workgroup's
	// bytes-scanned cutoff of 1 GB ($0.005), which is the estimate.
	costQuery = 0.005
	// A few PutObject calls ($0.005 per 1,000) and KMS data keys ($0.03 per
	// 10,000 requests).
	costLanding = 0.0001
	// The crawler bills $0.44 per DPU-hour with a 10-minute minimum (2 DPUs:
	// $0.15); curate and features on G.1X x 2 (2 DPUs) bill per second with a
	// one-minute minimum, about 3 minutes each ($0.044 each).
	costETL = 0.24
	// SQS and SNS requests ($0.40-0.50 per million); SetAlarmState is free.
	costAlarm = 0.0001
	// Two state transitions ($0.025 per 1,000), one EventBridge delivery and
	// the SQS and SNS requests; events of AWS services to the default bus are free.
	costFailure = 0.0002
	// train-and-transform without the features job: training and batch
	// transform on ml.m5.large ($0.115/h) for about 5 minutes each, ~20 state
	// transitions, a Lambda call, a DynamoDB write, an SNS message (docs/ml.md).
	costML = 0.03
	// The features job on G.1X x 2 for about 3 minutes, when the execution
	// runs it (runFeatures).
	costMLFeatures = 0.04
)

// runsFeatures reports whether an execution input leaves runFeatures on
// (the state machine's default is true).
func runsFeatures(input string) bool {
	var in struct {
		RunFeatures *bool `json:"runFeatures"`
	}
	if json.Unmarshal([]byte(input), &in) != nil || in.RunFeatures == nil {
		return true
	}
	return *in.RunFeatures
}

// stepCost is the estimate of one step; mlInput is the execution input the
// ml step sends. An emulator bills nothing.
func stepCost(s Step, emulator bool, mlInput string) float64 {
	if emulator {
		return 0
	}
	switch s {
	case StepIngest:
		return costIngest
	case StepQuery:
		return costQuery
	case StepLanding:
		return costLanding
	case StepETL:
		return costETL
	case StepAlarm:
		return costAlarm
	case StepFailure:
		return costFailure
	case StepML:
		if runsFeatures(mlInput) {
			return costML + costMLFeatures
		}
		return costML
	}
	return 0
}

// estimate is the estimate of a step about to run.
func (r *runner) estimate(s Step) float64 {
	return stepCost(s, r.cfg.Emulator, r.mlInput())
}

// PlannedCost is the estimate of every step c leaves to run, taking the
// dearer ml run (with the features job) unless the input turns it off.
func PlannedCost(c Config) float64 {
	c = c.withDefaults()
	r := &runner{cfg: c}
	ml := c.MlInput
	if ml == "" {
		ml = `{"runFeatures": true}`
	}
	var sum float64
	for _, s := range r.planned() {
		sum += stepCost(s, c.Emulator, ml)
	}
	return sum
}
