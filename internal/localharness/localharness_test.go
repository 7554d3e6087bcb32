package localharness

// Unit tests of the harness's parsing, which the e2e test relies on; they
// need no emulator and run with go test ./...

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/refdatalake/datalake/internal/telemetrygen"
)

func TestPartitionOf(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want Partition
		ok   bool
	}{
		// AWS with dynamic partitioning.
		{"telemetry/year=2026/month=03/day=01/hour=00/stream-1-2026-03-01-00-00-00-uuid.parquet", Partition{"2026", "03", "01", "00"}, true},
		// ministack appends the arrival time after the custom prefix.
		{"telemetry/year=2025/month=12/day=31/hour=23/2026/11/27/15/stream-uuid.parquet", Partition{"2025", "12", "31", "23"}, true},
		{"telemetry/2026/11/27/15/stream-uuid.parquet", Partition{}, false},
		{"telemetry/year=2026/month=3/day=01/hour=00/x.parquet", Partition{}, false},
		{"errors/telemetry/year=2026/month=03/day=01/hour=00/x", Partition{}, false},
	} {
		got, ok := partitionOf(tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("partitionOf(%q) = %v, %v; want %v, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseSummary(t *testing.T) {
	out := "noise\nproduce: complete stream=s generated=90 sent=90 malformed=10 anomalies=5 retried=0 failed=0 elapsed=10.7s records_per_s=8.4 seed=7 start=2026-02-28T22:30:00Z\n"
	res, err := parseSummary(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Fields["state"] != "complete" || res.Int("sent") != 90 || res.Int("malformed") != 10 || res.Fields["records_per_s"] != "8.4" {
		t.Errorf("parsed %v", res.Fields)
	}
	if res.Int("missing") != -1 {
		t.Errorf("a missing field should read -1")
	}
	if _, err := parseSummary("produce: lost 3 records: Throttled\n"); err == nil {
		t.Error("want an error without a summary line")
	}
}

func TestBatchArgs(t *testing.T) {
	b := Batch{Count: 5, BatchSize: 2, Config: telemetrygen.Config{Devices: 2, Start: time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC),
		Interval: 90 * time.Second, Seed: -3, AnomalyFraction: 0.01, MalformedFraction: 0.25, Format: "csv"}}
	want := []string{"--stream", "s", "--count", "5", "--devices", "2", "--start", "2026-03-07T09:00:00Z", "--interval", "1m30s",
		"--seed", "-3", "--anomaly-fraction", "0.01", "--malformed-fraction", "0.25", "--format", "csv", "--batch-size", "2"}
	if got := b.args("s"); !slices.Equal(got, want) {
		t.Errorf("args\n got  %q\n want %q", got, want)
	}
}

func TestDecodeProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000:22B8":                         "0.0.0.0:8888",
		"00000000000000000000000001000000:0050": "[::1]:80",
		"0000000000000000FFFF00000100007F:1F90": "127.0.0.1:8080", // IPv4-mapped
	} {
		got, err := decodeProcAddr(in)
		if err != nil || got != want {
			t.Errorf("decodeProcAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := decodeProcAddr("zz:1"); err == nil {
		t.Error("want an error for a malformed address")
	}
}

// Parquet files with ts as INT64 in micro- and milliseconds and as INT96
// all read back as the same readings.
func TestParquetReadings(t *testing.T) {
	ts := time.Date(2026, 3, 1, 0, 7, 0, 123_000_000, time.UTC)
	for name, tsNode := range map[string]parquet.Node{
		"micros": parquet.Timestamp(parquet.Microsecond),
		"millis": parquet.Timestamp(parquet.Millisecond),
		"int96":  parquet.Leaf(parquet.Int96Type),
	} {
		t.Run(name, func(t *testing.T) {
			s := parquet.NewSchema("t", parquet.Group{
				"device_id":     parquet.Optional(parquet.String()),
				"ts":            parquet.Optional(tsNode),
				"temperature_c": parquet.Optional(parquet.Leaf(parquet.DoubleType)),
			})
			devCol, _ := s.Lookup("device_id")
			tsCol, _ := s.Lookup("ts")
			tempCol, _ := s.Lookup("temperature_c")
			var tsVal parquet.Value
			switch name {
			case "micros":
				tsVal = parquet.Int64Value(ts.UnixMicro())
			case "millis":
				tsVal = parquet.Int64Value(ts.UnixMilli())
			case "int96":
				tsVal = parquet.Int96Value(toInt96(ts))
			}
			row := make(parquet.Row, 3)
			row[devCol.ColumnIndex] = parquet.ByteArrayValue([]byte("device-0001")).Level(0, 1, devCol.ColumnIndex)
			row[tsCol.ColumnIndex] = tsVal.Level(0, 1, tsCol.ColumnIndex)
			row[tempCol.ColumnIndex] = parquet.DoubleValue(21.5).Level(0, 1, tempCol.ColumnIndex)

			var buf bytes.Buffer
			w := parquet.NewWriter(&buf, s)
			if _, err := w.WriteRows([]parquet.Row{row, row}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := parquetReadings(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			want := Reading{DeviceID: "device-0001", TS: ts}
			if len(got) != 2 || got[0] != want || got[1] != want {
				t.Errorf("read %v, want 2 × %v", got, want)
			}
		})
	}
}

// toInt96 encodes t as Hive's INT96: nanoseconds of the day, Julian day.
func toInt96(t time.Time) deprecated.Int96 {
	day := t.Unix()/86400 + 2440588
	nanos := uint64(t.UnixNano() % (86400 * 1e9))
	return deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(day)}
}

// LogPrefix must predict what the transform's slog JSON line holds once
// decoded, invalid UTF-8 and a rune cut at the 64-byte limit included.
func TestLogPrefixMatchesSlog(t *testing.T) {
	for _, data := range []string{
		`{"device_id":"device-0001","ts":"2026-03-07T09:00:00.000Z"}`,
		"device-00\xe9 ok,\xff\xfe,\xe2\x82",
		"0123456789012345678901234567890123456789012345678901234567890€€", // € cut at byte 64
	} {
		var buf bytes.Buffer
		prefix := []byte(data)[:min(len(data), logDataPrefix)]
		slog.New(slog.NewJSONHandler(&buf, nil)).Warn("record failed", slog.String("dataPrefix", string(prefix)))
		var line struct{ DataPrefix string }
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if got := LogPrefix([]byte(data)); got != line.DataPrefix {
			t.Errorf("logPrefix(%q) = %q, slog logged %q", data, got, line.DataPrefix)
		}
	}
}

func TestTransformLogsAdd(t *testing.T) {
	var tl TransformLogs
	for _, msg := range []string{
		"START RequestId: 1 Version: $LATEST",
		`{"time":"2026-11-27T16:00:00Z","level":"WARN","msg":"record failed","recordId":"r1","reason":"json: truncated","dataPrefix":"{\"dev","dataBytes":5}`,
		`{"time":"2026-11-27T16:00:00Z","level":"WARN","msg":"batch had failed records","records":1,"failed":1}`,
		"END RequestId: 1",
		"REPORT RequestId: 1\tDuration: 2 ms",
		"not json",
	} {
		tl.add(msg)
	}
	if len(tl.Failures) != 1 || tl.Failures[0] != (FailureLog{RecordID: "r1", Reason: "json: truncated", DataPrefix: `{"dev`, DataBytes: 5}) {
		t.Errorf("failures %+v", tl.Failures)
	}
	if tl.BatchSummaries != 1 || tl.Reports != 1 {
		t.Errorf("summaries %d, reports %d; want 1, 1", tl.BatchSummaries, tl.Reports)
	}
}

func TestCheckEmulatorURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://localhost:4566":                    true,
		"http://127.0.0.1:4566":                    true,
		"https://kinesis.us-east-1.amazonaws.com":  false,
		"https://s3.cn-north-1.amazonaws.com.cn/x": false,
		"localhost:4566":                           false, // no scheme: the host is parsed as a scheme
	} {
		if err := checkEmulatorURL(raw); (err == nil) != ok {
			t.Errorf("checkEmulatorURL(%q) = %v, want ok=%v", raw, err, ok)
		}
	}
}

// A fresh checkout without `make deps` names every missing tool, which the
// e2e test skips with.
func TestMissingTools(t *testing.T) {
	got := Repo{Root: t.TempDir()}.MissingTools()
	want := []string{".venv/bin/ministack", "node_modules/.bin/cdklocal", "node_modules/.bin/node"}
	if !slices.Equal(got, want) {
		t.Errorf("MissingTools() = %v, want %v", got, want)
	}
}
