package detecteval

// Streams the project did not make, read from files: GutenTAG's synthetic
// streams and real TCPD series, written by the scripts in
// scripts/detecteval/sources (make detect-eval runs them) in one CSV format:
//
//	device,time,<field 1>,...,<field N>,label,kind,field
//
// UTF-8, comma-separated, the header first. time is RFC 3339 in UTC; rows
// are in time order, devices interleaved. Values are decimal numbers, empty
// when missing. label is 0 or 1; kind is the anomaly kind of a labelled row
// (our names: spike, level_shift, ...) and field the field it was injected
// into; both are empty on unlabelled rows. Each folder also holds a
// manifest.json that names the source, its licence and its streams.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// LoadStream reads a stream file in the common CSV format. The stream's
// Fields are the header's field columns, in order; each reading's Values
// follow them (NaN for an empty value). Devices are numbered in the order
// they first appear. Each contiguous run of labelled readings of a device
// with one kind and field is an Episode. Every device must send as many
// readings as the others (PerDev).
func LoadStream(path string) (Stream, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stream{}, err
	}
	defer f.Close()
	return ReadStream(f, path)
}

// ReadStream is LoadStream on a reader; name is the file named in errors.
func ReadStream(r io.Reader, name string) (Stream, error) {
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("detecteval: %s: line %d: %s", name, line, fmt.Sprintf(format, args...))
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // counted here, to name the line
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return Stream{}, fmt.Errorf("detecteval: %s: empty file, want a header", name)
	}
	if err != nil {
		return Stream{}, fmt.Errorf("detecteval: %s: %w", name, err)
	}
	header = slices.Clone(header)
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	n := len(header)
	if n < 6 || header[0] != "device" || header[1] != "time" || !slices.Equal(header[n-3:], []string{"label", "kind", "field"}) {
		return Stream{}, fail(1, "header %q: want device,time,<fields>,label,kind,field with at least one field", strings.Join(header, ","))
	}
	fields := slices.Clone(header[2 : n-3])
	for i, f := range fields {
		if f == "" || slices.Contains([]string{"device", "time", "label", "kind", "field"}, f) || slices.Index(fields, f) != i {
			return Stream{}, fail(1, "column %d: field name %q is empty, reserved or repeated", i+3, f)
		}
	}

	st := Stream{Fields: fields}
	devIndex := map[string]int{}
	var (
		names  []string    // devices in order of appearance
		count  []int       // readings per device
		last   []time.Time // each device's last time
		open   []int       // each device's episode in progress, -1 if none
		latest time.Time   // the file's last time
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Stream{}, fmt.Errorf("detecteval: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		col := func(i int) string {
			_, c := cr.FieldPos(i)
			return fmt.Sprintf("column %d (%s, byte %d)", i+1, header[i], c)
		}
		if len(rec) != n {
			return Stream{}, fail(line, "%d columns, want %d (%s)", len(rec), n, strings.Join(header, ","))
		}
		dev := rec[0]
		if dev == "" {
			return Stream{}, fail(line, "%s: empty device", col(0))
		}
		at, err := time.Parse(time.RFC3339Nano, rec[1])
		if err != nil {
			return Stream{}, fail(line, "%s: time %q is not RFC 3339", col(1), rec[1])
		}
		if _, off := at.Zone(); off != 0 {
			return Stream{}, fail(line, "%s: time %q is not UTC", col(1), rec[1])
		}
		at = at.UTC()
		if at.Before(latest) {
			return Stream{}, fail(line, "%s: time %s is before the previous row's %s: rows must be in time order", col(1), rec[1], latest.Format(time.RFC3339Nano))
		}
		latest = at
		d, seen := devIndex[dev]
		if !seen {
			d = len(count)
			devIndex[dev] = d
			names, count, last, open = append(names, dev), append(count, 0), append(last, time.Time{}), append(open, -1)
		} else if !at.After(last[d]) {
			return Stream{}, fail(line, "%s: device %s already has a reading at %s", col(1), dev, rec[1])
		}
		last[d] = at

		values := make([]float64, len(fields))
		for k := range fields {
			s := rec[2+k]
			if s == "" {
				values[k] = math.NaN()
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return Stream{}, fail(line, "%s: %q is not a finite decimal number", col(2+k), s)
			}
			values[k] = v
		}

		label, kind, field := rec[n-3], rec[n-2], rec[n-1]
		episode := -1
		switch label {
		case "0":
			if kind != "" || field != "" {
				return Stream{}, fail(line, "%s: kind %q and field %q on an unlabelled row", col(n-2), kind, field)
			}
			open[d] = -1
		case "1":
			if field != "" && !slices.Contains(fields, field) {
				return Stream{}, fail(line, "%s: field %q is not one of the header's fields %v", col(n-1), field, fields)
			}
			k := telemetrygen.AnomalyKind(kind)
			if e := open[d]; e >= 0 && st.Episodes[e].Kind == k && st.Episodes[e].Field == field {
				episode = e
				st.Episodes[e].End = count[d] + 1
			} else {
				episode = len(st.Episodes)
				st.Episodes = append(st.Episodes, telemetrygen.Episode{Device: dev, Kind: k, Field: field, Start: count[d], End: count[d] + 1})
				open[d] = episode
			}
		default:
			return Stream{}, fail(line, "%s: label %q, want 0 or 1", col(n-3), label)
		}

		st.Readings = append(st.Readings, telemetrygen.LabeledReading{
			Record: telemetrygen.Record{PartitionKey: dev, EventTime: at, Anomaly: episode >= 0 && telemetrygen.AnomalyKind(kind) != telemetrygen.NoiseBurst},
			Device: d, Index: count[d], Values: values, Episode: episode,
		})
		count[d]++
	}
	if len(count) == 0 {
		return Stream{}, fmt.Errorf("detecteval: %s: no readings after the header", name)
	}
	st.Devices, st.PerDev = len(count), count[0]
	for d, c := range count {
		if c != st.PerDev {
			return Stream{}, fmt.Errorf("detecteval: %s: device %s has %d readings and %s %d: every device must have as many", name, names[d], c, names[0], st.PerDev)
		}
	}
	return st, nil
}

