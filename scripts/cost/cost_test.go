package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/refdatalake/datalake/internal/queries"
	"github.com/refdatalake/datalake/internal/schema"
)

// small is a tiny run that contains the hour partition_pruning.sql reads (2026-03-07 09h).
func small(out string) config {
	return config{out: out, days: 2, devices: 4, interval: 5 * time.Minute,
		start: time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC), seed: 3, flat: true}
}

func TestGenerateWritesThreeLayoutsOfTheSameRecords(t *testing.T) {
	c := small(t.TempDir())
	s, err := generate(c)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(2 * 24 * 12 * 4)
	if s.Records != want {
		t.Fatalf("%d records, want %d", s.Records, want)
	}
	if s.Files[LayoutJSON] != 48 || s.Files[LayoutParquet] != 48 || s.Files[LayoutJSONFlat] != 2 {
		t.Errorf("files %v", s.Files)
	}
	if s.Bytes[LayoutJSON] != s.Bytes[LayoutJSONFlat] || s.Bytes[LayoutParquet] >= s.Bytes[LayoutJSON] {
		t.Errorf("bytes %v", s.Bytes)
	}

	var names []string
	for _, f := range schema.Telemetry.Fields {
		names = append(names, f.Name)
	}
	hour := filepath.Join(c.out, LayoutJSON, "year=2026", "month=03", "day=07", "hour=09")
	data, err := os.ReadFile(filepath.Join(hour, "part-0.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for sc := bufio.NewScanner(bytes.NewReader(data)); sc.Scan(); lines++ {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		var keys []string
		tok, _ := dec.Token()
		for dec.More() && tok != nil {
			k, _ := dec.Token()
			keys = append(keys, k.(string))
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if k == "ts" && !strings.HasPrefix(string(v), `"2026-03-07 09:`) {
				t.Errorf("ts %s in the 2026-03-07 09h partition", v)
			}
		}
		if !slices.Equal(keys, names) {
			t.Fatalf("members %v, want the schema's %v", keys, names)
		}
	}
	if lines != 12*4 {
		t.Errorf("%d lines in an hour, want %d", lines, 12*4)
	}

	f, err := os.Open(filepath.Join(c.out, LayoutParquet, "year=2026", "month=03", "day=07", "hour=09", "part-0.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		t.Fatal(err)
	}
	if pf.NumRows() != int64(lines) {
		t.Errorf("%d Parquet rows, %d JSON lines", pf.NumRows(), lines)
	}
	for _, n := range names {
		if _, ok := pf.Schema().Lookup(n); !ok {
			t.Errorf("Parquet has no column %s", n)
		}
	}

	if _, err := generate(c); err == nil {
		t.Error("generate overwrote an earlier run")
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--out", "x", "--days", "0"}, {"--out", "x", "--devices", "0"},
		{"--out", "x", "--interval", "1ms"}, {"--out", "x", "--start", "yesterday"}, {"--out", "x", "extra"}, {"--bogus"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: cost") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// scanResult is what scan.py --json prints.
type scanResult struct {
	Layouts map[string]struct{ Files, Bytes int64 }
	Queries map[string]map[string]struct {
		BytesRead int64 `json:"bytes_read"`
		FilesRead int   `json:"files_read"`
		Columns   []string
		Rows      [][]any
	}
}

// The whole pipeline on a tiny run: the named queries run unchanged on DuckDB
// over the Parquet this package writes (as Firehose would) and over JSON
// lines, agree on every layout, and Parquet and partitions cut the bytes read.
func TestNamedQueriesOnEveryLayout(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	python := filepath.Join(repo, ".venv", "bin", "python")
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s is missing, so the DuckDB scan cannot run: run make deps", python)
	}
	if out, err := exec.Command(python, "-c", "import duckdb").CombinedOutput(); err != nil {
		t.Skipf("duckdb is not importable in .venv (%v: %s): run make deps", err, out)
	}

	dir := t.TempDir()
	if _, err := generate(small(dir)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, filepath.Join(repo, "scripts", "cost", "scan.py"), dir, "--json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scan.py: %v\n%s", err, stderr.String())
	}
	var res scanResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("scan.py output: %v\n%s", err, out)
	}

	qs, err := queries.All()
	if err != nil {
		t.Fatal(err)
	}
	var raw []string
	for _, q := range qs {
		if q.Reads(queries.RawTelemetry) {
			raw = append(raw, q.Name)
		}
	}
	var got []string
	for name := range res.Queries {
		got = append(got, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, raw) {
		t.Fatalf("scan.py ran %v, the raw_telemetry queries are %v", got, raw)
	}

	layouts := []string{LayoutJSON, LayoutJSONFlat, LayoutParquet}
	for _, name := range raw {
		by := res.Queries[name]
		ref := by[LayoutParquet]
		if len(ref.Rows) == 0 {
			t.Errorf("%s: no rows on Parquet: the data does not exercise it", name)
		}
		for _, l := range layouts {
			m, ok := by[l]
			if !ok {
				t.Fatalf("%s: no %s measurement", name, l)
			}
			if !reflect.DeepEqual(m.Columns, ref.Columns) || !reflect.DeepEqual(m.Rows, ref.Rows) {
				t.Errorf("%s: %s gives %v %v, Parquet %v %v", name, l, m.Columns, head(m.Rows), ref.Columns, head(ref.Rows))
			}
		}
		if p, j, f := by[LayoutParquet].BytesRead, by[LayoutJSON].BytesRead, by[LayoutJSONFlat].BytesRead; !(p > 0 && p < j && j <= f) {
			t.Errorf("%s: bytes read Parquet %d, JSON partitioned %d, JSON flat %d: want 0 < Parquet < JSON <= flat", name, p, j, f)
		}
		t.Logf("%-26s rows=%-4d bytes json=%d json-flat=%d parquet=%d", name, len(ref.Rows),
			by[LayoutJSON].BytesRead, by[LayoutJSONFlat].BytesRead, by[LayoutParquet].BytesRead)
	}
	for _, l := range []string{LayoutJSON, LayoutParquet} {
		pruned, full := res.Queries["partition_pruning"][l], res.Queries["data_freshness"][l]
		if pruned.BytesRead >= full.BytesRead || pruned.FilesRead != 1 || full.FilesRead != 48 {
			t.Errorf("%s: partition_pruning read %d bytes in %d files, the full scan %d in %d", l,
				pruned.BytesRead, pruned.FilesRead, full.BytesRead, full.FilesRead)
		}
	}
}

func head(rows [][]any) [][]any { return rows[:min(3, len(rows))] }
