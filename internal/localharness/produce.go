package localharness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/refdatalake/datalake/internal/telemetrygen"
)

// Batch is one producer run, spelled out completely (no producer default
// is relied on) so the harness can regenerate exactly the records it sent
// with internal/telemetrygen and know which are valid and when they happened.
type Batch struct {
	// Config is what telemetrygen (and so the producer) generates from.
	telemetrygen.Config
	// Count is how many records the producer sends.
	Count int
	// BatchSize is the records per PutRecords call; 0 leaves the producer's
	// default. It does not change the records, only how they are grouped.
	BatchSize int
}

// Records regenerates the batch's records, in the order they were sent.
func (b Batch) Records() ([]telemetrygen.Record, error) {
	cfg := b.Config
	cfg.Start = cfg.Start.UTC()
	g, err := telemetrygen.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("regenerate the %s batch: %w", b.Format, err)
	}
	out := make([]telemetrygen.Record, b.Count)
	for i := range out {
		out[i] = g.Next()
	}
	return out, nil
}

// args are the producer's flags for the batch.
func (b Batch) args(stream string) []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	args := []string{
		"--stream", stream,
		"--count", strconv.Itoa(b.Count),
		"--devices", strconv.Itoa(b.Devices),
		"--start", b.Start.UTC().Format(time.RFC3339),
		"--interval", b.Interval.String(),
		"--seed", strconv.FormatInt(b.Seed, 10),
		"--anomaly-fraction", f(b.AnomalyFraction),
		"--malformed-fraction", f(b.MalformedFraction),
		"--format", string(b.Format),
	}
	if b.BatchSize > 0 {
		args = append(args, "--batch-size", strconv.Itoa(b.BatchSize))
	}
	return args
}

// Producer runs scripts/produce, built once.
type Producer struct {
	Repo   Repo
	Target Target
	// Bin is the built producer; Build sets it.
	Bin string
	// Log receives the producer's progress (stderr).
	Log io.Writer
}

// Build compiles scripts/produce into dir, so several batches do not each
// pay for `go run`.
func (p *Producer) Build(ctx context.Context, dir string) error {
	bin := filepath.Join(dir, "produce")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./scripts/produce")
	cmd.Dir = p.Repo.Root
	cmd.Env = p.Target.Env(p.Repo)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build scripts/produce: %w: %s", err, strings.TrimSpace(string(out)))
	}
	p.Bin = bin
	return nil
}

// ProduceResult is the producer's summary line, parsed.
type ProduceResult struct {
	// Fields are the summary's key=value pairs (sent, malformed, failed,
	// records_per_s, ...).
	Fields map[string]string
	// Line is the summary as printed.
	Line string
}

// Int returns a numeric summary field, or -1 when it is missing.
func (r ProduceResult) Int(key string) int {
	n, err := strconv.Atoi(r.Fields[key])
	if err != nil {
		return -1
	}
	return n
}

// Send runs the producer for b against stream and returns its summary. It
// fails unless the producer reports every record sent.
func (p *Producer) Send(ctx context.Context, stream string, b Batch) (ProduceResult, error) {
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, p.Bin, b.args(stream)...)
	cmd.Dir = p.Repo.Root
	cmd.Env = p.Target.Env(p.Repo)
	cmd.Stdout, cmd.Stderr = &stdout, p.Log
	runErr := runGroup(ctx, cmd)
	res, parseErr := parseSummary(stdout.String())
	switch {
	case runErr != nil:
		return res, fmt.Errorf("producer (%s batch): %w: %s", b.Format, runErr, strings.TrimSpace(stdout.String()))
	case parseErr != nil:
		return res, fmt.Errorf("producer (%s batch): %w", b.Format, parseErr)
	case res.Fields["state"] != "complete" || res.Int("sent") != b.Count || res.Int("failed") != 0:
		return res, fmt.Errorf("producer (%s batch) did not send all %d records: %s", b.Format, b.Count, res.Line)
	}
	return res, nil
}

// parseSummary finds the `produce: <state> key=value ...` line.
func parseSummary(stdout string) (ProduceResult, error) {
	for line := range strings.Lines(stdout) {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "produce: ")
		if !ok || !strings.Contains(rest, "generated=") {
			continue
		}
		fields := strings.Fields(rest)
		res := ProduceResult{Line: line, Fields: map[string]string{"state": fields[0]}}
		for _, f := range fields[1:] {
			if k, v, ok := strings.Cut(f, "="); ok {
				res.Fields[k] = v
			}
		}
		return res, nil
	}
	return ProduceResult{}, fmt.Errorf("no summary line in the producer's output %q", strings.TrimSpace(stdout))
}

// SplitRecords separates valid from malformed records.
func SplitRecords(recs []telemetrygen.Record) (valid, malformed []telemetrygen.Record) {
	for _, r := range recs {
		if r.Malformed == "" {
			valid = append(valid, r)
		} else {
			malformed = append(malformed, r)
		}
	}
	return valid, malformed
}
