package statemachines

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// state is the subset of an ASL state the structural tests read.
type state struct {
	Type           string          `json:"Type"`
	Next           string          `json:"Next"`
	End            bool            `json:"End"`
	Default        string          `json:"Default"`
	Resource       string          `json:"Resource"`
	Error          *string         `json:"Error"`
	Cause          *string         `json:"Cause"`
	ErrorPath      *string         `json:"ErrorPath"`
	CausePath      *string         `json:"CausePath"`
	TimeoutSeconds *int            `json:"TimeoutSeconds"`
	TimeoutPath    *string         `json:"TimeoutSecondsPath"`
	Parameters     json.RawMessage `json:"Parameters"`
	Choices        []choiceRule    `json:"Choices"`
	Retry          []retrier       `json:"Retry"`
	Catch          []catcher       `json:"Catch"`
	Branches       []machine       `json:"Branches"`
	Iterator       *machine        `json:"Iterator"`
	ItemProcessor  *machine        `json:"ItemProcessor"`
}

type choiceRule struct {
	Next string `json:"Next"`
}

type retrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds *float64 `json:"IntervalSeconds"`
	MaxAttempts     *int     `json:"MaxAttempts"`
	BackoffRate     *float64 `json:"BackoffRate"`
	JitterStrategy  string   `json:"JitterStrategy"`
}

type catcher struct {
	ErrorEquals []string `json:"ErrorEquals"`
	Next        string   `json:"Next"`
	ResultPath  *string  `json:"ResultPath"`
}

type machine struct {
	Comment        string           `json:"Comment"`
	StartAt        string           `json:"StartAt"`
	TimeoutSeconds *int             `json:"TimeoutSeconds"`
	States         map[string]state `json:"States"`
}

func load(t *testing.T, name string) machine {
	t.Helper()
	raw, err := Raw(name)
	if err != nil {
		t.Fatal(err)
	}
	var m machine
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// eachMachine runs f on every top-level machine and on every nested one
// (Parallel branches, Map iterators), naming each by its position.
func eachMachine(t *testing.T, f func(t *testing.T, where string, m machine)) {
	t.Helper()
	for _, name := range Names() {
		var walk func(where string, m machine)
		walk = func(where string, m machine) {
			f(t, where, m)
			for sn, s := range m.States {
				for i, b := range s.Branches {
					walk(fmt.Sprintf("%s/%s/branch%d", where, sn, i), b)
				}
				if s.Iterator != nil {
					walk(where+"/"+sn+"/Iterator", *s.Iterator)
				}
				if s.ItemProcessor != nil {
					walk(where+"/"+sn+"/ItemProcessor", *s.ItemProcessor)
				}
			}
		}
		walk(name, load(t, name))
	}
}

func successors(s state) []string {
	var out []string
	if s.Next != "" {
		out = append(out, s.Next)
	}
	if s.Default != "" {
		out = append(out, s.Default)
	}
	for _, c := range s.Choices {
		out = append(out, c.Next)
	}
	for _, c := range s.Catch {
		out = append(out, c.Next)
	}
	return out
}

func TestNames(t *testing.T) {
	got := Names()
	want := []string{DataQuality, TrainAndTransform, Tune}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	if _, err := Raw("nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("Raw(unknown) error = %v, want one naming the machine", err)
	}
}

func TestValidJSON(t *testing.T) {
	for _, name := range Names() {
		raw, err := Raw(name)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(raw) {
			t.Errorf("%s is not valid JSON", name)
		}
		var m machine
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if m.Comment == "" {
			t.Errorf("%s: no Comment", name)
		}
	}
}

// collectStrings appends every JSON string (object keys included) in v.
func collectStrings(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case []any:
		for _, e := range x {
			collectStrings(e, out)
		}
	case map[string]any:
		for k, e := range x {
			*out = append(*out, k)
			collectStrings(e, out)
		}
	}
}

