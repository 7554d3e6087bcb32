package localharness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// Reading is the identity of one delivered telemetry record: a device's
// reading at an event time. The multiset of readings is what the harness
// compares with what was sent.
type Reading struct {
	DeviceID string
	TS       time.Time
}

// String formats r for messages.
func (r Reading) String() string { return r.DeviceID + "@" + r.TS.UTC().Format(time.RFC3339Nano) }

// parquetReadings reads device_id and ts of every row of a Parquet object.
// It reads the columns by name and decodes ts by its physical and logical
// type, so it does not depend on how the writer encoded timestamps (INT64 in
// any unit, or the INT96 Hive still writes).
func parquetReadings(data []byte) ([]Reading, error) {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("open Parquet: %w", err)
	}
	dev, ok := f.Schema().Lookup("device_id")
	if !ok {
		return nil, errors.New("Parquet schema has no device_id column")
	}
	ts, ok := f.Schema().Lookup("ts")
	if !ok {
		return nil, errors.New("Parquet schema has no ts column")
	}
	decodeTS, err := timestampDecoder(ts.Node)
	if err != nil {
		return nil, err
	}

	r := parquet.NewReader(f)
	defer r.Close()
	out := make([]Reading, 0, f.NumRows())
	rows := make([]parquet.Row, 64)
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			var rd Reading
			var tsNull bool
			for _, v := range row {
				switch v.Column() {
				case dev.ColumnIndex:
					rd.DeviceID = string(v.ByteArray())
				case ts.ColumnIndex:
					if tsNull = v.IsNull(); !tsNull {
						rd.TS = decodeTS(v)
					}
				}
			}
			if tsNull {
				return nil, fmt.Errorf("row %d has a null ts, which the transform never writes", len(out))
			}
			out = append(out, rd)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read Parquet rows: %w", err)
		}
	}
}

// timestampDecoder returns a function turning a ts value into UTC time.
func timestampDecoder(node parquet.Node) (func(parquet.Value) time.Time, error) {
	typ := node.Type()
	switch typ.Kind() {
	case parquet.Int96:
		return func(v parquet.Value) time.Time { return int96Time(v.Int96()) }, nil
	case parquet.Int64:
		unit := time.Millisecond
		if ct := typ.ConvertedType(); ct != nil && *ct == deprecated.TimestampMicros {
			unit = time.Microsecond
		}
		// The logical type, when present, is the authority (it also knows nanoseconds).
		if lt := typ.LogicalType(); lt != nil {
			if t, ok := lt.Value.(*format.TimestampType); ok && t.Unit.Value != nil {
				unit = t.Unit.Value.Duration()
			}
		}
		return func(v parquet.Value) time.Time { return time.Unix(0, 0).Add(time.Duration(v.Int64()) * unit).UTC() }, nil
	}
	return nil, fmt.Errorf("ts column has physical type %s, not a timestamp", typ)
}

// int96Time decodes Hive's INT96 timestamp: nanoseconds of the day in the
// first 8 bytes, the Julian day number in the last 4.
func int96Time(i deprecated.Int96) time.Time {
	const unixEpochJulianDay = 2440588
	nanos := int64(i[1])<<32 | int64(i[0])
	days := int64(i[2]) - unixEpochJulianDay
	return time.Unix(days*86400, nanos).UTC()
}
