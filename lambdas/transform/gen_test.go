package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/refdatalake/datalake/internal/schema"
)

// genOptions shapes generated readings.
type genOptions struct {
	json   bool    // JSON objects instead of CSV lines
	nulls  float64 // probability that an optional field is null/empty
	extras float64 // probability (JSON only) of members the schema does not declare
}

// generator makes deterministic, valid, realistic readings from the schema
// declaration: doubles inside their range, strings from a small set per field
// (as a fleet of devices would send), enum values from the enum.
type generator struct {
	rnd  *rand.Rand
	opts genOptions
	at   time.Time
}

func newGenerator(seed uint64, opts genOptions) *generator {
	return &generator{
		rnd:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		opts: opts,
		at:   time.Date(2026, 3, 7, 8, 58, 0, 0, time.UTC),
	}
}

// reading returns one record's data, ending in "\n" as producers write it.
func (g *generator) reading() []byte {
	// Readings arrive a few seconds apart, so a batch spans a few hours.
	g.at = g.at.Add(time.Duration(5000+g.rnd.IntN(20000)) * time.Millisecond)
	var cells []string // CSV cells, or JSON members
	for _, f := range schema.Telemetry.InputFields() {
		null := !f.Required && g.rnd.Float64() < g.opts.nulls
		cells = append(cells, g.cell(f, null))
	}
	if g.opts.json {
		if g.rnd.Float64() < g.opts.extras {
			cells = append(cells,
				fmt.Sprintf(`"rssi_dbm":%d`, -40-g.rnd.IntN(60)),
				fmt.Sprintf(`"tags":["line-%d",{"shift":"%c"}]`, g.rnd.IntN(4), 'A'+rune(g.rnd.IntN(3))))
		}
		return []byte("{" + strings.Join(cells, ",") + "}\n")
	}
	return []byte(strings.Join(cells, ",") + "\n")
}

// cell renders field f as a CSV cell or a JSON member.
func (g *generator) cell(f schema.Field, null bool) string {
	if null {
		if g.opts.json {
			return strconv.Quote(f.Name) + ":null"
		}
		return ""
	}
	var csvText, jsonText string
	switch f.Type {
	case schema.Double:
		v := f.Min + (f.Max-f.Min)*(0.2+0.6*g.rnd.Float64())
		csvText = strconv.FormatFloat(v, 'f', 2, 64)
		jsonText = csvText
	case schema.Timestamp:
		switch g.rnd.IntN(3) {
		case 0:
			csvText = g.at.Format("2006-01-02T15:04:05.000Z07:00")
		case 1:
			csvText = g.at.Format("2006-01-02 15:04:05.000")
		default:
			csvText = g.at.In(time.FixedZone("", 3600)).Format(time.RFC3339Nano)
		}
		jsonText = strconv.Quote(csvText)
		if g.opts.json && g.rnd.IntN(4) == 0 {
			jsonText = strconv.FormatInt(g.at.UnixMilli(), 10)
		}
	default:
		csvText = g.text(f)
		jsonText = strconv.Quote(csvText)
		if strings.ContainsAny(csvText, `,"`) {
			csvText = `"` + strings.ReplaceAll(csvText, `"`, `""`) + `"`
		}
	}
	if g.opts.json {
		return strconv.Quote(f.Name) + ":" + jsonText
	}
	return csvText
}

// text picks a string value for f: an enum value, or one of a few values
// named after the field (some with a comma, to exercise CSV quoting).
func (g *generator) text(f schema.Field) string {
	if len(f.Enum) > 0 {
		return f.Enum[g.rnd.IntN(len(f.Enum))]
	}
	n := g.rnd.IntN(50)
	s := fmt.Sprintf("%s-%03d", strings.ReplaceAll(f.Name, "_", ""), n)
	if f.Name != "device_id" && n%10 == 0 {
		s = fmt.Sprintf("hall %d, bay %d", n/10, n%7)
	}
	limit := f.MaxLen
	if limit == 0 {
		limit = schema.MaxStringBytes
	}
	return s[:min(len(s), limit)]
}

// batch returns n readings as Firehose records with ids r-0, r-1, ...
func (g *generator) batch(n int) []events.KinesisFirehoseEventRecord {
	recs := make([]events.KinesisFirehoseEventRecord, n)
	for i := range recs {
		recs[i] = events.KinesisFirehoseEventRecord{RecordID: fmt.Sprintf("r-%d", i), Data: g.reading()}
	}
	return recs
}

// quietTransformer logs nowhere; logTransformer logs JSON into the returned buffer.
func quietTransformer() *transformer {
	return newTransformer(slog.New(slog.NewJSONHandler(io.Discard, nil)), responseBudget)
}

func logTransformer(budget int) (*transformer, *bytes.Buffer) {
	var buf bytes.Buffer
	return newTransformer(slog.New(slog.NewJSONHandler(&buf, nil)), budget), &buf
}

// transformOne runs a one-record batch and returns its only response record
// and the failure reason the function logged for it ("" if none).
func transformOne(t *testing.T, data []byte) (events.KinesisFirehoseResponseRecord, string) {
	t.Helper()
	tr, logs := logTransformer(responseBudget)
	resp := tr.transform([]events.KinesisFirehoseEventRecord{{RecordID: "only", Data: data}})
	if len(resp.Records) != 1 {
		t.Fatalf("%d response records, want 1", len(resp.Records))
	}
	return resp.Records[0], loggedReason(t, logs)
}

// loggedReason returns the reason of the first "record failed" log line.
func loggedReason(t *testing.T, logs *bytes.Buffer) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(logs.Bytes()))
	for {
		var line struct{ Msg, Reason string }
		if err := dec.Decode(&line); err == io.EOF {
			return ""
		} else if err != nil {
			t.Fatalf("log is not JSON lines: %v", err)
		}
		if line.Msg == "record failed" {
			return line.Reason
		}
	}
}

// headerLine is the CSV header: the input field names.
func headerLine() string {
	var names []string
	for _, f := range schema.Telemetry.InputFields() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ",")
}
