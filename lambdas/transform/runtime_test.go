//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/refdatalake/datalake/internal/proctree"
	"github.com/refdatalake/datalake/internal/rietest"
)

// The real bootstrap, built as it is deployed, answers a Firehose
// transformation event through the Lambda Runtime API, served by the Runtime
// Interface Emulator on 127.0.0.1.
func TestBootstrapUnderRuntimeEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bootstrap, rie := rietest.Build(ctx, t, "./lambdas/transform")
	var runtimePIDs []int
	t.Cleanup(func() { // runs after the emulator's own cleanup
		for _, pid := range runtimePIDs {
			if proctree.Alive(pid) {
				t.Errorf("runtime process %d still running after the test", pid)
			}
		}
	})
	// Only what the function needs: nothing of the caller's environment.
	emu := emulator{rietest.Start(t, rie, bootstrap, []string{"AWS_LAMBDA_FUNCTION_NAME=transform", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=30", "AWS_REGION=us-east-1", "TZ=UTC"})}

	before := newGenerator(5, genOptions{}).reading()
	recs := []events.KinesisFirehoseEventRecord{
		{RecordID: "csv", Data: []byte(validCSV + "\n")},
		{RecordID: "json", Data: []byte(jsonWith(`,"temperature_c":-3.25,"rssi":-71`))},
		{RecordID: "wrong-type", Data: []byte(jsonWith(`,"temperature_c":"21.5"`))},
		{RecordID: "binary", Data: []byte{0xff, 0xfe, 0x00, '{', 0x80}},
		{RecordID: "header", Data: []byte(headerLine() + "\n")},
		{RecordID: "generated", Data: before},
	}
	want := map[string]string{"csv": okResult, "json": okResult, "wrong-type": failedResult, "binary": failedResult, "header": droppedRes, "generated": okResult}
	ev := events.KinesisFirehoseEvent{
		InvocationID:      "invocation-1",
		DeliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/telemetry",
		Region:            "us-east-1",
		Records:           recs,
	}
	for round := range 2 { // the first call initializes the runtime, the second reuses it
		resp := emu.invoke(ctx, t, ev)
		if err := checkResponse(recs, resp); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		inProcess := quietTransformer().transform(recs)
		for i, r := range resp.Records {
			if r.Result != want[r.RecordID] {
				t.Errorf("round %d: %s is %s, want %s", round, r.RecordID, r.Result, want[r.RecordID])
			}
			if !bytes.Equal(r.Data, inProcess.Records[i].Data) || !reflect.DeepEqual(r.Metadata.PartitionKeys, inProcess.Records[i].Metadata.PartitionKeys) {
				t.Errorf("round %d: %s differs from the in-process result: %q %v", round, r.RecordID, r.Data, r.Metadata.PartitionKeys)
			}
		}
		if got := string(resp.Records[0].Data); got != validOutput {
			t.Errorf("csv output %q, want %q", got, validOutput)
		}
		if got := resp.Records[0].Metadata.PartitionKeys; !reflect.DeepEqual(got, keysOf("2026", "03", "07", "09")) {
			t.Errorf("csv partition keys %v", got)
		}
		if !strings.Contains(string(resp.Records[1].Data), `"extras":"{\"rssi\":-71}"`) {
			t.Errorf("json output %q lacks its extras", resp.Records[1].Data)
		}
	}
	if runtimePIDs = proctree.Descendants(emu.PID); len(runtimePIDs) == 0 {
		t.Error("no runtime process under the emulator")
	}
	// The function logs failures as JSON on stderr, which the runtime forwards.
	logs := emu.Output.String()
	if !strings.Contains(logs, `"msg":"record failed","recordId":"wrong-type"`) || !strings.Contains(logs, "want a JSON number") {
		t.Errorf("failure log missing from the function's output:\n%s", logs)
	}
}

// emulator is the bootstrap under the Runtime Interface Emulator.
type emulator struct{ *rietest.Emulator }

func (e emulator) invoke(ctx context.Context, t *testing.T, ev events.KinesisFirehoseEvent) events.KinesisFirehoseResponse {
	t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	raw.Write(e.Invoke(ctx, t, string(body)))
	var resp events.KinesisFirehoseResponse
	dec := json.NewDecoder(&raw)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&resp); err != nil {
		t.Fatalf("response %q is not a Firehose response: %v", raw.Bytes(), err)
	}
	return resp
}
