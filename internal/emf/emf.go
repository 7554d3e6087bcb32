// Package emf writes CloudWatch embedded metric format (EMF) log lines: a
// Lambda function prints one to standard output and CloudWatch Logs turns
// it into metrics, with no PutMetricData call and no cloudwatch permission.
//
// The format is one JSON object per line with an "_aws" member that names
// the namespace, dimension keys and metrics, and the values as members of
// the object itself:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Lambda.html
//
// It is written by hand: the whole format is the one object Line builds, and
// the Go client library (aws-embedded-metrics-golang) would add a dependency
// and a flush lifecycle for it.
package emf

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"time"
)

// Units CloudWatch accepts that the lake uses.
const (
	None         = "None"
	Count        = "Count"
	Milliseconds = "Milliseconds"
	Bytes        = "Bytes"
)

// Metric is one value.
type Metric struct {
	Name  string
	Unit  string
	Value float64
}

// Limits of the specification.
const (
	maxDimensions = 30
	maxMetrics    = 100
	maxNameLen    = 255
)

// Line builds one EMF object: the metrics under namespace with one
// dimension set made of every key of dims, at time ts.
func Line(namespace string, dims map[string]string, ts time.Time, metrics ...Metric) ([]byte, error) {
	if namespace == "" || len(namespace) > 256 {
		return nil, fmt.Errorf("emf: namespace %q must have 1 to 256 characters", namespace)
	}
	if len(dims) > maxDimensions {
		return nil, fmt.Errorf("emf: %d dimensions, at most %d", len(dims), maxDimensions)
	}
	if len(metrics) == 0 || len(metrics) > maxMetrics {
		return nil, fmt.Errorf("emf: %d metrics, want 1 to %d", len(metrics), maxMetrics)
	}
	doc := map[string]any{}
	keys := make([]string, 0, len(dims))
	for k, v := range dims {
		if k == "" || len(k) > maxNameLen || v == "" {
			return nil, fmt.Errorf("emf: dimension %q=%q: key and value must be non-empty", k, v)
		}
		keys = append(keys, k)
		doc[k] = v
	}
	sort.Strings(keys)
	defs := make([]map[string]string, 0, len(metrics))
	for _, m := range metrics {
		if m.Name == "" || len(m.Name) > maxNameLen {
			return nil, fmt.Errorf("emf: metric name %q must have 1 to %d characters", m.Name, maxNameLen)
		}
		if _, taken := doc[m.Name]; taken {
			return nil, fmt.Errorf("emf: metric %q repeats a dimension or metric name", m.Name)
		}
		// CloudWatch rejects NaN and infinities; a metric that has no value
		// is left out by the caller, not sent as one.
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			return nil, fmt.Errorf("emf: metric %q has no finite value (%v)", m.Name, m.Value)
		}
		unit := m.Unit
		if unit == "" {
			unit = None
		}
		defs = append(defs, map[string]string{"Name": m.Name, "Unit": unit})
		doc[m.Name] = m.Value
	}
	doc["_aws"] = map[string]any{
		"Timestamp": ts.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  namespace,
			"Dimensions": [][]string{keys},
			"Metrics":    defs,
		}},
	}
	return json.Marshal(doc)
}

// Write prints Line's object and a newline to w in one write, so lines of
// concurrent writers do not interleave.
func Write(w io.Writer, namespace string, dims map[string]string, ts time.Time, metrics ...Metric) error {
	line, err := Line(namespace, dims, ts, metrics...)
	if err != nil {
		return err
	}
	_, err = w.Write(append(line, '\n'))
	return err
}
