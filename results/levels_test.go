package results

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/profiles"
)

// concurrencySweep is a closed-loop sweep of two levels with spans that can be added
// by hand; every request has 512 prompt tokens and 31 output tokens (30 made by decode
// steps), so the mean decode context is 512 + 30/2 = 527 tokens.
//
//   - Level 0, concurrency 1: four requests one after another, each TTFT 100 ms and
//     E2E 400 ms. Window 1.6 s; in flight 4 × 0.4 / 1.6 = 1; decoding 4 × 0.3 / 1.6 =
//     0.75; decode tokens 4 × 30 / 1.6 s = 75 tokens/s.
//   - Level 1, concurrency 2: two rounds of two requests sent together, the first TTFT
//     100 ms and E2E 500 ms, the second (prefilled after it) TTFT 200 ms and E2E 600
//     ms. Window 1.2 s; in flight 2 × (0.5 + 0.6) / 1.2 = 11/6; decoding 4 × 0.4 / 1.2
//     = 4/3; decode tokens 4 × 30 / 1.2 s = 100 tokens/s.
//
// The model reads 100 MB of weights and 12,288 KV bytes per context token (cost).
func concurrencySweep(cost *profiles.ModelCost) *bench.Result {
	opts := bench.DefaultOptions()
	opts.Model, opts.Host, opts.Runs, opts.Warmup = "qwen2.5:0.5b", "http://127.0.0.1:11434", 4, 0
	opts.Concurrency, opts.PromptTokens, opts.MaxTokens = []int{1, 2}, 512, 31
	_ = opts.Validate()
	began := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	res := &bench.Result{RunID: "sweep", Options: opts, StartedAt: began, EndedAt: began.Add(time.Minute), EndReason: bench.EndCompleted,
		Target: bench.Target{Backend: "ollama", Host: opts.Host, ServerVersion: "0.24.0",
			Model: bench.ModelInfo{Name: "qwen2.5:0.5b", Digest: "sha256:00", QuantizationLevel: "Q8_0", Cost: cost}},
		Warmup: []bench.Sample{}, Warnings: []bench.Warning{}}
	add := func(level int, sent, ttft, e2e int64) {
		res.Samples = append(res.Samples, bench.Sample{Index: len(res.Samples), Level: level, Phase: bench.PhaseMeasured, Nonce: "n", OK: true,
			ScheduledAtNs: sent, SentAtNs: sent, TTFTNs: i64(ttft), E2ENs: i64(e2e), PromptTokens: 512, OutputTokens: 31, DoneReason: "length"})
	}
	for i := int64(0); i < 4; i++ {
		add(0, i*ms(400), ms(100), ms(400))
	}
	for i := int64(0); i < 2; i++ {
		at := ms(1600) + i*ms(600)
		add(1, at, ms(100), ms(500))
		add(1, at, ms(200), ms(600))
	}
	res.Levels = []bench.Level{
		{Index: 0, LoadSpec: bench.LoadSpec{Model: bench.LoadSequential, Concurrency: 1}, PromptTokens: 512, Requests: 4, Servers: 1,
			Window: bench.Window{StartNs: 0, EndNs: ms(1600), DurationNs: ms(1600)}},
		{Index: 1, LoadSpec: bench.LoadSpec{Model: bench.LoadClosed, Concurrency: 2}, PromptTokens: 512, Requests: 4, Servers: 1,
			Window: bench.Window{StartNs: ms(1600), EndNs: ms(2800), DurationNs: ms(1200)}},
	}
	res.Window = bench.Window{EndNs: ms(2800), DurationNs: ms(2800)}
	return res
}

func denseCost() *profiles.ModelCost {
	return &profiles.ModelCost{Architecture: "qwen2", ActiveWeightBytesPerToken: 100e6, KVBytesPerContextToken: 12288, ActiveParams: 80e6, KVCacheType: "f16"}
}

