package smoke

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	atypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/refdatalake/datalake/internal/queries"
	"github.com/refdatalake/datalake/lake/layout"
)

// Workgroup is the Athena workgroup for people, where the Analytics stack
// publishes the named queries.
func Workgroup(project, profile string) string {
	return layout.Deployment{Project: project, Profile: profile}.Workgroup(layout.WorkgroupAnalysts)
}

// GlueDatabase is the lake's Glue database.
func GlueDatabase(project, profile string) string {
	return layout.Deployment{Project: project, Profile: profile}.Database()
}

// namedQuery is a query to run and where it came from.
type namedQuery struct {
	name, sql, database, source string
}

// findNamedQuery looks the query up among the workgroup's named queries.
// Emulators reject AWS::Athena::NamedQuery, so there the SQL comes from
// internal/queries, the files the stack publishes.
func (r *runner) findNamedQuery(ctx context.Context, workgroup string) (namedQuery, error) {
	var ids []string
	p := athena.NewListNamedQueriesPaginator(r.cfg.Clients.Athena, &athena.ListNamedQueriesInput{WorkGroup: aws.String(workgroup)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return namedQuery{}, fmt.Errorf("list the named queries of workgroup %s: %w", workgroup, err)
		}
		ids = append(ids, page.NamedQueryIds...)
	}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 50)] // the BatchGetNamedQuery limit
		ids = ids[len(batch):]
		out, err := r.cfg.Clients.Athena.BatchGetNamedQuery(ctx, &athena.BatchGetNamedQueryInput{NamedQueryIds: batch})
		if err != nil {
			return namedQuery{}, fmt.Errorf("read the named queries of workgroup %s: %w", workgroup, err)
		}
		for _, q := range out.NamedQueries {
			if aws.ToString(q.Name) == r.cfg.Query {
				return namedQuery{name: r.cfg.Query, sql: aws.ToString(q.QueryString), database: aws.ToString(q.Database), source: "named query"}, nil
			}
		}
	}
	if !r.cfg.Emulator {
		return namedQuery{}, fmt.Errorf("workgroup %s has no named query %s: the Analytics stack publishes internal/queries/*.sql (NamedQueriesEnabled must not be false outside the local profile)", workgroup, r.cfg.Query)
	}
	all, err := queries.All()
	if err != nil {
		return namedQuery{}, err
	}
	for _, q := range all {
		if q.Name == r.cfg.Query {
			return namedQuery{name: q.Name, sql: q.SQL, database: GlueDatabase(r.cfg.Project, r.cfg.Profile), source: "from internal/queries: the emulator has no named queries"}, nil
		}
	}
	return namedQuery{}, fmt.Errorf("no query %s in internal/queries", r.cfg.Query)
}

// query is the query step: run the named query in the analysts workgroup,
// whose enforced settings choose the result location, encryption and
// bytes-scanned cutoff, and wait for SUCCEEDED.
func (r *runner) query(ctx context.Context) (string, error) {
	if err := r.stacks.Usable(stackAnalytics); err != nil {
		return "", err // the workgroup and named queries are the Analytics stack's
	}
	wg := Workgroup(r.cfg.Project, r.cfg.Profile)
	q, err := r.findNamedQuery(ctx, wg)
	if err != nil {
		return "", err
	}
	start, err := r.cfg.Clients.Athena.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{
		QueryString:           aws.String(q.sql),
		WorkGroup:             aws.String(wg),
		QueryExecutionContext: &atypes.QueryExecutionContext{Database: aws.String(q.database)},
	})
	if err != nil {
		return "", fmt.Errorf("start %s in workgroup %s: %w", q.name, wg, err)
	}
	id := aws.ToString(start.QueryExecutionId)
	finished := false
	r.defer_("stop Athena query "+id, func(ctx context.Context) error {
		if finished {
			return errNothingToDo
		}
		_, err := r.cfg.Clients.Athena.StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)})
		return err
	})
	var exec *atypes.QueryExecution
	err = r.poll(ctx, r.every(2*time.Second), func() (bool, string, error) {
		out, err := r.cfg.Clients.Athena.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			return false, "", fmt.Errorf("query %s: %w", id, err)
		}
		exec = out.QueryExecution
		st := exec.Status
		switch st.State {
		case atypes.QueryExecutionStateSucceeded:
			return true, "", nil
		case atypes.QueryExecutionStateFailed, atypes.QueryExecutionStateCancelled:
			finished = true
			reason := aws.ToString(st.StateChangeReason)
			if st.AthenaError != nil && aws.ToString(st.AthenaError.ErrorMessage) != "" && reason == "" {
				reason = aws.ToString(st.AthenaError.ErrorMessage)
			}
			return false, "", fmt.Errorf("%s (query %s) ended %s: %s", q.name, id, st.State, reason)
		}
		return false, fmt.Sprintf("%s (query %s)", st.State, id), nil
	})
	if err != nil {
		return "", err
	}
	finished = true
	rows, err := r.countRows(ctx, id)
	if err != nil {
		return "", err
	}
	// The ingest step's readings are in the table now; a query over all of
	// it that sees nothing means Athena does not read what Firehose wrote.
	if rows == 0 && r.passed(StepIngest) {
		return "", fmt.Errorf("%s (query %s) returned no rows although the ingest step delivered readings: partition projection or the table's location does not match the Parquet keys", q.name, id)
	}
	var scanned int64
	if exec.Statistics != nil {
		scanned = aws.ToInt64(exec.Statistics.DataScannedInBytes)
	}
	return fmt.Sprintf("%s (%s) in workgroup %s: SUCCEEDED, %d rows, %d bytes scanned, query %s", q.name, q.source, wg, rows, scanned, id), nil
}

// countRows counts the data rows of a finished query (Athena returns the
// column names as the first row of a SELECT).
func (r *runner) countRows(ctx context.Context, id string) (int, error) {
	rows := 0
	first := true
	p := athena.NewGetQueryResultsPaginator(r.cfg.Clients.Athena, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("results of query %s: %w", id, err)
		}
		if page.ResultSet == nil {
			continue
		}
		n := len(page.ResultSet.Rows)
		if first && n > 0 {
			n--
		}
		first = false
		rows += n
	}
	return rows, nil
}

func (r *runner) queryHint() string {
	return fmt.Sprintf("the query history of Athena workgroup %s, the Glue table %s.%s and athena-results/ in the analytics bucket",
		Workgroup(r.cfg.Project, r.cfg.Profile), GlueDatabase(r.cfg.Project, r.cfg.Profile), queries.RawTelemetry)
}
