package emf

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestLineFollowsTheSpecification(t *testing.T) {
	ts := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	if err := Write(&buf, "DataLake", map[string]string{"FunctionName": "f", "Deployment": "d"}, ts,
		Metric{Name: "ModelAuc", Value: 0.91}, Metric{Name: "Anomalies", Unit: Count, Value: 3}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "}\n") || strings.Count(buf.String(), "\n") != 1 {
		t.Fatalf("want one JSON line, got %q", buf.String())
	}
	var doc struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		FunctionName, Deployment string
		ModelAuc, Anomalies      float64
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	d := doc.AWS.CloudWatchMetrics
	if doc.AWS.Timestamp != ts.UnixMilli() || len(d) != 1 || d[0].Namespace != "DataLake" ||
		strings.Join(d[0].Dimensions[0], ",") != "Deployment,FunctionName" || len(d[0].Metrics) != 2 ||
		d[0].Metrics[0].Unit != None || d[0].Metrics[1].Unit != Count {
		t.Fatalf("directive %+v", doc.AWS)
	}
	// Every dimension key and metric name must be a member with its value.
	if doc.FunctionName != "f" || doc.Deployment != "d" || doc.ModelAuc != 0.91 || doc.Anomalies != 3 {
		t.Fatalf("members %+v", doc)
	}
}

func TestLineRefusesWhatCloudWatchWouldDrop(t *testing.T) {
	now := time.Now()
	for name, f := range map[string]func() error{
		"no namespace": func() error { _, err := Line("", nil, now, Metric{Name: "m", Value: 1}); return err },
		"no metric":    func() error { _, err := Line("n", nil, now); return err },
		"NaN":          func() error { _, err := Line("n", nil, now, Metric{Name: "m", Value: math.NaN()}); return err },
		"infinity":     func() error { _, err := Line("n", nil, now, Metric{Name: "m", Value: math.Inf(1)}); return err },
		"empty dim": func() error {
			_, err := Line("n", map[string]string{"k": ""}, now, Metric{Name: "m", Value: 1})
			return err
		},
		"name collision": func() error {
			_, err := Line("n", map[string]string{"m": "v"}, now, Metric{Name: "m", Value: 1})
			return err
		},
		"repeated metric": func() error {
			_, err := Line("n", nil, now, Metric{Name: "m", Value: 1}, Metric{Name: "m", Value: 2})
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
