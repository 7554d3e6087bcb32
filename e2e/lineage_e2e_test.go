//go:build e2e

package e2e

// The lineage phase: telemetry lands through the stream, is curated into the
// Iceberg table, becomes a training set that a model is registered with, more
// telemetry lands, and the registered training set is rebuilt from the
// registry entry and compared byte for byte with the one the model trained on.
//
// The emulator runs no Glue job and its Athena reads no Glue-catalog Iceberg
// table (docs/local.md), so the jobs' Iceberg steps run on local Spark
// through glue/local_lineage.py, with the jobs' own lake_jobs code, on the raw
// Parquet objects the emulator's Firehose delivered, and the named queries on
// the Iceberg tables run on Spark in glue/tests and here on DuckDB's iceberg
// extension (scripts/icebergread), a second engine that reads the table
// from its metadata file alone, as Athena does. Everything else is the
// emulator's: the stream, Firehose, the buckets, the train-and-transform
// state machine with SageMaker mocked, ReadDataset answered with the
// current.json the features step wrote (Step Functions' S3 GetObject
// integration is not emulated), the evaluate Lambda and the registry table.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
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

	"github.com/refdatalake/datalake/internal/localharness"
	"github.com/refdatalake/datalake/internal/proctree"
	"github.com/refdatalake/datalake/internal/telemetrygen"
	"github.com/refdatalake/datalake/lake/layout"
)

// lineageBatches: the first spans 50 hours of 8 devices, so the features
// step has rows older than its 24 h label horizon; the second lands after
// the model was registered.
var lineageBatches = []localharness.Batch{
	{Count: 400, BatchSize: 40, Config: telemetrygen.Config{
		Devices: 8, Interval: time.Hour, Seed: 20260501,
		Start:           time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		AnomalyFraction: 0.1, MalformedFraction: 0, Format: telemetrygen.FormatJSON,
	}},
	{Count: 48, BatchSize: 48, Config: telemetrygen.Config{
		Devices: 8, Interval: time.Hour, Seed: 20260503,
		Start:           time.Date(2026, 5, 3, 6, 0, 0, 0, time.UTC),
		AnomalyFraction: 0.1, MalformedFraction: 0, Format: telemetrygen.FormatJSON,
	}},
}

// published is what glue/local_lineage.py publish prints.
type published struct {
	Written int            `json:"written"`
	Current map[string]any `json:"current"`
}

type lineage struct {
	t         *testing.T
	ctx       context.Context
	repo      localharness.Repo
	work      string
	s3        *s3.Client
	bucket    string
	raw       string
	lakeKey   string
	warehouse string
}

