package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/refdatalake/datalake/internal/localharness"
)

// The readings up sends for the stream's anomaly detector. The telemetry
// batch before them is too short for it: ten devices of twenty readings
// each, while the detector reports nothing about a device before its
// warm-up (48 readings in the local profile, 256 with the detector's
// defaults). So a few devices send just past the warm-up, and the last
// reading of one carries a battery spike (localharness.DetectorBatch).
const (
	detectorDevices = 3
	// detectorAfterWarmUp readings per device follow the warm-up; the spike
	// is the last. On seeded streams the forest finds it 4 readings after
	// the warm-up already; 8 leaves a margin.
	detectorAfterWarmUp = 8
	detectorPrefix      = "anomaly-demo"
	detectorSeed        = 11
	// maxDetectorRecords bounds what up sends for the detector (about a
	// minute through the bundled emulator); a longer warm-up is reported
	// instead.
	maxDetectorRecords = 600
	// anomalyTimeout bounds the wait for the detector's output after the
	// last record is on the stream. The event source mapping runs within
	// seconds on the bundled emulator; on AWS it waits up to the 30 s
	// batching window.
	anomalyTimeout = 2 * time.Minute
)

// showAnomalies sends the detector's readings, waits for the anomaly it
// must find under anomalies/ in the analytics bucket, and shows it and the
// named query detected_anomalies. A failure is reported in the output, not
// returned: the lake above has already been shown.
func showAnomalies(ctx context.Context, out io.Writer, t localharness.Target, lake localharness.LakeOutputs, emu *localharness.Emulator) {
	fmt.Fprintln(out)
	warm, err := localharness.DetectorWarmUp(ctx, t)
	if err != nil {
		fmt.Fprintf(out, "anomalies: not shown: the detector's warm-up is unknown (%v); make e2e checks the detector on its own emulator\n", oneLine(err))
		return
	}
	b := localharness.DetectorBatch{DevicePrefix: detectorPrefix, Devices: detectorDevices, Readings: warm + detectorAfterWarmUp,
		Interval: time.Minute, Seed: detectorSeed}
	if b.Count() > maxDetectorRecords {
		fmt.Fprintf(out, "anomalies: not shown: the detector reports nothing about a device before %d readings of it (its warm-up), and %d devices past it take %d records, more than this run sends (%d); see one with make e2e, or send %d readings of one device: go run ./scripts/produce --stream %s --devices 1 --count %d --anomaly-fraction 0.02\n",
			warm, b.Devices, b.Count(), maxDetectorRecords, warm+50, lake.Stream, warm+50)
		return
	}
	// One reading a minute up to now: the spike is the latest reading.
	b.Start = time.Now().UTC().Truncate(time.Minute).Add(-time.Duration(b.Readings-1) * b.Interval)
	entries, err := b.Records()
	if err != nil {
		fmt.Fprintf(out, "anomalies: not shown: %v\n", oneLine(err))
		return
	}
	fmt.Fprintf(out, "anomalies: sending %d devices x %d readings, one a minute, past the detector's warm-up of %d readings per device; the last reading of %s has %s %g (the others about 3.9)\n",
		b.Devices, b.Readings, warm, b.SpikedDevice(), localharness.SpikeField, localharness.SpikeValue)
	began := time.Now()
	if err := localharness.SendRecords(ctx, t, lake.Stream, entries); err != nil {
		fmt.Fprintf(out, "anomalies: not shown: %v\n", oneLine(err))
		return
	}
	sent := time.Since(began)

	reader := localharness.NewLakeReader(t, lake.AnalyticsBucket)
	found, waited, err := reader.WaitForAnomaly(ctx, b.SpikedDevice(), b.SpikeTime(), anomalyTimeout)
	if err != nil {
		fmt.Fprintf(out, "anomalies: none found: %v; the detect function's log is in %s\n", oneLine(err), logHint(emu))
		return
	}
	fmt.Fprintf(out, "anomalies: sent %d records in %.1f s; %.1f s later the detector's output was under s3://%s/%s:\n",
		b.Count(), sent.Seconds(), waited.Seconds(), lake.AnalyticsBucket, localharness.AnomalyPrefix(b.SpikeTime()))
	spikeAt := b.SpikeTime().Format("2006-01-02 15:04:05")
	for _, a := range found {
		note := ""
		if len(a.Ts) >= len(spikeAt) && a.Ts[:len(spikeAt)] == spikeAt && a.TopField() == localharness.SpikeField {
			note = "  <- the injected spike"
		}
		fmt.Fprintf(out, "  %s  %s  found by %s, score %.2f (1 is the alert level), driven by %s%s\n", a.DeviceID, a.Ts, a.Detector, a.Score, a.TopField(), note)
	}
	printNamedQuery(ctx, out, t, lake.AnalyticsBucket, "detected_anomalies", 5)
}
