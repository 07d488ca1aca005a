package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/bench"
)

// synth describes a seeded synthetic run: n requests whose TTFT, decode time and
// prefill time are their base values times slow, each with lognormal noise of
// relative spread noise.
type synth struct {
	seed  uint64
	n     int
	slow  float64
	noise float64
	runID string
	host  string
}

// synthRun builds a run from fixture() with seeded samples: TTFT 100 ms·slow, 31
// decode steps of 10 ms·slow (server_gen_per_s ≈ 100/slow), prefill 512 tokens in
// 50 ms·slow, every figure times exp(noise·N(0,1)).
func synthRun(sp synth) *Run {
	res := fixture()
	rng := rand.New(rand.NewPCG(sp.seed, 0x9e3779b97f4a7c15))
	jit := func() float64 { return math.Exp(sp.noise * rng.NormFloat64()) }
	res.Samples = nil
	res.Options.Runs = sp.n
	res.RunID = sp.runID
	at := int64(0)
	for i := 0; i < sp.n; i++ {
		s := synthSample(rng, jit, i, sp.slow, at)
		res.Samples = append(res.Samples, s)
		at += *s.E2ENs
	}
	res.Window = bench.Window{StartNs: 0, EndNs: at, DurationNs: at}
	hw := fixtureHardware()
	if sp.host != "" {
		hw.Hostname = sp.host
	}
	r := Build(res, hw, fixtureMachine())
	r.Tool.GoVersion = "go-test"
	return r
}

// synthSample is request i of synthRun, sent at at: TTFT 100 ms·slow, 31 decode
// steps of 10 ms·slow, prefill of 512 tokens in 50 ms·slow, each with jit's noise.
func synthSample(rng *rand.Rand, jit func() float64, i int, slow float64, at int64) bench.Sample {
	ttft := int64(100e6 * slow * jit())
	step := 10e6 * slow * jit()
	itl := make([]int64, 31)
	var gen int64
	for j := range itl {
		itl[j] = int64(step * (0.98 + 0.04*rng.Float64()))
		gen += itl[j]
	}
	eval := gen - ms(1)
	prompt := int64(50e6 * slow * jit())
	e2e := ttft + gen
	return bench.Sample{Index: i, Phase: bench.PhaseMeasured, Nonce: fmt.Sprint(i), OK: true,
		ScheduledAtNs: at, SentAtNs: at, TTFTNs: i64(ttft), E2ENs: i64(e2e), ITLNs: itl,
		TPOTNs: i64(gen / 31), ClientGenPerS: f64(31 / (float64(gen) / 1e9)), Chunks: 33, TextChunks: 32, TokensPerChunk: f64(1),
		PromptTokens: 512, OutputTokens: 32, ServerPromptEvalNs: prompt, ServerEvalNs: eval,
		ServerPrefillPerS: f64(512 / (float64(prompt) / 1e9)), ServerGenPerS: f64(31 / (float64(eval) / 1e9)), LoadNs: ms(2),
		ServerTotalNs: e2e - ms(1), OverheadNs: i64(ms(1)), DoneReason: "length"}
}