// Each level of a concurrency sweep gets its measured mean decoding streams and its
// batched ceiling at 20 GB/s: b × 20e9 / (100e6 + b × 527 × 12,288) tokens/s, with b
// = 0.75 and 4/3 (concurrencySweep), and its efficiency is the decode tokens/s over it.
func TestLevelRooflineOfAConcurrencySweep(t *testing.T) {
	r := Build(concurrencySweep(denseCost()), fixtureHardware(), fixtureMachine())
	if len(r.Levels) != 2 {
		t.Fatalf("%d levels", len(r.Levels))
	}
	for i, want := range []struct {
		inFlight, decoding, decodePerS float64
		bytesPerStep                   uint64
	}{
		// 100e6 + 0.75 × 6,475,776 = 104,856,832 bytes per step.
		{1, 0.75, 75, 104856832},
		// 100e6 + 4/3 × 6,475,776 = 108,634,368.
		{11.0 / 6, 4.0 / 3, 100, 108634368},
	} {
		l := r.Levels[i]
		if !near(l.MeanRequestsInFlight, want.inFlight) || !near(l.MeanDecodingStreams, want.decoding) || !near(l.DecodeTokensPerS, want.decodePerS) {
			t.Errorf("level %d: in flight %v, decoding %v, decode %v tokens/s; want %v, %v, %v", i, l.MeanRequestsInFlight, l.MeanDecodingStreams,
				l.DecodeTokensPerS, want.inFlight, want.decoding, want.decodePerS)
		}
		rl := l.Roofline
		if rl == nil {
			t.Fatalf("level %d: no roofline", i)
		}
		ceiling := want.decoding * 20e9 / float64(want.bytesPerStep)
		if rl.MeanContextTokens != 527 || rl.BandwidthBytesPerS != 20e9 || rl.BytesPerStep != want.bytesPerStep || math.Abs(rl.DecodeCeilingPerS/ceiling-1) > 1e-9 {
			t.Errorf("level %d: roofline %+v, want 527 tokens of context, %d bytes per step, ceiling %v", i, rl, want.bytesPerStep, ceiling)
		}
		if rl.DecodeEfficiencyFrac == nil || math.Abs(*rl.DecodeEfficiencyFrac-want.decodePerS/ceiling) > 1e-9 || *rl.DecodeEfficiencyFrac > 1 {
			t.Errorf("level %d: efficiency %v, want %v (at most 1)", i, rl.DecodeEfficiencyFrac, want.decodePerS/ceiling)
		}
		if rl.UniformRoutingDecodeCeilingPerS != 0 || rl.UniformRoutingDecodeEfficiencyFrac != nil {
			t.Errorf("level %d: a dense model got uniform-routing figures %+v", i, rl)
		}
	}
	// Two streams sharing the weights allow more than one: the ceiling rises with b.
	if r.Levels[1].Roofline.DecodeCeilingPerS <= r.Levels[0].Roofline.DecodeCeilingPerS {
		t.Errorf("ceilings %v then %v: want a higher ceiling at more streams", r.Levels[0].Roofline.DecodeCeilingPerS, r.Levels[1].Roofline.DecodeCeilingPerS)
	}
	for _, w := range r.Warnings {
		if w.Code == bench.CodeAboveCeiling || w.Code == "roofline_per_request" {
			t.Errorf("warning %v", w)
		}
	}
}

// A mixture of experts gets the uniform-routing estimate beside the strict ceiling:
// 100 MB active of which 8 experts of 128 (640 MB of experts, 5 MB each), so shared
// weights are 60 MB; at b = 4/3 uniform routing touches 128 (1 − (15/16)^(4/3)) ≈ 10.6
// experts per layer, more bytes than 8: a lower ceiling, a higher efficiency.
func TestLevelRooflineMixtureOfExperts(t *testing.T) {
	cost := denseCost()
	cost.ExpertBytes, cost.ExpertCount, cost.ExpertUsedCount = 640e6, 128, 8
	r := Build(concurrencySweep(cost), fixtureHardware(), fixtureMachine())
	rl := r.Levels[1].Roofline
	experts := 128 * (1 - math.Pow(15.0/16, 4.0/3))
	weights := 60e6 + experts*5e6
	uniform := 4.0 / 3 * 20e9 / (weights + 4.0/3*527*12288)
	if rl == nil || math.Abs(rl.UniformRoutingExpertsPerLayer/experts-1) > 1e-9 || math.Abs(rl.UniformRoutingDecodeCeilingPerS/uniform-1) > 1e-9 ||
		rl.UniformRoutingDecodeEfficiencyFrac == nil || math.Abs(*rl.UniformRoutingDecodeEfficiencyFrac-100/uniform) > 1e-9 {
		t.Fatalf("roofline %+v, want %v experts, ceiling %v", rl, experts, uniform)
	}
	if rl.UniformRoutingDecodeCeilingPerS >= rl.DecodeCeilingPerS || *rl.UniformRoutingDecodeEfficiencyFrac <= *rl.DecodeEfficiencyFrac {
		t.Errorf("uniform routing %v tokens/s, ceiling %v: more experts read must give a lower figure", rl.UniformRoutingDecodeCeilingPerS, rl.DecodeCeilingPerS)
	}
}

