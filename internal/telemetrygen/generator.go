// Package telemetrygen generates synthetic device telemetry for the ingestion
// path: realistic readings, flagged anomalies and flagged malformed records.
//
// Everything it writes is derived from the declaration in internal/schema:
// the columns and their order come from schema.Telemetry.InputFields(), the
// numeric bounds from Field.Min/Max, the status values from Field.Enum and the
// string bounds from Field.MaxLen. A schema change therefore changes what is
// generated without touching this package.
//
// The output is deterministic for a given Config (Seed included), so a test
// can regenerate exactly what a producer sent and compare it with what a
// consumer received.
package telemetrygen

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/refdatalake/datalake/internal/schema"
)

// Format is the wire format of a generated record.
type Format string

// The formats the transform accepts.
const (
	// FormatJSON is one JSON object per record, keys = field names.
	FormatJSON Format = "json"
	// FormatCSV is one CSV line per record, columns in InputFields order,
	// without a header and without a trailing newline.
	FormatCSV Format = "csv"
)

// ParseFormat parses "json" or "csv".
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatJSON, FormatCSV:
		return f, nil
	}
	return "", fmt.Errorf("format %q: want %q or %q", s, FormatJSON, FormatCSV)
}

// TimeLayout is how ts is written on the wire: RFC 3339 in UTC with exactly
// three fractional digits, e.g. 2026-03-07T09:00:00.000Z. (schema.TimeLayout
// is the transform's output format, not the producer's input format.)
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// DeviceIDField is the field that names the device; its value is also the
// Kinesis partition key, so one device's readings stay in order on one shard.
const DeviceIDField = "device_id"

// DefaultDevices is how many devices a producer simulates unless told
// otherwise (device-0000 .. device-0009). The sample device metadata in
// glue/samples/landing/devices covers at least these.
const DefaultDevices = 10

// dropoutProbability is the chance that an optional numeric reading is null
// in a valid record: real sensors drop out, and the lake must handle nulls.
const dropoutProbability = 0.002

// maintenanceProbability is the chance that a normal reading reports the
// "maintenance" status (when the schema's enum has it).
const maintenanceProbability = 0.005

// Config configures a Generator. The zero value is not valid: Devices,
// Start, Interval and Format must be set.
type Config struct {
	// Devices is how many devices send readings, in turn (round robin).
	Devices int
	// Start is the event time of every device's first reading. It must lie
	// within the schema's time bounds; later readings are not checked against
	// schema.LatestTime (at one per minute that is centuries away).
	Start time.Time
	// Interval is how far each device's event time advances per reading.
	Interval time.Duration
	// Seed makes the output reproducible: same Config, same records.
	Seed int64
	// AnomalyFraction is the share of records that are valid but anomalous
	// (a spike inside the valid range and a warn/fault status).
	AnomalyFraction float64
	// MalformedFraction is the share of records that are deliberately
	// invalid, of a kind drawn uniformly from Kinds().
	MalformedFraction float64
	// Format is the wire format.
	Format Format
	// Schema is the record declaration to generate; nil means
	// schema.Telemetry. Tests use it to show the generator follows the schema.
	Schema *schema.Record
}

// Record is one generated record, ready for PutRecords.
type Record struct {
	// Data is the record as sent: a JSON object or a CSV line.
	Data []byte
	// PartitionKey is the device id, also for malformed records (whose Data
	// may lack it or carry a corrupted copy).
	PartitionKey string
	// EventTime is the reading's event time as written in Data (millisecond
	// precision, UTC). A bad_timestamp record carries a different ts.
	EventTime time.Time
	// Malformed is "" for a valid record, otherwise the kind of damage.
	Malformed Kind
	// Anomaly reports a valid record carrying an injected anomaly.
	Anomaly bool
}

// Generator produces records. It is not safe for concurrent use.
type Generator struct {
	cfg     Config
	fields  []schema.Field // schema InputFields, in CSV column order
	status  statusPlan
	devices []device
	rng     *rand.Rand
	kinds   []Kind
	n       int64 // records generated so far
	idWidth int
}

// device is one simulated device: a fixed identity and, per numeric field, a
// fixed signal shape.
type device struct {
	id       string
	site     string
	firmware string
	signals  []signal // parallel to Generator.fields; zero for non-numeric
}

// signal is baseline + trend*days + amplitude*sin(2π*dayFraction + phase).
type signal struct {
	baseline, trendPerDay, amplitude, phase, noise float64
	decimals                                       int
}

// statusPlan says which enum values mean normal and anomalous.
type statusPlan struct {
	idx         int // index in fields, -1 if the schema has no enum field
	normal      string
	maintenance string   // "" if the enum has none
	anomalous   []string // statuses an anomaly reports
}

