package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/refdatalake/datalake/internal/emf"
	"github.com/refdatalake/datalake/lake/layout"
)

// keyEnv names the KMS key the metrics object is encrypted with.
const keyEnv = "LAKE_KEY_ARN"

// handler is what main registers with the Lambda runtime.
var handler = func() func(context.Context, json.RawMessage) (*Result, error) {
	e := newEvaluator(slog.New(slog.NewJSONHandler(os.Stderr, nil)), os.Getenv(keyEnv),
		func(context.Context) (objectStore, error) { return sharedClient() })
	// Lambda sends standard output to the function's log group, where
	// CloudWatch Logs extracts the embedded metric format lines.
	e.metricsOut, e.functionName = os.Stdout, os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	return e.Handle
}()

// objectStore is the part of the S3 API the function uses; *s3.Client
// implements it, and the tests an in-memory fake.
type objectStore interface {
	s3.ListObjectsV2APIClient
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// sharedClient is created on the first invocation and reused by the next
// ones in the same execution environment.
var sharedClient = sync.OnceValues(func() (objectStore, error) {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	// The SDK reads these variables itself; a local emulator on 127.0.0.1
	// also needs path-style addressing, as it has no per-bucket host names.
	pathStyle := os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }), nil
})

// evaluator runs one evaluation per invocation.
type evaluator struct {
	store func(context.Context) (objectStore, error)
	log   *slog.Logger
	// keyARN is the SSE-KMS key of the metrics object; "" leaves the choice
	// of key to the bucket's default encryption.
	keyARN string
	now    func() time.Time
	// pageSize is ListObjectsV2's MaxKeys; 0 keeps S3's default of 1000.
	pageSize int32
	// metricsOut receives one embedded metric format line per evaluation
	// (the headline metrics, for the dashboard) when functionName is set.
	metricsOut   io.Writer
	functionName string
}

func newEvaluator(log *slog.Logger, keyARN string, store func(context.Context) (objectStore, error)) *evaluator {
	return &evaluator{store: store, log: log, keyARN: keyARN, now: time.Now}
}

// Handle is the Lambda handler. Any error fails the invocation, and with it
// the workflow's task: no metrics are written then.
func (e *evaluator) Handle(ctx context.Context, raw json.RawMessage) (*Result, error) {
	res, err := e.run(ctx, raw)
	if err != nil {
		e.log.Error("evaluation failed", "error", err.Error())
		return nil, err
	}
	return res, nil
}

func (e *evaluator) run(ctx context.Context, raw []byte) (*Result, error) {
	req, err := parseEvent(raw)
	if err != nil {
		return nil, err
	}
	store, err := e.store(ctx)
	if err != nil {
		return nil, err
	}
	e.log.Info("evaluating", "problemType", req.problem, "labels", req.labels.String(), "predictions", req.predictions.String())
	res, err := e.evaluate(ctx, store, req)
	if err != nil {
		return nil, err
	}
	if err := e.writeMetrics(ctx, store, req.metrics, res); err != nil {
		return nil, err
	}
	e.emitMetrics(res)
	e.log.Info("evaluated", "metricsUri", res.MetricsURI, "files", res.Files, "rows", res.Rows, "summary", summary(res))
	return res, nil
}

// emitMetrics writes the headline metrics as CloudWatch metrics through the
// embedded metric format. A failure here only logs: metrics.json, which the
// workflow reads, is already written.
func (e *evaluator) emitMetrics(r *Result) {
	if e.metricsOut == nil || e.functionName == "" {
		return
	}
	var ms []emf.Metric
	if b := r.BinaryMetrics; b != nil {
		ms = append(ms, emf.Metric{Name: layout.MetricModelF1, Value: b.F1})
		if b.AUC != nil { // undefined without both classes: sent as nothing, not as 0
			ms = append(ms, emf.Metric{Name: layout.MetricModelAuc, Value: *b.AUC})
		}
	}
	if m := r.RegressionMetrics; m != nil {
		ms = append(ms, emf.Metric{Name: layout.MetricModelRmse, Value: m.RMSE})
	}
	if err := emf.Write(e.metricsOut, layout.MetricsNamespace, map[string]string{layout.DimensionFunction: e.functionName}, e.now(), ms...); err != nil {
		e.log.Warn("metrics not emitted", "error", err.Error())
	}
}

// summary is the headline metrics for the log.
func summary(r *Result) map[string]any {
	if b := r.BinaryMetrics; b != nil {
		return map[string]any{"auc": b.AUC, "accuracy": b.Accuracy, "f1": b.F1, "positives": b.Positives}
	}
	return map[string]any{"rmse": r.RMSE, "mae": r.MAE, "r2": r.R2}
}

