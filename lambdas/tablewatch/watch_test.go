package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"

	"github.com/refdatalake/datalake/lake/layout"
)

var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// fakeGlue answers GetTableOptimizer from a map by "table/type".
type fakeGlue struct {
	optimizers map[string]*types.TableOptimizer
	calls      []glue.GetTableOptimizerInput
}

func (f *fakeGlue) GetTableOptimizer(_ context.Context, in *glue.GetTableOptimizerInput, _ ...func(*glue.Options)) (*glue.GetTableOptimizerOutput, error) {
	f.calls = append(f.calls, *in)
	o, ok := f.optimizers[aws.ToString(in.TableName)+"/"+string(in.Type)]
	if !ok {
		return nil, errors.New("EntityNotFoundException: no optimizer")
	}
	return &glue.GetTableOptimizerOutput{TableOptimizer: o}, nil
}

func run(typ types.TableOptimizerEventType, ended time.Time, enabled bool) *types.TableOptimizer {
	return &types.TableOptimizer{
		Configuration: &types.TableOptimizerConfiguration{Enabled: aws.Bool(enabled)},
		LastRun:       &types.TableOptimizerRun{EventType: typ, EndTimestamp: aws.Time(ended), Error: aws.String("AccessDenied on s3://curated/iceberg/x")},
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func settingsFor(t *testing.T, optimizers string) settings {
	t.Helper()
	s, err := settingsFromEnv(env(map[string]string{envCatalog: "111122223333", envDatabase: "datalake_sandbox",
		envOptimizers: optimizers, envPeriod: "360", "AWS_LAMBDA_FUNCTION_NAME": "lake-tablewatch"}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A run that failed within the period and an optimizer Glue turned off are
// each a problem; an old failure, a success and a run in progress are not.
func TestProblemsAreFailuresWithinThePeriodAndDisabledOptimizers(t *testing.T) {
	g := &fakeGlue{optimizers: map[string]*types.TableOptimizer{
		"curated_telemetry/compaction":           run(types.TableOptimizerEventTypeFailed, now.Add(-time.Hour), true),
		"curated_telemetry/retention":            run(types.TableOptimizerEventTypeFailed, now.Add(-7*time.Hour), true),
		"curated_telemetry/orphan_file_deletion": run(types.TableOptimizerEventTypeCompleted, now.Add(-time.Hour), true),
		"training_features/compaction":           run(types.TableOptimizerEventTypeFailed, now.Add(-30*time.Hour), false),
		"training_features/retention":            run(types.TableOptimizerEventTypeInProgress, now, true),
		"training_features/orphan_file_deletion": {Configuration: &types.TableOptimizerConfiguration{Enabled: aws.Bool(true)}},
	}}
	var metrics, logs bytes.Buffer
	w := &watcher{s: settingsFor(t, "curated_telemetry/compaction,curated_telemetry/retention,curated_telemetry/orphan_file_deletion,"+
		"training_features/compaction,training_features/retention,training_features/orphan_file_deletion"),
		glue: g, log: slog.New(slog.NewJSONHandler(&logs, nil)), metrics: &metrics, now: func() time.Time { return now }}
	r, err := w.Handle(context.Background())
	if err != nil || r != (Report{Failed: 1, Disabled: 1}) {
		t.Fatalf("report %+v, error %v", r, err)
	}
	if len(g.calls) != 6 || aws.ToString(g.calls[0].CatalogId) != "111122223333" || aws.ToString(g.calls[0].DatabaseName) != "datalake_sandbox" {
		t.Errorf("calls %+v", g.calls)
	}
	if !strings.Contains(metrics.String(), `"`+layout.MetricTableOptimizerProblems+`":2`) {
		t.Errorf("metrics %s", metrics.String())
	}
	for _, want := range []string{`"table optimizer run failed"`, `"AccessDenied on s3://curated/iceberg/x"`, `"table optimizer is turned off"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s: %s", want, logs.String())
		}
	}
}

// An optimizer it cannot read fails the invocation, after the others were
// checked and the count written.
func TestAnUnreadableOptimizerFailsTheInvocation(t *testing.T) {
	g := &fakeGlue{optimizers: map[string]*types.TableOptimizer{
		"curated_telemetry/compaction": run(types.TableOptimizerEventTypeFailed, now, true),
	}}
	var metrics bytes.Buffer
	w := &watcher{s: settingsFor(t, "curated_telemetry/retention,curated_telemetry/compaction"), glue: g,
		log: slog.New(slog.NewJSONHandler(io.Discard, nil)), metrics: &metrics, now: func() time.Time { return now }}
	r, err := w.Handle(context.Background())
	if err == nil || !strings.Contains(err.Error(), "curated_telemetry/retention") || r.Failed != 1 {
		t.Fatalf("report %+v, error %v", r, err)
	}
	if !strings.Contains(metrics.String(), `"`+layout.MetricTableOptimizerProblems+`":1`) {
		t.Errorf("metrics %s", metrics.String())
	}
}

func TestSettingsSayWhatIsWrong(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "CATALOG_ID, DATABASE, OPTIMIZERS, PERIOD_MINUTES not set"},
		{map[string]string{envCatalog: "1", envDatabase: "d", envOptimizers: "t/compaction", envPeriod: "soon"}, `PERIOD_MINUTES="soon"`},
		{map[string]string{envCatalog: "1", envDatabase: "d", envOptimizers: "t/vacuum", envPeriod: "60"}, `"t/vacuum" is not <table>/<type>`},
	} {
		if _, err := settingsFromEnv(env(c.env)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.env, err, c.want)
		}
	}
}
