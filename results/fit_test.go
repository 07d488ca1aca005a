package results

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/bench"
)

// fitSmp is a successful measured sample with a prompt, a TTFT and, for two or more
// output tokens, a TPOT (ns).
func fitSmp(prompt int, ttftNs float64, out int, tpotNs float64) bench.Sample {
	ttft := int64(math.Round(ttftNs))
	s := bench.Sample{Phase: bench.PhaseMeasured, OK: true, PromptTokens: prompt, OutputTokens: out, TTFTNs: &ttft}
	if out >= 2 {
		tpot := int64(math.Round(tpotNs))
		s.TPOTNs = &tpot
	}
	return s
}

func relErr(got, want float64) float64 { return math.Abs(got/want - 1) }

// TestFitPrefillRecoversKnownRates: TTFT = 80 ms + prompt / (400 tok/s), each TTFT off
// by a seeded uniform ±2%. Prompts of 8…128 tokens (TTFT 100…400 ms) ten times each:
// by simulation over 500 seeds the worst errors of this design are 1.7% (fixed) and
// 1.4% (rate), so 5% fails only on a wrong fit, not on unlucky noise.
func TestFitPrefillRecoversKnownRates(t *testing.T) {
	const fixedNs, perS = 80e6, 400.0
	rng := rand.New(rand.NewPCG(1, 2))
	var ss []bench.Sample
	for _, p := range []int{8, 16, 32, 48, 64, 96, 128} {
		for range 10 {
			ttft := (fixedNs + float64(p)/perS*1e9) * (1 + 0.02*(2*rng.Float64()-1))
			ss = append(ss, fitSmp(p, ttft, 1, 0))
		}
	}
	// Samples a prefill fit must leave out; each would pull the line far off.
	warm := fitSmp(128, 10e9, 1, 0)
	warm.Phase = bench.PhaseWarmup // includes loading the model
	cached := fitSmp(128, 1e6, 1, 0)
	cached.CacheSuspect = true // the prompt was not processed
	failed := fitSmp(8, 30e9, 1, 0)
	failed.OK = false
	ss = append(ss, warm, cached, failed)

	f, err := FitPrefill(ss)
	if err != nil {
		t.Fatal(err)
	}
	if f.N != 70 || f.PromptTokensMin != 8 || f.PromptTokensMax != 128 {
		t.Errorf("N %d, prompts %d..%d; want 70, 8..128 (warm-up, cache hit and failure left out)", f.N, f.PromptTokensMin, f.PromptTokensMax)
	}
	if e := relErr(f.FixedNs, fixedNs); e > 0.05 {
		t.Errorf("FixedNs = %.4g, want %.4g within 5%% (off by %.1f%%)", f.FixedNs, fixedNs, 100*e)
	}
	if e := relErr(f.PrefillPerS, perS); e > 0.05 {
		t.Errorf("PrefillPerS = %.4g, want %.4g within 5%% (off by %.1f%%)", f.PrefillPerS, perS, 100*e)
	}
	// ±2% noise on a line that spans 100…400 ms leaves most of the variance explained.
	if f.R2 < 0.95 || f.R2 > 1 {
		t.Errorf("R2 = %g, want in [0.95, 1]", f.R2)
	}
}

