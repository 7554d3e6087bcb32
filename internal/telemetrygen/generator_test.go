package telemetrygen

import (
	"bytes"
	"encoding/csv"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refdatalake/datalake/internal/schema"
)

var start = time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC)

func testConfig(format Format) Config {
	return Config{
		Devices:           7,
		Start:             start,
		Interval:          time.Minute,
		Seed:              42,
		AnomalyFraction:   0.05,
		MalformedFraction: 0.1,
		Format:            format,
	}
}

func mustNew(t *testing.T, cfg Config) *Generator {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return g
}

func generate(t *testing.T, cfg Config, n int) []Record {
	t.Helper()
	g := mustNew(t, cfg)
	out := make([]Record, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

func TestNewRejectsBadConfig(t *testing.T) {
	ok := testConfig(FormatJSON)
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no devices", func(c *Config) { c.Devices = 0 }, "devices"},
		{"no start", func(c *Config) { c.Start = time.Time{} }, "start time not set"},
		{"start before the schema's earliest time", func(c *Config) { c.Start = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) }, "start time"},
		{"zero interval", func(c *Config) { c.Interval = 0 }, "interval"},
		{"sub-millisecond interval", func(c *Config) { c.Interval = time.Microsecond }, "interval"},
		{"negative anomaly fraction", func(c *Config) { c.AnomalyFraction = -0.1 }, "anomaly fraction"},
		{"NaN malformed fraction", func(c *Config) { c.MalformedFraction = math.NaN() }, "malformed fraction"},
		{"malformed fraction above 1", func(c *Config) { c.MalformedFraction = 1.5 }, "malformed fraction"},
		{"fractions sum above 1", func(c *Config) { c.AnomalyFraction, c.MalformedFraction = 0.6, 0.6 }, "exceed 1"},
		{"unknown format", func(c *Config) { c.Format = "xml" }, `format "xml"`},
		{"no format", func(c *Config) { c.Format = "" }, "format"},
		{"schema without device_id", func(c *Config) {
			c.Schema = &schema.Record{Name: "x", Fields: []schema.Field{{Name: "ts", Type: schema.Timestamp, Required: true}}}
		}, "device_id"},
		{"schema without a timestamp", func(c *Config) {
			c.Schema = &schema.Record{Name: "x", Fields: []schema.Field{{Name: "device_id", Type: schema.String, Required: true}}}
		}, "timestamp"},
		{"device ids longer than the schema allows", func(c *Config) {
			c.Schema = &schema.Record{Name: "x", Fields: []schema.Field{
				{Name: "device_id", Type: schema.String, Required: true, MaxLen: 8},
				{Name: "ts", Type: schema.Timestamp, Required: true},
			}}
		}, "device ids"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mutate(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: got error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"json", "csv"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("JSON"); err == nil {
		t.Error(`ParseFormat("JSON") accepted; formats are lower case`)
	}
}

func TestDeterministic(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatCSV} {
		t.Run(string(format), func(t *testing.T) {
			cfg := testConfig(format)
			a, b := generate(t, cfg, 2000), generate(t, cfg, 2000)
			for i := range a {
				if !bytes.Equal(a[i].Data, b[i].Data) || a[i].Malformed != b[i].Malformed || a[i].Anomaly != b[i].Anomaly ||
					a[i].PartitionKey != b[i].PartitionKey || !a[i].EventTime.Equal(b[i].EventTime) {
					t.Fatalf("record %d differs between two runs with seed %d:\n%+v\n%+v", i, cfg.Seed, a[i], b[i])
				}
			}
			cfg.Seed++
			c := generate(t, cfg, 2000)
			same := 0
			for i := range a {
				if bytes.Equal(a[i].Data, c[i].Data) {
					same++
				}
			}
			if same > 0 {
				t.Errorf("%d of %d records identical with another seed", same, len(a))
			}
		})
	}
}

func TestFractionsHonoured(t *testing.T) {
	tests := []struct {
		anomaly, malformed float64
	}{
		{0, 0},
		{0.05, 0.1},
		{0.3, 0.2},
		{0, 1},
	}
	const n = 20000
	for _, tc := range tests {
		cfg := testConfig(FormatJSON)
		cfg.AnomalyFraction, cfg.MalformedFraction = tc.anomaly, tc.malformed
		var anomalies, malformed int
		for _, r := range generate(t, cfg, n) {
			if r.Anomaly {
				anomalies++
			}
			if r.Malformed != "" {
				malformed++
			}
			if r.Anomaly && r.Malformed != "" {
				t.Fatalf("record both anomalous and malformed: %+v", r)
			}
		}
		// Five standard deviations of a binomial: fails by chance essentially never.
		check := func(what string, got int, p float64) {
			tol := 5*math.Sqrt(n*p*(1-p)) + 1
			if math.Abs(float64(got)-n*p) > tol {
				t.Errorf("%s fraction %g: %d of %d records, want %.0f ± %.0f", what, p, got, n, n*p, tol)
			}
		}
		check("anomaly", anomalies, tc.anomaly)
		check("malformed", malformed, tc.malformed)
	}
}

// TestValidRecordsMatchSchema parses every valid record back through the
// schema's own checks, in both formats.
func TestValidRecordsMatchSchema(t *testing.T) {
	fields := schema.Telemetry.InputFields()
	status, _ := schema.Telemetry.Field("status")
	for _, format := range []Format{FormatJSON, FormatCSV} {
		t.Run(string(format), func(t *testing.T) {
			cfg := testConfig(format)
			cfg.AnomalyFraction = 0.2
			prevTS := map[string]time.Time{}
			valid := 0
			for i, r := range generate(t, cfg, 10000) {
				if r.Malformed != "" {
					continue
				}
				valid++
				p, err := parseRecord(schema.Telemetry, format, r.Data)
				if err != nil {
					t.Fatalf("record %d is flagged valid but %v: %s", i, err, r.Data)
				}
				if got := p["device_id"]; got != r.PartitionKey {
					t.Fatalf("record %d: device_id %v, partition key %q", i, got, r.PartitionKey)
				}
				ts := p["ts"].(time.Time)
				if !ts.Equal(r.EventTime) {
					t.Fatalf("record %d: ts %s, EventTime %s", i, ts, r.EventTime)
				}
				if prev, ok := prevTS[r.PartitionKey]; ok && ts.Sub(prev)%cfg.Interval != 0 {
					t.Fatalf("record %d: %s follows %s for %s, not a multiple of %s", i, ts, prev, r.PartitionKey, cfg.Interval)
				}
				prevTS[r.PartitionKey] = ts
				st := p["status"].(string)
				if isAnomalous := st == "warn" || st == "fault"; isAnomalous != r.Anomaly {
					t.Fatalf("record %d: status %q but Anomaly=%v", i, st, r.Anomaly)
				}
				if !slices.Contains(status.Enum, st) {
					t.Fatalf("record %d: status %q", i, st)
				}
				if format == FormatCSV {
					cols, err := csv.NewReader(bytes.NewReader(r.Data)).Read()
					if err != nil || len(cols) != len(fields) {
						t.Fatalf("record %d: %d CSV columns (%v), want %d", i, len(cols), err, len(fields))
					}
				}
			}
			if valid < 8000 {
				t.Fatalf("only %d valid records of 10000", valid)
			}
		})
	}
}

func TestEventTimeAdvancesPerDevice(t *testing.T) {
	cfg := testConfig(FormatJSON)
	cfg.Devices, cfg.Interval = 3, 30*time.Second
	recs := generate(t, cfg, 9)
	for i, r := range recs {
		wantDevice := []string{"device-0000", "device-0001", "device-0002"}[i%3]
		wantTime := start.Add(time.Duration(i/3) * 30 * time.Second)
		if r.PartitionKey != wantDevice || !r.EventTime.Equal(wantTime) {
			t.Errorf("record %d: %s at %s, want %s at %s", i, r.PartitionKey, r.EventTime, wantDevice, wantTime)
		}
	}
}

// TestSignal checks the shape of the readings: the daily sine is visible and
// noise stays small next to it, anomalies stand out.
func TestSignal(t *testing.T) {
	cfg := testConfig(FormatJSON)
	cfg.Devices, cfg.AnomalyFraction, cfg.MalformedFraction = 1, 0, 0
	g := mustNew(t, cfg)
	var temps []float64
	for range 24 * 60 { // one day of one device at 1/min
		p, err := parseRecord(schema.Telemetry, FormatJSON, g.Next().Data)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := p["temperature_c"].(float64); ok {
			temps = append(temps, v)
		}
	}
	lo, hi := slices.Min(temps), slices.Max(temps)
	if hi-lo < 3 || hi-lo > 20 {
		t.Errorf("temperature over a day spans %.1f..%.1f; want a daily swing of a few degrees", lo, hi)
	}
	var jump float64 // the largest minute-to-minute change: noise, not seasonality
	for i := 1; i < len(temps); i++ {
		jump = max(jump, math.Abs(temps[i]-temps[i-1]))
	}
	if jump > 4 {
		t.Errorf("temperature jumps by %.1f between consecutive minutes; noise too large", jump)
	}
}

func TestAnomaliesStandOut(t *testing.T) {
	cfg := testConfig(FormatJSON)
	cfg.AnomalyFraction, cfg.MalformedFraction = 0.5, 0
	var normalMax, anomalyMax float64
	for _, r := range generate(t, cfg, 4000) {
		p, err := parseRecord(schema.Telemetry, FormatJSON, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := p["vibration_mm_s"].(float64)
		if r.Anomaly {
			anomalyMax = max(anomalyMax, v)
		} else {
			normalMax = max(normalMax, v)
		}
	}
	if anomalyMax < 3*normalMax {
		t.Errorf("vibration spikes reach %.1f, normal readings %.1f: anomalies do not stand out", anomalyMax, normalMax)
	}
}

func TestMalformedKinds(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatCSV} {
		t.Run(string(format), func(t *testing.T) {
			cfg := testConfig(format)
			cfg.MalformedFraction, cfg.AnomalyFraction = 0.5, 0
			g := mustNew(t, cfg)
			want := g.Kinds()
			for _, k := range want {
				if format == FormatJSON && k == WrongColumnCount || format == FormatCSV && k == NotJSON {
					t.Errorf("kind %s offered for %s", k, format)
				}
			}
			if len(want) != len(AllKinds())-1 {
				t.Errorf("kinds for %s: %v; want all but one of %v", format, want, AllKinds())
			}
			seen := map[Kind]int{}
			for range 8000 {
				r := g.Next()
				if r.Malformed == "" {
					continue
				}
				seen[r.Malformed]++
				if _, err := parseRecord(schema.Telemetry, format, r.Data); err == nil {
					t.Errorf("record flagged %s passes the schema: %q", r.Malformed, r.Data)
				}
				if r.PartitionKey == "" {
					t.Errorf("%s record without partition key", r.Malformed)
				}
				if format == FormatCSV && r.Malformed == WrongColumnCount {
					cols, err := csv.NewReader(bytes.NewReader(r.Data)).Read()
					if err == nil && len(cols) == len(schema.Telemetry.InputFields()) {
						t.Errorf("wrong_column_count record has the right count: %q", r.Data)
					}
				}
			}
			for _, k := range want {
				if seen[k] < 100 {
					t.Errorf("kind %s produced %d times in 4000 malformed records", k, seen[k])
				}
			}
		})
	}
}

// TestFollowsSchema shows the generator reads the declaration: a new field,
// a narrowed range and a changed enum all show up in the output.
func TestFollowsSchema(t *testing.T) {
	custom := schema.Record{Name: "custom"}
	for _, f := range schema.Telemetry.Fields {
		switch f.Name {
		case "temperature_c":
			f.Min, f.Max = 0, 10 // narrower than the typical 22 °C
		case "status":
			f.Enum = []string{"ok", "fault", "offline"}
		}
		custom.Fields = append(custom.Fields, f)
	}
	custom.Fields = append(custom.Fields, schema.Field{Name: "co2_ppm", Type: schema.Double, Min: 300, Max: 5000})

	for _, format := range []Format{FormatJSON, FormatCSV} {
		cfg := testConfig(format)
		cfg.Schema = &custom
		cfg.AnomalyFraction = 0.3
		seenCO2, seenFault := false, false
		for i, r := range generate(t, cfg, 3000) {
			p, err := parseRecord(custom, format, r.Data)
			if r.Malformed != "" {
				if err == nil {
					t.Fatalf("%s: record %d flagged %s passes the custom schema: %q", format, i, r.Malformed, r.Data)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: record %d: %v: %s", format, i, err, r.Data)
			}
			if _, ok := p["co2_ppm"]; ok {
				seenCO2 = true
			}
			if p["status"] == "fault" {
				seenFault = true
			}
			if p["status"] == "warn" {
				t.Fatalf("%s: status warn is not in the custom enum", format)
			}
		}
		if !seenCO2 || !seenFault {
			t.Errorf("%s: new field seen %v, fault status seen %v", format, seenCO2, seenFault)
		}
	}
}

func TestCSVColumnOrder(t *testing.T) {
	cfg := testConfig(FormatCSV)
	cfg.MalformedFraction, cfg.AnomalyFraction = 0, 0
	r := mustNew(t, cfg).Next()
	cols, err := csv.NewReader(bytes.NewReader(r.Data)).Read()
	if err != nil {
		t.Fatal(err)
	}
	fields := schema.Telemetry.InputFields()
	if len(cols) != len(fields) {
		t.Fatalf("%d columns, want %d", len(cols), len(fields))
	}
	if cols[0] != r.PartitionKey || cols[1] != r.EventTime.Format(TimeLayout) {
		t.Errorf("first columns %q, %q; want device_id %q and ts %q (InputFields order)", cols[0], cols[1], r.PartitionKey, r.EventTime.Format(TimeLayout))
	}
	if bytes.HasSuffix(r.Data, []byte("\n")) {
		t.Error("CSV record ends in a newline")
	}
	if got := r.EventTime.Format(TimeLayout); got != "2026-03-07T09:00:00.000Z" {
		t.Errorf("ts written as %q, want RFC 3339 with milliseconds in UTC", got)
	}
}

func BenchmarkNext(b *testing.B) {
	for _, format := range []Format{FormatJSON, FormatCSV} {
		b.Run(string(format), func(b *testing.B) {
			g, err := New(testConfig(format))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				g.Next()
			}
		})
	}
}