// New validates cfg and returns a Generator.
func New(cfg Config) (*Generator, error) {
	if cfg.Schema == nil {
		cfg.Schema = &schema.Telemetry
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("telemetrygen: %w", err)
	}
	g := &Generator{
		cfg:    cfg,
		fields: cfg.Schema.InputFields(),
		// Two seed words from one int64: PCG needs 128 bits of state.
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Seed)^0x9e3779b97f4a7c15)),
	}
	i := slices.IndexFunc(g.fields, func(f schema.Field) bool { return f.Name == DeviceIDField })
	if i < 0 || g.fields[i].Type != schema.String {
		return nil, fmt.Errorf("telemetrygen: schema %q has no string input field %q", cfg.Schema.Name, DeviceIDField)
	}
	if !slices.ContainsFunc(g.fields, func(f schema.Field) bool { return f.Type == schema.Timestamp }) {
		return nil, fmt.Errorf("telemetrygen: schema %q has no timestamp field for the event time", cfg.Schema.Name)
	}
	g.idWidth = max(4, len(strconv.Itoa(cfg.Devices-1)))
	if err := g.fields[i].CheckString(g.deviceID(cfg.Devices - 1)); err != nil {
		return nil, fmt.Errorf("telemetrygen: %d devices: device ids do not fit the schema: %w", cfg.Devices, err)
	}
	g.status = planStatus(g.fields)
	g.kinds = kindsFor(cfg.Format, g.fields)
	if cfg.MalformedFraction > 0 && len(g.kinds) == 0 {
		return nil, errors.New("telemetrygen: the schema allows no malformed kind for this format")
	}
	g.devices = make([]device, cfg.Devices)
	for i := range g.devices {
		g.devices[i] = g.newDevice(i)
	}
	return g, nil
}

func (c Config) validate() error {
	switch {
	case c.Devices < 1:
		return fmt.Errorf("devices: %d, want at least 1", c.Devices)
	case c.Start.IsZero():
		return errors.New("start time not set")
	case schema.CheckTime(c.Start) != nil:
		return fmt.Errorf("start time: %w", schema.CheckTime(c.Start))
	case c.Interval < time.Millisecond:
		return fmt.Errorf("interval %s: want at least 1ms (ts has millisecond precision)", c.Interval)
	case !isFraction(c.AnomalyFraction):
		return fmt.Errorf("anomaly fraction %g: want a number in [0, 1]", c.AnomalyFraction)
	case !isFraction(c.MalformedFraction):
		return fmt.Errorf("malformed fraction %g: want a number in [0, 1]", c.MalformedFraction)
	case c.AnomalyFraction+c.MalformedFraction > 1:
		return fmt.Errorf("anomaly fraction %g + malformed fraction %g exceed 1: a record is one or the other", c.AnomalyFraction, c.MalformedFraction)
	}
	if _, err := ParseFormat(string(c.Format)); err != nil {
		return err
	}
	return nil
}

func isFraction(f float64) bool { return f >= 0 && f <= 1 } // false for NaN

// Kinds returns the malformed kinds this generator draws from.
func (g *Generator) Kinds() []Kind { return slices.Clone(g.kinds) }

// Next returns the next record. Devices take turns; each device's event time
// advances by Interval per reading.
func (g *Generator) Next() Record {
	i := g.n
	g.n++
	dev := &g.devices[i%int64(len(g.devices))]
	tick := i / int64(len(g.devices))
	at := g.cfg.Start.Add(time.Duration(tick) * g.cfg.Interval).UTC().Truncate(time.Millisecond)

	// One draw decides the record's class so the fractions are exact in
	// expectation and the classes never overlap.
	u := g.rng.Float64()
	malformed := u < g.cfg.MalformedFraction
	anomaly := !malformed && u < g.cfg.MalformedFraction+g.cfg.AnomalyFraction

	vals := g.reading(dev, at, anomaly)
	rec := Record{PartitionKey: dev.id, EventTime: at, Anomaly: anomaly}
	if malformed {
		rec.Malformed = g.kinds[g.rng.IntN(len(g.kinds))]
		rec.Data = g.corrupt(rec.Malformed, vals)
		return rec
	}
	rec.Data = g.encode(vals)
	return rec
}

// value is one field's value before encoding. raw marks a string whose bytes
// must be written as they are (invalid UTF-8), bypassing escaping.
type value struct {
	null bool
	num  float64
	str  string
	raw  bool
	// numStr writes a Double as a JSON string ("21.5"): the wrong_type damage.
	numStr bool
	// lit is written verbatim instead of the value (JSON true, a number for a
	// string field): also wrong_type damage.
	lit string
}

