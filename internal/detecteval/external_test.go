package detecteval

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// Two devices, three fields: a missing value, a spike, a level shift that
// runs into a drift on another field (two episodes), and a noise burst.
const goodCSV = "\ufeffdevice,time,temperature_c,humidity_pct,co2_ppm,label,kind,field\n" +
	"a,2026-03-01T00:00:00Z,20.5,40,400,0,,\n" +
	"b,2026-03-01T00:00:00Z,21,41.25,,0,,\n" +
	"a,2026-03-01T00:01:00Z,20.6,40,401,1,spike,temperature_c\n" +
	"b,2026-03-01T00:01:00Z,21,41,399,1,level_shift,humidity_pct\n" +
	"a,2026-03-01T00:02:00Z,20.7,40,402,0,,\n" +
	"b,2026-03-01T00:02:00Z,21,45,398,1,level_shift,humidity_pct\n" +
	"a,2026-03-01T00:03:00Z,20.8,-1.5e1,403,1,noise_burst,\n" +
	"b,2026-03-01T00:03:00Z,21,45,398,1,drift,co2_ppm\n"

func TestReadStream(t *testing.T) {
	st, err := ReadStream(strings.NewReader(goodCSV), "good.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Fields, []string{"temperature_c", "humidity_pct", "co2_ppm"}) || st.Devices != 2 || st.PerDev != 4 || len(st.Readings) != 8 {
		t.Fatalf("fields %v, %d devices of %d readings, %d readings in all", st.Fields, st.Devices, st.PerDev, len(st.Readings))
	}
	want := []telemetrygen.Episode{
		{Device: "a", Kind: telemetrygen.Spike, Field: "temperature_c", Start: 1, End: 2},
		{Device: "b", Kind: telemetrygen.LevelShift, Field: "humidity_pct", Start: 1, End: 3},
		{Device: "a", Kind: telemetrygen.NoiseBurst, Field: "", Start: 3, End: 4},
		{Device: "b", Kind: telemetrygen.Drift, Field: "co2_ppm", Start: 3, End: 4},
	}
	if !slices.Equal(st.Episodes, want) {
		t.Errorf("episodes %+v, want %+v", st.Episodes, want)
	}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	episodes := []int{-1, -1, 0, 1, -1, 1, 2, 3}
	for i, r := range st.Readings {
		dev, idx := i%2, i/2
		if r.Device != dev || r.Index != idx || r.PartitionKey != []string{"a", "b"}[dev] || !r.EventTime.Equal(start.Add(time.Duration(idx)*time.Minute)) || r.EventTime.Location() != time.UTC {
			t.Errorf("reading %d: device %d (%s) index %d at %v", i, r.Device, r.PartitionKey, r.Index, r.EventTime)
		}
		if r.Episode != episodes[i] {
			t.Errorf("reading %d: episode %d, want %d", i, r.Episode, episodes[i])
		}
		// A noise burst is labelled but is not an anomaly.
		if anomaly := episodes[i] >= 0 && episodes[i] != 2; r.Anomaly != anomaly {
			t.Errorf("reading %d: anomaly %v", i, r.Anomaly)
		}
	}
	if v := st.Readings[1].Values; v[0] != 21 || v[1] != 41.25 || !math.IsNaN(v[2]) {
		t.Errorf("b's first values %v, want [21 41.25 NaN]", v)
	}
	if v := st.Readings[6].Values[1]; v != -15 {
		t.Errorf("-1.5e1 read as %v", v)
	}
}

