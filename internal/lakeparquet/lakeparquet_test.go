package lakeparquet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/refdatalake/datalake/internal/schema"
)

var lines = []string{
	`{"device_id":"device-0000","ts":"2026-03-07 09:00:00.000","temperature_c":21.5,"humidity_pct":44.1,"vibration_mm_s":3.9,"pressure_kpa":101.31,"battery_v":3.912,"status":"ok","site":"plant-north","firmware":"2.1.4","extras":null}`,
	`{"device_id":"device-0001","ts":"2026-03-07 09:00:59.999","temperature_c":null,"humidity_pct":0,"vibration_mm_s":500,"pressure_kpa":30,"battery_v":null,"status":"fault","site":null,"firmware":null,"extras":"{\"rssi\":-71}"}`,
}

func TestSchemaMatchesTheGlueTable(t *testing.T) {
	s, err := Schema(schema.Telemetry)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Columns()) != len(schema.Telemetry.Fields) {
		t.Fatalf("%d columns", len(s.Columns()))
	}
	for _, f := range schema.Telemetry.Fields {
		leaf, ok := s.Lookup(f.Name)
		if !ok {
			t.Fatalf("no column %s", f.Name)
		}
		if leaf.Node.Optional() == f.Required {
			t.Errorf("%s: optional=%v, required=%v", f.Name, leaf.Node.Optional(), f.Required)
		}
		want := map[schema.Type]string{
			schema.String:    "BYTE_ARRAY STRING",
			schema.Double:    "DOUBLE <nil>",
			schema.Timestamp: "INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)",
		}[f.Type]
		typ := leaf.Node.Type()
		if got := fmt.Sprintf("%s %v", typ.Kind(), typ.LogicalType()); got != want {
			t.Errorf("%s: %s, want %s", f.Name, got, want)
		}
	}
	if _, err := Schema(schema.Record{Name: "x", Fields: []schema.Field{{Name: "n", Type: "int"}}}); err == nil {
		t.Error("a Glue type without a Parquet mapping was accepted")
	}
}

func TestRowsRoundTripThroughASnappyFile(t *testing.T) {
	s, err := Schema(schema.Telemetry)
	if err != nil {
		t.Fatal(err)
	}
	var rows []parquet.Row
	for _, l := range lines {
		row, err := Row(s, schema.Telemetry, []byte(l))
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		rows = append(rows, row)
	}
	var file bytes.Buffer
	if err := Write(&file, s, rows); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData.Codec != format.Snappy {
				t.Errorf("column %v: codec %v, want SNAPPY", c.MetaData.PathInSchema, c.MetaData.Codec)
			}
		}
	}

	r := parquet.NewReader(f)
	defer r.Close()
	back := make([]parquet.Row, 0, len(rows))
	buf := make([]parquet.Row, 4)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			back = append(back, row.Clone())
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(back) != len(rows) {
		t.Fatalf("%d rows back, wrote %d", len(back), len(rows))
	}
	col := func(name string) int { leaf, _ := s.Lookup(name); return leaf.ColumnIndex }
	ts := time.Date(2026, 3, 7, 9, 0, 59, 999e6, time.UTC)
	if got := back[1][col("ts")].Int64(); got != ts.UnixMilli() {
		t.Errorf("ts %d, want %d", got, ts.UnixMilli())
	}
	if v := back[1][col("temperature_c")]; !v.IsNull() {
		t.Errorf("null temperature read back as %v", v)
	}
	if v := back[0][col("battery_v")]; v.IsNull() || math.Float64bits(v.Double()) != math.Float64bits(3.912) {
		t.Errorf("battery_v %v", v)
	}
	if v := back[1][col("extras")]; string(v.ByteArray()) != `{"rssi":-71}` {
		t.Errorf("extras %q", v.ByteArray())
	}
	if v := back[0][col("extras")]; !v.IsNull() {
		t.Errorf("null extras read back as %v", v)
	}
}

func TestRowIsStrict(t *testing.T) {
	s, err := Schema(schema.Telemetry)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ from, to, err string }{
		"required null":    {`"device_id":"device-0000"`, `"device_id":null`, "null in a required column"},
		"number as string": {`"temperature_c":21.5`, `"temperature_c":"21.5"`, "not a JSON number"},
		"string as number": {`"firmware":"2.1.4"`, `"firmware":2`, "not a JSON string"},
		"RFC 3339 ts":      {`"2026-03-07 09:00:00.000"`, `"2026-03-07T09:00:00.000Z"`, "ts:"},
		"missing member":   {`,"extras":null`, ``, "members"},
		"unknown member":   {`"extras":null`, `"extras":null,"rssi":1`, "members"},
		"renamed member":   {`"site":"plant-north"`, `"place":"plant-north"`, "site missing"},
		"not an object":    {lines[0], `[1]`, "cannot unmarshal"},
	} {
		line := strings.Replace(lines[0], c.from, c.to, 1)
		if line == lines[0] {
			t.Fatalf("%s: %q not in the line", name, c.from)
		}
		if _, err := Row(s, schema.Telemetry, []byte(line)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.err)
		}
	}
}
