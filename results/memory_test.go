package results

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/profiles"
)

func TestHeadroomAndPredictedError(t *testing.T) {
	tests := []struct {
		name            string
		available, peak uint64
		wantBytes       int64
		wantFrac        float64
		predicted       uint64
		wantErrorFrac   float64
	}{
		// 24 GiB available, 1 GiB peak: 23 GiB left, 23/24 of it.
		{"fits", 24 << 30, 1 << 30, 23 << 30, 23.0 / 24, 1 << 30, 0},
		// The peak passed what was available by 1 GiB: negative headroom, −1/4.
		{"did not fit", 4 << 30, 5 << 30, -1 << 30, -0.25, 4 << 30, -0.2},
		// Predicted 917 MiB against a measured 890: +27/890 = +3.03%.
		{"over-predicts", 2 << 30, 890 << 20, 2<<30 - 890<<20, float64(2<<30-890<<20) / (2 << 30), 917 << 20, 27.0 / 890},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, f := Headroom(tc.available, tc.peak)
			if h != tc.wantBytes || math.Abs(f-tc.wantFrac) > 1e-12 {
				t.Errorf("Headroom = %d, %v; want %d, %v", h, f, tc.wantBytes, tc.wantFrac)
			}
			if e := PredictedErrorFrac(tc.predicted, tc.peak); math.Abs(e-tc.wantErrorFrac) > 1e-12 {
				t.Errorf("PredictedErrorFrac = %v, want %v", e, tc.wantErrorFrac)
			}
		})
	}
}

// The fixture's server has 4 slots at num_ctx 4,096 of a model with 12,288 KV bytes
// per context token: the prediction's KV is 12,288 × 4,096 × 4 = 192 MiB, its runtime
// the measured 21 MiB; the error and headroom are taken against the 1,200 MiB peak and
// the 22 GiB available.
func TestBuildMemoryAgainstMachine(t *testing.T) {
	r := buildFixture()
	m := r.Memory
	p := m.Predicted
	if p == nil {
		t.Fatalf("no prediction: %s", m.PredictedUnavailable)
	}
	if p.Parallel != 4 || p.NumCtx != 4096 || p.KVBytes != 12288*4096*4 || p.RuntimeBytes < 21<<20 || p.WeightsBytes != 500e6 ||
		p.TotalBytes != p.WeightsBytes+p.KVBytes+p.GraphBytes+p.RuntimeBytes {
		t.Errorf("prediction %+v", *p)
	}
	if p.ParallelSource != "server environment (OLLAMA_NUM_PARALLEL=4)" || !strings.HasPrefix(p.RuntimeSource, "measured") {
		t.Errorf("sources %q, %q", p.ParallelSource, p.RuntimeSource)
	}
	if m.PredictedErrorFrac == nil || math.Abs(*m.PredictedErrorFrac-PredictedErrorFrac(p.TotalBytes, 1200<<20)) > 1e-12 || m.PredictedErrorAgainst != "server_rss_peak_bytes" {
		t.Errorf("predicted_error_frac %v against %q", m.PredictedErrorFrac, m.PredictedErrorAgainst)
	}
	if m.HeadroomBytes == nil || *m.HeadroomBytes != 22<<30-1200<<20 || m.HeadroomFrac == nil {
		t.Errorf("headroom %v", m.HeadroomBytes)
	}
	if hasWarning(r, string(bench.CodeSwapped)) {
		t.Error("swapped warning with no swapping")
	}
}

