package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/parquet-go/parquet-go"
	"github.com/refdatalake/datalake/internal/lakeparquet"
	"github.com/refdatalake/datalake/internal/schema"
)

// The outputs of a generated batch, CSV and JSON with nulls and extras, go
// into a Parquet file with the table's schema and come back value for value.
func TestOutputConvertsToParquet(t *testing.T) {
	var recs []events.KinesisFirehoseEventRecord
	recs = append(recs, newGenerator(21, genOptions{nulls: 0.3}).batch(150)...)
	recs = append(recs, newGenerator(22, genOptions{json: true, nulls: 0.3, extras: 0.5}).batch(150)...)
	resp := quietTransformer().transform(recs)

	// The schema Firehose's conversion derives from the Glue table, and rows
	// read strictly by each column's Glue type (internal/lakeparquet).
	s, err := lakeparquet.Schema(schema.Telemetry)
	if err != nil {
		t.Fatal(err)
	}
	var rows []parquet.Row
	var nulls, extras int
	for i, r := range resp.Records {
		if r.Result != okResult {
			t.Fatalf("record %d: %s", i, r.Result)
		}
		row, err := lakeparquet.Row(s, schema.Telemetry, r.Data)
		if err != nil {
			t.Fatalf("record %d %q: %v", i, r.Data, err)
		}
		for _, v := range row {
			if v.IsNull() {
				nulls++
			}
		}
		if leaf, _ := s.Lookup(schema.ExtrasColumn); !row[leaf.ColumnIndex].IsNull() {
			extras++
		}
		rows = append(rows, row)
	}
	if nulls == 0 || extras == 0 {
		t.Fatalf("batch has %d nulls and %d extras: it does not exercise optional columns", nulls, extras)
	}

	var file bytes.Buffer
	if err := lakeparquet.Write(&file, s, rows); err != nil {
		t.Fatal(err)
	}

	f, err := parquet.OpenFile(bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		t.Fatal(err)
	}
	checkParquetColumns(t, f.Schema())
	back := readAllRows(t, parquet.NewReader(bytes.NewReader(file.Bytes())))
	if len(back) != len(rows) {
		t.Fatalf("%d rows read back, %d written", len(back), len(rows))
	}
	for i := range rows {
		for c := range rows[i] {
			if !sameParquetValue(rows[i][c], back[i][c]) {
				t.Fatalf("row %d column %d: wrote %v, read %v", i, c, rows[i][c], back[i][c])
			}
		}
	}
	t.Logf("%d rows, %d null values, %d with extras, %d bytes of Parquet", len(rows), nulls, extras, file.Len())
}

// checkParquetColumns checks the file's columns against the declaration:
// physical and logical types and whether they are optional.
func checkParquetColumns(t *testing.T, s *parquet.Schema) {
	t.Helper()
	for _, f := range schema.Telemetry.Fields {
		leaf, ok := s.Lookup(f.Name)
		if !ok {
			t.Fatalf("file has no column %s", f.Name)
		}
		if optional := leaf.Node.Optional(); optional == f.Required {
			t.Errorf("%s: optional=%v, required=%v", f.Name, optional, f.Required)
		}
		typ := leaf.Node.Type()
		var want string
		switch f.Type {
		case schema.String:
			want = "BYTE_ARRAY STRING"
		case schema.Double:
			want = "DOUBLE <nil>"
		case schema.Timestamp:
			want = "INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)"
		}
		if got := fmt.Sprintf("%s %v", typ.Kind(), typ.LogicalType()); got != want {
			t.Errorf("%s: %s, want %s", f.Name, got, want)
		}
	}
}

func readAllRows(t *testing.T, r *parquet.Reader) []parquet.Row {
	t.Helper()
	defer r.Close()
	var out []parquet.Row
	buf := make([]parquet.Row, 64)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			out = append(out, row.Clone())
		}
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func sameParquetValue(a, b parquet.Value) bool {
	if a.IsNull() || b.IsNull() {
		return a.IsNull() == b.IsNull() && a.Column() == b.Column()
	}
	if a.Kind() != b.Kind() || a.Column() != b.Column() || a.DefinitionLevel() != b.DefinitionLevel() {
		return false
	}
	switch a.Kind() {
	case parquet.Double:
		return math.Float64bits(a.Double()) == math.Float64bits(b.Double())
	case parquet.Int64:
		return a.Int64() == b.Int64()
	case parquet.ByteArray:
		return bytes.Equal(a.ByteArray(), b.ByteArray())
	}
	return false
}