// Every ${Name} must sit inside a JSON string, so textual substitution keeps
// the file valid JSON whatever the value (as long as it needs no escaping).
func TestPlaceholdersOnlyInsideStrings(t *testing.T) {
	for _, name := range Names() {
		raw, _ := Raw(name)
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		var strs []string
		collectStrings(v, &strs)
		inStrings := 0
		for _, s := range strs {
			inStrings += len(placeholder.FindAllString(s, -1))
		}
		if total := len(placeholder.FindAll(raw, -1)); total != inStrings {
			t.Errorf("%s: %d placeholders in the file, %d inside JSON strings", name, total, inStrings)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	got := Placeholders([]byte(`{"a":"${B}-${A}","b":"${A}","c":"$.x","d":"${not valid}"}`))
	if strings.Join(got, ",") != "A,B" {
		t.Fatalf("Placeholders = %v, want [A B]", got)
	}
	want := map[string][]string{
		TrainAndTransform: {"AnalyticsBucket", "DatasetKey", "DefaultMinAuc", "EvaluateFunctionArn", "FeaturesJobName", "FeaturesJobTimeoutSeconds", "JobPrefix", "KmsKeyArn", "ModelFamily",
			"ModelOutputUri", "Partition", "RegistryTableName", "SageMakerRoleArn", "SecurityGroupId", "SubnetIds", "TopicArn",
			"TrainingInstanceType", "TransformInstanceType", "TransformOutputUri", "XGBoostImage"},
		Tune: {"AnalyticsBucket", "DatasetKey", "EvaluateFunctionArn", "FeaturesJobName", "FeaturesJobTimeoutSeconds", "JobPrefix", "KmsKeyArn", "ModelOutputUri", "Partition",
			"SageMakerRoleArn", "SecurityGroupId", "SubnetIds", "TopicArn",
			"TrainingInstanceType", "TransformInstanceType", "TransformOutputUri", "TuningJobPrefix",
			"TuningMaxJobs", "TuningMaxParallelJobs", "XGBoostImage"},
		DataQuality: {"Database", "Partition", "QualityRoleArn", "Ruleset", "Table", "TopicArn"},
	}
	for name, w := range want {
		raw, _ := Raw(name)
		if got := Placeholders(raw); strings.Join(got, ",") != strings.Join(w, ",") {
			t.Errorf("%s placeholders = %v\nwant %v", name, got, w)
		}
	}
}

// sampleValues holds realistic substitution values at their maximum lengths.
var sampleValues = map[string]string{
	"JobPrefix":                 "datalake-sandbox-abcdefghijk", // 28 characters
	"TuningJobPrefix":           "datalake-sandbox-tune-x",      // 23 characters
	"XGBoostImage":              "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
	"SageMakerRoleArn":          "arn:aws:iam::123456789012:role/sagemaker-execution",
	"KmsKeyArn":                 "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
	"SubnetIds":                 "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
	"SecurityGroupId":           "sg-0123456789abcdef0",
	"AnalyticsBucket":           "datalake-sandbox-storage-analyticsbucket39eaaeea-abcdefghijkl", // 63 characters
	"DatasetKey":                "training/telemetry/current.json",
	"ModelOutputUri":            "s3://analytics-bucket/models/",
	"TransformOutputUri":        "s3://analytics-bucket/batch-transform/",
	"TrainingInstanceType":      "ml.m5.xlarge",
	"TransformInstanceType":     "ml.m5.large",
	"TuningMaxJobs":             "20",
	"DefaultMinAuc":             "0.75",
	"TuningMaxParallelJobs":     "2",
	"FeaturesJobName":           "datalake-features",
	"EvaluateFunctionArn":       "arn:aws:lambda:us-east-1:123456789012:function:evaluate",
	"RegistryTableName":         "model-registry",
	"ModelFamily":               "telemetry-anomaly",
	"TopicArn":                  "arn:aws:sns:us-east-1:123456789012:ml-notifications",
	"Partition":                 "aws-us-gov", // the longest partition name
	"FeaturesJobTimeoutSeconds": "15300",
	"Database":                  "datalake_sandbox",
	"Table":                     "curated_telemetry",
	"Ruleset":                   "datalake-sandbox-curated_telemetry",
	"QualityRoleArn":            "arn:aws:iam::123456789012:role/data-quality",
}

func substitute(t *testing.T, name string) []byte {
	t.Helper()
	raw, _ := Raw(name)
	out := placeholder.ReplaceAllFunc(raw, func(m []byte) []byte {
		k := string(m[2 : len(m)-1])
		v, ok := sampleValues[k]
		if !ok {
			t.Fatalf("%s: no sample value for %s", name, k)
		}
		return []byte(v)
	})
	if !json.Valid(out) {
		t.Fatalf("%s: not valid JSON after substitution", name)
	}
	return out
}

func TestCheck(t *testing.T) {
	for _, name := range Names() {
		raw, _ := Raw(name)
		provided := map[string]string{}
		for _, p := range Placeholders(raw) {
			provided[p] = sampleValues[p]
		}
		if err := Check(name, provided); err != nil {
			t.Errorf("Check(%s, complete) = %v", name, err)
		}

		partial := map[string]string{"Bogus": "x"}
		for k, v := range provided {
			partial[k] = v
		}
		delete(partial, "TopicArn")
		partial["KmsKeyArn"] = ""
		err := Check(name, partial)
		if err == nil {
			t.Fatalf("Check(%s, partial) = nil", name)
		}
		for _, want := range []string{"TopicArn", "KmsKeyArn", "Bogus"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Check(%s, partial) = %q, want it to name %s", name, err, want)
			}
		}
	}
	if err := Check("nope", nil); err == nil {
		t.Error("Check(unknown) = nil")
	}
}

func TestMachineHasTimeout(t *testing.T) {
	for _, name := range Names() {
		m := load(t, name)
		if m.TimeoutSeconds == nil || *m.TimeoutSeconds <= 0 {
			t.Errorf("%s: no TimeoutSeconds on the machine", name)
		}
	}
}

func TestTransitionsNameExistingStates(t *testing.T) {
	eachMachine(t, func(t *testing.T, where string, m machine) {
		if _, ok := m.States[m.StartAt]; !ok {
			t.Errorf("%s: StartAt %q is not a state", where, m.StartAt)
		}
		for sn, s := range m.States {
			for _, next := range successors(s) {
				if _, ok := m.States[next]; !ok {
					t.Errorf("%s/%s: transition to missing state %q", where, sn, next)
				}
			}
		}
	})
}

func TestEveryStateReachable(t *testing.T) {
	eachMachine(t, func(t *testing.T, where string, m machine) {
		seen := map[string]bool{}
		queue := []string{m.StartAt}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			if seen[n] {
				continue
			}
			seen[n] = true
			queue = append(queue, successors(m.States[n])...)
		}
		for sn := range m.States {
			if !seen[sn] {
				t.Errorf("%s: state %s is unreachable from %s", where, sn, m.StartAt)
			}
		}
	})
}