func (g *Generator) deviceID(i int) string { return fmt.Sprintf("device-%0*d", g.idWidth, i) }

var (
	sites     = []string{"plant-north", "plant-south", "warehouse-east", "lab-west", "depot-central"}
	firmwares = []string{"1.8.3", "2.0.1", "2.1.0", "2.1.4"}
)

// shape is the typical behaviour of a known sensor; the per-device signal
// varies around it. Fields the table does not know get a shape derived from
// their declared range, so new schema fields are still generated sensibly.
type shape struct {
	base, spread, amplitude, trendPerDay, noise float64
	decimals                                    int
}

var shapes = map[string]shape{
	"temperature_c":  {base: 22, spread: 6, amplitude: 4, trendPerDay: 0.05, noise: 0.4, decimals: 2},
	"humidity_pct":   {base: 45, spread: 10, amplitude: 8, trendPerDay: 0.02, noise: 1.5, decimals: 1},
	"vibration_mm_s": {base: 4, spread: 2, amplitude: 0.8, trendPerDay: 0.01, noise: 0.3, decimals: 2},
	"pressure_kpa":   {base: 101.3, spread: 1.5, amplitude: 0.6, trendPerDay: 0, noise: 0.15, decimals: 2},
	"battery_v":      {base: 3.9, spread: 0.2, amplitude: 0.05, trendPerDay: -0.01, noise: 0.01, decimals: 3},
}

// anomalyFields are the fields an anomaly spikes, one of them at random; when
// the schema has none of them any numeric field is used.
var anomalyFields = []string{"vibration_mm_s", "temperature_c"}

func (g *Generator) newDevice(i int) device {
	d := device{
		id:       g.deviceID(i),
		site:     sites[g.rng.IntN(len(sites))],
		firmware: firmwares[g.rng.IntN(len(firmwares))],
		signals:  make([]signal, len(g.fields)),
	}
	for j, f := range g.fields {
		if f.Type != schema.Double {
			continue
		}
		s, ok := shapes[f.Name]
		if !ok || s.base < f.Min || s.base > f.Max {
			span := f.Max - f.Min
			s = shape{base: f.Min + span/2, spread: span * 0.05, amplitude: span * 0.03, noise: span * 0.005, decimals: 2}
		}
		d.signals[j] = signal{
			baseline:    s.base + (2*g.rng.Float64()-1)*s.spread,
			trendPerDay: s.trendPerDay * (0.5 + g.rng.Float64()),
			amplitude:   s.amplitude * (0.7 + 0.6*g.rng.Float64()),
			phase:       2 * math.Pi * g.rng.Float64(),
			noise:       s.noise,
			decimals:    s.decimals,
		}
	}
	return d
}

func planStatus(fields []schema.Field) statusPlan {
	p := statusPlan{idx: -1}
	for i, f := range fields {
		if f.Type == schema.String && len(f.Enum) > 0 {
			p.idx = i
			break
		}
	}
	if p.idx < 0 {
		return p
	}
	enum := fields[p.idx].Enum
	p.normal = enum[0]
	if slices.Contains(enum, "ok") {
		p.normal = "ok"
	}
	if slices.Contains(enum, "maintenance") {
		p.maintenance = "maintenance"
	}
	for _, s := range []string{"warn", "fault"} {
		if slices.Contains(enum, s) {
			p.anomalous = append(p.anomalous, s)
		}
	}
	if len(p.anomalous) == 0 {
		for _, s := range enum {
			if s != p.normal && s != p.maintenance {
				p.anomalous = append(p.anomalous, s)
			}
		}
	}
	return p
}

// reading computes a valid reading of dev at event time at.
func (g *Generator) reading(dev *device, at time.Time, anomaly bool) []value {
	vals := make([]value, len(g.fields))
	days := at.Sub(g.cfg.Start).Hours() / 24
	y, m, d := at.Date()
	dayFraction := at.Sub(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)).Hours() / 24
	for i, f := range g.fields {
		switch f.Type {
		case schema.Double:
			s := dev.signals[i]
			v := s.baseline + s.trendPerDay*days + s.amplitude*math.Sin(2*math.Pi*dayFraction+s.phase) + g.rng.NormFloat64()*s.noise
			vals[i] = value{num: clampRound(v, f, s.decimals)}
			if !f.Required && g.rng.Float64() < dropoutProbability {
				vals[i] = value{null: true}
			}
		case schema.Timestamp:
			vals[i] = value{str: at.Format(TimeLayout)}
		case schema.String:
			vals[i] = value{str: g.stringValue(dev, f)}
		default:
			vals[i] = value{null: true}
		}
	}
	if g.status.idx >= 0 && g.status.maintenance != "" && g.rng.Float64() < maintenanceProbability {
		vals[g.status.idx].str = g.status.maintenance
	}
	if anomaly {
		g.injectAnomaly(vals)
	}
	return vals
}

