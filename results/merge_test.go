package results

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
)

// sweepResult is a prompt-length sweep of two levels (256 and 1,024 tokens) measured on
// host, with an objective, seeded timings (TTFT 20 ms + 0.1 ms per prompt token, with
// noise) and one failed request per level: every path of the aggregation (pooled and
// per-level summaries, throughput, SLO verdicts and goodput, the peak, both fits).
func sweepResult(seed uint64, host string, perLevel int) *bench.Result {
	rng := rand.New(rand.NewPCG(seed, 7))
	opts := bench.DefaultOptions()
	opts.Model, opts.Host, opts.Runs, opts.Warmup = "qwen2.5:0.5b", "http://127.0.0.1:11434", perLevel, 0
	opts.PromptTokensSweep = []int{256, 1024}
	opts.MaxTokens = 16
	opts.SLO, _ = bench.ParseSLO("ttft_p95=130ms")
	_ = opts.Validate()
	began := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	res := &bench.Result{RunID: host + "-run", Options: opts, StartedAt: began, EndedAt: began.Add(time.Minute),
		EndReason: bench.EndCompleted, Target: bench.Target{Backend: "ollama", Host: opts.Host, ServerVersion: "0.17.4",
			Model: bench.ModelInfo{Name: "qwen2.5:0.5b", Digest: "sha256:00", QuantizationLevel: "Q8_0"}},
		Warmup: []bench.Sample{}, Warnings: []bench.Warning{}}
	at := int64(0)
	for l, prompt := range []int{256, 1024} {
		lv := bench.Level{Index: l, LoadSpec: bench.LoadSpec{Model: bench.LoadSequential}, PromptTokens: prompt, Servers: 1,
			Window: bench.Window{StartNs: at}}
		for i := 0; i < perLevel; i++ {
			s := bench.Sample{Index: len(res.Samples), Level: l, Phase: bench.PhaseMeasured, Nonce: "n", SentAtNs: at, ScheduledAtNs: at}
			if i == 3 {
				s.ErrorKind, s.Error = bench.ErrHTTPStatus, "HTTP 500"
				at += ms(5)
			} else {
				ttft := ms(20+0.1*float64(prompt)) + rng.Int64N(ms(8))
				itl := make([]int64, 15)
				for j := range itl {
					itl[j] = ms(9) + rng.Int64N(ms(2))
				}
				var decode int64
				for _, g := range itl {
					decode += g
				}
				gen := 15 / (float64(decode) / 1e9)
				prefill := float64(prompt) / (float64(ttft) / 1e9)
				s.OK, s.TTFTNs, s.ITLNs, s.E2ENs = true, i64(ttft), itl, i64(ttft+decode)
				s.TPOTNs, s.ClientGenPerS = i64(decode/15), f64(gen)
				s.Chunks, s.TextChunks, s.TokensPerChunk = 17, 16, f64(1)
				s.PromptTokens, s.OutputTokens = prompt, 16
				s.ServerPromptEvalNs, s.ServerEvalNs = ttft-ms(1), decode
				s.ServerPrefillPerS, s.ServerGenPerS = f64(prefill), f64(gen)
				s.ServerTotalNs, s.OverheadNs = ttft+decode-ms(1), i64(ms(1))
				at += ttft + decode
			}
			res.Samples = append(res.Samples, s)
			lv.Requests++
		}
		lv.Window.EndNs, lv.Window.DurationNs = at, at-lv.Window.StartNs
		res.Levels = append(res.Levels, lv)
	}
	res.Window = bench.Window{EndNs: at, DurationNs: at}
	return res
}

// Merging runs is building one run from their concatenated samples: every figure the
// samples give (summaries, throughput, levels with their SLO verdicts and goodput, the
// peak, the fits, the warnings about them) is the same, figure for figure, as Build
// over a result holding both runs' samples one after the other, levels' requests and
// windows summed and the run's window the sum of both.
func TestMergeIsBuildOverConcatenated(t *testing.T) {
	a, b := sweepResult(1, "bench-01", 12), sweepResult(2, "bench-02", 9)
	ra, rb := Build(a, fixtureHardware(), nil), Build(b, fixtureHardware(), nil)
	rb.Environment.Hardware.Hostname = "bench-02"
	merged, err := Merge([]*Run{ra, rb}, []string{"a.json", "b.json"}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}

	both := *a
	both.Samples = nil
	for _, s := range slices.Concat(a.Samples, b.Samples) {
		s.Index = len(both.Samples)
		both.Samples = append(both.Samples, s)
	}
	both.Levels = slices.Clone(a.Levels)
	for i := range both.Levels {
		lv := &both.Levels[i]
		lv.Requests += b.Levels[i].Requests
		lv.Window = bench.Window{EndNs: a.Levels[i].Window.DurationNs + b.Levels[i].Window.DurationNs}
		lv.Window.DurationNs = lv.Window.EndNs
	}
	both.Window = bench.Window{EndNs: a.Window.DurationNs + b.Window.DurationNs}
	both.Window.DurationNs = both.Window.EndNs
	want := Build(&both, fixtureHardware(), nil)

	got := merged.Run
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"samples", got.Samples, want.Samples},
		{"summaries", got.Summaries, want.Summaries},
		{"summaries_left_out", got.SummariesLeftOut, want.SummariesLeftOut},
		{"throughput", got.Throughput, want.Throughput},
		{"levels", got.Levels, want.Levels},
		{"peak", got.Peak, want.Peak},
		{"prefill_fit", got.PrefillFit, want.PrefillFit},
		{"decode_fit", got.DecodeFit, want.DecodeFit},
		{"window", got.Window, want.Window},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: merge\n%+v\nbuild over the concatenated samples\n%+v", f.name, f.got, f.want)
		}
	}
	derived := func(r *Run) []bench.Warning {
		var out []bench.Warning
		for _, w := range r.Warnings {
			if w.Code.Derived() {
				out = append(out, w)
			}
		}
		return out
	}
	if g, w := derived(got), derived(want); !reflect.DeepEqual(g, w) {
		t.Errorf("warnings from the samples: merge %v, build %v", g, w)
	}
	// The fixture must exercise what it claims to, or the equalities above are empty.
	if len(got.Levels) != 2 || got.Peak == nil || got.PrefillFit == nil || got.DecodeFit == nil || got.Throughput.Failed != 4 ||
		got.Levels[0].SLO == nil || got.Levels[1].GoodputPerS == nil || len(derived(got)) == 0 {
		t.Fatalf("fixture does not reach every path: levels %d peak %v fits %v %v failed %d warnings %v",
			len(got.Levels), got.Peak, got.PrefillFit, got.DecodeFit, got.Throughput.Failed, got.Warnings)
	}
	if got.Summaries["ttft_ns"].N != 38 || got.Levels[1].Summaries["ttft_ns"].N != 19 {
		t.Errorf("merged ttft_ns n=%d (want 38), level 1 n=%d (want 19)", got.Summaries["ttft_ns"].N, got.Levels[1].Summaries["ttft_ns"].N)
	}
}
