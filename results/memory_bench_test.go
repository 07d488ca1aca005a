package results

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/profiles"
)

// BenchmarkRunMemory100k measures the memory of a 100 000-request run: it builds the
// samples a run of 128 output tokens per request holds (127 ITLs, every pointer field
// set, a nonce), then the run file summary (Build) and writes the file
// (WriteFile, to a temporary directory). One op is the whole thing; use
// -benchtime 1x. Metrics: samples_heap_MiB (live heap growth with only the samples
// held, after a GC); peak_rss_MiB (the process's peak resident set, VmHWM, reset
// first through /proc/self/clear_refs; Linux only) after building and after writing;
// file_MiB. The measurement is made once per process, whatever b.N is (the
// framework calls a benchmark at least twice), and its figures reported each time.
func BenchmarkRunMemory100k(b *testing.B) {
	memOnce.Do(func() { memMetrics = measureRunMemory(b) })
	for _, m := range memMetrics {
		b.ReportMetric(m.v, m.unit)
	}
}

type memMetric struct {
	v    float64
	unit string
}

var (
	memOnce    sync.Once
	memMetrics []memMetric
)

func measureRunMemory(b *testing.B) (out []memMetric) {
	const n, tokens = 100_000, 128
	dir := b.TempDir()
	report := func(v float64, unit string) { out = append(out, memMetric{v, unit}) }
	{
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		res := &bench.Result{RunID: "mem", Options: bench.Options{Model: "m", Runs: n, MaxTokens: tokens}, Warmup: []bench.Sample{}, Warnings: []bench.Warning{}}
		res.Samples = make([]bench.Sample, n)
		for i := range res.Samples {
			res.Samples[i] = realisticSample(i, tokens)
		}
		res.Window = bench.Window{StartNs: 0, EndNs: int64(n) * 1e9, DurationNs: int64(n) * 1e9}
		runtime.GC()
		runtime.ReadMemStats(&ms1)
		report(float64(ms1.HeapAlloc-ms0.HeapAlloc)/(1<<20), "samples_heap_MiB")
		report(float64(peakRSS())/(1<<20), "peak_rss_built_MiB")
		run := Build(res, profiles.Hardware{}, nil)
		path := filepath.Join(dir, "run.json")
		if err := WriteFile(path, run); err != nil {
			b.Fatal(err)
		}
		report(float64(peakRSS())/(1<<20), "peak_rss_written_MiB")
		if fi, err := os.Stat(path); err == nil {
			report(float64(fi.Size())/(1<<20), "file_MiB")
		}
		runtime.KeepAlive(res)
	}
	return out
}

// realisticSample is a successful measured request of tokens output tokens, one per
// chunk, with the values a CPU-served 0.5B model gives.
func realisticSample(i, tokens int) bench.Sample {
	p := func(v int64) *int64 { return &v }
	f := func(v float64) *float64 { return &v }
	itl := make([]int64, tokens-1)
	for j := range itl {
		itl[j] = 48_000_000 + int64((i*31+j*17)%4_000_000)
	}
	return bench.Sample{
		Index: i, Phase: bench.PhaseMeasured, Nonce: fmt.Sprintf("n%015x", i), PromptWords: 180,
		ScheduledAtNs: int64(i) * 6e9, SentAtNs: int64(i) * 6e9, TTFTNs: p(210_000_000 + int64(i%1000)), E2ENs: p(6_400_000_000),
		ITLNs: itl, TPOTNs: p(48_700_000), ClientGenPerS: f(20.5), Chunks: tokens + 1, TextChunks: tokens, TokensPerChunk: f(1),
		OutputBytes: tokens * 4, PromptTokens: 256, OutputTokens: tokens, ServerPromptEvalNs: 190_000_000, ServerEvalNs: 6_100_000_000,
		ServerPrefillPerS: f(1347.3), ServerGenPerS: f(20.8), LoadNs: 3_000_000, ServerTotalNs: 6_390_000_000, OverheadNs: p(10_000_000),
		DoneReason: "length", OK: true, HTTPStatus: 200,
	}
}

// resetPeakRSS resets the kernel's peak-RSS mark (VmHWM) of this process.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS reads VmHWM from /proc/self/status, bytes; 0 when unavailable.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
