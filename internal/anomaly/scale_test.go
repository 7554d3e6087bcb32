package anomaly

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fiveFields are the telemetry schema's numeric fields.
var fiveFields = []string{"temperature_c", "humidity_pct", "vibration_mm_s", "pressure_kpa", "battery_v"}

// BenchmarkShard measures what a shard of 500, 2,000 and 10,000 devices
// costs the detector: heap and resident memory with every device's state
// (rss-MiB now, peak-rss-MiB the process's high-water mark so far: the
// sizes run smallest first, so each peak is its own size's), the
// checkpoint's size and the time to write it and to restore it. A device's
// state is a fixed slab, so its size after a handful of readings is its
// size after a year. Run it with -benchtime 1x (make bench does).
func BenchmarkShard(b *testing.B) {
	for _, devices := range []int{500, 2_000, 10_000} {
		b.Run(fmt.Sprintf("devices=%d", devices), func(b *testing.B) { benchmarkShard(b, devices) })
	}
}

func benchmarkShard(b *testing.B, devices int) {
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		d, err := New(Config{Fields: fiveFields, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		names := make([]string, devices)
		for i := range names {
			names[i] = fmt.Sprintf("device-%05d", i)
		}
		start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		began := time.Now()
		const perDevice = 30
		for k := range perDevice {
			at := start.Add(time.Duration(k) * time.Minute)
			for _, n := range names {
				v := []float64{22 + rng.NormFloat64(), 50 + 5*rng.NormFloat64(), 2 + 0.1*rng.NormFloat64(), 101 + 0.2*rng.NormFloat64(), 3.9 + 0.01*rng.NormFloat64()}
				if _, err := d.Process(Reading{Device: n, Time: at, Values: v}); err != nil {
					b.Fatal(err)
				}
			}
		}
		scoring := time.Since(began)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.StartTimer()
		t0 := time.Now()
		data, err := d.MarshalBinary()
		save := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		r, err := Restore(Config{Fields: fiveFields, Seed: 1}, data)
		restore := time.Since(t0)
		if err != nil || r.Devices() != devices {
			b.Fatalf("restore: %v, %d devices", err, r.Devices())
		}
		b.StopTimer()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(devices), "heap-B/device")
		b.ReportMetric(float64(d.StateBytes()), "state-B/device")
		b.ReportMetric(float64(len(data))/(1<<20), "checkpoint-MiB")
		b.ReportMetric(float64(save.Milliseconds()), "checkpoint-ms")
		b.ReportMetric(float64(restore.Milliseconds()), "restore-ms")
		b.ReportMetric(float64(devices*perDevice)/scoring.Seconds(), "readings/s")
		if rss := statusMiB("VmRSS:"); rss > 0 {
			b.ReportMetric(rss, "rss-MiB")
			b.ReportMetric(statusMiB("VmHWM:"), "peak-rss-MiB")
		}
		runtime.KeepAlive(d)
		runtime.KeepAlive(r)
	}
}

// statusMiB reads a memory line of /proc/self/status (Linux: VmRSS is the
// resident memory now, VmHWM its peak), 0 elsewhere.
func statusMiB(key string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// A device's state stays a fixed slab: its size does not grow with the
// readings it has sent, and a checkpoint grows by that slab per device.
func TestStateIsFixedPerDevice(t *testing.T) {
	d, _ := New(Config{Fields: fiveFields, Seed: 1})
	feed := func(dev string, n int) {
		for i := range n {
			v := []float64{22 + math.Sin(float64(i)), 50, 2, 101, 3.9 + 0.001*float64(i%7)}
			if _, err := d.Process(Reading{Device: dev, Time: start.Add(time.Duration(i) * time.Minute), Values: v}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The shard's forest is bounded by its samples (at most trees x sample
	// size points, 28 bytes each at most in the checkpoint, five float32s
	// and an age); the rest is a fixed slab per device.
	feed("a", 6000)
	still, _ := d.MarshalBinary()
	c := d.Config()
	if bound := c.Trees*c.SampleSize*28 + 4096; len(still) > bound {
		t.Errorf("one device after 6,000 readings: a %d-byte checkpoint, the forest's bound is %d", len(still), bound)
	}
	feed("b", 10)
	two, _ := d.MarshalBinary()
	perDevice := len(two) - len(still)
	// 10,000 devices in 3 GB leave 300 KB each; the slab is two hundred
	// times smaller.
	if perDevice > 2048 || d.StateBytes() > 2048 {
		t.Errorf("a device costs %d checkpoint bytes, %d state bytes; want under 2 KB", perDevice, d.StateBytes())
	}
}
