package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"

	"github.com/refdatalake/datalake/internal/emf"
	"github.com/refdatalake/datalake/lake/layout"
)

// The function implements lambda.Handler, so aws-lambda-go hands it the
// event as bytes and sends back the bytes it returns, instead of decoding
// into events.KinesisFirehoseEvent and encoding events.KinesisFirehoseResponse
// with encoding/json. That reflection was most of an invocation: on a
// 500-record CSV batch (BenchmarkInvokeCSV), decoding took about 70% of the
// time and encoding about 16%, while converting the records took 8%, and it
// allocated 18 times per record. The event is read with the scanner the JSON
// records are read with, the data decoded into a buffer reused from batch to
// batch, and the response written directly. The aws-lambda-go types are
// still what the conversion works on and what the tests compare with.

// Invoke is the Lambda handler. It fails only for an event that is not a
// Firehose transformation event (which Firehose never sends): every problem
// with a record is expressed as a ProcessingFailed record, because an error
// would make Firehose retry the whole batch. The bytes it returns are the
// transformer's buffer, valid until the next call: aws-lambda-go sends them
// before it asks the Runtime API for the next event.
func (t *transformer) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	recs, err := t.readEvent(payload)
	if err != nil {
		return nil, fmt.Errorf("firehose event: %w", err)
	}
	resp := t.transform(recs)
	t.emitMetrics(resp)
	t.response = t.appendResponse(t.response[:0], resp)
	return t.response, nil
}

// emitMetrics writes the batch's record counts by result as one embedded
// metric format line: Firehose publishes no metric of the records a
// transform marks ProcessingFailed (only SucceedProcessing.Records), and the
// dashboard shows both.
// https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html
func (t *transformer) emitMetrics(resp events.KinesisFirehoseResponse) {
	if t.metricsOut == nil || t.functionName == "" {
		return
	}
	var ok, failed float64
	for _, r := range resp.Records {
		switch r.Result {
		case events.KinesisFirehoseTransformedStateOk:
			ok++
		case events.KinesisFirehoseTransformedStateProcessingFailed:
			failed++
		}
	}
	if err := emf.Write(t.metricsOut, layout.MetricsNamespace, map[string]string{layout.DimensionFunction: t.functionName}, time.Now(),
		emf.Metric{Name: layout.MetricTransformOk, Unit: emf.Count, Value: ok},
		emf.Metric{Name: layout.MetricTransformFailed, Unit: emf.Count, Value: failed}); err != nil {
		t.log.Warn("metrics not emitted", "error", err.Error())
	}
}

// The members of the event, and of each record, the function reads, spelled
// as Firehose spells them.
var (
	eventKeys  = []string{"records"}
	recordKeys = []string{"recordId", "data"}
)

// readEvent returns the records of a Firehose transformation event, reusing
// the transformer's buffers: their Data point into t.input and their ids into
// one string per batch, so they are valid until the next call.
//
// It reads the ids and data encoding/json would read into the records of an
// events.KinesisFirehoseEvent, or fails: a member that encoding/json would match only by folding case (it
// ignores case, Firehose never varies it) is an error rather than a second
// reading, as are repeated members, invalid UTF-8, nesting deeper than
// maxDepth and data after the event, which encoding/json would let pass.
// null reads as nothing, as in encoding/json.
func (t *transformer) readEvent(payload []byte) ([]events.KinesisFirehoseEventRecord, error) {
	r := eventReader{scanner: scanner{data: payload}, input: t.input[:0], ids: t.ids[:0], spans: t.recSpans[:0]}
	r.skipSpace()
	var err error
	switch r.next() {
	case 'n':
		err = r.literal("null")
	case '{':
		err = r.object(1, r.eventMember)
	default:
		err = r.unexpected("an object")
	}
	if err == nil {
		if r.skipSpace(); r.pos != len(r.data) {
			err = r.errorf("data after the event")
		}
	}
	t.input, t.ids, t.recSpans = r.input, r.ids, r.spans
	if err != nil {
		return nil, err
	}
	recs := reuse(t.in, len(r.spans))
	ids := string(r.ids) // one allocation per batch; the ids are slices of it
	for i, s := range r.spans {
		recs[i].RecordID = ids[s.id.start:s.id.end]
		if s.data.end >= 0 {
			recs[i].Data = r.input[s.data.start:s.data.end:s.data.end]
		}
	}
	t.in = recs
	return recs, nil
}

// recordSpans locates one record's id in the ids buffer and its data in the
// input buffer; data.end is -1 for null or absent data.
type recordSpans struct {
	id, data         span
	seenID, seenData bool
}

type eventReader struct {
	scanner
	input       []byte // decoded data of every record
	ids         []byte // unescaped ids of every record
	spans       []recordSpans
	seenRecords bool
}

// errDuplicate rejects a repeated member the function reads. encoding/json
// would let the last one win, but into what the first one left (a second
// records array decodes over the first one's records), which no reading
// here should copy; Firehose never repeats a member.
func errDuplicate(key []byte) error {
	return fmt.Errorf("member %q appears twice", key)
}

