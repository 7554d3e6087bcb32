// Command transform is the Firehose data-transformation Lambda of the
// telemetry stream, with dynamic partitioning.
//
// Each Firehose record carries one sensor reading. The function validates it
// against schema.Telemetry and rewrites it as one JSON line holding every
// declared field in declared order, which Firehose then converts to Parquet
// with the Glue table built from the same declaration. The partition keys it
// returns (year, month, day, hour) come from the reading's own timestamp, never
// from its arrival time, so late data lands in the hour it describes.
//
// # Input
//
// A record whose first non-space byte is '{' is a JSON object; anything else is
// a CSV line. One trailing "\n" or "\r\n" is allowed.
//
// CSV columns are the fields of schema.Telemetry.InputFields(), in that order;
// the extras column is filled by this function and is never part of the input.
// Quoting follows RFC 4180 as encoding/csv reads it ("a,b" is one cell, ""
// inside quotes is one quote, a quoted "\r\n" is "\n"). Cells are not
// trimmed. An empty cell, quoted or not, is null, which fails for a required
// field. Numbers are plain decimals ("21.5", "-3", "1e3"); NaN, Inf, hex
// floats and digit separators are refused.
//
// JSON members named after schema fields must have the JSON type of their Glue
// type: a string for string fields, a number for double fields, and null only
// for optional fields. Members the schema does not declare are kept, raw and
// unchanged, in the extras column as a JSON object with sorted keys, so a
// producer ahead of the schema loses nothing; a member named like the extras
// column itself is such a member too. Duplicate keys (compared after
// unescaping, at the top level), nested values in declared fields, nesting
// deeper than 32 levels anywhere and invalid UTF-8 fail. Records over 64 KiB
// fail unread: no valid reading comes near that.
//
// The timestamp may be RFC 3339 ("2026-03-07T09:15:00Z",
// "2026-03-07T10:15:00.123+01:00"), "2026-03-07 09:15:00[.123]" taken as UTC,
// or epoch milliseconds: a JSON integer in JSON, an integer cell in CSV. It must
// lie in [schema.EarliestTime, schema.LatestTime).
//
// # Result per record
//
//   - Ok: the output line: every schema field in declared order, missing
//     optional ones as null, the timestamp in schema.TimeLayout (UTC), extras
//     as a JSON string or null. Numbers that are JSON numbers already are
//     copied as they came; others ("+5", "1.") are written in shortest form.
//     Partition keys come from schema.PartitionValues(ts).
//   - Dropped: only for data that is empty or whitespace, and for a CSV line
//     that is the header (the input field names), which producers writing CSV
//     files often send first. Nothing else is ever dropped.
//   - ProcessingFailed: everything that does not validate, with the original
//     bytes unchanged, so Firehose writes them under the error prefix where they
//     can be inspected and replayed. The first failures of a batch are logged
//     with their reason.
//
// Lambda caps a response at 6 MiB, and a converted record is larger than its
// input. Records whose conversion would take the response past a 5.5 MiB
// budget fail with the reason "response size budget" (see batch.go); the
// Firehose processing buffer should be sized so that this does not happen.
//
// The response always has the input's record ids, in order.
//
// # Event and response
//
// The function reads the event's records (recordId and data) itself and writes
// the response itself (event.go), with a base64 codec of its own (base64.go)
// that gives exactly what encoding/base64 gives, rather than letting
// aws-lambda-go decode and encode them with encoding/json, which took most of
// an invocation. It reads what encoding/json would read, and refuses (failing
// the invocation) what encoding/json would read differently or by accident:
// members that differ from recordId, data or records only in case, repeated
// members, invalid UTF-8 and data after the event. Firehose sends none of
// these. An Ok record's response carries metadata.partitionKeys; other
// records carry no metadata.
package main
