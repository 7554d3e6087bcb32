package samples

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/internal/telemetrygen"
)

func root(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", filepath.FromSlash(Dir))
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// generatedSites returns every site the generator assigns to a device.
func generatedSites(t *testing.T) map[string]bool {
	t.Helper()
	sites := map[string]bool{}
	// Many devices and several seeds, so every site in the generator's list shows up.
	const devices = 200
	for seed := int64(0); seed < 5; seed++ {
		g, err := telemetrygen.New(telemetrygen.Config{Devices: devices, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			Interval: time.Minute, Seed: seed, Format: telemetrygen.FormatJSON})
		if err != nil {
			t.Fatal(err)
		}
		for range devices {
			var rec struct{ Site string }
			if err := json.Unmarshal(g.Next().Data, &rec); err != nil {
				t.Fatal(err)
			}
			sites[rec.Site] = true
		}
	}
	return sites
}

func TestDevicesCSV(t *testing.T) {
	f, err := os.Open(filepath.Join(root(t), "devices", "devices.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	rows, err := r.ReadAll() // also rejects rows with a column count unlike the header's
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 {
		t.Fatalf("%d rows", len(rows))
	}
	if !slices.Equal(rows[0], DeviceColumns) {
		t.Fatalf("header %q, want %q", rows[0], DeviceColumns)
	}

	// A generator with the default device count names these devices; each needs metadata.
	g, err := telemetrygen.New(telemetrygen.Config{Devices: telemetrygen.DefaultDevices,
		Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Interval: time.Minute, Format: telemetrygen.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for range telemetrygen.DefaultDevices {
		want[g.Next().PartitionKey] = true
	}
	sites := generatedSites(t)

	idField, _ := schema.Telemetry.Field("device_id")
	siteField, _ := schema.Telemetry.Field("site")
	seen := map[string]bool{}
	quoted := 0
	for i, row := range rows[1:] {
		line := i + 2
		id, site, model, installed, location, lat, lon := row[0], row[1], row[2], row[3], row[4], row[5], row[6]
		if err := idField.CheckString(id); err != nil {
			t.Errorf("line %d: %v", line, err)
		}
		if seen[id] {
			t.Errorf("line %d: device %s listed twice", line, id)
		}
		seen[id] = true
		if err := siteField.CheckString(site); err != nil || !sites[site] {
			t.Errorf("line %d: site %q is not one the generator assigns (%v)", line, site, err)
		}
		if model == "" {
			t.Errorf("line %d: no model", line)
		}
		if d, err := time.Parse(time.DateOnly, installed); err != nil || d.Before(schema.EarliestTime) || d.After(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("line %d: install_date %q (%v)", line, installed, err)
		}
		if location == "" {
			t.Errorf("line %d: no location", line)
		}
		if strings.Contains(location, ",") {
			quoted++
		}
		for _, c := range []struct {
			name, v string
			bound   float64
		}{{"lat", lat, 90}, {"lon", lon, 180}} {
			x, err := strconv.ParseFloat(c.v, 64)
			if err != nil || x < -c.bound || x > c.bound {
				t.Errorf("line %d: %s %q is not a coordinate (%v)", line, c.name, c.v, err)
			}
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("default generator device %s has no metadata", id)
		}
	}
	if quoted == 0 {
		t.Error("no quoted field with a comma: the sample does not exercise CSV quoting")
	}
	t.Logf("%d devices, %d locations with commas", len(seen), quoted)
}

// eventPath matches maintenance/YYYY/MM/<name>.jsonl.
var eventPath = regexp.MustCompile(`^maintenance/(\d{4})/(\d{2})/[^/]+\.jsonl$`)

func TestMaintenanceEvents(t *testing.T) {
	dir := root(t)
	b, err := os.ReadFile(filepath.Join(dir, "devices", "devices.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, row := range rows[1:] {
		known[row[0]] = true
	}

	files, events := 0, 0
	kinds := map[string]int{}
	err = filepath.WalkDir(filepath.Join(dir, "maintenance"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		m := eventPath.FindStringSubmatch(filepath.ToSlash(rel))
		if m == nil {
			t.Errorf("%s: not maintenance/YYYY/MM/*.jsonl", rel)
			return nil
		}
		files++
		year, _ := strconv.Atoi(m[1])
		month, _ := strconv.Atoi(m[2])
		from := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
		to := from.AddDate(0, 1, 0)

		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			events++
			checkEvent(t, rel, n, sc.Bytes(), known, from, to, kinds)
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 || events == 0 {
		t.Fatalf("%d files, %d events", files, events)
	}
	for _, k := range MaintenanceKinds {
		if kinds[k] == 0 {
			t.Errorf("no %s event", k)
		}
	}
	t.Logf("%d files, %d events, by kind %v", files, events, kinds)
}

func checkEvent(t *testing.T, file string, line int, data []byte, known map[string]bool, from, to time.Time, kinds map[string]int) {
	t.Helper()
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		t.Errorf("%s:%d: %v", file, line, err)
		return
	}
	var names []string
	for k := range members {
		names = append(names, k)
	}
	if slices.Sort(names); !slices.Equal(names, slices.Sorted(slices.Values(MaintenanceFields))) {
		t.Errorf("%s:%d: members %v, want %v", file, line, names, MaintenanceFields)
		return
	}
	var ev struct {
		DeviceID    string `json:"device_id"`
		EventTime   string `json:"event_time"`
		Kind        string `json:"kind"`
		Technician  string `json:"technician"`
		DurationMin *int   `json:"duration_min"`
		Notes       string `json:"notes"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Errorf("%s:%d: %v", file, line, err)
		return
	}
	idField, _ := schema.Telemetry.Field("device_id")
	if err := idField.CheckString(ev.DeviceID); err != nil || !known[ev.DeviceID] {
		t.Errorf("%s:%d: device %q not in devices.csv (%v)", file, line, ev.DeviceID, err)
	}
	at, err := time.Parse(time.RFC3339, ev.EventTime)
	switch {
	case err != nil:
		t.Errorf("%s:%d: event_time: %v", file, line, err)
	case !strings.HasSuffix(ev.EventTime, "Z"):
		t.Errorf("%s:%d: event_time %s is not UTC (Z)", file, line, ev.EventTime)
	case schema.CheckTime(at) != nil:
		t.Errorf("%s:%d: event_time: %v", file, line, schema.CheckTime(at))
	case at.Before(from) || !at.Before(to):
		t.Errorf("%s:%d: event_time %s outside the file's month %s", file, line, ev.EventTime, from.Format("2006-01"))
	}
	if !slices.Contains(MaintenanceKinds, ev.Kind) {
		t.Errorf("%s:%d: kind %q not one of %v", file, line, ev.Kind, MaintenanceKinds)
	}
	kinds[ev.Kind]++
	if ev.Technician == "" || ev.Notes == "" {
		t.Errorf("%s:%d: technician or notes empty", file, line)
	}
	if ev.DurationMin == nil || *ev.DurationMin <= 0 || *ev.DurationMin > 24*60 {
		t.Errorf("%s:%d: duration_min %s", file, line, members["duration_min"])
	}
}