func TestNoDeadEnds(t *testing.T) {
	eachMachine(t, func(t *testing.T, where string, m machine) {
		for sn, s := range m.States {
			switch s.Type {
			case "Succeed", "Fail":
				if s.Next != "" || s.End {
					t.Errorf("%s/%s: %s state must not have Next or End", where, sn, s.Type)
				}
			case "Choice":
				if len(s.Choices) == 0 {
					t.Errorf("%s/%s: Choice without rules", where, sn)
				}
				if s.Default == "" {
					t.Errorf("%s/%s: Choice without Default (States.NoChoiceMatched would fail the run uncaught)", where, sn)
				}
			default:
				if (s.Next == "") == !s.End {
					t.Errorf("%s/%s: needs exactly one of Next or End", where, sn)
				}
			}
		}
	})
}

func TestFailStatesHaveErrorAndCause(t *testing.T) {
	eachMachine(t, func(t *testing.T, where string, m machine) {
		for sn, s := range m.States {
			if s.Type != "Fail" {
				continue
			}
			if (s.Error == nil || *s.Error == "") && s.ErrorPath == nil {
				t.Errorf("%s/%s: Fail state without Error", where, sn)
			}
			if (s.Cause == nil || *s.Cause == "") && s.CausePath == nil {
				t.Errorf("%s/%s: Fail state without Cause", where, sn)
			}
		}
	})
}