// object reads the object at pos (a '{'), calling member for each member with
// the key unescaped and pos at the value.
func (r *eventReader) object(depth int, member func(key []byte, depth int) error) error {
	r.pos++
	r.skipSpace()
	if r.next() == '}' {
		r.pos++
		return nil
	}
	var key []byte
	for {
		r.skipSpace()
		raw, escaped, err := r.str()
		if err != nil {
			return err
		}
		key = raw
		if escaped {
			key = appendUnescaped(key[:0:0], raw)
		}
		r.skipSpace()
		if err := r.expect(':'); err != nil {
			return err
		}
		r.skipSpace()
		if err := member(key, depth+1); err != nil {
			return err
		}
		r.skipSpace()
		switch r.next() {
		case ',':
			r.pos++
		case '}':
			r.pos++
			return nil
		default:
			return r.unexpected("',' or '}'")
		}
	}
}

// foldedKey rejects a key that differs from one the function reads only in
// case, which encoding/json would read as that member.
func foldedKey(key []byte, known []string) error {
	for _, k := range known {
		if string(key) != k && strings.EqualFold(string(key), k) {
			return fmt.Errorf("member %q: Firehose spells it %q", key, k)
		}
	}
	return nil
}

func (r *eventReader) eventMember(key []byte, depth int) error {
	if string(key) != "records" {
		if err := foldedKey(key, eventKeys); err != nil {
			return err
		}
		return r.skipValue(depth)
	}
	if r.seenRecords {
		return errDuplicate(key)
	}
	r.seenRecords = true
	switch r.next() {
	case 'n':
		return r.literal("null")
	case '[':
	default:
		return r.unexpected("the records array")
	}
	r.pos++
	r.skipSpace()
	if r.next() == ']' {
		r.pos++
		return nil
	}
	for {
		r.skipSpace()
		r.spans = append(r.spans, recordSpans{data: span{-1, -1}})
		switch r.next() {
		case 'n':
			if err := r.literal("null"); err != nil {
				return err
			}
		case '{':
			if err := r.object(depth+1, r.recordMember); err != nil {
				return fmt.Errorf("record %d: %w", len(r.spans)-1, err)
			}
		default:
			return r.unexpected("a record object")
		}
		r.skipSpace()
		switch r.next() {
		case ',':
			r.pos++
		case ']':
			r.pos++
			return nil
		default:
			return r.unexpected("',' or ']'")
		}
	}
}

func (r *eventReader) recordMember(key []byte, depth int) error {
	rec := &r.spans[len(r.spans)-1]
	switch string(key) {
	case "recordId":
		if rec.seenID {
			return errDuplicate(key)
		}
		rec.seenID = true
	case "data":
		if rec.seenData {
			return errDuplicate(key)
		}
		rec.seenData = true
	default:
		if err := foldedKey(key, recordKeys); err != nil {
			return err
		}
		return r.skipValue(depth)
	}
	if r.next() == 'n' {
		if err := r.literal("null"); err != nil {
			return err
		}
		if key[0] == 'd' {
			rec.data = span{-1, -1}
		} else {
			rec.id = span{len(r.ids), len(r.ids)}
		}
		return nil
	}
	raw, escaped, err := r.str()
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if escaped {
		// Only an unusual writer escapes base64 or an id ("\/"); the
		// unescaped text goes to the end of ids, where the next member
		// overwrites it if it is data.
		mark := len(r.ids)
		r.ids = appendUnescaped(r.ids, raw)
		raw = r.ids[mark:]
		if key[0] == 'd' {
			r.ids = r.ids[:mark]
		}
	}
	if key[0] == 'r' {
		if !escaped {
			r.ids = append(r.ids, raw...)
		}
		rec.id = span{len(r.ids) - len(raw), len(r.ids)}
		return nil
	}
	start := len(r.input)
	if r.input, err = appendDecodedBase64(r.input, raw); err != nil {
		return fmt.Errorf("data: not base64: %w", err)
	}
	rec.data = span{start, len(r.input)}
	return nil
}

// appendResponse appends the JSON of resp as the Firehose service reads it:
// each record's id, result and data, and for an Ok record its partition keys
// (t.okTails, set by transform). recordOverhead bounds what it writes per
// record besides those.
func (t *transformer) appendResponse(dst []byte, resp events.KinesisFirehoseResponse) []byte {
	dst = append(dst, `{"records":[`...)
	for i, r := range resp.Records {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"recordId":`...)
		dst = appendJSONText(dst, r.RecordID)
		tail := `"}`
		switch r.Result {
		case events.KinesisFirehoseTransformedStateOk:
			dst = append(dst, `,"result":"Ok","data":"`...)
			tail = ""
		case events.KinesisFirehoseTransformedStateDropped:
			dst = append(dst, `,"result":"Dropped","data":"`...)
		default:
			dst = append(dst, `,"result":"ProcessingFailed","data":"`...)
		}
		dst = appendBase64(dst, r.Data)
		if tail == "" {
			dst = append(dst, t.okTails[i]...)
		} else {
			dst = append(dst, tail...)
		}
	}
	return append(dst, "]}"...)
}

// appendJSONText appends s as a JSON string. Record ids are printable ASCII
// in practice; anything else takes encoding/json's path, which also covers
// invalid UTF-8 in an id handed to transform directly.
func appendJSONText(dst []byte, s string) []byte {
	// A read-only view of s: isPlainText keeps nothing.
	if isPlainText(unsafe.Slice(unsafe.StringData(s), len(s))) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	if utf8.ValidString(s) {
		return appendJSONString(dst, []byte(s))
	}
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}