func checkLineage(t *testing.T, ctx context.Context, repo localharness.Repo, target localharness.Target, outputs localharness.Outputs, lake localharness.LakeOutputs) {
	get := func(stack, key string) string {
		v, err := outputs.Get(stack, key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if _, err := os.Stat(filepath.Join(repo.Root, ".venv-iceberg-reader", "bin", "python")); err != nil {
		t.Fatalf("no second Iceberg reader (.venv-iceberg-reader): make e2e installs it from requirements-iceberg-reader.txt")
	}
	jar := filepath.Join(repo.Root, ".build", "jars")
	if m, _ := filepath.Glob(filepath.Join(jar, "iceberg-spark-runtime-*.jar")); len(m) == 0 {
		t.Fatalf("no Iceberg runtime under %s: make e2e fetches it", jar)
	}
	cfg := target.AWSConfig()
	work := t.TempDir()
	l := &lineage{
		t: t, ctx: ctx, repo: repo, work: work, bucket: lake.AnalyticsBucket, raw: lake.RawBucket,
		lakeKey: get(localharness.StackStorage, "LakeKeyArn"), warehouse: filepath.Join(work, "warehouse"),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(target.S3Endpoint)
			o.UsePathStyle = true
		}),
	}
	reader := localharness.NewLakeReader(target, lake.RawBucket)
	prodLog := &proctree.Buffer{}
	p := &localharness.Producer{Repo: repo, Target: target, Log: prodLog}
	if err := p.Build(ctx, t.TempDir()); err != nil {
		t.Fatal(err)
	}

	// 1. Telemetry lands, is curated into Iceberg and published as a training set.
	l.land(p, reader, lake, lineageBatches[0], prodLog)
	first := l.publish("first")
	if first.Written == 0 {
		t.Fatal("the first curate wrote no row")
	}
	current := l.uploadTrainingSet(first.Current)
	t.Logf("lineage: curated %d rows; training set %s (train %v, validation %v rows) from curated_telemetry snapshot %s",
		first.Written, current["features_snapshot_id"], rows(current, "train"), rows(current, "validation"), current["curated_snapshot_id"])

	// 2. A model is registered with it: ReadDataset returns that current.json.
	item := l.register(target, outputs, current)
	for field, key := range map[string]string{
		"featuresSnapshotId": "features_snapshot_id", "featuresMetadataLocation": "features_metadata_location",
		"curatedSnapshotId": "curated_snapshot_id", "curatedMetadataLocation": "curated_metadata_location",
		"trainingDataUri": "train_uri", "validationDataUri": "validation_uri", "manifestUri": "manifest_uri",
		"featuresTag": "features_tag",
	} {
		if got, want := attr(item, field), fmt.Sprint(current[key]); got != want {
			t.Errorf("registry item %s = %q, want %q (current.json %s)", field, got, want, key)
		}
	}

	// 3. More telemetry lands and is curated; the features step publishes a newer set.
	l.land(p, reader, lake, lineageBatches[1], prodLog)
	second := l.publish("second")
	// Every raw file is read again, as by a curate run without bookmarks:
	// only the new readings are written.
	if second.Written == 0 || second.Written > lineageBatches[1].Count {
		t.Errorf("the second curate wrote %d rows, want 1..%d (only the second batch's readings are new)", second.Written, lineageBatches[1].Count)
	}
	if second.Current["features_snapshot_id"] == current["features_snapshot_id"] {
		t.Fatal("the second publish committed no new training_features snapshot")
	}
	if rows(second.Current, "train") <= rows(current, "train") {
		t.Errorf("the newer training set has %d train rows, the registered one %d: the new data did not reach it", rows(second.Current, "train"), rows(current, "train"))
	}

	// 4. A second engine reads the curated table from its newest metadata file: now, and as of the
	// curated snapshot the registry names; and a named query gives the same rows on both engines.
	metadata := strings.TrimPrefix(fmt.Sprint(second.Current["curated_metadata_location"]), "file:")
	var now, then struct{ Rows int }
	l.reader(&now, "count", metadata)
	l.reader(&then, "count", metadata, "--snapshot", attr(item, "curatedSnapshotId"))
	if now.Rows != first.Written+second.Written {
		t.Errorf("DuckDB counts %d rows in curated_telemetry now, want %d (both curate runs' rows)", now.Rows, first.Written+second.Written)
	}
	if then.Rows != first.Written {
		t.Errorf("DuckDB counts %d rows as of the registered curated snapshot %s, want %d (the first curate run's)", then.Rows, attr(item, "curatedSnapshotId"), first.Written)
	}
	t.Logf("lineage: DuckDB's iceberg extension reads %d rows now and %d as of the registered curated snapshot", now.Rows, then.Rows)
	sqlFile := filepath.Join(l.repo.Root, "internal", "queries", "curated_daily_device_summary.sql")
	today := lineageBatches[1].Start.Add(48 * time.Hour).Format(time.DateOnly)
	var onSpark, onDuckDB queryResult
	l.python(&onSpark, "query", "--warehouse", l.warehouse, "--sql", sqlFile, "--today", today)
	l.reader(&onDuckDB, "query", metadata, "--sql", sqlFile, "--table", "curated_telemetry", "--today", today)
	if len(onSpark.Rows) == 0 {
		t.Error("curated_daily_device_summary returned no row on Spark: the query window misses the data")
	}
	if d := onSpark.differs(onDuckDB); d != "" {
		t.Errorf("curated_daily_device_summary (today %s) differs between Spark and DuckDB: %s", today, d)
	} else {
		t.Logf("lineage: curated_daily_device_summary gives the same %d rows on Spark and on DuckDB", len(onSpark.Rows))
	}

	// 5. The registered set is rebuilt from the registry entry alone and compared with what the model trained on.
	manifest := filepath.Join(work, "registered-manifest.json")
	l.download(attr(item, "manifestUri"), manifest)
	registered := map[string]string{"features_snapshot_id": attr(item, "featuresSnapshotId"), "manifest_uri": manifest}
	regFile := filepath.Join(work, "registered.json")
	if err := os.WriteFile(regFile, []byte(mustJSON(registered)), 0o644); err != nil {
		t.Fatal(err)
	}
	var rebuilt map[string]string
	l.python(&rebuilt, "rebuild", "--warehouse", l.warehouse, "--registered", regFile, "--out", filepath.Join(work, "rebuilt"))
	newer := localParts(t, strings.TrimPrefix(fmt.Sprint(second.Current["train_uri"]), "file:"))
	for _, ch := range []struct{ name, uri, dir string }{
		{"train", attr(item, "trainingDataUri"), rebuilt["train"]},
		{"validation", attr(item, "validationDataUri"), rebuilt["validation"]},
	} {
		want := l.remoteParts(ch.uri)
		got := localParts(t, strings.TrimPrefix(ch.dir, "file:"))
		if len(want) == 0 {
			t.Fatalf("no part file under the registered %s channel %s", ch.name, ch.uri)
		}
		if !slices.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("the rebuilt %s channel differs from the registered one (%d vs %d part files, %d vs %d bytes)", ch.name, len(got), len(want), size(got), size(want))
		} else {
			t.Logf("lineage: rebuilt %s channel is byte for byte the registered one: %d part file(s), %d bytes", ch.name, len(got), size(got))
		}
		if ch.name == "train" && slices.EqualFunc(newer, want, bytes.Equal) {
			t.Error("the newer training set equals the registered one: the comparison cannot tell sets apart")
		}
	}
}

