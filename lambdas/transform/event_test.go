package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// sameResponse checks that the response bytes b are JSON that reads, with
// encoding/json as Firehose's side would, as resp: same ids, results and
// data, and the partition keys on Ok records only.
func sameResponse(b []byte, resp events.KinesisFirehoseResponse) error {
	var got events.KinesisFirehoseResponse
	if err := json.Unmarshal(b, &got); err != nil {
		return fmt.Errorf("response is not JSON: %v: %.200s", err, b)
	}
	if len(got.Records) != len(resp.Records) {
		return fmt.Errorf("%d records in the response, want %d", len(got.Records), len(resp.Records))
	}
	for i, g := range got.Records {
		w := resp.Records[i]
		if g.RecordID != w.RecordID || g.Result != w.Result || !bytes.Equal(g.Data, w.Data) {
			return fmt.Errorf("record %d reads as %q %s %q, want %q %s %q", i, g.RecordID, g.Result, g.Data, w.RecordID, w.Result, w.Data)
		}
		if want := w.Metadata.PartitionKeys; w.Result != okResult {
			if g.Metadata.PartitionKeys != nil {
				return fmt.Errorf("record %d is %s but has partition keys %v", i, w.Result, g.Metadata.PartitionKeys)
			}
		} else if !maps.Equal(g.Metadata.PartitionKeys, want) || len(want) == 0 {
			return fmt.Errorf("record %d has partition keys %v, want %v", i, g.Metadata.PartitionKeys, want)
		}
	}
	return nil
}