// No bandwidth or no model cost: the measured occupancy stays, the ceiling goes. A
// bandwidth figure too low for what was measured is an above_ceiling warning naming
// the levels: at 0.5 GB/s level 0's ceiling is 0.75 × 0.5e9 / 104,856,832 = 3.576
// tokens/s, and it made 75 (2097%).
func TestLevelRooflineAbsentOrBeaten(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  *bench.Result
		m    *Machine
	}{
		{"no machine", concurrencySweep(denseCost()), nil},
		{"no model cost", concurrencySweep(nil), fixtureMachine()},
	} {
		r := Build(tc.res, fixtureHardware(), tc.m)
		for i, l := range r.Levels {
			if l.Roofline != nil || l.MeanDecodingStreams == 0 {
				t.Errorf("%s: level %d roofline %+v, decoding %v", tc.name, i, l.Roofline, l.MeanDecodingStreams)
			}
		}
	}
	m := fixtureMachine()
	m.MemoryBandwidthBytesPerS = 0.5e9
	r := Build(concurrencySweep(denseCost()), fixtureHardware(), m)
	var got []string
	for _, w := range r.Warnings {
		if w.Code == bench.CodeAboveCeiling && strings.Contains(w.Message, "batched ceiling") {
			got = append(got, w.Message)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "level 0 (sequential) 2097%, 1 (concurrency 2)") {
		t.Errorf("above_ceiling warnings %q, want one naming levels 0 and 1", got)
	}
}

