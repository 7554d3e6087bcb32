package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"

	"github.com/refdatalake/datalake/internal/emf"
	"github.com/refdatalake/datalake/lake/layout"
)

// The environment lake/curated sets.
const (
	envCatalog    = "CATALOG_ID"
	envDatabase   = "DATABASE"
	envOptimizers = "OPTIMIZERS"
	envPeriod     = "PERIOD_MINUTES"
)

// target is one optimizer: a table and a type.
type target struct {
	table string
	typ   types.TableOptimizerType
}

type settings struct {
	catalogID, database, functionName string
	targets                           []target
	period                            time.Duration
}

// settingsFromEnv reads OPTIMIZERS as "table/type,table/type,...".
func settingsFromEnv(get func(string) string) (settings, error) {
	s := settings{catalogID: get(envCatalog), database: get(envDatabase), functionName: get("AWS_LAMBDA_FUNCTION_NAME")}
	var missing []string
	for _, kv := range [][2]string{{envCatalog, s.catalogID}, {envDatabase, s.database}, {envOptimizers, get(envOptimizers)}, {envPeriod, get(envPeriod)}} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	if len(missing) > 0 {
		return s, fmt.Errorf("%s not set", strings.Join(missing, ", "))
	}
	minutes, err := strconv.Atoi(get(envPeriod))
	if err != nil || minutes < 1 {
		return s, fmt.Errorf("%s=%q is not a whole number of minutes above 0", envPeriod, get(envPeriod))
	}
	s.period = time.Duration(minutes) * time.Minute
	valid := map[types.TableOptimizerType]bool{}
	for _, t := range types.TableOptimizerType("").Values() {
		valid[t] = true
	}
	for _, item := range strings.Split(get(envOptimizers), ",") {
		table, typ, ok := strings.Cut(strings.TrimSpace(item), "/")
		if !ok || table == "" || !valid[types.TableOptimizerType(typ)] {
			return s, fmt.Errorf("%s: %q is not <table>/<type> with a type of %v", envOptimizers, item, types.TableOptimizerType("").Values())
		}
		s.targets = append(s.targets, target{table, types.TableOptimizerType(typ)})
	}
	return s, nil
}

type glueAPI interface {
	GetTableOptimizer(context.Context, *glue.GetTableOptimizerInput, ...func(*glue.Options)) (*glue.GetTableOptimizerOutput, error)
}

type watcher struct {
	s       settings
	glue    glueAPI
	log     *slog.Logger
	metrics io.Writer
	now     func() time.Time
}

// Report is what one check found.
type Report struct {
	// Failed are the optimizer runs that failed within the period; Disabled
	// the optimizers that are turned off.
	Failed, Disabled int
}

// Handle checks every optimizer and writes the count of problems. An
// optimizer it cannot read fails the invocation (the function's error
// alarm), after the others were checked and counted.
func (w *watcher) Handle(ctx context.Context) (Report, error) {
	now := w.now()
	var r Report
	var errs []error
	for _, t := range w.s.targets {
		out, err := w.glue.GetTableOptimizer(ctx, &glue.GetTableOptimizerInput{
			CatalogId: aws.String(w.s.catalogID), DatabaseName: aws.String(w.s.database), TableName: aws.String(t.table), Type: t.typ,
		})
		if err != nil {
			w.log.Error("cannot read the optimizer", "table", t.table, "type", string(t.typ), "error", err.Error())
			errs = append(errs, fmt.Errorf("%s/%s: %w", t.table, t.typ, err))
			continue
		}
		o := out.TableOptimizer
		if o == nil {
			errs = append(errs, fmt.Errorf("%s/%s: Glue returned no optimizer", t.table, t.typ))
			continue
		}
		if c := o.Configuration; c != nil && c.Enabled != nil && !*c.Enabled {
			r.Disabled++
			w.log.Error("table optimizer is turned off", "table", t.table, "type", string(t.typ),
				"hint", "Glue turns compaction off after four failed runs in a row; fix the cause in the last run's error, then enable it (aws glue update-table-optimizer)")
		}
		if run := o.LastRun; run != nil && run.EventType == types.TableOptimizerEventTypeFailed {
			at := run.EndTimestamp
			if at == nil {
				at = run.StartTimestamp
			}
			if at == nil || now.Sub(*at) <= w.s.period {
				r.Failed++
				w.log.Error("table optimizer run failed", "table", t.table, "type", string(t.typ),
					"ended", at, "error", aws.ToString(run.Error))
			}
		}
	}
	if err := emf.Write(w.metrics, layout.MetricsNamespace, map[string]string{layout.DimensionFunction: w.s.functionName}, now,
		emf.Metric{Name: layout.MetricTableOptimizerProblems, Unit: emf.Count, Value: float64(r.Failed + r.Disabled)}); err != nil {
		errs = append(errs, err)
	}
	w.log.Info("checked table optimizers", "optimizers", len(w.s.targets), "failed_runs", r.Failed, "disabled", r.Disabled)
	return r, errors.Join(errs...)
}