func (g *Generator) stringValue(dev *device, f schema.Field) string {
	var s string
	switch {
	case f.Name == DeviceIDField:
		return dev.id
	case len(f.Enum) > 0:
		if len(g.status.normal) > 0 && g.fields[g.status.idx].Name == f.Name {
			return g.status.normal
		}
		return f.Enum[0]
	case f.Name == "site":
		s = dev.site
	case f.Name == "firmware":
		s = dev.firmware
	default:
		s = f.Name + "-" + strconv.Itoa(g.rng.IntN(100))
	}
	if f.MaxLen > 0 && len(s) > f.MaxLen {
		s = s[:f.MaxLen]
	}
	return s
}

// injectAnomaly spikes one numeric field towards its maximum (still inside the
// range, so the record stays valid) and sets a warn or fault status.
func (g *Generator) injectAnomaly(vals []value) {
	var preferred, numeric []int
	for i, f := range g.fields {
		if f.Type != schema.Double {
			continue
		}
		numeric = append(numeric, i)
		if slices.Contains(anomalyFields, f.Name) {
			preferred = append(preferred, i)
		}
	}
	if len(preferred) == 0 {
		preferred = numeric
	}
	idx := -1
	if len(preferred) > 0 {
		idx = preferred[g.rng.IntN(len(preferred))]
	}
	if idx >= 0 {
		f := g.fields[idx]
		v := vals[idx].num
		if vals[idx].null {
			v = f.Min + (f.Max-f.Min)/2
		}
		// A jump of 5-30 % of the headroom: far outside the normal noise,
		// never outside the declared range.
		v += (f.Max - v) * (0.05 + 0.25*g.rng.Float64())
		vals[idx] = value{num: clampRound(v, f, 2)}
	}
	if g.status.idx >= 0 && len(g.status.anomalous) > 0 {
		vals[g.status.idx] = value{str: g.status.anomalous[g.rng.IntN(len(g.status.anomalous))]}
	}
}

// clampRound rounds v to the given decimals and keeps it inside [Min, Max];
// it clamps again after rounding because a bound need not be a round number.
func clampRound(v float64, f schema.Field, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	v = math.Round(min(max(v, f.Min), f.Max)*p) / p
	return min(max(v, f.Min), f.Max)
}

// encode writes vals in the configured format.
func (g *Generator) encode(vals []value) []byte {
	if g.cfg.Format == FormatCSV {
		return g.encodeCSV(vals)
	}
	return g.encodeJSON(vals, -1)
}

// encodeJSON writes a JSON object with keys in field order; the field at
// index omit is left out (-1: none).
func (g *Generator) encodeJSON(vals []value, omit int) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for i, f := range g.fields {
		if i == omit {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		appendJSONString(&b, f.Name, false)
		b.WriteByte(':')
		v := vals[i]
		switch {
		case v.lit != "":
			b.WriteString(v.lit)
		case v.null:
			b.WriteString("null")
		case f.Type == schema.Double && v.numStr:
			appendJSONString(&b, formatNumber(v.num), false)
		case f.Type == schema.Double:
			b.WriteString(formatNumber(v.num))
		default:
			appendJSONString(&b, v.str, v.raw)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// appendJSONString writes s as a JSON string. With raw set the bytes are
// written unescaped (the caller guarantees no quote or backslash), so invalid
// UTF-8 reaches the wire instead of being replaced by U+FFFD.
func appendJSONString(b *bytes.Buffer, s string, raw bool) {
	if raw {
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// csvColumns returns vals as CSV column strings (null = empty column).
func (g *Generator) csvColumns(vals []value) []string {
	cols := make([]string, len(g.fields))
	for i, f := range g.fields {
		v := vals[i]
		switch {
		case v.lit != "":
			cols[i] = v.lit
		case v.null:
			cols[i] = ""
		case f.Type == schema.Double:
			cols[i] = formatNumber(v.num)
		default:
			cols[i] = v.str
		}
	}
	return cols
}

// encodeCSV writes vals as one CSV line without the trailing newline.
func (g *Generator) encodeCSV(vals []value) []byte { return writeCSV(g.csvColumns(vals)) }

// writeCSV writes cols as one CSV line, quoting where needed, without the
// trailing newline: a Kinesis record is one line already.
func writeCSV(cols []string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(cols) // writing to a bytes.Buffer cannot fail
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