// queryResult is a query's output as local_lineage.py and icebergread print it.
type queryResult struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// differs says how two results differ, or "" when they hold the same rows
// in the same order (the named queries end in ORDER BY), numbers equal to
// 1e-9 relative: two engines may add a mean's values in another order.
func (a queryResult) differs(b queryResult) string {
	if !slices.Equal(a.Columns, b.Columns) {
		return fmt.Sprintf("columns %v vs %v", a.Columns, b.Columns)
	}
	if len(a.Rows) != len(b.Rows) {
		return fmt.Sprintf("%d rows vs %d", len(a.Rows), len(b.Rows))
	}
	for i := range a.Rows {
		for j := range a.Rows[i] {
			x, y := a.Rows[i][j], b.Rows[i][j]
			fx, okx := x.(float64)
			fy, oky := y.(float64)
			if okx && oky {
				if math.Abs(fx-fy) > 1e-9*math.Max(1, math.Max(math.Abs(fx), math.Abs(fy))) {
					return fmt.Sprintf("row %d %s: %v vs %v", i, a.Columns[j], x, y)
				}
				continue
			}
			if fmt.Sprint(x) != fmt.Sprint(y) {
				return fmt.Sprintf("row %d %s: %v vs %v", i, a.Columns[j], x, y)
			}
		}
	}
	return ""
}

func rows(current map[string]any, split string) int {
	r, _ := current["rows"].(map[string]any)
	n, _ := r[split].(float64)
	return int(n)
}

func attr(item map[string]ddbtypes.AttributeValue, name string) string {
	if s, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func size(parts [][]byte) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// land sends a batch through the stream and waits until its readings are in the raw bucket.
func (l *lineage) land(p *localharness.Producer, reader *localharness.LakeReader, lake localharness.LakeOutputs, b localharness.Batch, prodLog *proctree.Buffer) {
	t := l.t
	before, err := reader.Read(l.ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Send(l.ctx, lake.Stream, b)
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(prodLog.String(), 20))
	}
	t.Logf("lineage: %s", res.Line)
	if _, _, err := reader.WaitSettled(l.ctx, len(before.Readings)+b.Count, 3*time.Second, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
}

// publish downloads every raw object and runs curate and features on it.
func (l *lineage) publish(name string) published {
	t := l.t
	raw := filepath.Join(l.work, "raw-"+name)
	n := l.downloadPrefix(localharness.TelemetryPrefix, raw)
	var out published
	l.python(&out, "publish", "--raw", raw, "--warehouse", l.warehouse, "--out", filepath.Join(l.work, "training"))
	t.Logf("lineage: %s publish read %d raw objects, wrote %d rows, features snapshot %v", name, n, out.Written, out.Current["features_snapshot_id"])
	return out
}

// python runs glue/local_lineage.py and decodes its last stdout line into v.
func (l *lineage) python(v any, args ...string) {
	t := l.t
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(l.ctx, filepath.Join(l.repo.Root, ".venv", "bin", "python"), append([]string{"local_lineage.py"}, args...)...)
	cmd.Dir = filepath.Join(l.repo.Root, "glue")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("local_lineage.py %s: %v\n%s", args[0], err, tail(stderr.String(), 30))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		t.Fatalf("local_lineage.py %s printed %q: %v", args[0], lines[len(lines)-1], err)
	}
	t.Logf("lineage: local_lineage.py %s took %s", args[0], time.Since(began).Round(time.Millisecond))
}

