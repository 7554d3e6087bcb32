package queries

import (
	"strings"
	"testing"
)

func TestEveryQueryIsDescribedAndReadsTheRawTable(t *testing.T) {
	qs, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 4 {
		t.Fatalf("%d queries", len(qs))
	}
	for _, q := range qs {
		if q.Description == "" || !strings.Contains(q.SQL, "FROM raw_telemetry") {
			t.Errorf("%s: description %q, SQL reads raw_telemetry: %v", q.Name, q.Description, strings.Contains(q.SQL, "FROM raw_telemetry"))
		}
		if strings.Contains(q.SQL, ";") {
			t.Errorf("%s: a named query is one statement, without ';'", q.Name)
		}
	}
}
