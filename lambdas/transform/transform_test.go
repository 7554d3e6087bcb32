package main

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/refdatalake/datalake/internal/schema"
)

const (
	okResult     = events.KinesisFirehoseTransformedStateOk
	droppedRes   = events.KinesisFirehoseTransformedStateDropped
	failedResult = events.KinesisFirehoseTransformedStateProcessingFailed
)

// validCSV is a reading with every field set; csvWith varies one column of it.
const validCSV = "dev-1,2026-03-07T09:15:00.123Z,21.5,40,0.3,101.3,3.7,ok,site-a,1.2.3"

// validOutput is what validCSV converts to.
const validOutput = `{"device_id":"dev-1","ts":"2026-03-07 09:15:00.123","temperature_c":21.5,"humidity_pct":40,"vibration_mm_s":0.3,"pressure_kpa":101.3,"battery_v":3.7,"status":"ok","site":"site-a","firmware":"1.2.3","extras":null}` + "\n"

func csvWith(column int, cell string) string {
	cells := strings.Split(validCSV, ",")
	cells[column] = cell
	return strings.Join(cells, ",")
}

// jsonWith is a minimal valid JSON reading followed by members.
func jsonWith(members string) string {
	return `{"device_id":"dev-1","ts":"2026-03-07T09:15:00Z","status":"ok"` + members + `}`
}

// minimalOutput is jsonWith("")'s output with extras set.
func minimalOutput(extras string) string {
	return `{"device_id":"dev-1","ts":"2026-03-07 09:15:00.000","temperature_c":null,"humidity_pct":null,"vibration_mm_s":null,"pressure_kpa":null,"battery_v":null,"status":"ok","site":null,"firmware":null,"extras":` + extras + "}\n"
}

func keysOf(year, month, day, hour string) map[string]string {
	return map[string]string{"year": year, "month": month, "day": day, "hour": hour}
}

// nested is a JSON value that, as a member of the record object (level 1),
// reaches nesting level depth.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + "1" + strings.Repeat("}", depth-1)
}

type recordCase struct {
	name   string
	data   string
	result string
	output string            // exact output, when set
	keys   map[string]string // exact partition keys, when set
	reason string            // a substring of the logged reason, for failures
}

