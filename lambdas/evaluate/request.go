package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Event is the input the workflow sends. Unknown members fail, so a
// misspelt optional member ("treshold") cannot silently fall back to its
// default.
type Event struct {
	PredictionsURI string   `json:"predictionsUri"`
	LabelsURI      string   `json:"labelsUri"`
	ProblemType    string   `json:"problemType,omitempty"`
	Threshold      *float64 `json:"threshold,omitempty"`
	MetricsURI     string   `json:"metricsUri,omitempty"`
}

// Problem types.
const (
	binary     = "binary"
	regression = "regression"
)

// defaultThreshold is the score at or above which a binary prediction
// counts as positive when the event names none.
const defaultThreshold = 0.5

// metricsName is the metrics object's name under the predictions prefix
// when the event names no metricsUri.
const metricsName = "metrics.json"

// request is a validated Event.
type request struct {
	predictions location // a prefix: empty or ending in "/"
	labels      location // a prefix: empty or ending in "/"
	metrics     location // an object
	problem     string
	threshold   float64 // binary only
}

// location is an S3 bucket and key (or key prefix).
type location struct {
	Bucket, Key string
}

func (l location) String() string { return "s3://" + l.Bucket + "/" + l.Key }

// child is the object at rel below the prefix l.
func (l location) child(rel string) location { return location{l.Bucket, l.Key + rel} }

// contains reports whether the object o lies below the prefix l.
func (l location) contains(o location) bool {
	return o.Bucket == l.Bucket && strings.HasPrefix(o.Key, l.Key)
}

// parseEvent decodes and validates the raw event.
func parseEvent(raw []byte) (request, error) {
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return request{}, fmt.Errorf("invalid event: %w", err)
	}
	if dec.More() {
		return request{}, errors.New("invalid event: more than one JSON value")
	}
	return ev.validate()
}

func (ev Event) validate() (request, error) {
	var req request
	var err error
	if req.predictions, err = parseS3URI("predictionsUri", ev.PredictionsURI, true); err != nil {
		return request{}, err
	}
	if req.labels, err = parseS3URI("labelsUri", ev.LabelsURI, true); err != nil {
		return request{}, err
	}
	if req.predictions.contains(location{req.labels.Bucket, req.labels.Key}) {
		return request{}, fmt.Errorf("labelsUri %s lies under predictionsUri %s: the labels must be the transform's input, not its output", req.labels, req.predictions)
	}
	if ev.MetricsURI == "" {
		req.metrics = req.predictions.child(metricsName)
	} else if req.metrics, err = parseS3URI("metricsUri", ev.MetricsURI, false); err != nil {
		return request{}, err
	}

	switch ev.ProblemType {
	case "", binary:
		req.problem = binary
		req.threshold = defaultThreshold
		if ev.Threshold != nil {
			// JSON has no NaN, but the check does not rely on that.
			if t := *ev.Threshold; !(t >= 0 && t <= 1) {
				return request{}, fmt.Errorf("threshold %v is not in [0, 1]", t)
			}
			req.threshold = *ev.Threshold
		}
	case regression:
		req.problem = regression
		if ev.Threshold != nil {
			return request{}, errors.New(`threshold applies to problemType "binary" only`)
		}
	default:
		return request{}, fmt.Errorf("unknown problemType %q: want %q or %q", ev.ProblemType, binary, regression)
	}
	return req, nil
}

// maxKeyBytes is S3's limit on the length of an object key.
const maxKeyBytes = 1024

// parseS3URI reads s3://bucket/key. With prefix, the key is a prefix and
// gets a trailing "/" unless it is empty or has one (so "s3://b/data" does
// not also match s3://b/data2/); without, it must name an object. The key
// is taken as written: S3 URIs are not percent-decoded.
func parseS3URI(field, uri string, prefix bool) (location, error) {
	want := "s3://bucket/key"
	if prefix {
		want = "s3://bucket/prefix/"
	}
	if uri == "" {
		return location{}, fmt.Errorf("%s is required: want %s", field, want)
	}
	bad := func(why string) error {
		return fmt.Errorf("%s %q is not an S3 URI (%s): want %s", field, uri, why, want)
	}
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return location{}, bad(`it does not start with "s3://"`)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if why := checkBucket(bucket); why != "" {
		return location{}, bad(why)
	}
	if !utf8.ValidString(key) {
		return location{}, bad("the key is not valid UTF-8")
	}
	if prefix {
		if key != "" && !strings.HasSuffix(key, "/") {
			key += "/"
		}
	} else if key == "" || strings.HasSuffix(key, "/") {
		return location{}, bad("it names a prefix, not an object")
	}
	if len(key) > maxKeyBytes {
		return location{}, bad(fmt.Sprintf("the key is longer than %d bytes", maxKeyBytes))
	}
	return location{Bucket: bucket, Key: key}, nil
}

// checkBucket applies S3's rules for general purpose bucket names and says
// what is wrong, or "" when nothing is.
func checkBucket(b string) string {
	if b == "" {
		return "no bucket"
	}
	if len(b) < 3 || len(b) > 63 {
		return fmt.Sprintf("bucket name %q is not 3 to 63 characters long", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return fmt.Sprintf("bucket name %q has a character other than a-z, 0-9, '.' and '-'", b)
		}
	}
	if !alnum(b[0]) || !alnum(b[len(b)-1]) {
		return fmt.Sprintf("bucket name %q does not start and end with a letter or digit", b)
	}
	return ""
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