func TestReadStreamErrors(t *testing.T) {
	const header = "device,time,temperature_c,humidity_pct,label,kind,field\n"
	row := func(dev, at string) string { return dev + "," + at + ",1,2,0,,\n" }
	const t0, t1 = "2026-03-01T00:00:00Z", "2026-03-01T00:01:00Z"
	for _, c := range []struct{ name, csv, want string }{
		{"empty", "", "empty file"},
		{"no readings", header, "no readings"},
		{"header order", "time,device,temperature_c,label,kind,field\n", "line 1: header"},
		{"no field", "device,time,label,kind,field\n", "line 1: header"},
		{"repeated field", "device,time,x,x,label,kind,field\n", `line 1: column 4: field name "x"`},
		{"reserved field", "device,time,label,label,kind,field\n", `line 1: column 3: field name "label"`},
		{"columns", header + row("a", t0) + "a," + t1 + ",1,0,,\n", "line 3: 6 columns, want 7"},
		{"quote", header + "a," + t0 + ",1\"x,2,0,,\n", "line 2"},
		{"empty device", header + row("", t0), "line 2: column 1 (device"},
		{"bad time", header + row("a", "2026-03-01 00:00:00"), `line 2: column 2 (time, byte 3): time "2026-03-01 00:00:00" is not RFC 3339`},
		{"not UTC", header + row("a", "2026-03-01T01:00:00+01:00"), "is not UTC"},
		{"time order", header + row("a", t1) + row("b", t0), "line 3: column 2 (time, byte 3): time " + t0 + " is before"},
		{"device twice", header + row("a", t0) + row("a", t0), "line 3: column 2 (time, byte 3): device a already has a reading"},
		{"bad number", header + "a," + t0 + ",1,abc,0,,\n", `line 2: column 4 (humidity_pct, byte 26): "abc" is not a finite decimal number`},
		{"NaN", header + "a," + t0 + ",NaN,2,0,,\n", `column 3 (temperature_c, byte 24): "NaN"`},
		{"Inf", header + "a," + t0 + ",1,+Inf,0,,\n", `"+Inf" is not a finite`},
		{"label", header + "a," + t0 + ",1,2,yes,,\n", `line 2: column 5 (label, byte 28): label "yes", want 0 or 1`},
		{"kind unlabelled", header + "a," + t0 + ",1,2,0,spike,\n", `line 2: column 6 (kind, byte 30): kind "spike" and field "" on an unlabelled row`},
		{"unknown field", header + "a," + t0 + ",1,2,1,spike,pressure_kpa\n", `line 2: column 7 (field, byte 36): field "pressure_kpa" is not one of`},
		{"uneven devices", header + row("a", t0) + row("b", t0) + row("a", t1), "device b has 1 readings and a 2"},
	} {
		_, err := ReadStream(strings.NewReader(c.csv), "x.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "x.csv") {
			t.Errorf("%s: error %v, want one naming x.csv and containing %q", c.name, err, c.want)
		}
	}
}

