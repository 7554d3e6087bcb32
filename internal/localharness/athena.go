package localharness

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/refdatalake/datalake/lake/layout"
)

// QueryResult is an Athena result set: the header row, then data rows.
type QueryResult struct {
	Columns []string
	Rows    [][]string
	Elapsed time.Duration
}

// Query runs sql against the lake's Glue database through the target's
// Athena and waits for the result. Results go to the analytics bucket's
// athena-results/ prefix, as in AWS.
func Query(ctx context.Context, t Target, analyticsBucket, sql string, timeout time.Duration) (QueryResult, error) {
	began := time.Now()
	client := athena.NewFromConfig(t.AWSConfig())
	start, err := client.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{
		QueryString:           aws.String(sql),
		QueryExecutionContext: &types.QueryExecutionContext{Database: aws.String(glueDatabase)},
		ResultConfiguration:   &types.ResultConfiguration{OutputLocation: aws.String("s3://" + analyticsBucket + "/" + layout.AthenaResultsPrefix)},
	})
	if err != nil {
		return QueryResult{}, fmt.Errorf("athena: start %q: %w", sql, err)
	}
	id := start.QueryExecutionId
	deadline := time.Now().Add(timeout)
	for {
		res, err := client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: id})
		if err != nil {
			return QueryResult{}, fmt.Errorf("athena: query %s: %w", aws.ToString(id), err)
		}
		st := res.QueryExecution.Status
		switch st.State {
		case types.QueryExecutionStateSucceeded:
			return results(ctx, client, id, began)
		case types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			return QueryResult{}, fmt.Errorf("athena: %q %s: %s", sql, st.State, aws.ToString(st.StateChangeReason))
		}
		if time.Now().After(deadline) {
			return QueryResult{}, fmt.Errorf("athena: %q still %s after %s", sql, st.State, timeout)
		}
		select {
		case <-ctx.Done():
			return QueryResult{}, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// results reads every page of a finished query.
func results(ctx context.Context, client *athena.Client, id *string, began time.Time) (QueryResult, error) {
	var qr QueryResult
	p := athena.NewGetQueryResultsPaginator(client, &athena.GetQueryResultsInput{QueryExecutionId: id})
	first := true
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return qr, fmt.Errorf("athena: results of %s: %w", aws.ToString(id), err)
		}
		for _, row := range page.ResultSet.Rows {
			cells := make([]string, len(row.Data))
			for i, d := range row.Data {
				cells[i] = aws.ToString(d.VarCharValue)
			}
			// Athena returns the column names as the first row of a SELECT.
			if first {
				qr.Columns, first = cells, false
				continue
			}
			qr.Rows = append(qr.Rows, cells)
		}
	}
	qr.Elapsed = time.Since(began)
	return qr, nil
}