func mustCompare(t *testing.T, runs []*Run, opts CompareOptions) *Comparison {
	t.Helper()
	labels := make([]string, len(runs))
	for i := range runs {
		labels[i] = []string{"base.json", "new.json", "third.json"}[i]
	}
	c, err := Compare(runs, labels, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func metric(t *testing.T, c *Comparison, name string) MetricComparison {
	t.Helper()
	for _, m := range c.Metrics {
		if m.Metric == name {
			return m
		}
	}
	t.Fatalf("no metric %s", name)
	return MetricComparison{}
}

// A real 10% slowdown (every duration ×1.1, so decode rates ÷1.1) with 3% noise and 20
// samples a side: the two samples barely overlap, so the U test's p-value is far below
// 0.05; latencies are "worse" upwards, rates "worse" downwards.
func TestCompareFlagsRealSlowdown(t *testing.T) {
	base := synthRun(synth{seed: 1, n: 20, slow: 1, noise: 0.03, runID: "base"})
	slow := synthRun(synth{seed: 2, n: 20, slow: 1.1, noise: 0.03, runID: "slow"})
	c := mustCompare(t, []*Run{base, slow}, CompareOptions{})
	for _, tc := range []struct {
		metric string
		sign   float64
	}{{"ttft_ns", +1}, {"tpot_ns", +1}, {"e2e_ns", +1}, {"server_gen_per_s", -1}, {"client_gen_per_s", -1}, {"server_prefill_per_s", -1}} {
		d := metric(t, c, tc.metric).Deltas[0]
		if !d.Significant || d.Verdict != "worse" || d.P > 0.001 || d.Frac == nil || math.Abs(*d.Frac) < 0.05 || math.Signbit(*d.Frac) != (tc.sign < 0) {
			t.Errorf("%s: %+v (frac %v), want a significant worse change of sign %v", tc.metric, d, deref(d.Frac), tc.sign)
		}
	}
	// Output tokens did not change: a neutral metric, identical samples.
	if d := metric(t, c, "output_tokens").Deltas[0]; d.Verdict != "~" {
		t.Errorf("output_tokens: %+v", d)
	}
	// Swapped, the same change is "better".
	c2 := mustCompare(t, []*Run{slow, base}, CompareOptions{})
	if d := metric(t, c2, "server_gen_per_s").Deltas[0]; d.Verdict != "better" || *d.Frac <= 0 {
		t.Errorf("speed-up: %+v", d)
	}
}

// Two runs drawn from one distribution (other seeds): no difference is significant.
func TestCompareSameDistributionIsNoise(t *testing.T) {
	a := synthRun(synth{seed: 3, n: 20, slow: 1, noise: 0.05, runID: "a"})
	b := synthRun(synth{seed: 4, n: 20, slow: 1, noise: 0.05, runID: "b"})
	c := mustCompare(t, []*Run{a, b}, CompareOptions{})
	for _, name := range []string{"ttft_ns", "tpot_ns", "e2e_ns", "server_gen_per_s", "server_prefill_per_s"} {
		d := metric(t, c, name).Deltas[0]
		if d.Significant || d.Verdict != "~" || deltaCell(d) != "~" {
			t.Errorf("%s: %+v, want ~", name, d)
		}
	}
}

// Three samples a side can never reach p ≤ 0.05 (the smallest two-sided U-test p for
// 3+3 is 0.1): benchmath warns, the change is "~", and a gate on it cannot be judged:
// it fails under the strict rule (the default) and is skipped when lenient, never
// passed silently.
func TestCompareTooFewSamplesWarns(t *testing.T) {
	a := synthRun(synth{seed: 5, n: 3, slow: 1, noise: 0.01, runID: "a"})
	b := synthRun(synth{seed: 6, n: 3, slow: 2, noise: 0.01, runID: "b"})
	gates, _ := ParseGates("ttft:+10%")
	c := mustCompare(t, []*Run{a, b}, CompareOptions{Gates: gates})
	d := metric(t, c, "ttft_ns").Deltas[0]
	if d.Significant || len(d.Warnings) == 0 || !strings.Contains(d.Warnings[0], "need >= 4 samples") {
		t.Errorf("ttft with 3+3 samples: %+v", d)
	}
	if g := c.Gates[0]; g.Status != "fail" || g.Judged || !c.Failed() || !c.Strict || !strings.HasPrefix(g.Message, "not judged, so failed (strict): ") {
		t.Errorf("strict gate: %+v", g)
	}
	lc := mustCompare(t, []*Run{a, b}, CompareOptions{Gates: gates, Lenient: true})
	if g := lc.Gates[0]; g.Status != "skip" || g.Judged || lc.Failed() || lc.Strict {
		t.Errorf("lenient gate: %+v", g)
	}
	if s := metric(t, c, "ttft_ns").Stats[0]; s.MedianCILo != nil || ciPct(s) != "± ∞" {
		t.Errorf("3 samples gave an interval: %+v", s)
	}
}

func TestGatesFailOnlyWhenBeyondAndSignificant(t *testing.T) {
	base := synthRun(synth{seed: 1, n: 20, slow: 1, noise: 0.03, runID: "base"})
	slow := synthRun(synth{seed: 2, n: 20, slow: 1.1, noise: 0.03, runID: "slow"})
	same := synthRun(synth{seed: 7, n: 20, slow: 1, noise: 0.03, runID: "same"})
	cases := []struct {
		spec string
		new  *Run
		want []string
	}{
		// ~9% slower decode, significant: beyond 5%, fails; within 20%, passes.
		{"server_gen_per_s:-5%", slow, []string{"fail"}},
		{"server_gen_per_s:-20%", slow, []string{"pass"}},
		// Unsigned: the worse direction of each metric.
		{"server_gen_per_s:5%,ttft_p95:25%", slow, []string{"fail", "pass"}},
		{"ttft_p95:+5%,e2e_mean:+5%", slow, []string{"fail", "fail"}},
		// No real change: nothing fails, even a 0% limit (differences are noise).
		{"server_gen_per_s:-0%,ttft:+0%", same, []string{"pass", "pass"}},
	}
	for _, tc := range cases {
		gates, err := ParseGates(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		c := mustCompare(t, []*Run{base, tc.new}, CompareOptions{Gates: gates})
		var got []string
		for _, g := range c.Gates {
			got = append(got, g.Status)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			for _, g := range c.Gates {
				t.Log(g.Message)
			}
			t.Errorf("%s: %v, want %v", tc.spec, got, tc.want)
		}
		if c.Failed() != strings.Contains(strings.Join(tc.want, ","), "fail") {
			t.Errorf("%s: Failed() = %v", tc.spec, c.Failed())
		}
	}
}

func TestParseGates(t *testing.T) {
	good := []struct {
		spec string
		want []Gate
	}{
		{"server_gen_per_s:-5%,ttft_p95:+10%", []Gate{
			{Metric: "server_gen_per_s", Stat: "median", Sign: -1, Percent: 5, Spec: "server_gen_per_s:-5%"},
			{Metric: "ttft_ns", Stat: "p95", Sign: 1, Percent: 10, Spec: "ttft_p95:+10%"}}},
		// Unit suffix optional, statistic on the full name, spaces tolerated.
		{" ttft_ns_p99 : 2.5% ", []Gate{{Metric: "ttft_ns", Stat: "p99", Sign: 1, Percent: 2.5, Spec: "ttft_ns_p99 : 2.5%"}}},
		{"server_gen:3%", []Gate{{Metric: "server_gen_per_s", Stat: "median", Sign: -1, Percent: 3, Spec: "server_gen:3%"}}},
		// A neutral metric with an explicit sign.
		{"output_tokens_mean:-1%", []Gate{{Metric: "output_tokens", Stat: "mean", Sign: -1, Percent: 1, Spec: "output_tokens_mean:-1%"}}},
		{"", nil},
	}
	for _, tc := range good {
		got, err := ParseGates(tc.spec)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("ParseGates(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
	bad := map[string]string{
		"ttft":                          "want METRIC<=+N% or METRIC>=-N%",
		"ttft:10":                       "must be a percentage",
		"bogus:+5%":                     `unknown metric "bogus"`,
		"ttft:+abc%":                    "not a number",
		"ttft:+1e2%":                    "not a number",
		"ttft:+NaN%":                    "not a number",
		"server_gen_per_s:-150%":        "out of range",
		"ttft:+5000%":                   "out of range",
		"server_gen_per_s:+5%":          "higher is better, so +5% would fail on an improvement; did you mean -5%?",
		"ttft:-5%":                      "lower is better",
		"output_tokens:5%":              "give a sign",
		"ttft:+5%,,e2e:+1%":             "empty term",
		"ttft:+5%,ttft_ns_median:+1%":   "gated twice",
		"ttft_p42:+5%":                  "unknown metric",
		":+5%":                          "no metric",
		"server_gen_per_s:--5%":         "not a number",
		"server_gen_per_s:-5%%":         "not a number",
		"ttft_p95:+10%,server_gen:+10%": "would fail on an improvement",
	}
	for spec, want := range bad {
		if _, err := ParseGates(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseGates(%q) error %v, want one containing %q", spec, err, want)
		}
	}
}

// FuzzParseGates: any input either parses into gates that are well formed and render
// back into a spec that parses to the same gates, or fails with an error; never panics.
func FuzzParseGates(f *testing.F) {
	for _, s := range []string{"server_gen_per_s:-5%,ttft_p95:+10%", "ttft:5%", "x", "", ",", "ttft:+1e309%", "e2e_max:+0%", "tpot:-100%", "ttft:+٣%",
		"server_gen_per_s>=-5%,ttft_p95<=+10%", "ttft<=10%", "ttft>=+1%", " TTFT_P95 <= +5% ", "<=:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		gates, err := ParseGates(spec)
		if err != nil {
			return
		}
		var parts []string
		for _, g := range gates {
			if !strings.Contains(strings.Join(MetricOrder, ","), g.Metric) || (g.Sign != 1 && g.Sign != -1) ||
				g.Percent < 0 || g.Percent > 1000 || math.IsNaN(g.Percent) || statValue(Summary{Median: 1, Mean: 2}, g.Stat) == 0 && g.Stat != "p50" && g.Stat != "p90" && g.Stat != "p95" && g.Stat != "p99" && g.Stat != "min" && g.Stat != "max" {
				t.Fatalf("%q gave a malformed gate %+v", spec, g)
			}
			parts = append(parts, g.Metric+"_"+g.Stat+":"+g.Threshold())
		}
		again, err := ParseGates(strings.Join(parts, ","))
		if err != nil || len(again) != len(gates) {
			t.Fatalf("%q: round trip %q: %v", spec, strings.Join(parts, ","), err)
		}
		for i := range again {
			if again[i].Metric != gates[i].Metric || again[i].Stat != gates[i].Stat || again[i].Sign != gates[i].Sign || again[i].Percent != gates[i].Percent {
				t.Fatalf("%q: round trip %+v != %+v", spec, again[i], gates[i])
			}
		}
	})
}

func TestCompareKeysRefuseOrWarn(t *testing.T) {
	base := synthRun(synth{seed: 1, n: 8, slow: 1, noise: 0.03, runID: "base"})

	// Another model (other architecture and size, so another digest): refused.
	other := synthRun(synth{seed: 2, n: 8, slow: 1, noise: 0.03, runID: "other"})
	other.Target.Model.Digest = "sha256:ffff0000ffff0000ffff0000ffff0000"
	other.Target.Model.Architecture, other.Target.Model.ParameterSize, other.Target.Model.ParameterCount = "llama", "8.0B", 8030261248
	_, err := Compare([]*Run{base, other}, []string{"base.json", "other.json"}, CompareOptions{})
	if !errors.Is(err, ErrNotComparable) || !strings.Contains(err.Error(), "other.json: not comparable with base.json: model differs (qwen2 494.03M vs llama 8.0B)") {
		t.Errorf("other model: %v", err)
	}
	c, err := Compare([]*Run{base, other}, []string{"base.json", "other.json"}, CompareOptions{Force: true})
	if err != nil || len(c.Keys[0]) == 0 || c.Keys[0][0].Severity != KeyRefuse {
		t.Errorf("forced: %v %+v", err, c)
	}

	// The same model re-pulled (another digest only): a warning, not a refusal.
	repulled := synthRun(synth{seed: 2, n: 8, slow: 1, noise: 0.03, runID: "repulled"})
	repulled.Target.Model.Digest = "sha256:ffff0000ffff0000ffff0000ffff0000"
	c, err = Compare([]*Run{base, repulled}, []string{"base.json", "new.json"}, CompareOptions{})
	if err != nil || len(c.Keys[0]) != 1 || c.Keys[0][0].Key != "model_digest" || c.Keys[0][0].Severity != KeyWarn {
		t.Errorf("re-pulled: %v %+v", err, c.Keys)
	}

	// Another quantization of the same model: a warning (that is what is compared).
	q8 := synthRun(synth{seed: 2, n: 8, slow: 1, noise: 0.03, runID: "q8"})
	q8.Target.Model.Digest, q8.Target.Model.QuantizationLevel = "sha256:0808", "Q8_0"
	keys := CompareKeys(base, q8)
	if len(keys) != 1 || keys[0].Key != "quantization" || keys[0].Severity != KeyWarn {
		t.Errorf("quantization: %+v", keys)
	}

	// Another workload: refused. Another seed: a warning. Another machine and server: notes.
	wl := synthRun(synth{seed: 2, n: 8, slow: 1, noise: 0.03, runID: "wl", host: "bench-02"})
	wl.Workload.MaxTokens, wl.Workload.Seed, wl.Target.ServerVersion = 64, 7, "0.18.0"
	got := map[string]KeySeverity{}
	for _, k := range CompareKeys(base, wl) {
		got[k.Key] = k.Severity
	}
	want := map[string]KeySeverity{"workload": KeyRefuse, "seed": KeyWarn, "server_version": KeyNote, "hardware": KeyNote}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("keys %v, want %v", got, want)
	}

	// A shape twin against real weights: refused.
	twin := synthRun(synth{seed: 2, n: 8, slow: 1, noise: 0.03, runID: "twin"})
	twin.Target.Model.Synthetic = &bench.Synthetic{Weights: "random", Shape: "qwen2.5-0.5b", Quant: "Q4_K_M"}
	if _, err := Compare([]*Run{base, twin}, []string{"base.json", "twin.json"}, CompareOptions{}); !errors.Is(err, ErrNotComparable) || !strings.Contains(err.Error(), "synthetic differs") {
		t.Errorf("twin vs real: %v", err)
	}
}

// The run-level figures include the roofline efficiencies when the run has them.
func TestFiguresShowEfficiencies(t *testing.T) {
	r := synthRun(synth{seed: 1, n: 8, slow: 1, noise: 0.03, runID: "a"})
	names := []string{}
	for _, f := range runFigures(r) {
		names = append(names, f.Name)
	}
	all := strings.Join(names, " ")
	if !strings.HasPrefix(all, "output_tokens_per_s requests_per_s server_rss_peak_bytes") {
		t.Errorf("figures %v", names)
	}
	if r.Roofline != nil && !strings.Contains(all, "roofline.decode_efficiency_frac") {
		t.Errorf("run has a roofline, figures lack its efficiency: %v", names)
	}
	if MetricDirection("decode_efficiency_frac") != HigherIsBetter || MetricDirection("ttft_ns") != LowerIsBetter || MetricDirection("prompt_tokens") != Neutral {
		t.Error("directions")
	}
}

// The fixed run files of the golden tests: 20 seeded requests each, new 10% slower.
// go test ./results -update rewrites them (and every golden output) from synthRun.
func fixedRuns(t *testing.T) ([]*Run, []string) {
	t.Helper()
	dir := filepath.Join("testdata", "compare")
	files := []string{filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json")}
	if *update {
		if err := WriteFile(files[0], synthRun(synth{seed: 1, n: 20, slow: 1, noise: 0.03, runID: "base00000000000a"})); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(files[1], synthRun(synth{seed: 2, n: 20, slow: 1.1, noise: 0.03, runID: "new000000000000b", host: "bench-02"})); err != nil {
			t.Fatal(err)
		}
	}
	var runs []*Run
	for _, f := range files {
		r, err := ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return runs, []string{"base.json", "new.json"}
}

// Golden outputs of every format, for a gated comparison of the fixed run files and for
// one run alone.
func TestRenderGolden(t *testing.T) {
	runs, labels := fixedRuns(t)
	gates, err := ParseGates("server_gen_per_s:-5%,ttft_p95:+20%,e2e:+50%")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(runs, labels, CompareOptions{Gates: gates})
	if err != nil {
		t.Fatal(err)
	}
	one, err := Compare(runs[:1], labels[:1], CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ext := map[string]string{"table": "txt", "markdown": "md", "json": "json", "csv": "csv", "junit": "xml", "benchstat": "txt"}
	for _, format := range Formats {
		for _, tc := range []struct {
			name string
			c    *Comparison
		}{{"compare", c}, {"report", one}} {
			var b bytes.Buffer
			if err := Renderers[format](&b, tc.c); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			golden(t, filepath.Join("compare", tc.name+"."+format+"."+ext[format]), b.Bytes())
		}
	}
	if gs := c.Gates; len(gs) != 3 || gs[0].Status != "fail" || gs[1].Status != "pass" || gs[2].Status != "pass" {
		t.Errorf("gates %+v", gs)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Every figure compare shows names a field of the run file's encoding and reads its
// value: renaming a field fails here instead of silently dropping the figure. And every
// efficiency, ceiling, energy or cost figure the encoding has is one compare shows.
func TestRunFiguresNameTheRunFile(t *testing.T) {
	r := buildFixture()
	r.Memory.OffloadFrac, r.Energy.JPerOutputToken, r.Throughput.GoodputPerS = f64(0.25), f64(1.5), f64(2.5)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	lookup := func(path string) (float64, bool) {
		var v any = doc
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return 0, false
			}
			if v, ok = m[k]; !ok {
				return 0, false
			}
		}
		f, ok := v.(float64)
		return f, ok
	}
	shown := map[string]bool{}
	for _, f := range RunFigures {
		shown[f.Path] = true
		v := f.Of(r)
		if v == nil {
			t.Errorf("%s: the fixture has no value, so the name is not checked", f.Name)
			continue
		}
		if got, ok := lookup(f.Path); !ok || got != *v {
			t.Errorf("%s: run file's %s is %v (found %t), RunFigures reads %v", f.Name, f.Path, got, ok, *v)
		}
	}
	for _, section := range []string{"roofline", "energy"} {
		for k, v := range doc[section].(map[string]any) {
			_, num := v.(float64)
			if num && (strings.HasSuffix(k, "_efficiency_frac") || strings.HasSuffix(k, "_ceiling_per_s") || k == "j_per_output_token" || k == "cost_per_mtok") && !shown[section+"."+k] {
				t.Errorf("%s.%s is a run-level figure compare does not show: add it to RunFigures", section, k)
			}
		}
	}
}

// The model is its identity, not its backend. The same model served natively by Ollama
// and through its /v1 (bench.OpenAI describes it from Ollama's API: same architecture,
// parameters, quantization, digest) compares, with a warning that names the serving
// paths; a server that did not describe its model compares by name with a warning, and
// is refused under another name.
func TestCompareKeysAcrossBackends(t *testing.T) {
	base := synthRun(synth{seed: 1, n: 8, slow: 1, noise: 0.03, runID: "native"})
	described := func(id string, m bench.ModelInfo) *Run {
		r := synthRun(synth{seed: 2, n: 8, slow: 1, noise: 0.03, runID: id})
		r.Target.Backend, r.Target.Model = "openai", m
		return r
	}
	bm := base.Target.Model
	same := bm
	same.Cost, same.CostError = nil, "the OpenAI-compatible API does not describe the model's tensors"
	for _, tc := range []struct {
		name  string
		other *Run
		// want: every key that differs, with its severity; why holds a word of the
		// model or backend key's reason.
		want    map[string]KeySeverity
		why     string
		refused bool
	}{
		// Only the backend differs: the paths are what is compared.
		{"same identity through /v1", described("v1", same),
			map[string]KeySeverity{"backend": KeyWarn}, "serving paths differ", false},
		// A server that describes nothing, same name: the name is all there is.
		{"undescribed, same name", described("vllm", bench.ModelInfo{Name: bm.Name}),
			map[string]KeySeverity{"model": KeyWarn, "backend": KeyWarn}, "did not describe", false},
		// No tag is Ollama's ":latest", another tag than the base's ":0.5b": another name.
		{"undescribed, another tag", described("tag", bench.ModelInfo{Name: strings.TrimSuffix(bm.Name, ":0.5b")}),
			map[string]KeySeverity{"model": KeyRefuse, "backend": KeyWarn}, "nothing says", true},
		// Another name and no identity: refused.
		{"undescribed, other name", described("other", bench.ModelInfo{Name: "Qwen/Qwen2.5-0.5B-Instruct"}),
			map[string]KeySeverity{"model": KeyRefuse, "backend": KeyWarn}, "nothing says", true},
		// Another quantization through /v1: the quantization is what differs, and the
		// backend is another server's, not only another path to the same model.
		{"another quantization through /v1", described("q8", func() bench.ModelInfo { m := same; m.QuantizationLevel = "Q8_0"; return m }()),
			map[string]KeySeverity{"quantization": KeyWarn, "backend": KeyWarn}, "another server implementation", false},
		// A server that sent no usage: its token counts are estimates, which is said.
		{"token counts estimated through /v1", func() *Run { r := described("est", same); r.TokensEstimated = true; return r }(),
			map[string]KeySeverity{"backend": KeyWarn, "token_counts": KeyWarn}, "low there by the server's tokens per chunk", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]KeySeverity{}
			whys := ""
			for _, k := range CompareKeys(base, tc.other) {
				got[k.Key] = k.Severity
				whys += k.Why + " | "
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || !strings.Contains(whys, tc.why) {
				t.Errorf("keys %v (%s), want %v with %q", got, whys, tc.want, tc.why)
			}
			_, err := Compare([]*Run{base, tc.other}, []string{"native.json", "v1.json"}, CompareOptions{})
			if refused := errors.Is(err, ErrNotComparable); refused != tc.refused {
				t.Errorf("refused %v (%v), want %v", refused, err, tc.refused)
			}
		})
	}
}