func TestTransformRecord(t *testing.T) {
	cases := []recordCase{
		// Valid CSV.
		{name: "csv", data: validCSV, result: okResult, output: validOutput, keys: keysOf("2026", "03", "07", "09")},
		{name: "csv newline", data: validCSV + "\n", result: okResult, output: validOutput},
		{name: "csv crlf", data: validCSV + "\r\n", result: okResult, output: validOutput},
		{name: "csv offset moves the partition", data: csvWith(1, "2026-03-07T23:30:00.5-02:00"), result: okResult,
			output: strings.Replace(validOutput, "2026-03-07 09:15:00.123", "2026-03-08 01:30:00.500", 1), keys: keysOf("2026", "03", "08", "01")},
		{name: "csv space form", data: csvWith(1, "2026-03-07 09:15:00.123"), result: okResult, output: validOutput},
		{name: "csv space form whole seconds", data: csvWith(1, "2026-12-31 23:59:59"), result: okResult, keys: keysOf("2026", "12", "31", "23")},
		{name: "csv epoch millis", data: csvWith(1, "1772874900123"), result: okResult, output: validOutput},
		{name: "csv nanoseconds truncate", data: csvWith(1, "2026-03-07T09:15:00.123999999Z"), result: okResult, output: validOutput},
		{name: "csv leap day", data: csvWith(1, "2028-02-29T00:00:00Z"), result: okResult, keys: keysOf("2028", "02", "29", "00")},
		{name: "csv empty optionals are null", data: "dev-1,2026-03-07T09:15:00.123Z,,,,,,ok,,", result: okResult,
			output: `{"device_id":"dev-1","ts":"2026-03-07 09:15:00.123","temperature_c":null,"humidity_pct":null,"vibration_mm_s":null,"pressure_kpa":null,"battery_v":null,"status":"ok","site":null,"firmware":null,"extras":null}` + "\n"},
		{name: "csv range bounds are inclusive", data: "dev-1,2026-03-07T09:15:00.123Z,-60,100,0,30,15,ok,,", result: okResult},
		{name: "csv number forms", data: csvWith(2, "+2.15e1"), result: okResult, output: validOutput},
		{name: "csv non-JSON numbers are reformatted", data: "dev-1,2026-03-07T09:15:00.123Z,21.,040,.3,101.30,3.7,ok,site-a,1.2.3", result: okResult,
			output: strings.Replace(strings.Replace(validOutput, "101.3", "101.30", 1), "21.5", "21", 1)},
		{name: "csv quoted", data: `"dev-1","2026-03-07T09:15:00.123Z",21.5,40,0.3,101.3,3.7,"ok","Hall ""B"", north",""`, result: okResult,
			output: strings.Replace(strings.Replace(validOutput, `"site-a"`, `"Hall \"B\", north"`, 1), `"1.2.3"`, "null", 1)},
		{name: "csv quoted line break", data: csvWith(8, "\"hall\r\nnorth\""), result: okResult,
			output: strings.Replace(validOutput, `"site-a"`, `"hall\nnorth"`, 1)},
		{name: "csv control byte escaped", data: csvWith(8, "a\tb\x01"), result: okResult,
			output: strings.Replace(validOutput, `"site-a"`, `"a\tb\u0001"`, 1)},
		{name: "csv unicode", data: csvWith(8, "Zürich-Nord ☀"), result: okResult,
			output: strings.Replace(validOutput, `"site-a"`, `"Zürich-Nord ☀"`, 1)},

		// Dropped, the documented cases only.
		{name: "header", data: "device_id,ts,temperature_c,humidity_pct,vibration_mm_s,pressure_kpa,battery_v,status,site,firmware\n", result: droppedRes},
		{name: "quoted header", data: `"device_id","ts","temperature_c","humidity_pct","vibration_mm_s","pressure_kpa","battery_v","status","site","firmware"`, result: droppedRes},
		{name: "empty", data: "", result: droppedRes},
		{name: "blank", data: " \t\r\n", result: droppedRes},
		{name: "header prefix is not a header", data: "device_id,ts", result: failedResult, reason: "2 columns, want 10"},

		// CSV shape.
		{name: "too few columns", data: "dev-1,2026-03-07T09:15:00Z,21.5", result: failedResult, reason: "3 columns, want 10"},
		{name: "too many columns", data: validCSV + ",extra", result: failedResult, reason: "11 columns, want 10"},
		{name: "trailing comma", data: validCSV + ",", result: failedResult, reason: "11 columns"},
		{name: "bare quote", data: csvWith(8, `si"te`), result: failedResult, reason: "quote inside an unquoted cell"},
		{name: "text after quote", data: csvWith(8, `"site"x`), result: failedResult, reason: "text after a closing quote"},
		{name: "unterminated quote", data: csvWith(9, `"1.2.3`), result: failedResult, reason: "unterminated"},
		{name: "two lines", data: validCSV + "\n" + validCSV, result: failedResult, reason: "line break outside quotes"},
		{name: "cells are not trimmed", data: csvWith(2, " 21.5"), result: failedResult, reason: "not a decimal number"},

		// Required fields.
		{name: "csv empty required", data: csvWith(0, ""), result: failedResult, reason: "device_id: required"},
		{name: "csv empty status", data: csvWith(7, ""), result: failedResult, reason: "status: required"},
		{name: "json missing required", data: `{"device_id":"dev-1","ts":"2026-03-07T09:15:00Z"}`, result: failedResult, reason: "status: required"},
		{name: "json null required", data: `{"device_id":null,"ts":"2026-03-07T09:15:00Z","status":"ok"}`, result: failedResult, reason: "device_id: required"},
		{name: "json missing ts", data: `{"device_id":"dev-1","status":"ok"}`, result: failedResult, reason: "ts: required"},

		// Values out of the schema's bounds.
		{name: "above max", data: csvWith(2, "150.01"), result: failedResult, reason: "temperature_c: 150.01 outside [-60, 150]"},
		{name: "below min", data: csvWith(3, "-0.5"), result: failedResult, reason: "humidity_pct"},
		{name: "overflow", data: csvWith(4, "1e400"), result: failedResult, reason: "does not fit a double"},
		{name: "NaN text", data: csvWith(2, "NaN"), result: failedResult, reason: "not a decimal number"},
		{name: "Inf text", data: csvWith(2, "Inf"), result: failedResult, reason: "not a decimal number"},
		{name: "-Infinity text", data: csvWith(2, "-Infinity"), result: failedResult, reason: "not a decimal number"},
		{name: "hex float", data: csvWith(2, "0x1p4"), result: failedResult, reason: "not a decimal number"},
		{name: "underscore digits", data: csvWith(2, "2_1"), result: failedResult, reason: "not a decimal number"},
		{name: "json NaN literal", data: jsonWith(`,"temperature_c":NaN`), result: failedResult, reason: "unexpected 'N', want a digit"},
		{name: "json out of range", data: jsonWith(`,"battery_v":15.5`), result: failedResult, reason: "battery_v: 15.5 outside"},
		{name: "json huge exponent", data: jsonWith(`,"battery_v":1e999`), result: failedResult, reason: "does not fit a double"},
		{name: "enum", data: csvWith(7, "broken"), result: failedResult, reason: `status: "broken" is not one of`},
		{name: "device id charset", data: csvWith(0, "dev 1"), result: failedResult, reason: "device_id: byte ' '"},
		{name: "string too long", data: csvWith(8, strings.Repeat("s", 65)), result: failedResult, reason: "site: 65 bytes, at most 64"},

		// Timestamps.
		{name: "before 2010", data: csvWith(1, "2009-12-31T23:59:59.999Z"), result: failedResult, reason: "ts: 2009-12-31T23:59:59Z outside"},
		{name: "an unset clock (2000-01-01)", data: csvWith(1, "2000-01-01T00:00:00Z"), result: failedResult, reason: "outside"},
		{name: "2040 is out", data: csvWith(1, "2040-01-01T00:00:00Z"), result: failedResult, reason: "outside"},
		{name: "just before 2040", data: csvWith(1, "2039-12-31T23:59:59.999Z"), result: okResult, keys: keysOf("2039", "12", "31", "23")},
		{name: "offset pushes past 2040", data: csvWith(1, "2039-12-31T23:30:00-01:00"), result: failedResult, reason: "outside"},
		{name: "epoch seconds are not millis", data: csvWith(1, "1772874900"), result: failedResult, reason: "1970-01-21"},
		{name: "negative millis", data: csvWith(1, "-1"), result: failedResult, reason: "outside"},
		{name: "too many millis digits", data: csvWith(1, "17728749001230000000"), result: failedResult, reason: "epoch milliseconds out of range"},
		{name: "garbage ts", data: csvWith(1, "yesterday"), result: failedResult, reason: "ts: \"yesterday\": not RFC 3339"},
		{name: "no zone", data: csvWith(1, "2026-03-07T09:15:00"), result: failedResult, reason: "not RFC 3339"},
		{name: "zone on space form", data: csvWith(1, "2026-03-07 09:15:00Z"), result: failedResult, reason: "not RFC 3339"},
		{name: "february 30", data: csvWith(1, "2026-02-30T00:00:00Z"), result: failedResult, reason: "not RFC 3339"},
		{name: "hour 24", data: csvWith(1, "2026-03-07T24:00:00Z"), result: failedResult, reason: "not RFC 3339"},
		{name: "second 60", data: csvWith(1, "2026-03-07T23:59:60Z"), result: failedResult, reason: "not RFC 3339"},
		{name: "ten fraction digits", data: csvWith(1, "2026-03-07T09:15:00.1234567890Z"), result: failedResult, reason: "not RFC 3339"},
		{name: "json ts as number string", data: `{"device_id":"dev-1","ts":"1772874900123","status":"ok"}`, result: failedResult, reason: "not RFC 3339"},
		{name: "json ts float", data: `{"device_id":"dev-1","ts":1.772874900123e12,"status":"ok"}`, result: failedResult, reason: "not an integer of epoch milliseconds"},
		{name: "json ts millis", data: `{"device_id":"dev-1","ts":1772874900123,"status":"ok"}`, result: okResult,
			output: strings.Replace(minimalOutput("null"), "09:15:00.000", "09:15:00.123", 1), keys: keysOf("2026", "03", "07", "09")},
		{name: "json ts lower-case rfc 3339", data: `{"device_id":"dev-1","ts":"2026-03-07t09:15:00z","status":"ok"}`, result: okResult, output: minimalOutput("null")},

		// UTF-8.
		{name: "csv invalid utf-8", data: csvWith(8, "si\xfftе"), result: failedResult, reason: "site: invalid UTF-8"},
		{name: "csv invalid utf-8 in number", data: csvWith(2, "2\xff"), result: failedResult, reason: "not a decimal number"},
		{name: "json invalid utf-8 value", data: jsonWith(`,"site":"a` + "\xc3" + `"`), result: failedResult, reason: "invalid UTF-8"},
		{name: "json invalid utf-8 extras", data: jsonWith(`,"note":"` + "\xed\xa0\x80" + `"`), result: failedResult, reason: "invalid UTF-8"},
		{name: "json invalid utf-8 key", data: jsonWith(`,"n` + "\xff" + `ote":1`), result: failedResult, reason: "invalid UTF-8"},
		{name: "json lone surrogate", data: jsonWith(`,"site":"\ud800"`), result: failedResult, reason: "lone high surrogate"},
		{name: "json escapes", data: jsonWith(`,"site":"\u00e9\ud83d\ude00\n\"\/"`), result: okResult,
			output: strings.Replace(minimalOutput("null"), `"site":null`, `"site":"é😀\n\"/"`, 1)},

		// JSON types.
		{name: "json valid", data: `{"ts":"2026-03-07T10:15:00.123+01:00","status":"ok","device_id":"dev-1","temperature_c":21.5,"humidity_pct":40,"vibration_mm_s":0.3,"pressure_kpa":101.3,"battery_v":3.7,"site":"site-a","firmware":"1.2.3"}` + "\n",
			result: okResult, output: validOutput, keys: keysOf("2026", "03", "07", "09")},
		{name: "json numbers verbatim", data: jsonWith(`,"vibration_mm_s":3E-1,"battery_v":-0,"humidity_pct":40.50`), result: okResult,
			output: strings.NewReplacer(`"humidity_pct":null`, `"humidity_pct":40.50`, `"vibration_mm_s":null`, `"vibration_mm_s":3E-1`, `"battery_v":null`, `"battery_v":-0`).Replace(minimalOutput("null"))},
		{name: "json whitespace", data: " \n{ \"device_id\" : \"dev-1\" ,\t\"ts\":\"2026-03-07 09:15:00\", \"status\":\"ok\" }\r\n", result: okResult, output: minimalOutput("null")},
		{name: "json optional null", data: jsonWith(`,"site":null,"temperature_c":null`), result: okResult, output: minimalOutput("null")},
		{name: "numeric string", data: jsonWith(`,"temperature_c":"21.5"`), result: failedResult, reason: `temperature_c: got the string "21.5", want a JSON number`},
		{name: "number for string", data: jsonWith(`,"site":42`), result: failedResult, reason: "site: got the number"},
		{name: "boolean", data: jsonWith(`,"temperature_c":true`), result: failedResult, reason: "temperature_c: boolean"},
		{name: "nested object in declared field", data: jsonWith(`,"site":{"name":"a"}`), result: failedResult, reason: "site: nested object or array"},
		{name: "nested array in declared field", data: jsonWith(`,"temperature_c":[21.5]`), result: failedResult, reason: "nested object or array"},
		{name: "json array record", data: `[` + jsonWith("") + `]`, result: failedResult, reason: "csv:"},
		{name: "json trailing data", data: jsonWith("") + ` {}`, result: failedResult, reason: "data after the object"},
		{name: "json trailing comma", data: jsonWith(","), result: failedResult, reason: "want '\"'"},
		{name: "json unterminated", data: jsonWith("")[:40], result: failedResult, reason: "json:"},
		{name: "json leading zero", data: jsonWith(`,"battery_v":03.7`), result: failedResult, reason: "want ',' or '}'"},
		{name: "json empty object", data: `{}`, result: failedResult, reason: "device_id: required"},

		// Duplicates.
		{name: "duplicate declared key", data: jsonWith(`,"status":"warn"`), result: failedResult, reason: `duplicate key "status"`},
		{name: "duplicate via escape", data: jsonWith(`,"st\u0061tus":"warn"`), result: failedResult, reason: `duplicate key "status"`},
		{name: "duplicate with null", data: jsonWith(`,"site":null,"site":"a"`), result: failedResult, reason: `duplicate key "site"`},
		{name: "duplicate unknown key", data: jsonWith(`,"fw":1,"f\u0077":2`), result: failedResult, reason: `duplicate key "fw"`},

		// Extras.
		{name: "extras sorted and raw", data: jsonWith(`,"zeta":1.50,"alpha":{"b":[true, null]},"m\u00fc":"x"`), result: okResult,
			output: minimalOutput(`"{\"alpha\":{\"b\":[true, null]},\"m\\u00fc\":\"x\",\"zeta\":1.50}"`)},
		{name: "extras named extras", data: jsonWith(`,"extras":null`), result: okResult, output: minimalOutput(`"{\"extras\":null}"`)},
		{name: "extras at the size limit", data: jsonWith(`,"pad":"` + strings.Repeat("p", 4096-len(`{"pad":""}`)) + `"`), result: okResult},
		{name: "extras too large", data: jsonWith(`,"pad":"` + strings.Repeat("p", 4096) + `"`), result: failedResult, reason: "extras: 4106 bytes, at most 4096"},
		{name: "extras nesting at the limit", data: jsonWith(`,"deep":` + nested(maxDepth)), result: okResult},
		{name: "deep nesting", data: jsonWith(`,"deep":` + nested(maxDepth+1)), result: failedResult, reason: "nested deeper than 32 levels"},
		{name: "very deep nesting", data: jsonWith(`,"deep":` + strings.Repeat("[", 100000)), result: failedResult, reason: "exceeds 65536"},
		{name: "deep arrays", data: jsonWith(`,"deep":` + strings.Repeat("[", 40) + strings.Repeat("]", 40)), result: failedResult, reason: "nested deeper"},

		// Size.
		{name: "huge line", data: validCSV + strings.Repeat(" ", maxRecordBytes), result: failedResult, reason: "exceeds 65536"},
		{name: "huge cell", data: csvWith(9, strings.Repeat("9", 5000)), result: failedResult, reason: "firmware: 5000 bytes, at most 32"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, reason := transformOne(t, []byte(tc.data))
			if r.Result != tc.result {
				t.Fatalf("result %s (reason %q), want %s; output %q", r.Result, reason, tc.result, r.Data)
			}
			if tc.output != "" && string(r.Data) != tc.output {
				t.Errorf("output\n got %s\nwant %s", r.Data, tc.output)
			}
			if tc.keys != nil && !reflect.DeepEqual(r.Metadata.PartitionKeys, tc.keys) {
				t.Errorf("partition keys %v, want %v", r.Metadata.PartitionKeys, tc.keys)
			}
			if !strings.Contains(reason, tc.reason) || (tc.result == failedResult) != (reason != "") {
				t.Errorf("reason %q, want one containing %q", reason, tc.reason)
			}
			in := []events.KinesisFirehoseEventRecord{{RecordID: "only", Data: []byte(tc.data)}}
			if err := checkResponse(in, events.KinesisFirehoseResponse{Records: []events.KinesisFirehoseResponseRecord{r}}); err != nil {
				t.Error(err)
			}
		})
	}
}

// Nothing but blank data and the header is dropped, whatever its shape.
func TestDroppedOnlyForDocumentedCases(t *testing.T) {
	for _, data := range []string{"\x00", ",", ",,,,,,,,,", "{}", `""`, "\ufeff", "null", "#comment"} {
		r, _ := transformOne(t, []byte(data))
		if r.Result != failedResult {
			t.Errorf("%q: %s, want %s", data, r.Result, failedResult)
		}
	}
}

// Each failure reason names the field (or the structural problem) so the
// error prefix can be triaged from logs alone.
func TestFailureReasonsNameTheField(t *testing.T) {
	for k, f := range schema.Telemetry.InputFields() {
		_, reason := transformOne(t, []byte(csvWith(k, strings.Repeat("\xff", 300))))
		if !strings.Contains(reason, fmt.Sprintf("column %d: %s", k+1, f.Name)) {
			t.Errorf("column %d: reason %q does not name it", k+1, reason)
		}
	}
}
