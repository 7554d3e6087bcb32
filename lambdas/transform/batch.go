package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"time"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"
	"github.com/refdatalake/datalake/internal/schema"
)

// Lambda caps a synchronous response at 6 MiB; a response over it fails the
// whole invocation and Firehose retries the batch, which would fail the same
// way. The budget keeps the response below the cap with a margin for the
// runtime's framing and for the estimate's own slack.
const (
	lambdaResponseLimit = 6 << 20
	responseBudget      = lambdaResponseLimit - 512<<10
)

// recordOverhead bounds the JSON of one response record besides its id, data
// and partition keys: the longest envelope appendResponse writes is
// {"recordId":,"result":"ProcessingFailed","data":"","metadata":{"partitionKeys":}},
// (82 bytes), and the 168 bytes of encoding/json's for the same struct fit
// too; responseOverhead bounds {"records":[]}.
const (
	recordOverhead   = 192
	responseOverhead = 64
)

// maxLoggedFailures caps failure logs per batch, so one bad producer cannot
// flood the log group; the rest are counted in the batch summary.
const maxLoggedFailures = 20

// logDataPrefix is how much of a failed record's data its log line shows.
const logDataPrefix = 64

// handler is what main registers with the Lambda runtime.
var handler = func() *transformer {
	t := newTransformer(slog.New(slog.NewJSONHandler(os.Stderr, nil)), responseBudget)
	// Lambda sends standard output to the function's log group, where
	// CloudWatch Logs extracts the embedded metric format lines.
	t.metricsOut, t.functionName = os.Stdout, os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	return t
}()

// transformer converts Firehose batches of telemetry records.
type transformer struct {
	plan   *plan
	log    *slog.Logger
	budget int // bytes of response, see responseBudget

	// metricsOut receives one embedded metric format line per batch when
	// functionName is set (in Lambda).
	metricsOut   io.Writer
	functionName string

	// Buffers reused from batch to batch: a Lambda process handles one
	// invocation at a time, and the runtime has serialized a response before
	// it asks for the next, so a batch's output may live in them until then.
	// Reusing them keeps the garbage collector (and its write barriers) out
	// of the hot loop.
	arena []byte
	out   []events.KinesisFirehoseResponseRecord
	spans []span
	// okTails[i] is what the response writes after Ok record i's data,
	// its partition keys; it aliases the batch's hourKeys.
	okTails [][]byte
	// The event's decoded data and ids, their records, and the response.
	input    []byte
	ids      []byte
	recSpans []recordSpans
	in       []events.KinesisFirehoseEventRecord
	response []byte
}

func newTransformer(log *slog.Logger, budget int) *transformer {
	return &transformer{plan: defaultPlan, log: log, budget: budget}
}

// span locates an Ok record's output in the batch arena.
type span struct{ start, end int }

// transform converts one batch. The output of every Ok record is written into
// one arena; its Data is a sub-slice of it, taken once the arena has stopped
// growing.
func (t *transformer) transform(recs []events.KinesisFirehoseEventRecord) events.KinesisFirehoseResponse {
	out := reuse(t.out, len(recs))
	spans := reuse(t.spans, len(recs))
	okTails := reuse(t.okTails, len(recs))
	conv := newConverter(t.plan)
	keys := partitionCache{}
	failures := failureLog{log: t.log}

	size, inputBytes := baselineSize(recs)
	// An output line is about its input plus the field names; a batch that
	// needs more grows the arena once or twice.
	arena := t.arena[:0]
	if want := inputBytes + len(recs)*(t.plan.fixedOutput+16); cap(arena) < want {
		arena = make([]byte, 0, want)
	}

	var dropped int
	var hour hourKeys
	lastHour := int64(math.MinInt64)
	for i, r := range recs {
		// Field by field: out is zeroed, and assigning the whole struct would
		// run the GC's bulk write barrier for its unused pointer fields.
		out[i].RecordID, out[i].Data = r.RecordID, r.Data
		start := len(arena)
		next, ts, result, err := conv.convert(arena, r.Data)
		switch result {
		case resultDropped:
			out[i].Result = events.KinesisFirehoseTransformedStateDropped
			dropped++
			continue
		case resultFailed:
			out[i].Result = events.KinesisFirehoseTransformedStateProcessingFailed
			failures.add(r.RecordID, r.Data, err)
			continue
		}
		// Records of a batch mostly come in event-time order, so most
		// share the previous record's hour and skip the map.
		if h := ts.Unix() / 3600; h != lastHour {
			hour, lastHour = keys.get(ts), h
		}
		// Converting changes the record's cost by its data and the keys only.
		grow := base64.StdEncoding.EncodedLen(len(next)-start) - base64.StdEncoding.EncodedLen(len(r.Data)) + len(hour.json)
		if size+grow > t.budget {
			out[i].Result = events.KinesisFirehoseTransformedStateProcessingFailed
			failures.add(r.RecordID, r.Data, errBudget)
			continue
		}
		size += grow
		arena = next
		spans[i] = span{start, len(arena)}
		out[i].Result = events.KinesisFirehoseTransformedStateOk
		out[i].Metadata.PartitionKeys = hour.keys
		okTails[i] = hour.okTail
	}
	for i := range out {
		if out[i].Result == events.KinesisFirehoseTransformedStateOk {
			s := spans[i]
			out[i].Data = arena[s.start:s.end:s.end]
		}
	}
	failures.summary(len(recs), dropped)
	t.arena, t.out, t.spans, t.okTails = arena, out, spans, okTails
	return events.KinesisFirehoseResponse{Records: out}
}