// A server whose RSS could not be read: the run says why, keeps the prediction and
// every other figure, and has no headroom or error to give.
func TestBuildMemoryWithoutRSS(t *testing.T) {
	res := fixture()
	res.Memory.ServerRSSPeakBytes, res.Memory.RSSSamples = nil, 0
	res.Memory.RSSUnavailable = "sampling the server's memory: open /proc/4242/statm: permission denied"
	r := Build(res, fixtureHardware(), fixtureMachine())
	m := r.Memory
	if m.Predicted == nil || m.HeadroomBytes != nil || m.PredictedErrorFrac != nil {
		t.Fatalf("predicted %v, headroom %v, error %v", m.Predicted, m.HeadroomBytes, m.PredictedErrorFrac)
	}
	if !strings.Contains(m.HeadroomUnavailable, "permission denied") || !strings.Contains(m.PredictedErrorUnavailable, "permission denied") {
		t.Errorf("reasons %q, %q", m.HeadroomUnavailable, m.PredictedErrorUnavailable)
	}
	if r.Throughput.Completed == 0 || r.Roofline == nil || len(r.Summaries) == 0 {
		t.Error("the other figures were lost")
	}
	var b bytes.Buffer
	if err := RenderTable(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(b.String()), " "), "RSS unavailable: sampling the server's memory") {
		t.Errorf("table does not say why:\n%s", b.String())
	}
}

func TestSwappedWarning(t *testing.T) {
	res := fixture()
	res.Memory.SwappedOutBytes = u64(64 << 20)
	r := Build(res, fixtureHardware(), fixtureMachine())
	if !hasWarning(r, string(bench.CodeSwapped)) {
		t.Errorf("no swapped warning: %v", r.Warnings)
	}
	// Swap not readable is not swapping.
	res = fixture()
	res.Memory.SwappedInBytes, res.Memory.SwappedOutBytes, res.Memory.SwapUnavailable = nil, nil, "swap counters: no vmstat"
	if r := Build(res, fixtureHardware(), fixtureMachine()); hasWarning(r, string(bench.CodeSwapped)) {
		t.Error("swapped warning without counters")
	}
}

func TestOtherModelsLoadedWarning(t *testing.T) {
	res := fixture()
	res.Memory.OtherModelsLoaded = []string{"llama3.2:1b"}
	if r := Build(res, fixtureHardware(), fixtureMachine()); !hasWarning(r, string(bench.CodeOtherModelsLoaded)) {
		t.Errorf("no other_models_loaded warning: %v", r.Warnings)
	}
	if r := buildFixture(); hasWarning(r, string(bench.CodeOtherModelsLoaded)) {
		t.Error("other_models_loaded warning with none loaded")
	}
}

// The memory line wraps under its first line's text and no line of it passes 80
// columns, even with a negative headroom and every part present.
func TestMemoryLineWraps(t *testing.T) {
	res := fixture()
	res.Memory.AvailableBytes = u64(1 << 30) // less than the 1,200 MiB peak
	r := Build(res, fixtureHardware(), fixtureMachine())
	var b bytes.Buffer
	if err := RenderTable(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	i := strings.Index(out, "memory      predicted")
	if i < 0 {
		t.Fatalf("no memory line:\n%s", out)
	}
	lines := strings.Split(out[i:], "\n")
	n := 1
	for n < len(lines) && strings.HasPrefix(lines[n], "            ") && !strings.HasPrefix(lines[n], "roofline") {
		n++
	}
	block := strings.Join(strings.Fields(strings.Join(lines[:n], " ")), " ")
	for _, l := range lines[:n] {
		if utf8.RuneCountInString(l) > 80 {
			t.Errorf("%d columns: %q", utf8.RuneCountInString(l), l)
		}
	}
	for _, want := range []string{"4 slots × 4096 tokens", "measured RSS peak 1.2 GiB (", "headroom −176.0 MiB (−17% of 1.0 GiB available)"} {
		if !strings.Contains(block, want) {
			t.Errorf("memory line lacks %q:\n%s", want, block)
		}
	}
}

// A run file written before the memory model loads, renders its old memory line, and
// has no prediction.
func TestOldRunFileWithoutPrediction(t *testing.T) {
	r := buildFixture()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	mem := doc["memory"].(map[string]any)
	for k := range mem {
		switch k {
		case "model_size_bytes", "model_vram_bytes", "server_pid", "server_rss_peak_bytes", "rss_samples", "sample_interval_ns":
		default:
			delete(mem, k) // the fields of schema versions before the memory model
		}
	}
	b, _ = json.Marshal(doc)
	old, err := DecodeRun("old.json", b)
	if err != nil {
		t.Fatal(err)
	}
	if old.Memory.Predicted != nil || old.Memory.Parallel != 0 || old.Memory.HeadroomBytes != nil {
		t.Errorf("old file has memory figures it never had: %+v", old.Memory)
	}
	var out bytes.Buffer
	if err := RenderTable(&out, old); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "memory      model 995.0 MiB (CPU only), server RSS peak 1.2 GiB") {
		t.Errorf("old memory line missing:\n%s", out.String())
	}
}