func TestTasksRetryAndCatch(t *testing.T) {
	eachMachine(t, func(t *testing.T, where string, m machine) {
		for sn, s := range m.States {
			if s.Type != "Task" {
				continue
			}
			if len(s.Retry) == 0 {
				t.Errorf("%s/%s: Task without Retry", where, sn)
			}
			for i, r := range s.Retry {
				if len(r.ErrorEquals) == 0 {
					t.Errorf("%s/%s: Retry[%d] without ErrorEquals", where, sn, i)
				}
				if r.BackoffRate == nil || *r.BackoffRate <= 1 {
					t.Errorf("%s/%s: Retry[%d] needs BackoffRate > 1", where, sn, i)
				}
				if r.MaxAttempts == nil || *r.MaxAttempts < 1 {
					t.Errorf("%s/%s: Retry[%d] needs MaxAttempts >= 1", where, sn, i)
				}
				if r.IntervalSeconds == nil || *r.IntervalSeconds < 1 {
					t.Errorf("%s/%s: Retry[%d] needs IntervalSeconds >= 1", where, sn, i)
				}
				if r.JitterStrategy != "FULL" {
					t.Errorf("%s/%s: Retry[%d] JitterStrategy = %q, want FULL", where, sn, i, r.JitterStrategy)
				}
				for _, e := range r.ErrorEquals {
					// Retries are for throttling and service errors; a failed job,
					// a Lambda function error or a timeout is never retried.
					if e == "States.ALL" || e == "States.TaskFailed" || e == "States.Timeout" {
						t.Errorf("%s/%s: Retry[%d] retries %s", where, sn, i, e)
					}
				}
			}
			all := false
			for _, c := range s.Catch {
				for _, e := range c.ErrorEquals {
					if e == "States.ALL" {
						all = true
					}
				}
			}
			if !all {
				t.Errorf("%s/%s: no Catch covering States.ALL", where, sn)
			}
			if (s.TimeoutSeconds == nil || *s.TimeoutSeconds <= 0) && (s.TimeoutPath == nil || !strings.HasPrefix(*s.TimeoutPath, "$.limits.")) {
				t.Errorf("%s/%s: Task without TimeoutSeconds (or a TimeoutSecondsPath into the deployment's $.limits)", where, sn)
			}
		}
	})
}

// Every caught failure reaches the failure notification, which itself falls
// through to a Fail state even when publishing fails.
func TestFailuresAreNotified(t *testing.T) {
	for _, name := range Names() {
		m := load(t, name)
		nf, ok := m.States["NotifyFailure"]
		if !ok {
			t.Fatalf("%s: no NotifyFailure state", name)
		}
		if nf.Resource != "arn:${Partition}:states:::sns:publish" {
			t.Errorf("%s: NotifyFailure resource = %s", name, nf.Resource)
		}
		if m.States[nf.Next].Type != "Fail" {
			t.Errorf("%s: NotifyFailure goes to %s, want a Fail state", name, nf.Next)
		}
		for _, c := range nf.Catch {
			if m.States[c.Next].Type != "Fail" {
				t.Errorf("%s: NotifyFailure's Catch goes to %s, want a Fail state", name, c.Next)
			}
			if c.ResultPath != nil && *c.ResultPath == "$.error" {
				t.Errorf("%s: NotifyFailure's Catch overwrites the original $.error", name)
			}
		}
		for sn, s := range m.States {
			if s.Type != "Task" || sn == "NotifyFailure" {
				continue
			}
			for _, c := range s.Catch {
				if c.Next != "NotifyFailure" {
					t.Errorf("%s/%s: Catch goes to %s, want NotifyFailure", name, sn, c.Next)
				}
				if c.ResultPath == nil || *c.ResultPath != "$.error" {
					t.Errorf("%s/%s: Catch ResultPath should be $.error", name, sn)
				}
			}
		}
	}
}