// eventJSON is the event Firehose sends for recs, as encoding/json writes it.
func eventJSON(t testing.TB, recs []events.KinesisFirehoseEventRecord) []byte {
	t.Helper()
	b, err := json.Marshal(events.KinesisFirehoseEvent{
		InvocationID:      "invocation-1",
		DeliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/telemetry",
		Region:            "us-east-1",
		Records:           recs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Invoke answers an event as transform answers its records, batch after
// batch on one transformer, whose buffers are reused.
func TestInvokeAnswersAsTransform(t *testing.T) {
	tr := quietTransformer()
	for seed := range uint64(6) {
		recs, _ := mixedBatch(seed, 40+int(seed)*90)
		recs[0].RecordID = "id with \"quotes\", \\ and \u00e9"
		out, err := tr.Invoke(context.Background(), eventJSON(t, recs))
		if err != nil {
			t.Fatal(err)
		}
		want := quietTransformer().transform(recs)
		if err := checkResponse(recs, want); err != nil {
			t.Fatal(err)
		}
		if err := sameResponse(out, want); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

// readEvent reads what encoding/json reads from the members the function
// uses, whatever the writer's spacing, member order, escapes and extras.
func TestReadEventMatchesEncodingJSON(t *testing.T) {
	events := []string{
		`null`,
		`{}`,
		`{"records":null}`,
		`{"records":[]}`,
		` { "records" : [ { "recordId" : "a" , "data" : "QUJD" } ] } `,
		`{"records":[{"data":"QUJD","recordId":"a"},{"recordId":"b"},{"data":null,"recordId":null},null,{}]}`,
		`{"records":[{"recordId":"\u0061\/\"\\\n","data":"QU\/D"}]}`,
		`{"records":[{"recordId":"1","data":""},{"recordId":"2","data":"QUJDRA==\n"}]}`,
		`{"invocationId":"x","region":"us-east-1","deep":[[[{"a":[1,2.5e3,-0,true,false,null,"\ud83d\ude00"]}]]],"records":[` +
			`{"recordId":"4954698668","approximateArrivalTimestamp":1772873894000,"data":"ZGV2aWNlaWQtMDQ4LDIwMjYtMDMtMDdUMDk6NTg6MTQuMDgrMDE6MDAK",` +
			`"kinesisRecordMetadata":{"shardId":"shardId-000000000000","partitionKey":"d","sequenceNumber":"4954","subsequenceNumber":0,"approximateArrivalTimestamp":1772873894000}}]}`,
	}
	for _, ev := range events {
		want, err := decodeWithEncodingJSON([]byte(ev))
		if err != nil {
			t.Fatalf("%s: encoding/json: %v", ev, err)
		}
		recs, err := quietTransformer().readEvent([]byte(ev))
		if err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		if err := sameRecords(recs, want); err != nil {
			t.Errorf("%s: %v", ev, err)
		}
	}
}

// An event that is not one fails the invocation with a message naming the
// problem; Firehose never sends these.
func TestReadEventRejects(t *testing.T) {
	for ev, want := range map[string]string{
		``:                               "unexpected end",
		`[]`:                             "want an object",
		`{"records":{}}`:                 "want the records array",
		`{"records":[1]}`:                "want a record object",
		`{"records":[{"recordId":1}]}`:   `recordId: offset`,
		`{"records":[{"data":"QUJ*"}]}`:  "data: not base64: illegal base64 data at input byte 3",
		`{"records":[{"data":"QUJ"}]}`:   "not base64",
		`{"records":[{"data":"QUJD"}]`:   "unexpected end",
		`{"records":[]} x`:               "data after the event",
		`{"Records":[]}`:                 `Firehose spells it "records"`,
		`{"records":[{"RECORDID":"a"}]}`: `Firehose spells it "recordId"`,
		`{"records":[{"data":"QUJD","data":"QUJD"}]}`:                     `"data" appears twice`,
		`{"records":[],"records":[]}`:                                     `"records" appears twice`,
		`{"records":[{"recordId":"` + "\xff" + `"}]}`:                     "invalid UTF-8",
		`{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`: "nested deeper",
	} {
		recs, err := quietTransformer().readEvent([]byte(ev))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %d records, error %v; want an error containing %q", ev, len(recs), err, want)
		}
	}
	if _, err := quietTransformer().Invoke(context.Background(), []byte(`{"records":7}`)); err == nil || !strings.HasPrefix(err.Error(), "firehose event: ") {
		t.Errorf("Invoke error %v, want one naming the event", err)
	}
}

// What the function reads of an event, decoded by encoding/json.
type leanEvent struct {
	Records []struct {
		RecordID string `json:"recordId"`
		Data     []byte `json:"data"`
	} `json:"records"`
}

func decodeWithEncodingJSON(b []byte) (leanEvent, error) {
	var ev leanEvent
	err := json.Unmarshal(b, &ev)
	return ev, err
}

func sameRecords(got []events.KinesisFirehoseEventRecord, want leanEvent) error {
	if len(got) != len(want.Records) {
		return fmt.Errorf("%d records, encoding/json reads %d", len(got), len(want.Records))
	}
	for i, g := range got {
		w := want.Records[i]
		if g.RecordID != w.RecordID || !bytes.Equal(g.Data, w.Data) || (g.Data == nil) != (w.Data == nil) {
			return fmt.Errorf("record %d is %q %q, encoding/json reads %q %q", i, g.RecordID, g.Data, w.RecordID, w.Data)
		}
	}
	return nil
}

// Whatever the bytes, readEvent either fails or reads what encoding/json
// reads; and any event encoding/json writes, it reads back.
func FuzzReadEvent(f *testing.F) {
	f.Add([]byte(`{"records":[{"recordId":"a","data":"QUJD"}]}`), "id", []byte("deviceid-048,2026-03-07T09:58:14Z\n"))
	f.Add([]byte(`{"records":[{"recordId":"\u0061","data":"QU\/D\r\n"},null,{}]}`), "\x00\"\\\u2028", []byte{0xff, 0})
	f.Fuzz(func(t *testing.T, raw []byte, id string, data []byte) {
		tr := quietTransformer()
		if recs, err := tr.readEvent(raw); err == nil {
			want, jerr := decodeWithEncodingJSON(raw)
			if jerr != nil {
				t.Fatalf("read %d records from %q, which encoding/json rejects: %v", len(recs), raw, jerr)
			}
			if err := sameRecords(recs, want); err != nil {
				t.Fatalf("%q: %v", raw, err)
			}
		}
		recs := []events.KinesisFirehoseEventRecord{{RecordID: id, Data: data}, {RecordID: "second", Data: data}}
		written := eventJSON(t, recs)
		want, err := decodeWithEncodingJSON(written)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tr.readEvent(written)
		if err != nil {
			t.Fatalf("%q: %v", written, err)
		}
		if err := sameRecords(got, want); err != nil {
			t.Fatalf("%q: %v", written, err)
		}
	})
}
