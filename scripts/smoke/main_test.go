package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/refdatalake/datalake/internal/smoke"
)

func TestRun(t *testing.T) {
	creds := map[string]string{"AWS_PROFILE": "sandbox", "HOME": "/home/u"}
	none := map[string]string{"HOME": "/home/u"}
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStderr string // a fragment; the full line for the credentials case
		wantLoad   bool   // the AWS configuration is loaded (the run would start)
	}{
		{"no credentials: one line, exit 2", nil, none, 2, smoke.CredentialsHelp + "\n", false},
		{"prod refused", []string{"-profile", "prod"}, creds, 2, "refusing to run against the prod profile", false},
		{"prod allowed", []string{"-profile", "prod", "-allow-prod"}, creds, 2, "smoke: no region here", true},
		{"unknown step", []string{"-skip", "ml,training"}, creds, 2, `-skip: unknown step "training"`, false},
		{"stacks cannot be skipped", []string{"-skip", "stacks"}, creds, 2, "cannot be skipped", false},
		{"stray argument", []string{"sandbox"}, creds, 2, `unexpected argument "sandbox"`, false},
		{"bad timeout", []string{"-timeout", "0s"}, creds, 2, "-timeout 0s: want a positive duration", false},
		{"too many readings", []string{"-readings", "1000"}, creds, 2, "readings 1000: want 1..500", false},
		{"help", []string{"-h"}, none, 0, "-skip steps", false},
		{"an emulator needs no credentials", []string{"-endpoint", "http://127.0.0.1:4566"}, none, 2, "smoke: no region here", true},
		{"AWS_ENDPOINT_URL is an emulator too", nil, map[string]string{"AWS_ENDPOINT_URL": "http://localhost:4566"}, 2, "smoke: no region here", true},
		{"an amazonaws.com endpoint is AWS: credentials needed", []string{"-endpoint", "https://sqs-fips.us-east-1.amazonaws.com"}, none, 2, smoke.CredentialsHelp, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			loaded := false
			load := func(context.Context, options, func(string) string) (aws.Config, error) {
				loaded = true
				return aws.Config{}, errors.New("no region here")
			}
			code := run(t.Context(), tc.args, &stdout, &stderr, func(k string) string { return tc.env[k] }, func(string) bool { return false }, load)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.wantCode, stderr.String())
			}
			if strings.HasSuffix(tc.wantStderr, "\n") && stderr.String() != tc.wantStderr {
				t.Errorf("stderr %q, want exactly %q", stderr.String(), tc.wantStderr)
			} else if !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.wantStderr)
			}
			if loaded != tc.wantLoad {
				t.Errorf("AWS configuration loaded: %v, want %v", loaded, tc.wantLoad)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout %q: nothing ran, so no result lines", stdout.String())
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-profile", "local", "-skip", "ml,etl", "-timeout", "45m", "-readings", "50", "-endpoint", "http://127.0.0.1:4566", "-ml-input", `{"minAuc": 0}`},
		func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.Project != "datalake" || c.Profile != "local" || !c.Skip[smoke.StepML] || !c.Skip[smoke.StepETL] || len(c.Skip) != 2 ||
		c.Deadline != 45*time.Minute || c.Readings != 50 || !c.Emulator || c.MlInput != `{"minAuc": 0}` || c.LandingDir != "glue/samples/landing" {
		t.Errorf("parsed %+v", c)
	}
	o, err = parseFlags(nil, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c := o.cfg; c.Profile != "sandbox" || c.Deadline != smoke.DefaultDeadline || c.Readings != smoke.DefaultReadings || c.Emulator || len(c.Skip) != 0 {
		t.Errorf("defaults %+v", c)
	}
}