// Manifest describes a folder of streams (manifest.json): where they come
// from and what each holds. Fields the Go code does not use (per-episode
// details, notes) stay in the file.
type Manifest struct {
	// Source is "gutentag" or "tcpd"; Package and Version name what made
	// or shipped the data.
	Source    string   `json:"source"`
	Title     string   `json:"title"`
	Package   string   `json:"package"`
	Version   string   `json:"version"`
	Licence   string   `json:"licence"`
	Citations []string `json:"citations"`
	// Seed, Devices, CadenceSeconds, WarmUp and Fields describe generated
	// streams (zero when a stream says it instead).
	Seed           *int64           `json:"seed,omitempty"`
	Devices        int              `json:"devices"`
	CadenceSeconds float64          `json:"cadence_seconds"`
	WarmUp         int              `json:"warm_up_readings"`
	Fields         []string         `json:"fields"`
	Streams        []ManifestStream `json:"streams"`
	// Dir is the folder the manifest was read from; stream files are in it.
	Dir string `json:"-"`
}

// ManifestStream is one stream file of a manifest.
type ManifestStream struct {
	File string `json:"file"`
	// Kinds are the anomaly kinds the stream carries; none: a clean stream
	// (or one labelled otherwise, as TCPD's change points).
	Kinds []telemetrygen.AnomalyKind `json:"kinds"`
	// Series, Fields, Readings and CadenceSeconds describe a real series.
	Series         string   `json:"series,omitempty"`
	Fields         []string `json:"fields,omitempty"`
	Readings       int      `json:"readings,omitempty"`
	CadenceSeconds float64  `json:"cadence_seconds,omitempty"`
	// Annotations are change points: each annotator's 0-based reading
	// indices (TCPD).
	Annotations map[string][]int `json:"annotations,omitempty"`
}

// Path is the stream file's path.
func (m Manifest) Path(s ManifestStream) string { return filepath.Join(m.Dir, s.File) }

// Stream returns the stream whose file or series is name.
func (m Manifest) Stream(name string) (ManifestStream, bool) {
	for _, s := range m.Streams {
		if s.File == name || s.Series == name {
			return s, true
		}
	}
	return ManifestStream{}, false
}

// LoadManifest reads and checks a manifest.json; Dir is set to its folder.
func LoadManifest(path string) (Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := jsonPosition(b, se.Offset-1)
			return Manifest{}, fmt.Errorf("detecteval: %s: line %d, column %d: %v", path, line, col, err)
		case errors.As(err, &te):
			line, col := jsonPosition(b, te.Offset-1)
			return Manifest{}, fmt.Errorf("detecteval: %s: line %d, column %d: %s is a JSON %s, want %v", path, line, col, te.Field, te.Value, te.Type)
		}
		return Manifest{}, fmt.Errorf("detecteval: %s: %w", path, err)
	}
	bad := func(format string, args ...any) (Manifest, error) {
		return Manifest{}, fmt.Errorf("detecteval: %s: %s", path, fmt.Sprintf(format, args...))
	}
	if m.Source == "" {
		return bad("no source")
	}
	if len(m.Streams) == 0 {
		return bad("no streams")
	}
	files := map[string]bool{}
	for i, s := range m.Streams {
		if s.File == "" || s.File != filepath.Base(s.File) || s.File == "." || s.File == ".." {
			return bad("streams[%d]: file %q must be a file name in the manifest's folder", i, s.File)
		}
		if files[s.File] {
			return bad("streams[%d]: file %s is listed twice", i, s.File)
		}
		files[s.File] = true
		for who, idx := range s.Annotations {
			for _, at := range idx {
				if at < 0 || (s.Readings > 0 && at >= s.Readings) {
					return bad("streams[%d] (%s): annotator %s marks reading %d, outside 0..%d", i, s.File, who, at, s.Readings-1)
				}
			}
		}
	}
	m.Dir = filepath.Dir(path)
	return m, nil
}

// jsonPosition turns a 0-based byte offset into a 1-based line and column.
func jsonPosition(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	return line, int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
}
