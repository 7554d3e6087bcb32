// Package queries holds the lake's named Athena queries. The SQL files are the
// source of truth: the Analytics stack publishes them as named queries, and
// the local end-to-end test runs each one through the emulator's Athena
// (DuckDB underneath), so they stay in the SQL both engines accept.
package queries

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed *.sql
var files embed.FS

// Query is one named query.
type Query struct {
	// Name is the file name without .sql.
	Name string
	// Description is the file's leading "-- " comment lines.
	Description string
	// SQL is the whole file.
	SQL string
}

// All returns every query, sorted by name.
func All() ([]Query, error) {
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil, err
	}
	var out []Query
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		q := Query{Name: strings.TrimSuffix(e.Name(), ".sql"), SQL: string(b)}
		var desc []string
		for _, line := range strings.Split(q.SQL, "\n") {
			if !strings.HasPrefix(line, "-- ") {
				break
			}
			desc = append(desc, strings.TrimPrefix(line, "-- "))
		}
		if len(desc) == 0 {
			return nil, fmt.Errorf("query %s: starts with no \"-- \" description", e.Name())
		}
		q.Description = strings.Join(desc, " ")
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
