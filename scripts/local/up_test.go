package main

import "testing"

func TestParseUpFlags(t *testing.T) {
	o, err := parseUpFlags(nil)
	if err != nil || !o.anomalies || o.count != 200 || o.format != "json" {
		t.Errorf("defaults: %+v, %v; want anomalies on, 200 json records", o, err)
	}
	o, err = parseUpFlags([]string{"--anomalies=false", "--count", "20"})
	if err != nil || o.anomalies || o.count != 20 {
		t.Errorf("--anomalies=false --count 20: %+v, %v", o, err)
	}
	for _, bad := range [][]string{{"--count", "0"}, {"--format", "xml"}, {"--malformed-fraction", "2"}, {"extra"}} {
		if _, err := parseUpFlags(bad); err == nil {
			t.Errorf("parseUpFlags(%q) accepted", bad)
		}
	}
}
