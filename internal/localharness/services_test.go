package localharness

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// healthServer answers HealthPath with body and status, as an emulator on
// 127.0.0.1 would.
func healthServer(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != HealthPath || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server on %s, want 127.0.0.1", srv.URL)
	}
	return srv.URL
}

// listing is a health body listing every required service under the key
// at index keyIndex (0: LocalStack's names, 1: the bundled emulator's where
// it has its own), all in state, minus drop, plus extra.
func listing(t *testing.T, keyIndex int, state string, drop []string, extra map[string]string) string {
	t.Helper()
	services := map[string]string{}
	for _, s := range RequiredServices {
		k := s.Keys[min(keyIndex, len(s.Keys)-1)]
		services[k] = state
	}
	for _, k := range drop {
		delete(services, k)
	}
	for k, v := range extra {
		services[k] = v
	}
	b, err := json.Marshal(map[string]any{"services": services, "edition": "test", "version": "0"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCheckServices(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		// want is "" for success, else substrings of the error.
		want []string
		// notWant must not appear in the error.
		notWant []string
	}{
		{name: "bundled emulator", status: 200, body: listing(t, 1, "available", nil, map[string]string{"bedrock": "available"})},
		{name: "LocalStack names, running", status: 200, body: listing(t, 0, "running", nil, nil)},
		{name: "LocalStack without Glue and Athena, Lambda disabled", status: 200,
			body:    listing(t, 0, "available", []string{"glue", "athena"}, map[string]string{"lambda": "disabled"}),
			want:    []string{"lacks 3 of the 19 services", "Lambda (disabled)", "Glue (not listed)", "Athena (not listed)", "edition test"},
			notWant: []string{"Kinesis", "S3 "}},
		{name: "a service in error", status: 200, body: listing(t, 0, "available", nil, map[string]string{"firehose": "error"}),
			want: []string{"lacks 1 of", "Firehose (error)"}},
		{name: "an alias listed twice: one usable is enough", status: 200,
			body: listing(t, 0, "available", nil, map[string]string{"states": "disabled"})},
		{name: "not a health listing", status: 200, body: `{"status": "ok"}`, want: []string{"without a list of services"}},
		{name: "not JSON", status: 200, body: `<html>`, want: []string{"without a list of services"}},
		{name: "server error", status: 503, body: `{}`, want: []string{"503"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := healthServer(t, tc.status, tc.body)
			err := CheckServices(ctx, url, RequiredServices)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("CheckServices: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckServices passed; want an error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(msg, w) {
					t.Errorf("error %q names %q, which is served", msg, w)
				}
			}
		})
	}
}

func TestCheckServicesNobodyListening(t *testing.T) {
	// A server closed at once: its port on 127.0.0.1 answers nothing.
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	err := CheckServices(context.Background(), addr, RequiredServices)
	if err == nil || !strings.Contains(err.Error(), "nothing answers at "+addr+HealthPath) {
		t.Errorf("CheckServices(%s) = %v; want nothing answers", addr, err)
	}
}

func TestMissingServicesOrder(t *testing.T) {
	need := []Service{{Name: "A", Keys: []string{"a"}}, {Name: "B", Keys: []string{"b", "bee"}}, {Name: "C", Keys: []string{"c"}}}
	got := MissingServices(map[string]string{"bee": "running", "c": "stopped"}, need)
	if len(got) != 2 || got[0].String() != "A (not listed)" || got[1].String() != "C (stopped)" {
		t.Errorf("MissingServices = %v; want A (not listed), C (stopped)", got)
	}
}

func TestDetectorWarmUp(t *testing.T) {
	tpl := func(vars string) string {
		return `{"Resources": {
			"TransformFunctionA1": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {"DETECT_WARM_UP": "7"}}}},
			"DetectFunction5E3C9172": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": ` + vars + `}}},
			"DetectFunctionLogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {}}}}`
	}
	for _, tc := range []struct {
		vars string
		want int
		err  bool
	}{
		{`{"DETECT_SAMPLE_SIZE": "32", "DETECT_WARM_UP": "48", "LAKE_BUCKET": {"Fn::ImportValue": "x"}}`, 48, false},
		// Without the setting: the detector's default.
		{`{"DETECT_SAMPLE_SIZE": "32"}`, 120, false},
		{`{}`, 120, false},
		{`{"DETECT_WARM_UP": "many"}`, 0, true},
	} {
		got, err := detectorWarmUp(tpl(tc.vars))
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("detectorWarmUp(%s) = %d, %v; want %d (error %v)", tc.vars, got, err, tc.want, tc.err)
		}
	}
	if _, err := detectorWarmUp(`{"Resources": {}}`); err == nil {
		t.Error("want an error for a template without the detect function")
	}
}

func TestDetectorBatchRecords(t *testing.T) {
	b := DetectorBatch{DevicePrefix: "probe", Devices: 3, Readings: 10, Start: time.Date(2026, 3, 20, 23, 55, 0, 0, time.UTC), Interval: time.Minute, Seed: 11}
	recs, err := b.Records()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != b.Count() || b.Count() != 30 {
		t.Fatalf("%d records, Count %d; want 30", len(recs), b.Count())
	}
	if got := b.SpikeTime(); !got.Equal(time.Date(2026, 3, 21, 0, 4, 0, 0, time.UTC)) {
		t.Errorf("SpikeTime = %s", got)
	}
	spikes := 0
	for i, r := range recs {
		var obj map[string]any
		if err := json.Unmarshal(r.Data, &obj); err != nil {
			t.Fatal(err)
		}
		dev := b.Device(i % 3)
		if obj["device_id"] != dev || aws.ToString(r.PartitionKey) != dev {
			t.Errorf("record %d: device %v, key %s; want %s", i, obj["device_id"], aws.ToString(r.PartitionKey), dev)
		}
		if obj[SpikeField] == SpikeValue {
			spikes++
			if dev != b.SpikedDevice() || !strings.HasPrefix(obj["ts"].(string), "2026-03-21T00:04:00") {
				t.Errorf("spike on record %d: %s at %v; want %s at %s", i, dev, obj["ts"], b.SpikedDevice(), b.SpikeTime())
			}
		}
	}
	if spikes != 1 {
		t.Errorf("%d spikes; want 1", spikes)
	}
	if got := AnomalyPrefix(b.SpikeTime()); got != "anomalies/year=2026/month=03/day=21/" {
		t.Errorf("AnomalyPrefix = %q", got)
	}
}
