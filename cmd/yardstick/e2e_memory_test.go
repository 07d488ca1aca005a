package main

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/results"
)

// TestEndToEndMemory runs the tiny shape twin on the real Ollama of
// YARDSTICK_E2E_HOST at num_ctx 2,048 and 32,768, without --server-parallel, and
// checks what the run files say of memory (docs/metrics.md, Memory): the server's
// slots are found (OLLAMA_NUM_PARALLEL, 4 under scripts/test.sh), the prediction,
// the RSS peak and the headroom are recorded, and the predicted KV growth between
// the two contexts is within 10% of the growth of Ollama's /api/ps size and within
// 25% of the growth of the server's RSS peak (issue 19).
func TestEndToEndMemory(t *testing.T) {
	model := "yardstick-e2e-tiny:q8_0"
	host := e2eModel(t, model)
	slots := 4 // scripts/test.sh's default
	if v := os.Getenv("OLLAMA_NUM_PARALLEL"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Skipf("OLLAMA_NUM_PARALLEL=%q: not a slot count to check against", v)
		}
		slots = n
	}
	run := func(numCtx string) *results.Run {
		o, r := runWant(t, 0, "--model", model, "--host", host, "--runs", "3", "--warmup", "1",
			"--prompt-tokens", "64", "--max-tokens", "16", "--num-ctx", numCtx, "--quiet")
		t.Logf("num_ctx %s:\n%s", numCtx, o.stdout)
		m := r.Memory
		if m.Parallel != slots || !(strings.HasPrefix(m.ParallelSource, "server environment") || strings.HasPrefix(m.ParallelSource, "/api/ps arithmetic")) {
			t.Errorf("num_ctx %s: %d slots from %q, want %d found", numCtx, m.Parallel, m.ParallelSource, slots)
		}
		p := m.Predicted
		if p == nil {
			t.Fatalf("num_ctx %s: no prediction: %s", numCtx, m.PredictedUnavailable)
		}
		if p.Parallel != slots || strconv.Itoa(p.NumCtx) != numCtx || p.WeightsBytes == 0 || p.KVBytes == 0 || p.TotalBytes == 0 {
			t.Errorf("num_ctx %s: prediction %+v", numCtx, *p)
		}
		if m.ServerRSSPeakBytes == nil || m.RuntimeBaseBytes == nil || m.AvailableBytes == nil || m.HeadroomBytes == nil || m.PredictedErrorFrac == nil {
			t.Fatalf("num_ctx %s: rss %v (%s), runtime base %v (%s), available %v (%s), headroom %v, error %v",
				numCtx, m.ServerRSSPeakBytes, m.RSSUnavailable, m.RuntimeBaseBytes, m.RuntimeBaseUnavailable, m.AvailableBytes, m.AvailableUnavailable, m.HeadroomBytes, m.PredictedErrorFrac)
		}
		if m.ModelSizeBytes == nil {
			t.Fatalf("num_ctx %s: no /api/ps size: %s", numCtx, m.ModelSizeUnavailable)
		}
		if !strings.Contains(o.stdout, "memory      predicted") {
			t.Errorf("num_ctx %s: the table has no memory prediction", numCtx)
		}
		return r
	}
	small, large := run("2048"), run("32768")
	predicted := float64(large.Memory.Predicted.KVBytes) - float64(small.Memory.Predicted.KVBytes)
	ps := float64(*large.Memory.ModelSizeBytes - *small.Memory.ModelSizeBytes)
	rss := float64(*large.Memory.ServerRSSPeakBytes) - float64(*small.Memory.ServerRSSPeakBytes)
	t.Logf("KV growth 2,048 → 32,768: predicted %.0f B, /api/ps %.0f B (%+.1f%%), RSS peak %.0f B (%+.1f%%)",
		predicted, ps, 100*(predicted-ps)/ps, rss, 100*(predicted-rss)/rss)
	if ps <= 0 || math.Abs(predicted-ps) > 0.10*ps {
		t.Errorf("predicted KV growth %.0f B is not within 10%% of /api/ps growth %.0f B", predicted, ps)
	}
	if rss <= 0 || math.Abs(predicted-rss) > 0.25*rss {
		t.Errorf("predicted KV growth %.0f B is not within 25%% of RSS peak growth %.0f B", predicted, rss)
	}
}
