package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const (
	labelsPrefix = "s3://lake-bucket/training/telemetry/validation/"
	predsPrefix  = "s3://lake-bucket/batch-transform/job-1/"
	testKeyARN   = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
)

func binaryEvent() string {
	return `{"predictionsUri":"` + predsPrefix + `","labelsUri":"` + labelsPrefix + `"}`
}

// invoke runs the handler on a raw event.
func invoke(t *testing.T, e *evaluator, event string) (*Result, error) {
	t.Helper()
	return e.Handle(context.Background(), json.RawMessage(event))
}

// putPair stores a label object (rel below labelsPrefix) and its .out.
func putPair(t testing.TB, f *fakeS3, rel, labels, preds string) {
	t.Helper()
	f.put(t, labelsPrefix+rel, labels)
	f.put(t, predsPrefix+rel+".out", preds)
}

// The same rows split over several part files, nested and not, give the
// metrics of the whole, which are written where and how the lake requires
// and returned unchanged.
func TestEvaluateMultiplePartFiles(t *testing.T) {
	f := newFakeS3()
	// Rows of TestBinaryHandComputed, in three files; features follow the label.
	putPair(t, f, "part-0.csv", "1,3.5,7\n1,2.0,1\n1,0,0\n", "0.9\n0.8\n0.4\n")
	putPair(t, f, "part-1.csv", "1,9,9\r\n0,1,1\r\n0,2,2\r\n0,3,3\r\n", "0.6\r\n0.7\r\n0.3\r\n0.2\r\n")
	putPair(t, f, "day=2/part-0.csv", "0,1\n0,1\n0,1", "0.5\n0.1\n0.05")
	e, logs := testEvaluator(f, testKeyARN)
	res, err := invoke(t, e, binaryEvent())
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 3 || res.Rows != 10 || res.ConfusionMatrix != (ConfusionMatrix{TP: 3, FP: 2, TN: 4, FN: 1}) || *res.AUC != 0.875 {
		t.Errorf("result %+v %+v", res, res.BinaryMetrics)
	}
	if res.EvaluatedAt != "2026-03-07T08:15:00Z" || res.MetricsURI != predsPrefix+"metrics.json" ||
		res.LabelsURI != labelsPrefix || res.PredictionsURI != predsPrefix || res.ProblemType != "binary" {
		t.Errorf("result header %+v", res)
	}

	if len(f.puts) != 1 {
		t.Fatalf("%d puts", len(f.puts))
	}
	put := f.puts[0]
	if aws.ToString(put.Bucket) != "lake-bucket" || aws.ToString(put.Key) != "batch-transform/job-1/metrics.json" ||
		put.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(put.SSEKMSKeyId) != testKeyARN ||
		aws.ToString(put.ContentType) != "application/json" {
		t.Errorf("put %s/%s sse %q key %q type %q", aws.ToString(put.Bucket), aws.ToString(put.Key), put.ServerSideEncryption, aws.ToString(put.SSEKMSKeyId), aws.ToString(put.ContentType))
	}
	written, _ := f.get(t, predsPrefix+"metrics.json")
	if !bytes.HasPrefix(written.data, []byte("{\n  \"problemType\": \"binary\",\n")) {
		t.Errorf("metrics not indented JSON:\n%s", written.data)
	}
	var back Result
	if err := json.Unmarshal(written.data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, res) {
		t.Errorf("written metrics differ from the result:\n%s", written.data)
	}
	if f.openBodies != 0 {
		t.Errorf("%d object bodies left open", f.openBodies)
	}
	for _, want := range []string{`"msg":"evaluating"`, `"msg":"file evaluated","labels":"` + labelsPrefix + `day=2/part-0.csv"`, `"msg":"evaluated"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}

	// A second run reads the same pairs, ignoring the metrics object now
	// under the predictions prefix.
	again, err := invoke(t, e, binaryEvent())
	if err != nil || !reflect.DeepEqual(again, res) {
		t.Errorf("second run %+v %v", again, err)
	}
}

// Listings are paginated (the fake returns two keys a page) and pairs are
// processed in key order whatever order a page lists them in.
func TestEvaluatePaginatesAndSorts(t *testing.T) {
	f := newFakeS3()
	for i := range 7 {
		putPair(t, f, fmt.Sprintf("part-%02d.csv", i), "1\n0\n", "0.75\n0.25\n")
	}
	e, logs := testEvaluator(f, "")
	res, err := invoke(t, e, binaryEvent())
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 7 || res.Rows != 14 || *res.AUC != 1 {
		t.Errorf("files %d rows %d auc %v", res.Files, res.Rows, *res.AUC)
	}
	if f.listCalls < 8 {
		t.Errorf("%d list calls: the listing was not paginated", f.listCalls)
	}
	if f.puts[0].SSEKMSKeyId != nil || f.puts[0].ServerSideEncryption != types.ServerSideEncryptionAwsKms {
		t.Errorf("without %s: sse %q key %v", keyEnv, f.puts[0].ServerSideEncryption, f.puts[0].SSEKMSKeyId)
	}
	var order []string
	for line := range strings.Lines(logs.String()) {
		var m struct{ Msg, Labels string }
		if json.Unmarshal([]byte(line), &m) == nil && m.Msg == "file evaluated" {
			order = append(order, strings.TrimPrefix(m.Labels, labelsPrefix))
		}
	}
	want := []string{"part-00.csv", "part-01.csv", "part-02.csv", "part-03.csv", "part-04.csv", "part-05.csv", "part-06.csv"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("order %v", order)
	}
}

func TestEvaluateSkipsNonDataObjects(t *testing.T) {
	f := newFakeS3()
	putPair(t, f, "part-0.csv", "1\n0\n", "0.6\n0.4\n")
	// None of these has an .out, and none may be read as labels.
	for _, rel := range []string{"_SUCCESS", "part-0.csv.crc", ".part-0.csv.crc", "manifest.json", "sub/manifest.json",
		".hidden", "_temporary/0/part-9.csv", "folder/", "x/_SUCCESS", "not a number.crc"} {
		f.put(t, labelsPrefix+rel, "garbage,not,a,label\n")
	}
	f.put(t, labelsPrefix, "") // the prefix's own folder marker
	// An empty label object and one of blank lines may lack an .out.
	f.put(t, labelsPrefix+"part-1.csv", "")
	f.put(t, labelsPrefix+"part-2.csv", "\n\r\n  \n")
	// Empty with an .out that is empty too: a pair of zero rows.
	putPair(t, f, "part-3.csv", "", "")
	e, logs := testEvaluator(f, "")
	res, err := invoke(t, e, binaryEvent())
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 2 || res.Rows != 2 {
		t.Errorf("files %d rows %d", res.Files, res.Rows)
	}
	for _, want := range []string{`"msg":"label objects ignored","count":11`, `"msg":"empty label objects without predictions skipped","count":2`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
}

// Predictions nested under the labels prefix are not labels; .out objects
// without a label object are reported, not used.
func TestEvaluatePredictionsUnderLabelsAndOrphans(t *testing.T) {
	f := newFakeS3()
	f.put(t, "s3://b-1/data/part-0.csv", "1\n0\n")
	f.put(t, "s3://b-1/data/out/part-0.csv.out", "0.9\n0.1\n")
	f.put(t, "s3://b-1/data/out/stray.csv.out", "0.5\n")
	e, logs := testEvaluator(f, "")
	res, err := invoke(t, e, `{"predictionsUri":"s3://b-1/data/out","labelsUri":"s3://b-1/data","metricsUri":"s3://b-2/m/eval.json"}`)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 1 || res.Rows != 2 || res.MetricsURI != "s3://b-2/m/eval.json" || res.LabelsURI != "s3://b-1/data/" || res.PredictionsURI != "s3://b-1/data/out/" {
		t.Errorf("result %+v", res)
	}
	if _, ok := f.get(t, "s3://b-2/m/eval.json"); !ok {
		t.Error("metrics not written to metricsUri")
	}
	if !strings.Contains(logs.String(), `"msg":"predictions without a label object","count":1,"keys":["data/out/stray.csv.out"]`) {
		t.Errorf("orphan not logged:\n%s", logs)
	}
}

func TestEvaluateRegression(t *testing.T) {
	f := newFakeS3()
	putPair(t, f, "a.csv", "1,x\n2,y\n", "1\n3\n")
	putPair(t, f, "b.csv", "3\n4\n", "2\n6\n")
	e, _ := testEvaluator(f, "")
	res, err := invoke(t, e, `{"predictionsUri":"`+predsPrefix+`","labelsUri":"`+labelsPrefix+`","problemType":"regression"}`)
	if err != nil {
		t.Fatal(err)
	}
	// The values of TestRegressionHandComputed.
	if res.ProblemType != "regression" || res.Rows != 4 || res.MAE != 1 || !near(*res.R2, -0.2) || res.BinaryMetrics != nil {
		t.Errorf("result %+v %+v", res, res.RegressionMetrics)
	}
	written, _ := f.get(t, predsPrefix+"metrics.json")
	if bytes.Contains(written.data, []byte("auc")) || !bytes.Contains(written.data, []byte(`"rmse": 1.224744871391589`)) {
		t.Errorf("regression metrics:\n%s", written.data)
	}
}

// Every failure names what failed, with both objects where two are involved.
func TestEvaluateErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, f *fakeS3)
		event string
		want  string // the exact error, or a prefix ending in "…"
	}{
		{"no label objects", func(t *testing.T, f *fakeS3) {}, binaryEvent(),
			"no label objects found under " + labelsPrefix + " (0 listed, 0 ignored)"},
		{"only ignored objects", func(t *testing.T, f *fakeS3) { f.put(t, labelsPrefix+"_SUCCESS", "") }, binaryEvent(),
			"no label objects found under " + labelsPrefix + " (1 listed, 1 ignored)"},
		{"only empty label objects", func(t *testing.T, f *fakeS3) { putPair(t, f, "p.csv", "\n", "") }, binaryEvent(),
			"no data rows: every label object under " + labelsPrefix + " is empty"},
		{"missing .out", func(t *testing.T, f *fakeS3) {
			putPair(t, f, "part-0.csv", "1\n", "0.5\n")
			f.put(t, labelsPrefix+"part-1.csv", "1,2\n0,3\n")
		}, binaryEvent(),
			"predictions " + predsPrefix + "part-1.csv.out not found for labels " + labelsPrefix + "part-1.csv, which has 2 rows: …"},
		{"fewer predictions", func(t *testing.T, f *fakeS3) {
			putPair(t, f, "part-0.csv", "1\n0\n\n1\n", "0.5\n\n0.5\n")
		}, binaryEvent(),
			"predictions " + predsPrefix + "part-0.csv.out has 2 rows but labels " + labelsPrefix + "part-0.csv has 3"},
		{"more predictions", func(t *testing.T, f *fakeS3) {
			putPair(t, f, "part-0.csv", "1\n", "0.5\n0.5\n0.5")
		}, binaryEvent(),
			"predictions " + predsPrefix + "part-0.csv.out has 3 rows but labels " + labelsPrefix + "part-0.csv has 1"},
		{"label not a number", func(t *testing.T, f *fakeS3) {
			putPair(t, f, "k.csv", "1\n\nabc,1\n", "0.5\n0.5\n")
		}, binaryEvent(),
			`labels ` + labelsPrefix + `k.csv line 3: "abc" is not a number`},
		{"label not binary", func(t *testing.T, f *fakeS3) { putPair(t, f, "k.csv", "1\n2\n", "0.5\n0.5\n") }, binaryEvent(),
			`labels ` + labelsPrefix + `k.csv line 2: 2 is not a binary label (0 or 1)`},
		{"empty label field", func(t *testing.T, f *fakeS3) { putPair(t, f, "k.csv", ",1\n", "0.5\n") }, binaryEvent(),
			`labels ` + labelsPrefix + `k.csv line 1: the first field is empty, not a number`},
		{"score not a probability", func(t *testing.T, f *fakeS3) { putPair(t, f, "k.csv", "1\n0\n", "0.5\n1.5\n") }, binaryEvent(),
			`predictions ` + predsPrefix + `k.csv.out line 2: 1.5 is not a probability in [0, 1]`},
		{"score NaN", func(t *testing.T, f *fakeS3) { putPair(t, f, "k.csv", "1\n", "NaN\n") }, binaryEvent(),
			`predictions ` + predsPrefix + `k.csv.out line 1: "NaN" is not a number`},
		{"score out of range", func(t *testing.T, f *fakeS3) { putPair(t, f, "k.csv", "1\n", "1e309\n") },
			`{"predictionsUri":"` + predsPrefix + `","labelsUri":"` + labelsPrefix + `","problemType":"regression"}`,
			`predictions ` + predsPrefix + `k.csv.out line 1: "1e309" is out of the float64 range`},
		{"read failure", func(t *testing.T, f *fakeS3) {
			putPair(t, f, "k.csv", "1\n", "0.5\n")
			f.getErr[location{"lake-bucket", "batch-transform/job-1/k.csv.out"}] = errors.New("access denied")
		}, binaryEvent(),
			"read predictions " + predsPrefix + "k.csv.out: access denied"},
		{"two probabilities a line", func(t *testing.T, f *fakeS3) { putPair(t, f, "k.csv", "1\n0\n", "0.2\n0.9,0.1\n") }, binaryEvent(),
			`predictions ` + predsPrefix + `k.csv.out line 2: has 2 comma-separated fields, not one score: …`},
		{"per-class probabilities", func(t *testing.T, f *fakeS3) {
			putPair(t, f, "k.csv", "1\n", "0.1,0.7,0.2\n")
		}, `{"predictionsUri":"` + predsPrefix + `","labelsUri":"` + labelsPrefix + `","problemType":"regression"}`,
			`predictions ` + predsPrefix + `k.csv.out line 1: has 3 comma-separated fields, not one score: …`},
		{"first field too long", func(t *testing.T, f *fakeS3) {
			putPair(t, f, "k.csv", "1\n"+strings.Repeat("0", readBuffer+1)+"\n", "0.5\n0.5\n")
		}, binaryEvent(),
			"labels " + labelsPrefix + "k.csv line 2: the first field is longer than 65536 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeS3()
			c.setup(t, f)
			e, logs := testEvaluator(f, "")
			res, err := invoke(t, e, c.event)
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			if prefix, ok := strings.CutSuffix(c.want, "…"); ok && !strings.HasPrefix(err.Error(), prefix) || !ok && err.Error() != c.want {
				t.Errorf("error\n %s\nwant\n %s", err, c.want)
			}
			if len(f.puts) != 0 {
				t.Error("metrics written despite the error")
			}
			if f.openBodies != 0 {
				t.Errorf("%d object bodies left open", f.openBodies)
			}
			if !strings.Contains(logs.String(), `"level":"ERROR","msg":"evaluation failed"`) {
				t.Errorf("failure not logged:\n%s", logs)
			}
		})
	}
}

func TestEventValidation(t *testing.T) {
	ok := `"predictionsUri":"s3://bkt/p/","labelsUri":"s3://bkt/l/"`
	cases := []struct{ event, want string }{
		{`{"labelsUri":"s3://bkt/l/"}`, "predictionsUri is required: want s3://bucket/prefix/"},
		{`{"predictionsUri":"s3://bkt/p/"}`, "labelsUri is required: want s3://bucket/prefix/"},
		{`{"predictionsUri":"s3://bkt/p/","labelsUri":"s3:/bkt/l/"}`, `labelsUri "s3:/bkt/l/" is not an S3 URI (it does not start with "s3://"): want s3://bucket/prefix/`},
		{`{"predictionsUri":"https://bkt.s3.amazonaws.com/p/","labelsUri":"s3://bkt/l/"}`, `predictionsUri "https://bkt.s3.amazonaws.com/p/" is not an S3 URI (it does not start with "s3://"): want s3://bucket/prefix/`},
		{`{"predictionsUri":"s3://bkt/p/","labelsUri":"s3:///l/"}`, `labelsUri "s3:///l/" is not an S3 URI (no bucket): want s3://bucket/prefix/`},
		{`{"predictionsUri":"s3://Bkt/p/","labelsUri":"s3://bkt/l/"}`, `predictionsUri "s3://Bkt/p/" is not an S3 URI (bucket name "Bkt" has a character other than a-z, 0-9, '.' and '-'): want s3://bucket/prefix/`},
		{`{"predictionsUri":"s3://b/p/","labelsUri":"s3://bkt/l/"}`, `predictionsUri "s3://b/p/" is not an S3 URI (bucket name "b" is not 3 to 63 characters long): want s3://bucket/prefix/`},
		{`{"predictionsUri":"s3://-bk/p/","labelsUri":"s3://bkt/l/"}`, `predictionsUri "s3://-bk/p/" is not an S3 URI (bucket name "-bk" does not start and end with a letter or digit): want s3://bucket/prefix/`},
		{`{` + ok + `,"metricsUri":"s3://bkt/m/"}`, `metricsUri "s3://bkt/m/" is not an S3 URI (it names a prefix, not an object): want s3://bucket/key`},
		{`{` + ok + `,"metricsUri":"s3://bkt"}`, `metricsUri "s3://bkt" is not an S3 URI (it names a prefix, not an object): want s3://bucket/key`},
		{`{"predictionsUri":"s3://bkt/p/","labelsUri":"s3://bkt/p/l/"}`, "labelsUri s3://bkt/p/l/ lies under predictionsUri s3://bkt/p/: the labels must be the transform's input, not its output"},
		{`{"predictionsUri":"s3://bkt/p","labelsUri":"s3://bkt/p"}`, "labelsUri s3://bkt/p/ lies under predictionsUri s3://bkt/p/: the labels must be the transform's input, not its output"},
		{`{` + ok + `,"problemType":"Binary"}`, `unknown problemType "Binary": want "binary" or "regression"`},
		{`{` + ok + `,"problemType":"multiclass"}`, `unknown problemType "multiclass": want "binary" or "regression"`},
		{`{` + ok + `,"threshold":1.5}`, "threshold 1.5 is not in [0, 1]"},
		{`{` + ok + `,"threshold":-0.1}`, "threshold -0.1 is not in [0, 1]"},
		{`{` + ok + `,"problemType":"regression","threshold":0.5}`, `threshold applies to problemType "binary" only`},
		{`{` + ok + `,"threshold":"0.5"}`, "invalid event: json: cannot unmarshal string into Go struct field Event.threshold of type float64"},
		{`{` + ok + `,"treshold":0.5}`, `invalid event: json: unknown field "treshold"`},
		{`[]`, "invalid event: json: cannot unmarshal array into Go value of type main.Event"},
		{`{` + ok + `} {}`, "invalid event: more than one JSON value"},
	}
	for _, c := range cases {
		f := newFakeS3()
		e, _ := testEvaluator(f, "")
		_, err := invoke(t, e, c.event)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.event, err, c.want)
		}
		if f.listCalls != 0 {
			t.Errorf("%s: S3 listed before the event was validated", c.event)
		}
	}

	// Defaults and accepted forms.
	for _, c := range []struct {
		event string
		want  request
	}{
		{`{` + ok + `}`, request{location{"bkt", "p/"}, location{"bkt", "l/"}, location{"bkt", "p/metrics.json"}, binary, 0.5}},
		{`{` + ok + `,"threshold":null,"problemType":""}`, request{location{"bkt", "p/"}, location{"bkt", "l/"}, location{"bkt", "p/metrics.json"}, binary, 0.5}},
		{`{` + ok + `,"threshold":0}`, request{location{"bkt", "p/"}, location{"bkt", "l/"}, location{"bkt", "p/metrics.json"}, binary, 0}},
		{`{` + ok + `,"threshold":1,"problemType":"binary"}`, request{location{"bkt", "p/"}, location{"bkt", "l/"}, location{"bkt", "p/metrics.json"}, binary, 1}},
		{`{"predictionsUri":"s3://bkt/a/b","labelsUri":"s3://other.bkt","problemType":"regression","metricsUri":"s3://bkt/x y/m.json"}`,
			request{location{"bkt", "a/b/"}, location{"other.bkt", ""}, location{"bkt", "x y/m.json"}, regression, 0}},
		// Labels beside the predictions, not under them.
		{`{"predictionsUri":"s3://bkt/data/out/","labelsUri":"s3://bkt/data/"}`, request{location{"bkt", "data/out/"}, location{"bkt", "data/"}, location{"bkt", "data/out/metrics.json"}, binary, 0.5}},
	} {
		got, err := parseEvent([]byte(c.event))
		if err != nil || got != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.event, got, err, c.want)
		}
	}
}
