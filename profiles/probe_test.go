package profiles

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// A short probe measures something plausible. The figure is this machine's and is
// only logged; the bounds are loose: above 1 GB/s (any memory system of this century)
// and below 10 TB/s (more than any CPU socket's DRAM).
func TestProbeBandwidth(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates and streams 3 arrays of at least 64 MiB")
	}
	r, err := ProbeBandwidth(context.Background(), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("copy %.1f GB/s, triad %.1f GB/s (%s)", r.CopyBytesPerS/1e9, r.TriadBytesPerS/1e9, r.Describe())
	for name, v := range map[string]float64{"copy": r.CopyBytesPerS, "triad": r.TriadBytesPerS} {
		if v < 1e9 || v > 10e12 {
			t.Errorf("%s = %g bytes/s, implausible", name, v)
		}
	}
	if r.Threads != runtime.GOMAXPROCS(0) || r.Repetitions < 2 || r.BufferBytes < 3*MinProbeArrayBytes {
		t.Errorf("threads %d, repetitions %d, buffer %d", r.Threads, r.Repetitions, r.BufferBytes)
	}
	if r.Duration < 200*time.Millisecond || r.Duration > 30*time.Second {
		t.Errorf("duration %v for a 200ms probe", r.Duration)
	}
}

func TestProbeBandwidthErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ProbeBandwidthWith(ctx, time.Second, ProbeOptions{ArrayBytes: 1 << 20}); err != context.Canceled {
		t.Errorf("cancelled: err = %v", err)
	}
	if _, err := ProbeBandwidth(context.Background(), 0); err == nil {
		t.Error("zero duration accepted")
	}
	// Small arrays and odd thread counts still cover every element (the probe checks).
	r, err := ProbeBandwidthWith(context.Background(), time.Millisecond, ProbeOptions{ArrayBytes: 8 * 1001, Threads: 7})
	if err != nil || r.Threads != 7 || r.BufferBytes != 3*8*1001 || r.Repetitions < 2 {
		t.Errorf("%+v, %v", r, err)
	}
}

func TestTriadAndSplit(t *testing.T) {
	a, b, c := make([]float64, 7), []float64{1, 2, 3, 4, 5, 6, 7}, []float64{1, 1, 1, 1, 1, 1, 2}
	triad(a, b, c, 3)
	want := []float64{4, 5, 6, 7, 8, 9, 13}
	for i := range a {
		if a[i] != want[i] {
			t.Fatalf("triad = %v, want %v", a, want)
		}
	}
	ch := split(10, 3)
	if ch[0] != [2]int{0, 3} || ch[1] != [2]int{3, 6} || ch[2] != [2]int{6, 10} {
		t.Errorf("split(10, 3) = %v", ch)
	}
}

func TestLastLevelCache(t *testing.T) {
	root := t.TempDir()
	// Two CPUs sharing one 32 MiB L3, each with its own L2 and L1 caches.
	write := func(cpu, index, level, typ, size, shared string) {
		dir := filepath.Join(root, cpu, "cache", index)
		os.MkdirAll(dir, 0o755)
		for name, v := range map[string]string{"level": level, "type": typ, "size": size, "shared_cpu_list": shared} {
			os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644)
		}
	}
	for _, cpu := range []string{"cpu0", "cpu1"} {
		own := cpu[3:]
		write(cpu, "index0", "1", "Data", "32K", own)
		write(cpu, "index1", "1", "Instruction", "32K", own)
		write(cpu, "index2", "2", "Unified", "1024K", own)
		write(cpu, "index3", "3", "Unified", "32768K", "0-1")
	}
	if got := lastLevelCacheBytesIn(root); got != 32<<20 {
		t.Errorf("LLC = %d, want 32 MiB counted once", got)
	}
	if got := lastLevelCacheBytesIn(filepath.Join(root, "missing")); got != 0 {
		t.Errorf("missing sysfs: %d", got)
	}
	// STREAM's rule: each array 4 × LLC, within bounds.
	for _, tc := range []struct{ llc, want int64 }{{0, 256 << 20}, {1 << 20, MinProbeArrayBytes}, {32 << 20, 128 << 20}, {1 << 30, MaxProbeArrayBytes}} {
		if got := defaultArrayBytes(tc.llc); got != tc.want {
			t.Errorf("defaultArrayBytes(%d) = %d, want %d", tc.llc, got, tc.want)
		}
	}
	if parseCacheSize("2M") != 2<<20 || parseCacheSize("512") != 512 || parseCacheSize("x") != 0 {
		t.Error("parseCacheSize")
	}
}

// BenchmarkProbeBandwidth reports the probe's triad and copy figures as metrics.
func BenchmarkProbeBandwidth(b *testing.B) {
	var r ProbeResult
	for b.Loop() {
		var err error
		r, err = ProbeBandwidth(context.Background(), 100*time.Millisecond)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(r.TriadBytesPerS/1e9, "triad-GB/s")
	b.ReportMetric(r.CopyBytesPerS/1e9, "copy-GB/s")
}

// BenchmarkTriad measures the triad kernel in cache (8 KiB arrays): the kernel's own
// ceiling, which must be well above memory bandwidth for the probe to measure memory.
func BenchmarkTriad(b *testing.B) {
	const n = 1024
	a, x, y := make([]float64, n), make([]float64, n), make([]float64, n)
	b.SetBytes(3 * 8 * n)
	for b.Loop() {
		triad(a, x, y, 3)
	}
}