// reuse returns buf resized to n zero values, reallocating only when it is too small.
func reuse[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}

// errBudget fails records that would push the response past the budget.
var errBudget = errors.New("response size budget: the converted record would push the Lambda response past its 6 MiB limit")

// baselineSize bounds the response that returns every record as it came,
// which is what failing them all would return, and sums the input. The batch
// starts from it and adds each conversion's difference, so a record that no
// longer fits can still be failed, and the response never exceeds the larger
// of the budget and this baseline.
func baselineSize(recs []events.KinesisFirehoseEventRecord) (size, inputBytes int) {
	size = responseOverhead
	for _, r := range recs {
		size += recordCost(r.RecordID, len(r.Data), 0)
		inputBytes += len(r.Data)
	}
	return size, inputBytes
}

// recordCost bounds the bytes one response record takes in the JSON response:
// Data is base64-encoded there, and the id is escaped.
func recordCost(id string, dataLen, keysLen int) int {
	return recordOverhead + jsonStringBound(id) + base64.StdEncoding.EncodedLen(dataLen) + keysLen
}

// jsonStringBound bounds the length of s as appendJSONText writes it, which
// is s itself between quotes when s is printable ASCII. Otherwise it counts
// as encoding/json would with its HTML escaping, more than appendJSONText
// writes: control bytes and <, >, & as \u00XX, an invalid byte as the 3-byte
// U+FFFD, a 3-byte line separator as a 6-byte escape.
func jsonStringBound(s string) int {
	// Record ids are: checked a word at a time (a read-only view of s;
	// isPlainText keeps nothing).
	if isPlainText(unsafe.Slice(unsafe.StringData(s), len(s))) {
		return len(s) + 2
	}
	n := 2
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&':
			n += 6
		case c >= 0x80:
			n += 3
		default:
			n++
		}
	}
	return n
}

// hourKeys are the partition keys of one event hour, shared by every record
// of that hour in a batch (the response only reads them).
type hourKeys struct {
	keys map[string]string
	json []byte // keys as JSON, for the size budget
	// okTail follows the data of an Ok record of this hour in the
	// response: the end of the data string, the keys, the record's end.
	okTail []byte
}

// partitionCache holds hourKeys per event hour. It is keyed by hour because
// schema.PartitionValues ends at the hour, and UTC hours are whole multiples
// of 3600 Unix seconds.
type partitionCache map[int64]hourKeys

func (p partitionCache) get(ts time.Time) hourKeys {
	hour := ts.Unix() / 3600
	if k, ok := p[hour]; ok {
		return k
	}
	values := schema.PartitionValues(ts)
	m := make(map[string]string, len(values))
	for i, v := range values {
		m[schema.PartitionKeys[i]] = v
	}
	b, _ := json.Marshal(m) // a map of strings always marshals
	k := hourKeys{keys: m, json: b, okTail: fmt.Appendf(nil, `","metadata":{"partitionKeys":%s}}`, b)}
	p[hour] = k
	return k
}

// failureLog logs the first failures of a batch and counts the rest.
type failureLog struct {
	log    *slog.Logger
	failed int
}

func (l *failureLog) add(id string, data []byte, reason error) {
	l.failed++
	if l.failed > maxLoggedFailures {
		return
	}
	prefix := data
	if len(prefix) > logDataPrefix {
		prefix = prefix[:logDataPrefix]
	}
	l.log.Warn("record failed",
		slog.String("recordId", id),
		slog.String("reason", reason.Error()),
		slog.String("dataPrefix", string(prefix)),
		slog.Int("dataBytes", len(data)))
}

// summary logs one line per batch that had failures, with what was not logged.
func (l *failureLog) summary(records, dropped int) {
	if l.failed == 0 {
		return
	}
	l.log.Warn("batch had failed records",
		slog.Int("records", records),
		slog.Int("failed", l.failed),
		slog.Int("dropped", dropped),
		slog.Int("failuresNotLogged", max(0, l.failed-maxLoggedFailures)))
}