// Merge keeps the pooled RSS peak and drops every per-machine memory figure, as it
// drops the roofline.
func TestMergeDropsMemoryPredictions(t *testing.T) {
	a, b := buildFixture(), buildFixture()
	b.RunID = "fedcba9876543210"
	if a.Memory.Predicted == nil {
		t.Fatal("fixture has no prediction")
	}
	m, err := Merge([]*Run{a, b}, []string{"a.json", "b.json"}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mm := m.Run.Memory
	if mm.Predicted != nil || mm.HeadroomBytes != nil || mm.PredictedErrorFrac != nil || mm.AvailableBytes != nil || mm.RuntimeBaseBytes != nil || mm.Parallel != 0 {
		t.Errorf("merged memory keeps per-machine figures: %+v", mm)
	}
	if mm.ServerRSSPeakBytes == nil || *mm.ServerRSSPeakBytes != 1200<<20 {
		t.Errorf("merged RSS peak %v, want the sources' 1200 MiB", mm.ServerRSSPeakBytes)
	}
	if a.Memory.Predicted == nil {
		t.Error("merge changed its source")
	}
}

func TestCheckMemoryGates(t *testing.T) {
	r := buildFixture() // headroom 0.947 of available; the error is the memory model's
	e := math.Abs(*r.Memory.PredictedErrorFrac)
	exp := func(head, perr float64) profiles.Profile {
		return profiles.Profile{Name: "p", Source: "test", Expectations: []profiles.Expectation{{Model: "qwen2.5:*", MinHeadroomFrac: &head, MaxPredictedErrorFrac: &perr}}}
	}
	tests := []struct {
		name       string
		head, perr float64
		failed     int
	}{
		{"both met", 0.5, e + 0.01, 0},
		{"headroom short", 0.95, e + 0.01, 1}, // 0.947 < 0.95
		{"error too large", 0.5, e * 0.9, 1},
		{"both failed", 0.99, e * 0.9, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Check(r, exp(tc.head, tc.perr))
			if err != nil {
				t.Fatal(err)
			}
			if c.Failed != tc.failed || len(c.Lines) != 2 {
				t.Errorf("failed %d of %d, want %d of 2: %+v", c.Failed, len(c.Lines), tc.failed, c.Lines)
			}
		})
	}
	// Without an RSS peak neither can be measured: both fail and say why.
	res := fixture()
	res.Memory.ServerRSSPeakBytes, res.Memory.RSSUnavailable = nil, "the server is not a process on this machine"
	c, err := Check(Build(res, fixtureHardware(), fixtureMachine()), exp(0.1, 5))
	if err != nil {
		t.Fatal(err)
	}
	if c.Failed != 2 || !strings.Contains(c.Lines[0].Measured, "not a process on this machine") {
		t.Errorf("%+v", c.Lines)
	}
	var b bytes.Buffer
	if err := RenderCheck(&b, "run.json", r, func() CheckResult { c, _ := Check(r, exp(0.5, e+0.01)); return c }()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "memory.headroom_frac") || !strings.Contains(b.String(), "2 of 2 expectations met") {
		t.Errorf("check output:\n%s", b.String())
	}
}
