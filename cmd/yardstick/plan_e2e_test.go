package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	gguf "github.com/gpustack/gguf-parser-go"

	"github.com/yardstick-dev/yardstick/results"
)

// e2eParallel is the real server's OLLAMA_NUM_PARALLEL (scripts/test.sh exports 4).
func e2eParallel() int {
	if n, err := strconv.Atoi(os.Getenv("OLLAMA_NUM_PARALLEL")); err == nil && n > 0 {
		return n
	}
	return 1
}

// e2eVerify writes the twin of shape, creates it on the real Ollama and runs
// `plan --verify` on it; it returns the twin's path and the report.
func e2eVerify(t *testing.T, shape, name string) (string, results.PlanReport) {
	t.Helper()
	host := e2eHost(t)
	path := filepath.Join(t.TempDir(), shape+".gguf")
	if o := runCLI(t, nil, "synth", "--shape", shape, "--quant", "Q8_0", "--out", path, "--create", name, "--host", host); o.code != 0 {
		t.Fatalf("synth: exit %d: %s", o.code, o.stderr)
	}
	removeTwinAfter(t, host, name)
	o := runCLI(t, nil, "plan", "--model", name, "--host", host, "--verify", "--server-parallel", strconv.Itoa(e2eParallel()), "--format", "json")
	if o.code != 0 {
		t.Fatalf("plan --verify: exit %d: %s", o.code, o.stderr)
	}
	var r results.PlanReport
	if err := json.Unmarshal([]byte(o.stdout), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Verify) < 2 {
		t.Fatalf("%d verified contexts, want 2 or more", len(r.Verify))
	}
	return path, r
}

// sideBySide logs, for each verified context, our prediction, gguf-parser-go's
// (its llama.cpp estimate of host memory with every layer on the CPU, flash
// attention, num_batch 512), Ollama's /api/ps size and the measured RSS peak.
func sideBySide(t *testing.T, path string, r results.PlanReport) {
	t.Helper()
	f, err := gguf.ParseGGUFFile(path, gguf.SkipLargeMetadata())
	if err != nil {
		t.Fatalf("gguf-parser-go: %v", err)
	}
	t.Logf("%-14s %12s %14s %12s %12s", "num_ctx×slots", "yardstick", "gguf-parser-go", "/api/ps", "RSS peak")
	for _, v := range r.Verify {
		e := f.EstimateLLaMACppRun(gguf.WithLLaMACppContextSize(int32(v.NumCtx*v.Parallel)), gguf.WithParallelSize(int32(v.Parallel)),
			gguf.WithFlashAttention(), gguf.WithLLaMACppOffloadLayers(0),
			gguf.WithLLaMACppLogicalBatchSize(512), gguf.WithLLaMACppPhysicalBatchSize(512))
		theirs := uint64(e.SummarizeItem(false, 0, 0).RAM.NonUMA)
		t.Logf("%-14s %12d %14d %12d %12d", fmt.Sprintf("%d×%d", v.NumCtx, v.Parallel), v.Predicted.TotalBytes, theirs, v.PSSizeBytes, v.RSSPeakBytes)
	}
}

func relErr(pred, meas float64) float64 { return math.Abs(pred-meas) / meas }

// TestPlanVerifyTinyTwinKVGrowth: from the smallest to the largest verified
// context, the predicted KV growth (bytes per token × Δnum_ctx × slots) is within
// 10% of Ollama's /api/ps size growth and within 25% of the server's RSS growth
// (each load's peak less the resident set just before it).
func TestPlanVerifyTinyTwinKVGrowth(t *testing.T) {
	path, r := e2eVerify(t, "tiny", "yardstick-e2e-plan-tiny:q8_0")
	sideBySide(t, path, r)
	a, b := r.Verify[0], r.Verify[len(r.Verify)-1]
	kv := float64(b.Predicted.KVBytes) - float64(a.Predicted.KVBytes)
	ps := float64(b.PSSizeBytes) - float64(a.PSSizeBytes)
	rss := (float64(b.RSSPeakBytes) - float64(b.RSSBaseBytes)) - (float64(a.RSSPeakBytes) - float64(a.RSSBaseBytes))
	t.Logf("num_ctx %d → %d × %d slots: predicted KV growth %.0f B, /api/ps growth %.0f B, RSS growth %.0f B", a.NumCtx, b.NumCtx, a.Parallel, kv, ps, rss)
	if e := relErr(kv, ps); e > 0.10 {
		t.Errorf("KV growth %.0f B is %.1f%% from /api/ps growth %.0f B (want within 10%%)", kv, 100*e, ps)
	}
	if e := relErr(kv, rss); e > 0.25 {
		t.Errorf("KV growth %.0f B is %.1f%% from RSS growth %.0f B (want within 25%%)", kv, 100*e, rss)
	}
}

// TestPlanVerifyHalfBTwinTotal: the Qwen2.5-0.5B twin at Q8_0, at num_ctx 2,048 and
// 8,192: the predicted total is within 15% of the server's RSS peak.
func TestPlanVerifyHalfBTwinTotal(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and loads a 530 MB twin")
	}
	path, r := e2eVerify(t, "qwen2.5-0.5b", "yardstick-e2e-plan-q05:q8_0")
	sideBySide(t, path, r)
	for _, v := range r.Verify[:2] {
		if e := relErr(float64(v.Predicted.TotalBytes), float64(v.RSSPeakBytes)); e > 0.15 {
			t.Errorf("num_ctx %d: predicted %d B is %.1f%% from the RSS peak %d B (want within 15%%)", v.NumCtx, v.Predicted.TotalBytes, 100*e, v.RSSPeakBytes)
		}
	}
}