// reader runs scripts/icebergread/read.py (DuckDB's iceberg extension) and decodes its JSON line into v.
func (l *lineage) reader(v any, args ...string) {
	t := l.t
	python := filepath.Join(l.repo.Root, ".venv-iceberg-reader", "bin", "python")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(l.ctx, python, append([]string{filepath.Join(l.repo.Root, "scripts", "icebergread", "read.py")}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("icebergread %s: %v\n%s", args[0], err, tail(stderr.String(), 20))
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), v); err != nil {
		t.Fatalf("icebergread %s printed %q: %v", args[0], stdout.String(), err)
	}
}

// uploadTrainingSet puts the exported set where the features job writes it
// (training/telemetry/snapshots/<id>/ in the analytics bucket) and returns
// its current.json with the bucket's URIs.
func (l *lineage) uploadTrainingSet(current map[string]any) map[string]any {
	t := l.t
	local := filepath.Join(l.work, "training")
	remote := "s3://" + l.bucket + "/" + strings.TrimSuffix(layout.TrainingPrefix, "/")
	id := fmt.Sprint(current["features_snapshot_id"])
	root := filepath.Join(local, "snapshots", id)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		rel, _ := filepath.Rel(local, path)
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		l.put(strings.TrimSuffix(layout.TrainingPrefix, "/")+"/"+filepath.ToSlash(rel), body)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for k, v := range current {
		if s, ok := v.(string); ok && strings.HasSuffix(k, "_uri") {
			s = strings.TrimPrefix(s, "file:")
			if !strings.HasPrefix(s, local) {
				t.Fatalf("current.json %s = %q is not under %s", k, s, local)
			}
			v = remote + strings.TrimPrefix(s, local)
		}
		out[k] = v
	}
	l.put(layout.TrainingCurrentKey, []byte(mustJSON(out)))
	return out
}