// pair is a label object and the transform's output for it.
type pair struct {
	labels, predictions location
}

// evaluate pairs the objects, reads every pair and computes the metrics.
func (e *evaluator) evaluate(ctx context.Context, store objectStore, req request) (*Result, error) {
	labelObjs, err := e.list(ctx, store, req.labels)
	if err != nil {
		return nil, err
	}
	predObjs, err := e.list(ctx, store, req.predictions)
	if err != nil {
		return nil, err
	}
	pairs, err := e.pairObjects(ctx, store, req, labelObjs, predObjs)
	if err != nil {
		return nil, err
	}
	acc := newAccumulator(req)
	for _, p := range pairs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows, err := readPair(ctx, store, req.problem, p, acc)
		if err != nil {
			return nil, err
		}
		e.log.Info("file evaluated", "labels", p.labels.String(), "predictions", p.predictions.String(), "rows", rows)
	}
	if acc.rows() == 0 {
		return nil, fmt.Errorf("no data rows: every label object under %s is empty", req.labels)
	}
	res := &Result{
		ProblemType:    req.problem,
		PredictionsURI: req.predictions.String(),
		LabelsURI:      req.labels.String(),
		MetricsURI:     req.metrics.String(),
		EvaluatedAt:    e.now().UTC().Format(time.RFC3339),
		Files:          len(pairs),
	}
	if err := acc.finish(res); err != nil {
		return nil, err
	}
	return res, nil
}

// object is a listed S3 object.
type object struct {
	key  string
	size int64
}