// TestFitExactPointsR2One: points exactly on a line give that line and R² = 1.
func TestFitExactPointsR2One(t *testing.T) {
	// Prefill: 50 ms + p / 1000 tok/s = 50 ms + p ms.
	var ss []bench.Sample
	for _, p := range []int{100, 200, 300, 400} {
		ss = append(ss, fitSmp(p, 50e6+float64(p)*1e6, 1, 0))
	}
	f, err := FitPrefill(ss)
	if err != nil {
		t.Fatal(err)
	}
	if relErr(f.FixedNs, 50e6) > 1e-9 || relErr(f.PrefillPerS, 1000) > 1e-9 || math.Abs(f.R2-1) > 1e-12 {
		t.Errorf("prefill %+v; want fixed 50e6 ns, 1000 tok/s, R2 1", f)
	}

	// Decode: TPOT = 20 ms + 2 µs × depth. depth = prompt + output/2: 100 + 50,
	// 1000 + 50, 2000 + 100, 4000 + 100. A one-token request has no TPOT: left out.
	ss = nil
	for _, pd := range [][2]int{{100, 100}, {1000, 100}, {2000, 200}, {4000, 200}} {
		depth := float64(pd[0]) + float64(pd[1])/2
		ss = append(ss, fitSmp(pd[0], 0, pd[1], 20e6+2000*depth))
	}
	ss = append(ss, fitSmp(9000, 0, 1, 0))
	d, err := FitDecode(ss)
	if err != nil {
		t.Fatal(err)
	}
	// 1e9 / 20 ms = 50 tokens/s at an empty context.
	if d.N != 4 || relErr(d.StepNs, 20e6) > 1e-9 || relErr(d.NsPerContextToken, 2000) > 1e-9 ||
		relErr(d.DecodePerSAtZero, 50) > 1e-9 || math.Abs(d.R2-1) > 1e-12 || d.DepthMin != 150 || d.DepthMax != 4100 {
		t.Errorf("decode %+v; want N 4, step 20e6 ns, 2000 ns/token, 50 tok/s, R2 1, depth 150..4100", d)
	}
}

func TestFitErrors(t *testing.T) {
	line := func(ps ...int) []bench.Sample { // TTFT = 80 ms + 2.5 ms × p, TPOT = 20 ms
		var ss []bench.Sample
		for _, p := range ps {
			ss = append(ss, fitSmp(p, 80e6+2.5e6*float64(p), 10, 20e6))
		}
		return ss
	}
	warmups := line(100, 200, 300)
	for i := range warmups {
		warmups[i].Phase = bench.PhaseWarmup
	}
	for _, tc := range []struct {
		name    string
		samples []bench.Sample
		decode  bool
		want    string
	}{
		{"two points", line(100, 200), false, "2 usable samples; need at least 3"},
		{"warm-ups do not count", append(line(100, 200), warmups...), false, "2 usable samples; need at least 3"},
		{"none", nil, false, "0 usable samples"},
		{"one prompt length", line(512, 512, 512), false, "need at least two prompt lengths"},
		// TTFT falls as the prompt grows: a negative slope is no rate.
		{"decreasing TTFT", []bench.Sample{fitSmp(100, 300e6, 1, 0), fitSmp(200, 200e6, 1, 0), fitSmp(300, 100e6, 1, 0)}, false, "does not grow with prompt length"},
		// Flat TTFT: slope 0 would be an infinite rate.
		{"flat TTFT", []bench.Sample{fitSmp(100, 100e6, 1, 0), fitSmp(200, 100e6, 1, 0), fitSmp(300, 100e6, 1, 0)}, false, "no prefill rate can be fitted"},
		{"decode: one depth", line(300, 300, 300), true, "need at least two context depths"},
		// Only one request has two output tokens: no TPOT for the others.
		{"decode: too few TPOTs", []bench.Sample{fitSmp(100, 0, 1, 0), fitSmp(200, 0, 1, 0), fitSmp(300, 0, 5, 2e7)}, true, "1 usable samples; need at least 3"},
		// TPOT = −0.5 ms + 1 µs × depth: positive at the depths measured, but the
		// fitted time per step at depth 0 is negative, so no rate.
		{"decode: negative step", []bench.Sample{fitSmp(1000, 0, 2, 1000*1001-5e5), fitSmp(2000, 0, 2, 1000*2001-5e5), fitSmp(3000, 0, 2, 1000*3001-5e5)}, true, "no decode rate can be fitted"},
	} {
		var err error
		if tc.decode {
			_, err = FitDecode(tc.samples)
		} else {
			_, err = FitPrefill(tc.samples)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v; want one line containing %q", tc.name, err, tc.want)
		}
	}
}
