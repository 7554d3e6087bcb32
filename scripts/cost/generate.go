package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/refdatalake/datalake/internal/lakeparquet"
	"github.com/refdatalake/datalake/internal/schema"
	"github.com/refdatalake/datalake/internal/telemetrygen"
)

const shortUsage = "usage: cost --out DIR [--days N] [--devices N] [--interval D] [--start RFC3339] [--seed N] [--no-flat]; -h lists every flag"

// The layouts, as folder names under --out.
const (
	LayoutJSON     = "json"
	LayoutJSONFlat = "json-flat"
	LayoutParquet  = "parquet"
)

// config says what to generate.
type config struct {
	out      string
	days     int
	devices  int
	interval time.Duration
	start    time.Time
	seed     int64
	flat     bool
}

// summary is what generate wrote.
type summary struct {
	Records int64
	Files   map[string]int   // layout -> files
	Bytes   map[string]int64 // layout -> bytes
}

var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := config{}
	var start string
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.out, "out", "", "output `directory` (required); the layouts go to its json/, json-flat/ and parquet/")
	fs.IntVar(&c.days, "days", 30, "days of telemetry")
	fs.IntVar(&c.devices, "devices", 50, "number of devices")
	fs.DurationVar(&c.interval, "interval", time.Minute, "time between two readings of a device")
	fs.StringVar(&start, "start", "2026-02-20T00:00:00Z", "event time of the first reading, RFC 3339; the default spans February and March 2026, so the month filters of the named queries prune")
	fs.Int64Var(&c.seed, "seed", 1, "random seed")
	noFlat := fs.Bool("no-flat", false, "skip the unpartitioned JSON layout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "%s\n\nWrites synthetic telemetry as partitioned JSON lines, flat JSON lines and partitioned Parquet.\n\n", shortUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return c, err
		}
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	c.flat = !*noFlat
	t, err := time.Parse(time.RFC3339, start)
	c.start = t.UTC()
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case strings.TrimSpace(c.out) == "":
		return c, fmt.Errorf("%w: --out is required", errUsage)
	case c.days < 1:
		return c, fmt.Errorf("%w: --days %d: want at least 1", errUsage, c.days)
	case c.devices < 1:
		return c, fmt.Errorf("%w: --devices %d: want at least 1", errUsage, c.devices)
	case c.interval < time.Second:
		return c, fmt.Errorf("%w: --interval %s: want at least 1s", errUsage, c.interval)
	case err != nil:
		return c, fmt.Errorf("%w: --start: %v", errUsage, err)
	case schema.CheckTime(c.start) != nil:
		return c, fmt.Errorf("%w: --start: %v", errUsage, schema.CheckTime(c.start))
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "cost: %v\n%s\n", err, shortUsage)
		return 2
	}
	began := time.Now()
	s, err := generate(c)
	if err != nil {
		fmt.Fprintf(stderr, "cost: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "cost: generated days=%d devices=%d interval=%s start=%s records=%d", c.days, c.devices, c.interval, c.start.Format(time.RFC3339), s.Records)
	for _, l := range []string{LayoutJSON, LayoutJSONFlat, LayoutParquet} {
		if _, ok := s.Files[l]; ok {
			fmt.Fprintf(stdout, " %s_files=%d %s_bytes=%d", l, s.Files[l], l, s.Bytes[l])
		}
	}
	fmt.Fprintf(stdout, " elapsed=%s out=%s\n", time.Since(began).Round(time.Millisecond), c.out)
	return 0
}

// generate writes every layout under c.out, which must not hold them yet.
func generate(c config) (summary, error) {
	s := summary{Files: map[string]int{}, Bytes: map[string]int64{}}
	layouts := []string{LayoutJSON, LayoutParquet}
	if c.flat {
		layouts = append(layouts, LayoutJSONFlat)
	}
	for _, l := range layouts {
		if _, err := os.Stat(filepath.Join(c.out, l)); err == nil {
			return s, fmt.Errorf("%s already exists: choose an empty --out", filepath.Join(c.out, l))
		}
	}
	gen, err := telemetrygen.New(telemetrygen.Config{
		Devices: c.devices, Start: c.start, Interval: c.interval, Seed: c.seed,
		AnomalyFraction: 0.01, Format: telemetrygen.FormatJSON,
	})
	if err != nil {
		return s, err
	}
	pq, err := lakeparquet.Schema(schema.Telemetry)
	if err != nil {
		return s, err
	}
	end := c.start.AddDate(0, 0, c.days)

	// One goroutine generates and formats records; another converts each
	// finished hour to Parquet and writes both of its files, so two cores share the work.
	type hourJob struct {
		dir  string // year=/month=/day=/hour=
		json []byte // the hour's JSON lines
	}
	jobs := make(chan hourJob, 2)
	type written struct {
		files map[string]int
		bytes map[string]int64
		err   error
	}
	done := make(chan written, 1)
	go func() {
		w := written{files: map[string]int{}, bytes: map[string]int64{}}
		rows := []parquet.Row{}
		for job := range jobs {
			if w.err != nil {
				continue // drain
			}
			rows = rows[:0]
			for line := range bytes.Lines(job.json) {
				row, err := lakeparquet.Row(pq, schema.Telemetry, bytes.TrimSuffix(line, []byte("\n")))
				if err != nil {
					w.err = fmt.Errorf("%s: %s: %w", job.dir, line, err)
					break
				}
				rows = append(rows, row)
			}
			if w.err != nil {
				continue
			}
			var file bytes.Buffer
			if w.err = lakeparquet.Write(&file, pq, rows); w.err != nil {
				continue
			}
			for _, out := range []struct {
				layout, name string
				data         []byte
			}{{LayoutJSON, "part-0.json", job.json}, {LayoutParquet, "part-0.parquet", file.Bytes()}} {
				path := filepath.Join(c.out, out.layout, filepath.FromSlash(job.dir), out.name)
				if w.err = os.MkdirAll(filepath.Dir(path), 0o755); w.err != nil {
					break
				}
				if w.err = os.WriteFile(path, out.data, 0o644); w.err != nil {
					break
				}
				w.files[out.layout]++
				w.bytes[out.layout] += int64(len(out.data))
			}
		}
		done <- w
	}()
	finish := func(err error) (summary, error) {
		close(jobs)
		w := <-done
		for l, n := range w.files {
			s.Files[l] += n
			s.Bytes[l] += w.bytes[l]
		}
		return s, errors.Join(err, w.err)
	}

	var (
		hour, day string
		hourJSON  []byte
		flat      *os.File
		flatBuf   *bufio.Writer
	)
	closeDay := func() error {
		if flat == nil {
			return nil
		}
		if err := flatBuf.Flush(); err != nil {
			return err
		}
		info, err := flat.Stat()
		if err != nil {
			return err
		}
		s.Files[LayoutJSONFlat]++
		s.Bytes[LayoutJSONFlat] += info.Size()
		err = flat.Close()
		flat = nil
		return err
	}
	for {
		rec := gen.Next()
		if !rec.EventTime.Before(end) {
			break
		}
		line, err := outputJSON(rec.Data)
		if err != nil {
			return finish(fmt.Errorf("record %d: %w", s.Records, err))
		}
		p := schema.PartitionValues(rec.EventTime)
		if h := "year=" + p[0] + "/month=" + p[1] + "/day=" + p[2] + "/hour=" + p[3]; h != hour {
			if hour != "" {
				jobs <- hourJob{dir: hour, json: hourJSON}
			}
			hour, hourJSON = h, nil
		}
		if c.flat {
			if d := p[0] + "-" + p[1] + "-" + p[2]; d != day {
				if err := closeDay(); err != nil {
					return finish(err)
				}
				day = d
				path := filepath.Join(c.out, LayoutJSONFlat, d+".json")
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					return finish(err)
				}
				if flat, err = os.Create(path); err != nil {
					return finish(err)
				}
				flatBuf = bufio.NewWriterSize(flat, 1<<20)
			}
			flatBuf.Write(line)
			flatBuf.WriteByte('\n')
		}
		hourJSON = append(append(hourJSON, line...), '\n')
		s.Records++
	}
	if hour != "" {
		jobs <- hourJob{dir: hour, json: hourJSON}
	}
	return finish(closeDay())
}

// outputJSON turns a generated record (the producer's wire JSON) into the
// transform Lambda's output: the schema's fields in order, ts in
// schema.TimeLayout, extras null (generated records carry no unknown field),
// numbers and strings as sent.
func outputJSON(data []byte) ([]byte, error) {
	var in map[string]json.RawMessage
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range schema.Telemetry.Fields {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", f.Name)
		raw, ok := in[f.Name]
		switch {
		case f.Name == schema.ExtrasColumn:
			b.WriteString("null")
		case !ok:
			return nil, fmt.Errorf("generated record lacks %s", f.Name)
		case f.Type == schema.Timestamp:
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			t, err := time.Parse(telemetrygen.TimeLayout, s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			fmt.Fprintf(&b, "%q", t.UTC().Format(schema.TimeLayout))
		default:
			b.Write(raw)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