// A merge recomputes the occupancy from the concatenated samples, as Build over them
// would (Σ spans / Σ windows), and drops the per-level ceilings as it drops the run's
// roofline: its sources may be machines of different bandwidth.
func TestMergeKeepsOccupancyDropsLevelCeilings(t *testing.T) {
	ra := Build(concurrencySweep(denseCost()), fixtureHardware(), fixtureMachine())
	b := concurrencySweep(denseCost())
	b.RunID = "sweep-b"
	rb := Build(b, fixtureHardware(), fixtureMachine())
	rb.Environment.Hardware.Hostname = "bench-02"
	if ra.Levels[0].Roofline == nil {
		t.Fatal("the sources have no level roofline: the test would prove nothing")
	}
	merged, err := Merge([]*Run{ra, rb}, []string{"a.json", "b.json"}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range merged.Levels {
		if l.Roofline != nil {
			t.Errorf("merged level %d kept a ceiling %+v", i, l.Roofline)
		}
		// Two copies of the same spans over twice the window: the same means.
		if !near(l.MeanDecodingStreams, ra.Levels[i].MeanDecodingStreams) || !near(l.MeanRequestsInFlight, ra.Levels[i].MeanRequestsInFlight) ||
			!near(l.DecodeTokensPerS, ra.Levels[i].DecodeTokensPerS) {
			t.Errorf("merged level %d: %v decoding, %v in flight, %v tokens/s; sources %v, %v, %v", i, l.MeanDecodingStreams, l.MeanRequestsInFlight,
				l.DecodeTokensPerS, ra.Levels[i].MeanDecodingStreams, ra.Levels[i].MeanRequestsInFlight, ra.Levels[i].DecodeTokensPerS)
		}
	}
	if n := merged.Levels[0].Summaries["ttft_ns"].N; n != 8 {
		t.Errorf("merged level 0 ttft_ns n %d, want 8", n)
	}
}

// A run file written before the batched roofline loads: its levels have none of the
// new fields, and its roofline_per_request warning, a code no longer written, is kept
// as it was (codes decode as strings).
func TestOldRunFileWithPerRequestRooflineLoads(t *testing.T) {
	old := Build(concurrencySweep(denseCost()), fixtureHardware(), fixtureMachine())
	old.Warnings = append(old.Warnings, bench.Warning{Code: "roofline_per_request", Message: "the roofline holds the median per-request decode rate against the ceiling of one stream"})
	b, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, l := range doc["levels"].([]any) {
		lv := l.(map[string]any)
		for _, k := range []string{"mean_requests_in_flight", "mean_decoding_streams", "decode_tokens_per_s", "roofline"} {
			if _, ok := lv[k]; !ok {
				t.Fatalf("level has no %s: the test would not remove it", k)
			}
			delete(lv, k)
		}
	}
	if b, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	r, err := DecodeRun("old.json", b)
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(r, "roofline_per_request") || r.Levels[1].Roofline != nil || r.Levels[1].MeanDecodingStreams != 0 {
		t.Errorf("old file read as warnings %v, level 1 %+v", r.Warnings, r.Levels[1])
	}
	var out strings.Builder
	if err := RenderTable(&out, r); err != nil || !strings.Contains(out.String(), "levels\n") {
		t.Errorf("old file renders %v:\n%s", err, out.String())
	}
}

// The sweep's table shows each level's occupancy and its share of the batched ceiling
// in a block that fits 80 columns (golden file table-sweep.golden; -update rewrites
// it), with the uniform-routing estimate for a mixture of experts; the markdown report
// lists each level's ceiling and efficiency among the run-level figures.
func TestRenderLevelRoofline(t *testing.T) {
	cost := denseCost()
	cost.ExpertBytes, cost.ExpertCount, cost.ExpertUsedCount = 640e6, 128, 8
	r := Build(concurrencySweep(cost), fixtureHardware(), fixtureMachine())
	r.Tool.GoVersion = "go-test"
	var b strings.Builder
	if err := RenderTable(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	golden(t, "table-sweep.golden", []byte(out))
	block := out[strings.Index(out, "decode under load"):]
	if !strings.Contains(block, "  1  concurrency 2       1.83      1.33  100.0    245.5  40.7%    219.7  45.5%\n") {
		t.Errorf("no level row with its ceiling and efficiency:\n%s", out)
	}
	for _, line := range strings.Split(block[:strings.Index(block, "\n\n")], "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("%d columns: %q", n, line)
		}
	}
	c, err := Compare([]*Run{r}, []string{"sweep.json"}, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	if err := RenderComparisonMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| levels[1].mean_decoding_streams | 1.333 |", "| levels[1].roofline.decode_ceiling_per_s | 245.5 |",
		"| levels[1].roofline.decode_efficiency_frac | 40.7% |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// When a level's bytes per step fit in the host's last-level cache, DRAM bandwidth does
// not bind: the level keeps its ceiling figure but gives no efficiency, and a level that
// beats it is no above_ceiling warning. Level 1 reads 108,634,368 bytes per step
// (TestLevelRooflineOfAConcurrencySweep), so a 105 MB cache holds level 0's
// 104,856,832 and not level 1's.
func TestLevelRooflineInLastLevelCache(t *testing.T) {
	m := fixtureMachine()
	m.LLCBytes = 105e6
	m.MemoryBandwidthBytesPerS = 0.5e9 // both levels beat their ceilings
	r := Build(concurrencySweep(denseCost()), fixtureHardware(), m)
	l0, l1 := r.Levels[0].Roofline, r.Levels[1].Roofline
	if l0 == nil || !l0.FitsInLLC || l0.DecodeEfficiencyFrac != nil {
		t.Errorf("level 0 %+v: want fits_in_llc and no efficiency", l0)
	}
	if l1 == nil || l1.FitsInLLC || l1.DecodeEfficiencyFrac == nil {
		t.Fatalf("level 1 %+v: want an efficiency", l1)
	}
	for _, w := range r.Warnings {
		if w.Code == bench.CodeAboveCeiling && strings.Contains(w.Message, "batched ceiling") &&
			(strings.Contains(w.Message, "level 0") || !strings.Contains(w.Message, "1 (concurrency 2)")) {
			t.Errorf("above_ceiling %q: want level 1 only", w.Message)
		}
	}
	var table strings.Builder
	if err := RenderTable(&table, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "in LLC") {
		t.Errorf("table does not say level 0 is in the last-level cache:\n%s", table.String())
	}
}