func TestFirstStateValidatesInput(t *testing.T) {
	fields := map[string][]string{
		TrainAndTransform: {"minAuc", "threshold", "runFeatures"},
		Tune:              {"threshold", "runFeatures"},
		DataQuality:       {"jobRunId"},
	}
	for _, name := range Names() {
		m := load(t, name)
		first := m.States[m.StartAt]
		if m.StartAt != "ValidateInput" || first.Type != "Choice" {
			t.Fatalf("%s: first state %s (%s), want the ValidateInput Choice", name, m.StartAt, first.Type)
		}
		raw, _ := Raw(name)
		var doc struct {
			States map[string]json.RawMessage `json:"States"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		validate := string(doc.States["ValidateInput"])
		for _, f := range fields[name] {
			if !strings.Contains(validate, `"$.`+f+`"`) {
				t.Errorf("%s: ValidateInput does not check %s", name, f)
			}
		}
		if len(first.Choices) != len(fields[name]) {
			t.Errorf("%s: ValidateInput has %d rules, want one per field (%d)", name, len(first.Choices), len(fields[name]))
		}
		for _, c := range first.Choices {
			fail := m.States[c.Next]
			if fail.Type != "Fail" || fail.Error == nil || *fail.Error != "InvalidInput" {
				t.Errorf("%s: ValidateInput rule goes to %s, want a Fail with Error InvalidInput", name, c.Next)
				continue
			}
			named := false
			for _, f := range fields[name] {
				if strings.Contains(*fail.Cause, "field "+f+" ") {
					named = true
				}
			}
			if !named {
				t.Errorf("%s/%s: Cause %q names no input field", name, c.Next, *fail.Cause)
			}
		}
		if m.States[first.Default].Type == "Fail" {
			t.Errorf("%s: ValidateInput's Default is a Fail state", name)
		}
	}
}

// sageMakerNameFields are the request fields that name a SageMaker resource
// the state machine creates.
var sageMakerNameFields = map[string]string{
	"arn:${Partition}:states:::sagemaker:createTrainingJob.sync":             "TrainingJobName",
	"arn:${Partition}:states:::sagemaker:createModel":                        "ModelName",
	"arn:${Partition}:states:::sagemaker:createTransformJob.sync":            "TransformJobName",
	"arn:${Partition}:states:::sagemaker:createHyperParameterTuningJob.sync": "HyperParameterTuningJobName",
}

var formatName = regexp.MustCompile(`^States\.Format\('(\$\{(JobPrefix|TuningJobPrefix)\}[a-z0-9-]*)\{\}'\s*,\s*\$\.runId\)$`)

// Every SageMaker name is built from a prefix placeholder and the run id, so
// IAM can restrict the role to the prefix, and the longest possible name is
// within SageMaker's limits.
func TestSageMakerNamesUsePrefix(t *testing.T) {
	for _, name := range ML {
		m := load(t, name)
		var doc struct {
			States map[string]struct {
				Parameters map[string]any `json:"Parameters"`
			} `json:"States"`
		}
		raw, _ := Raw(name)
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		jobs := doc.States["NameJobs"].Parameters
		if jobs == nil {
			t.Fatalf("%s: no NameJobs state", name)
		}
		runIDLen := runIDLength(t, name, doc.States["ApplyDefaults"].Parameters)

		created := 0
		for sn, s := range m.States {
			field, ok := sageMakerNameFields[s.Resource]
			if !ok {
				if strings.Contains(s.Resource, ":sagemaker:create") {
					t.Errorf("%s/%s: SageMaker create call %s not covered by this test", name, sn, s.Resource)
				}
				continue
			}
			created++
			var params map[string]any
			if err := json.Unmarshal(s.Parameters, &params); err != nil {
				t.Fatal(err)
			}
			path, _ := params[field+".$"].(string)
			if !strings.HasPrefix(path, "$.jobs.") {
				t.Errorf("%s/%s: %s comes from %q, want $.jobs.*", name, sn, field, path)
				continue
			}
			expr, _ := jobs[strings.TrimPrefix(path, "$.jobs.")+".$"].(string)
			mm := formatName.FindStringSubmatch(expr)
			if mm == nil {
				t.Errorf("%s/%s: %s is built by %q, want States.Format('${JobPrefix}-...-{}', $.runId)", name, sn, field, expr)
				continue
			}
			longest := strings.ReplaceAll(mm[1], "${"+mm[2]+"}", sampleValues[mm[2]]) + strings.Repeat("f", runIDLen)
			limit := 63
			if field == "HyperParameterTuningJobName" {
				limit = 32
			}
			if len(longest) > limit || !regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9])*$`).MatchString(longest) {
				t.Errorf("%s/%s: longest %s %q (%d chars) breaks SageMaker's rule (<= %d, [a-zA-Z0-9-])", name, sn, field, longest, len(longest), limit)
			}
		}
		if created == 0 {
			t.Errorf("%s: no SageMaker create calls found", name)
		}
	}
}