// register runs train-and-transform (SageMaker mocked) on the uploaded set
// and returns the registry item it wrote.
func (l *lineage) register(target localharness.Target, outputs localharness.Outputs, current map[string]any) map[string]ddbtypes.AttributeValue {
	t := l.t
	get := func(stack, key string) string {
		v, err := outputs.Get(stack, key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cfg := target.AWSConfig()
	m := &mlHarness{
		t: t, ctx: l.ctx, bucket: l.bucket, lakeKey: l.lakeKey, table: get(localharness.StackML, "ModelRegistryTableName"),
		sfn: sfn.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg), s3: l.s3,
	}
	train := m.machine(get(localharness.StackML, "TrainStateMachineArn"), "train-and-transform")
	tune := m.machine(get(localharness.StackML, "TuneStateMachineArn"), "tune")
	id := fmt.Sprint(current["features_snapshot_id"])
	// The mocked transform read the registered validation channel: the mock's snapshot id becomes this one.
	mock := loadMockConfig(t, filepath.Join(l.repo.Root, "statemachines", "testdata", "mock-config.json"), map[string]string{
		mockSnapshot:          id,
		"MOCK_BUCKET":         l.bucket,
		"MOCK_FEATURES_JOB":   get(localharness.StackCatalog, "FeaturesJobName"),
		"MOCK_CURATED_BUCKET": get(localharness.StackStorage, "CuratedBucketName"),
		"MOCK_DATABASE":       "datalake_local",
	}, map[string]string{"train-and-transform": train.name, "tune": tune.name})
	mock.response(t, "DatasetRead")["Return"].(map[string]any)["Body"] = mustJSON(current)
	pushEmulatorConfig(t, l.ctx, target, map[string]any{"stepfunctions._sfn_mock_config": mock.raw, "stepfunctions._SFN_WAIT_SCALE": 0})
	defer pushEmulatorConfig(t, context.WithoutCancel(l.ctx), target, map[string]any{
		"stepfunctions._sfn_mock_config": map[string]any{}, "stepfunctions._SFN_WAIT_SCALE": 1,
	})

	// Predictions for the registered validation rows, as batch transform would write them: one
	// score a line in <part>.out, separating the labels well enough to pass the quality gate.
	l.clearPrefix(mockPredictionsPrefix)
	defer l.clearPrefix(mockPredictionsPrefix)
	validation := strings.TrimPrefix(fmt.Sprint(current["validation_uri"]), "s3://"+l.bucket+"/")
	for _, key := range l.keys(validation) {
		var scores strings.Builder
		for i, line := range strings.Split(strings.TrimSpace(string(l.get(key))), "\n") {
			score := 0.2
			if strings.HasPrefix(line, "1,") {
				score = 0.8
			}
			if i%9 == 4 {
				score = 1 - score
			}
			scores.WriteString(strconv.FormatFloat(score, 'f', 6, 64) + "\n")
		}
		l.put(mockPredictionsPrefix+strings.TrimPrefix(key, validation)+".out", []byte(scores.String()))
	}

	r := m.execute(train, "HappyPath", `{"runFeatures": false}`)
	r.expect(t, "SUCCEEDED", "", seq(trainHead, dataset, trainJobs, states("RegisterModel", "NotifySuccess", "Succeeded")))
	items := m.registryItemsOf(r.arn)
	if len(items) != 1 {
		t.Fatalf("%d registry items name the execution %s, want 1", len(items), r.arn)
	}
	t.Logf("lineage: model %s registered with training_features snapshot %s", attr(items[0], "modelName"), attr(items[0], "featuresSnapshotId"))
	return items[0]
}

func (l *lineage) put(key string, body []byte) {
	_, err := l.s3.PutObject(l.ctx, &s3.PutObjectInput{
		Bucket: aws.String(l.bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(l.lakeKey),
	})
	if err != nil {
		l.t.Fatalf("upload s3://%s/%s: %v", l.bucket, key, err)
	}
}

func (l *lineage) keysIn(bucket, prefix string) []string {
	var out []string
	pages := s3.NewListObjectsV2Paginator(l.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(l.ctx)
		if err != nil {
			l.t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
		}
	}
	return out
}

func (l *lineage) keys(prefix string) []string { return l.keysIn(l.bucket, prefix) }

func (l *lineage) getIn(bucket, key string) []byte {
	out, err := l.s3.GetObject(l.ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		l.t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		l.t.Fatalf("read s3://%s/%s: %v", bucket, key, err)
	}
	return b
}

func (l *lineage) get(key string) []byte { return l.getIn(l.bucket, key) }

func (l *lineage) clearPrefix(prefix string) {
	for _, k := range l.keys(prefix) {
		if _, err := l.s3.DeleteObject(context.WithoutCancel(l.ctx), &s3.DeleteObjectInput{Bucket: aws.String(l.bucket), Key: aws.String(k)}); err != nil {
			l.t.Errorf("delete s3://%s/%s: %v", l.bucket, k, err)
		}
	}
}

// downloadPrefix copies every object of the raw bucket under prefix into dir, keys kept.
func (l *lineage) downloadPrefix(prefix, dir string) int {
	raw := l.raw
	keys := l.keysIn(raw, prefix)
	for _, k := range keys {
		path := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			l.t.Fatal(err)
		}
		if err := os.WriteFile(path, l.getIn(raw, k), 0o644); err != nil {
			l.t.Fatal(err)
		}
	}
	return len(keys)
}

// download copies one s3:// object of the analytics bucket to path.
func (l *lineage) download(uri, path string) {
	key, ok := strings.CutPrefix(uri, "s3://"+l.bucket+"/")
	if !ok {
		l.t.Fatalf("%s is not in the analytics bucket %s", uri, l.bucket)
	}
	if err := os.WriteFile(path, l.get(key), 0o644); err != nil {
		l.t.Fatal(err)
	}
}

// remoteParts are the contents of the part files under an s3:// channel prefix, sorted.
func (l *lineage) remoteParts(uri string) [][]byte {
	prefix, ok := strings.CutPrefix(uri, "s3://"+l.bucket+"/")
	if !ok {
		l.t.Fatalf("%s is not in the analytics bucket %s", uri, l.bucket)
	}
	var parts [][]byte
	for _, k := range l.keys(prefix) {
		if strings.HasPrefix(k[strings.LastIndex(k, "/")+1:], "part-") {
			parts = append(parts, l.get(k))
		}
	}
	slices.SortFunc(parts, bytes.Compare)
	return parts
}

// localParts are the contents of the part files in a folder, sorted.
func localParts(t *testing.T, dir string) [][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var parts [][]byte
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "part-") {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, b)
		}
	}
	slices.SortFunc(parts, bytes.Compare)
	return parts
}