// list returns every object under the prefix loc, in key order.
func (e *evaluator) list(ctx context.Context, store objectStore, loc location) ([]object, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(loc.Bucket), Prefix: aws.String(loc.Key)}
	if e.pageSize > 0 {
		in.MaxKeys = aws.Int32(e.pageSize)
	}
	var out []object
	for pages := s3.NewListObjectsV2Paginator(store, in); pages.HasMorePages(); {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", loc, err)
		}
		for _, o := range page.Contents {
			out = append(out, object{key: aws.ToString(o.Key), size: aws.ToInt64(o.Size)})
		}
	}
	slices.SortFunc(out, func(a, b object) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

// ignoredLabel says why a listed key under the labels prefix is not a
// label object, or "" when it is one. rel is the key below the prefix.
func ignoredLabel(req request, key, rel string) string {
	obj := location{req.labels.Bucket, key}
	switch base := path.Base(rel); {
	case rel == "" || strings.HasSuffix(rel, "/"):
		return "folder marker"
	case base == "_SUCCESS" || base == "manifest.json" || strings.HasSuffix(base, ".crc"):
		return "job marker"
	case slices.ContainsFunc(strings.Split(rel, "/"), func(s string) bool { return strings.HasPrefix(s, ".") || strings.HasPrefix(s, "_") }):
		return "hidden"
	case req.predictions.contains(obj):
		return "under predictionsUri"
	case obj == req.metrics:
		return "the metrics object"
	}
	return ""
}

// pairObjects matches each label object with its transform output,
// predictionsUri + (key below labelsUri) + ".out", in key order. A label
// object without output is skipped when it has no data rows and is an
// error otherwise.
func (e *evaluator) pairObjects(ctx context.Context, store objectStore, req request, labelObjs, predObjs []object) ([]pair, error) {
	outputs := map[string]bool{}
	for _, o := range predObjs {
		if strings.HasSuffix(o.key, ".out") {
			outputs[o.key] = false // true once paired
		}
	}
	var pairs []pair
	var ignored, emptySkipped []string
	for _, o := range labelObjs {
		rel := strings.TrimPrefix(o.key, req.labels.Key)
		if why := ignoredLabel(req, o.key, rel); why != "" {
			ignored = append(ignored, o.key+" ("+why+")")
			continue
		}
		p := pair{labels: req.labels.child(rel), predictions: req.predictions.child(rel + ".out")}
		if _, ok := outputs[p.predictions.Key]; ok {
			outputs[p.predictions.Key] = true
			pairs = append(pairs, p)
			continue
		}
		var rows int64
		if o.size > 0 {
			var err error
			if rows, err = countRows(ctx, store, p.labels); err != nil {
				return nil, err
			}
		}
		if rows > 0 {
			return nil, fmt.Errorf("predictions %s not found for labels %s, which has %d rows: the transform output is incomplete or predictionsUri is not the transform's output prefix", p.predictions, p.labels, rows)
		}
		emptySkipped = append(emptySkipped, o.key)
	}
	if len(ignored) > 0 {
		e.log.Info("label objects ignored", "count", len(ignored), "keys", first(ignored, 20))
	}
	if len(emptySkipped) > 0 {
		e.log.Info("empty label objects without predictions skipped", "count", len(emptySkipped), "keys", first(emptySkipped, 20))
	}
	if len(pairs) == 0 && len(emptySkipped) == 0 {
		return nil, fmt.Errorf("no label objects found under %s (%d listed, %d ignored)", req.labels, len(labelObjs), len(ignored))
	}
	var orphans []string
	for k, paired := range outputs {
		if !paired {
			orphans = append(orphans, k)
		}
	}
	if len(orphans) > 0 {
		slices.Sort(orphans)
		e.log.Warn("predictions without a label object", "count", len(orphans), "keys", first(orphans, 20))
	}
	return pairs, nil
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

// readPair streams one label object and its predictions side by side and
// adds their rows to acc. It returns the number of rows.
func readPair(ctx context.Context, store objectStore, problem string, p pair, acc accumulator) (int64, error) {
	labels, err := open(ctx, store, "labels", p.labels)
	if err != nil {
		return 0, err
	}
	defer labels.Close()
	preds, err := open(ctx, store, "predictions", p.predictions)
	if err != nil {
		return 0, err
	}
	defer preds.Close()
	return scorePair(problem, p, labels, preds, acc)
}

// scorePair reads the two streams in step: row i of the predictions is the
// prediction for row i of the labels.
func scorePair(problem string, p pair, labels, preds io.Reader, acc accumulator) (int64, error) {
	lr, pr := newRowReader(labels), newPredictionReader(preds)
	for {
		lf, lerr := lr.next()
		if lerr != nil && lerr != io.EOF {
			return 0, readError("labels", p.labels, lr, lerr)
		}
		pf, perr := pr.next()
		if perr != nil && perr != io.EOF {
			return 0, readError("predictions", p.predictions, pr, perr)
		}
		if lerr == io.EOF || perr == io.EOF {
			if lerr == perr {
				return lr.rows, nil
			}
			// Count what is left of the longer one, for the message.
			if err := pr.skipAll(); err != nil {
				return 0, readError("predictions", p.predictions, pr, err)
			}
			if err := lr.skipAll(); err != nil {
				return 0, readError("labels", p.labels, lr, err)
			}
			return 0, fmt.Errorf("predictions %s has %d rows but labels %s has %d", p.predictions, pr.rows, p.labels, lr.rows)
		}
		y, err := parseNumber(lf)
		if err == nil {
			err = checkLabel(problem, y)
		}
		if err != nil {
			return 0, fmt.Errorf("labels %s line %d: %w", p.labels, lr.line, err)
		}
		yhat, err := parseNumber(pf)
		if err == nil {
			err = checkScore(problem, yhat)
		}
		if err != nil {
			return 0, fmt.Errorf("predictions %s line %d: %w", p.predictions, pr.line, err)
		}
		acc.add(y, yhat)
	}
}

// countRows counts the data rows of a label object.
func countRows(ctx context.Context, store objectStore, loc location) (int64, error) {
	body, err := open(ctx, store, "labels", loc)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	rr := newRowReader(body)
	if err := rr.skipAll(); err != nil {
		return 0, readError("labels", loc, rr, err)
	}
	return rr.rows, nil
}

func readError(what string, loc location, rr *rowReader, err error) error {
	var many manyFieldsError
	if errors.Is(err, errFieldTooLong) || errors.As(err, &many) {
		return fmt.Errorf("%s %s line %d: %w", what, loc, rr.line, err)
	}
	return fmt.Errorf("read %s %s: %w", what, loc, err)
}

func open(ctx context.Context, store objectStore, what string, loc location) (io.ReadCloser, error) {
	out, err := store.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, loc, err)
	}
	return out.Body, nil
}

// writeMetrics puts the result as indented JSON, encrypted with SSE-KMS:
// the lake's buckets refuse objects without it.
func (e *evaluator) writeMetrics(ctx context.Context, store objectStore, loc location, res *Result) error {
	body, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the metrics: %w", err)
	}
	body = append(body, '\n')
	in := &s3.PutObjectInput{
		Bucket:               aws.String(loc.Bucket),
		Key:                  aws.String(loc.Key),
		Body:                 bytes.NewReader(body),
		ContentType:          aws.String("application/json"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms,
	}
	if e.keyARN != "" {
		in.SSEKMSKeyId = aws.String(e.keyARN)
	}
	if _, err := store.PutObject(ctx, in); err != nil {
		return fmt.Errorf("write the metrics to %s: %w", loc, err)
	}
	return nil
}