// runIDLength works out how many hex digits of one UUID the run id keeps.
func runIDLength(t *testing.T, name string, params map[string]any) int {
	t.Helper()
	expr, _ := params["runId.$"].(string)
	if strings.Count(expr, "States.UUID()") > 0 {
		t.Errorf("%s: runId draws its own UUID; it must split the one drawn in Initialize", name)
	}
	groups := []int{8, 4, 4, 4, 12}
	n := 0
	for _, m := range regexp.MustCompile(`States\.ArrayGetItem\(States\.StringSplit\(\$\.uuid, '-'\), (\d)\)`).FindAllStringSubmatch(expr, -1) {
		n += groups[m[1][0]-'0']
	}
	if n == 0 {
		t.Fatalf("%s: cannot read the run id expression %q", name, expr)
	}
	return n
}

func TestRunIDLengths(t *testing.T) {
	want := map[string]int{TrainAndTransform: 12, Tune: 8}
	for _, name := range ML {
		raw, _ := Raw(name)
		var doc struct {
			States map[string]struct {
				Parameters map[string]any `json:"Parameters"`
			} `json:"States"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		if got := runIDLength(t, name, doc.States["ApplyDefaults"].Parameters); got != want[name] {
			t.Errorf("%s: run id has %d hex digits, want %d", name, got, want[name])
		}
		if !strings.Contains(string(raw), `"uuid.$": "States.UUID()"`) || strings.Count(string(raw), "States.UUID()") != 1 {
			t.Errorf("%s: want exactly one States.UUID() call, in Initialize", name)
		}
	}
}

func TestSageMakerSyncRetriesNeverRetryJobFailure(t *testing.T) {
	for _, name := range Names() {
		m := load(t, name)
		for sn, s := range m.States {
			if !strings.Contains(s.Resource, ":sagemaker:") || !strings.HasSuffix(s.Resource, ".sync") {
				continue
			}
			for i, r := range s.Retry {
				for _, e := range r.ErrorEquals {
					if e == "States.ALL" || e == "States.TaskFailed" || !strings.HasPrefix(e, "SageMaker.") {
						t.Errorf("%s/%s: Retry[%d] on %s would re-run a failed job", name, sn, i, e)
					}
				}
			}
		}
	}
}

// The batch transform result decides where Evaluate reads, so a mocked
// DescribeTransformJob response steers the evaluation in emulator tests.
func TestEvaluateReadsTransformDescription(t *testing.T) {
	for _, name := range ML {
		raw, _ := Raw(name)
		var doc struct {
			States map[string]struct {
				ResultSelector map[string]string `json:"ResultSelector"`
				ResultPath     string            `json:"ResultPath"`
				Parameters     struct {
					Payload map[string]any `json:"Payload"`
				} `json:"Parameters"`
			} `json:"States"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		bt := doc.States["BatchTransform"]
		if bt.ResultSelector["outputUri.$"] != "$.TransformOutput.S3OutputPath" ||
			bt.ResultSelector["inputUri.$"] != "$.TransformInput.DataSource.S3DataSource.S3Uri" ||
			bt.ResultPath != "$.transform" {
			t.Errorf("%s: BatchTransform result = %v at %s", name, bt.ResultSelector, bt.ResultPath)
		}
		p := doc.States["Evaluate"].Parameters.Payload
		if p["predictionsUri.$"] != "$.transform.outputUri" || p["labelsUri.$"] != "$.transform.inputUri" ||
			p["problemType"] != "binary" || p["threshold.$"] != "$.config.threshold" {
			t.Errorf("%s: Evaluate payload = %v", name, p)
		}
	}
}

func TestSubstitutedDefinitionsAreValid(t *testing.T) {
	for _, name := range Names() {
		out := substitute(t, name)
		if placeholder.Match(out) {
			t.Errorf("%s: placeholder left after substitution", name)
		}
	}
}

func aslValidator(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "node_modules", ".bin", "asl-validator"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skip("node_modules/.bin/asl-validator not found: run make deps")
	}
	return bin
}