func TestLoadStreamAndManifest(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.csv"), []byte(goodCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := LoadStream(filepath.Join(dir, "s.csv"))
	if err != nil || st.PerDev != 4 {
		t.Fatalf("%v, %d readings per device", err, st.PerDev)
	}
	if _, err := LoadStream(filepath.Join(dir, "none.csv")); err == nil {
		t.Error("a missing file loads")
	}

	write := func(s string) string {
		p := filepath.Join(dir, "manifest.json")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m, err := LoadManifest(write(`{"source": "gutentag", "version": "1.5.0", "licence": "MIT", "seed": 7, "devices": 2,
	  "cadence_seconds": 60, "warm_up_readings": 1440, "fields": ["temperature_c"], "extra": {"ignored": true},
	  "streams": [{"file": "clean.csv", "kinds": []}, {"file": "s.csv", "kinds": ["spike"], "episodes": [{"start": 1}]},
	              {"file": "occupancy.csv", "series": "occupancy", "readings": 509, "annotations": {"6": [238, 416], "12": []}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != "gutentag" || m.Seed == nil || *m.Seed != 7 || m.Devices != 2 || m.CadenceSeconds != 60 || m.WarmUp != 1440 || m.Dir != dir || len(m.Streams) != 3 {
		t.Errorf("manifest %+v", m)
	}
	if s, ok := m.Stream("s.csv"); !ok || !slices.Equal(s.Kinds, []telemetrygen.AnomalyKind{telemetrygen.Spike}) || m.Path(s) != filepath.Join(dir, "s.csv") {
		t.Errorf("stream s.csv: %+v %v", s, ok)
	}
	if s, ok := m.Stream("occupancy"); !ok || s.Readings != 509 || !slices.Equal(s.Annotations["6"], []int{238, 416}) {
		t.Errorf("series occupancy: %+v %v", s, ok)
	}
	for _, c := range []struct{ name, json, want string }{
		{"syntax", "{\"source\": \"x\",\n  \"streams\": [}\n", "line 2, column 15"},
		{"type", "{\"source\": \"x\",\n \"devices\": \"ten\"}", "line 2, column 17: devices is a JSON string, want int"},
		{"no source", `{"streams": [{"file": "a.csv"}]}`, "no source"},
		{"no streams", `{"source": "x"}`, "no streams"},
		{"path", `{"source": "x", "streams": [{"file": "../a.csv"}]}`, `file "../a.csv" must be a file name`},
		{"twice", `{"source": "x", "streams": [{"file": "a.csv"}, {"file": "a.csv"}]}`, "a.csv is listed twice"},
		{"annotation", `{"source": "x", "streams": [{"file": "a.csv", "readings": 10, "annotations": {"1": [3, 10]}}]}`, "annotator 1 marks reading 10, outside 0..9"},
	} {
		_, err := LoadManifest(write(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// A source read from a manifest names its seed (the number, not where it
// is kept).
func TestManifestSourceNamesItsSeed(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"clean.csv", "s.csv"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(goodCSV), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := `{"source": "gutentag", "title": "GutenTAG", "version": "1.5.0", "licence": "MIT", "seed": 7, "devices": 2,
	  "streams": [{"file": "clean.csv", "kinds": []}, {"file": "s.csv", "kinds": ["spike"]}]}`
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := ManifestSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(src.About, "seed 7,") {
		t.Errorf("about %q does not name seed 7", src.About)
	}
}

// The GutenTAG streams make detect-eval writes, when they are there: every
// stream loads with the manifest's fields and devices, and its episodes are
// the manifest's.
func TestGutenTAGStreams(t *testing.T) {
	dir := filepath.Join("..", "..", ".build", "detecteval", "gutentag")
	path := filepath.Join(dir, "manifest.json")
	if _, err := os.Stat(path); err != nil {
		missing(t, "no GutenTAG streams in %s (make test and make detect-eval write them): %v", dir, err)
	}
	m, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		ReadingsPerDevice int `json:"readings_per_device"`
		Streams           []struct {
			Episodes []telemetrygen.Episode `json:"episodes"`
		} `json:"streams"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for i, ms := range m.Streams {
		st, err := LoadStream(m.Path(ms))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(st.Fields, m.Fields) || st.Devices != m.Devices || st.PerDev != raw.ReadingsPerDevice {
			t.Errorf("%s: fields %v, %d devices of %d readings; manifest %v, %d of %d", ms.File, st.Fields, st.Devices, st.PerDev, m.Fields, m.Devices, raw.ReadingsPerDevice)
		}
		byStart := func(a, b telemetrygen.Episode) int {
			if c := strings.Compare(a.Device, b.Device); c != 0 {
				return c
			}
			return a.Start - b.Start
		}
		got, want := slices.Clone(st.Episodes), raw.Streams[i].Episodes
		slices.SortFunc(got, byStart)
		slices.SortFunc(want, byStart)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d episodes differ from the manifest's %d", ms.File, len(st.Episodes), len(raw.Streams[i].Episodes))
		}
		for _, ep := range st.Episodes {
			if !slices.Contains(ms.Kinds, ep.Kind) || ep.Start < m.WarmUp {
				t.Errorf("%s: episode %+v: kind not among %v or inside the warm-up", ms.File, ep, ms.Kinds)
			}
		}
	}
}

// missing skips a test whose data make has not written, except under CI,
// where make test writes it first: there a missing file is a failure.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