// asl-validator checks the schema and every JSONPath and Resource ARN; it runs
// on the definitions after substitution (the stored files name the partition
// in Resource ARNs with ${Partition}, which its ARN patterns refuse), with
// aws-us-gov as the partition, so a hard-coded "arn:aws:" would also show.
func TestASLValidator(t *testing.T) {
	bin := aslValidator(t)
	dir := t.TempDir()
	names := Names()
	sort.Strings(names)
	for _, name := range names {
		sub := filepath.Join(dir, name+".substituted.asl.json")
		if err := os.WriteFile(sub, substitute(t, name), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{sub} {
			cmd := exec.Command(bin, "--json-path", path)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("asl-validator %s: %v\n%s", path, err, out)
			}
		}
	}
}

// The emulator mock configuration must only name states that exist, must
// cover every SageMaker and Glue task, and must leave the Lambda, DynamoDB and
// SNS tasks to the real emulated services.
func TestMockConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "mock-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		StateMachines map[string]struct {
			TestCases map[string]map[string]string `json:"TestCases"`
		} `json:"StateMachines"`
		MockedResponses map[string]map[string]map[string]json.RawMessage `json:"MockedResponses"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	wantCases := map[string][]string{
		TrainAndTransform: {"BelowThreshold", "HappyPath", "TrainingFails", "TransformFails"},
		Tune:              {"HappyPath", "TuningFails"},
	}
	for sm, cases := range wantCases {
		m := load(t, sm)
		got := cfg.StateMachines[sm].TestCases
		var names []string
		for c := range got {
			names = append(names, c)
		}
		sort.Strings(names)
		if strings.Join(names, ",") != strings.Join(cases, ",") {
			t.Errorf("%s: test cases %v, want %v", sm, names, cases)
		}
		for c, states := range got {
			for st, resp := range states {
				s, ok := m.States[st]
				if !ok {
					t.Errorf("%s#%s: mocks missing state %s", sm, c, st)
					continue
				}
				if strings.Contains(s.Resource, "lambda:") || strings.Contains(s.Resource, "dynamodb:") || strings.Contains(s.Resource, "sns:") {
					t.Errorf("%s#%s: %s must run against the emulator, not a mock", sm, c, st)
				}
				r, ok := cfg.MockedResponses[resp]
				if !ok {
					t.Errorf("%s#%s: %s uses unknown response %s", sm, c, st, resp)
					continue
				}
				for attempt, body := range r {
					if !regexp.MustCompile(`^\d+(-\d+)?$`).MatchString(attempt) {
						t.Errorf("response %s: attempt key %q", resp, attempt)
					}
					_, ret := body["Return"]
					_, thr := body["Throw"]
					if ret == thr {
						t.Errorf("response %s/%s: want exactly one of Return or Throw", resp, attempt)
					}
				}
			}
		}
	}
}
