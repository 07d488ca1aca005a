package results

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/hostmon"
	"github.com/yardstick-dev/yardstick/profiles"
)

// One large jump in load_duration is a reload, even among few requests; most requests
// loading is a server that does not keep the model.
func TestReloadWarning(t *testing.T) {
	for _, tc := range []struct {
		loadsMs []int
		want    string // "" = no warning
	}{
		{[]int{0, 2000}, "1 of 2 measured requests waited over 250ms"},
		{[]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 3000}, "1 of 10"},
		{[]int{2000, 2000, 1}, "the server loads it for every request"},
		{[]int{1, 2, 3, 200}, ""},
		// 300 ms is not 10× the others' 100 ms: a slow machine, not a reload.
		{[]int{100, 100, 100, 300}, ""},
	} {
		var r Run
		for _, l := range tc.loadsMs {
			r.Samples = append(r.Samples, bench.Sample{OK: true, LoadNs: int64(time.Duration(l) * time.Millisecond)})
		}
		r.warnReloads()
		got := ""
		if len(r.Warnings) == 1 && r.Warnings[0].Code == bench.CodeModelReloaded {
			got = r.Warnings[0].Message
		}
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("loads %v ms: warning %q, want %q", tc.loadsMs, got, tc.want)
		}
	}
}

// Each thing the samples can show about the server gets its warning from the one
// diagnosis pass, and a clean run gets none. The fixture asks 512-token prompts and 32
// output tokens.
func TestDiagnoseSamples(t *testing.T) {
	base := func() *bench.Result { return fixture() }
	for _, tc := range []struct {
		name   string
		mutate func(*bench.Result)
		code   bench.Code
		want   string
	}{
		{"clean", func(*bench.Result) {}, "", ""},
		{"stopped early", func(r *bench.Result) { r.Samples[2].StoppedEarly = true }, bench.CodeStoppedEarly, "1 measured request stopped before --max-tokens 32"},
		{"multi-token chunks", func(r *bench.Result) { r.Samples[0].TokensPerChunk = f64(2) }, bench.CodeMultiTokenChunks, "1 of 8 measured requests carried more than one output token"},
		{"context overflow", func(r *bench.Result) { r.Options.NumCtx, r.Samples[1].PromptTokens = 580, 560 }, bench.CodeContextOverflow, "1 measured request used more than --num-ctx 580"},
		{"output over max", func(r *bench.Result) { r.Samples[3].OutputTokens = 40 }, bench.CodeOutputOverMax, "produced more than --max-tokens 32"},
		{"prompt off target", func(r *bench.Result) { r.Samples[4].PromptTokens = 600 }, bench.CodePromptLengthOffTarget, "in 1 of 8 measured requests: synthetic prompts of one word count"},
		// Calibrated down to one word of body and still over the target: the template's
		// floor, said as such (the demo's twin counts about 63 tokens for it).
		{"prompt at the template floor", func(r *bench.Result) { r.Samples[4].PromptTokens, r.Samples[4].PromptWords = 600, 1 }, bench.CodePromptLengthOffTarget,
			"1 of them were down to one word of body and still counted 600 tokens or more: the chat template and the request's nonce alone"},
		{"prompt cache hit", func(r *bench.Result) { r.Samples[5].ServerPrefillPerS = f64(512 / 0.05 * 6) }, bench.CodePromptCacheSuspect, "1 measured request looks served from the server's prompt cache: 1 prefilling more than 5× faster than their level's median"},
		{"server's cached count", func(r *bench.Result) { r.Samples[5].CachedPromptTokens = intp(500) }, bench.CodePromptCacheSuspect, "1 by the server's own count of cached prompt tokens"},
		{"a cached count of 0 is a miss", func(r *bench.Result) { r.Samples[5].CachedPromptTokens = intp(0) }, "", ""},
		// The template's opening (a few tokens of 512) is shared by every request: not a hit.
		{"a few cached template tokens are a miss", func(r *bench.Result) { r.Samples[5].CachedPromptTokens = intp(10) }, "", ""},
		{"host busy", func(r *bench.Result) {
			r.HostCPU = &bench.HostCPU{LogicalCores: 2, OtherFrac: f64(0.3), ServerFrac: f64(0.6)}
		}, bench.CodeHostBusy, "other processes used 30% of this machine's CPU"},
		// A runner that started or exited in the window leaves no split: a busy machine
		// is then flagged as unmeasured contention, not passed in silence.
		{"host busy, server processes changed", func(r *bench.Result) {
			r.HostCPU = &bench.HostCPU{LogicalCores: 2, BusyFrac: 0.998, SplitUnavailable: hostmon.SplitProcessesChanged}
		}, bench.CodeHostBusy, "the machine's CPU was 100% busy during the measured requests and the server's processes changed"},
		// A server that is not local has no split either, and no sign of contention.
		{"remote server, no split", func(r *bench.Result) {
			r.HostCPU = &bench.HostCPU{LogicalCores: 2, BusyFrac: 0.5, SplitUnavailable: "the server is not a readable process on this machine"}
		}, "", ""},
		{"failed samples are not judged", func(r *bench.Result) {
			r.Samples[6].OK, r.Samples[6].ErrorKind, r.Samples[6].OutputTokens = false, bench.ErrStream, 99
		}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := base()
			tc.mutate(res)
			r := Build(res, fixtureHardware(), nil)
			var got []bench.Warning
			for _, w := range r.Warnings {
				if w.Code != bench.CodeTooFewSamples {
					got = append(got, w)
				}
			}
			if tc.code == "" {
				if len(got) != 0 {
					t.Errorf("warnings %v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Code != tc.code || !strings.Contains(got[0].Message, tc.want) {
				t.Errorf("warnings %v, want one %s containing %q", got, tc.code, tc.want)
			}
		})
	}
}

// A cache-suspect sample is flagged on the run's samples and left out of the prefill
// fit, but kept in the summaries.
func TestCacheSuspectFlaggedAndKept(t *testing.T) {
	res := fixture()
	res.Samples[5].ServerPrefillPerS = f64(1e9)
	r := Build(res, fixtureHardware(), nil)
	for i, s := range r.Samples {
		if s.CacheSuspect != (i == 5) {
			t.Errorf("sample %d: cache_suspect %t", i, s.CacheSuspect)
		}
	}
	if n := r.Summaries["server_prefill_per_s"].N; n != 8 {
		t.Errorf("server_prefill_per_s summarized over %d samples, want all 8", n)
	}
}

func intp(v int) *int { return &v }

// Every request agreeing is no alibi: the absolute tests flag a run in which every
// request hit the cache, which the relative rule (5× the median) cannot see. The
// fixture prefills 512 tokens in 50 ms (10,240 tokens/s); the machine of each case
// sets the ceiling, 2 FLOP per active parameter (360 M) per token.
func TestCacheHitsOnEveryRequest(t *testing.T) {
	machine := func(flops float64) *Machine {
		return &Machine{Profile: "test", MemoryBandwidthBytesPerS: 1e12, BandwidthSource: "test", PeakFLOPS: flops, FLOPSSource: "test"}
	}
	for _, tc := range []struct {
		name    string
		mutate  func(s *bench.Sample)
		machine *Machine
		want    string // "" = nothing flagged
	}{
		// Ollama v0.33.3+ reports the cached part of every prompt.
		{"every request reports cached tokens", func(s *bench.Sample) { s.CachedPromptTokens = intp(511) }, nil,
			"8 by the server's own count of cached prompt tokens"},
		// 1e6 tokens/s on every request, no cached count; a 100 TFLOP/s ceiling is
		// 1e14 / (2 × 360e6) = 138,889 tokens/s.
		{"every request prefills at 1e6 tokens/s", func(s *bench.Sample) { s.ServerPrefillPerS = f64(1e6) }, machine(100e12),
			"8 prefilling faster than the compute ceiling of 138889 tokens/s"},
		// The same run without a known ceiling: uniform rates leave the relative rule
		// nothing to see (the limit docs/metrics.md states).
		{"no ceiling, uniform rates", func(s *bench.Sample) { s.ServerPrefillPerS = f64(1e6) }, nil, ""},
		// An honest ceiling above the fixture's 10,240 tokens/s flags nothing.
		{"rates under the ceiling", func(*bench.Sample) {}, machine(100e12), ""},
		// A server counting only the computed suffix: 12 of 512 tokens.
		{"every request counts a short prompt", func(s *bench.Sample) { s.PromptTokens = 12 }, nil,
			"8 counting under 50% of the prompt tokens sent"},
		// A prompt counted 0 times is a server that did not count, not a hit.
		{"prompt not counted", func(s *bench.Sample) { s.PromptTokens = 0 }, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := fixture()
			for i := range res.Samples {
				tc.mutate(&res.Samples[i])
			}
			r := Build(res, fixtureHardware(), tc.machine)
			flagged := 0
			for _, s := range r.Samples {
				if s.CacheSuspect {
					flagged++
				}
			}
			var msg string
			for _, w := range r.Warnings {
				if w.Code == bench.CodePromptCacheSuspect {
					msg = w.Message
				}
			}
			switch {
			case tc.want == "" && (flagged != 0 || msg != ""):
				t.Errorf("%d flagged, warning %q; want none", flagged, msg)
			case tc.want != "" && (flagged != 8 || !strings.Contains(msg, tc.want)):
				t.Errorf("%d flagged, warning %q; want all 8 and %q", flagged, msg, tc.want)
			}
		})
	}
}

// The relative cache test compares a request with its own level's median: in a prompt
// sweep the long prompts prefill ten times faster than the short ones (1,000 against
// 100 tokens/s here), which against one median over the run (100) would pass 5× and
// be flagged. With a level of their own they are not. And the roofline's prefill
// efficiency leaves out a request the server's cached count flagged: the median of the
// remaining 100, 100, 100, 1000, 1000 is 100, held against a ceiling of 2,000.
func TestCacheTestsPerLevel(t *testing.T) {
	var r Run
	levels := []bench.Level{{PromptTokens: 64}, {PromptTokens: 64}, {PromptTokens: 4096}}
	for l, rates := range [][]float64{{100, 100, 100}, {100, 100, 100}, {1000, 1000, 1000}} {
		for _, v := range rates {
			r.Samples = append(r.Samples, bench.Sample{OK: true, Level: l, PromptTokens: levels[l].PromptTokens, ServerPrefillPerS: f64(v)})
		}
	}
	old := 0.5
	r.Roofline = &profiles.Roofline{PrefillCeilingPerS: 2000, PrefillEfficiencyFrac: &old}
	r.flagCacheHits(levels)
	for i, s := range r.Samples {
		if s.CacheSuspect {
			t.Errorf("sample %d (level %d, %v tok/s) flagged", i, s.Level, *s.ServerPrefillPerS)
		}
	}
	if len(r.Warnings) != 0 || *r.Roofline.PrefillEfficiencyFrac != 0.5 {
		t.Errorf("warnings %v, efficiency %v: want none and 0.5 unchanged", r.Warnings, *r.Roofline.PrefillEfficiencyFrac)
	}
	r.Samples[8].CachedPromptTokens = intp(4000)
	r.flagCacheHits(levels)
	if e := r.Roofline.PrefillEfficiencyFrac; !r.Samples[8].CacheSuspect || e == nil || *e != 100.0/2000 {
		t.Errorf("flagged %v, efficiency %v: want the cached request flagged and 0.05", r.Samples[8].CacheSuspect, e)
	}
}

// A request the cap ends while the model still thinks has no answer, and a run that
// asked thinking off but got thinking is told so; a run that thought and answered,
// as asked, gets neither warning.
func TestThinkingWarnings(t *testing.T) {
	for _, tc := range []struct {
		name             string
		think            bench.Think
		thinking, answer int
		want             []bench.Code
	}{
		{"answered", bench.ThinkOn, 6, 10, nil},
		{"cut while thinking", bench.ThinkOn, 20, 0, []bench.Code{bench.CodeNoAnswer}},
		{"thought when asked not to", bench.ThinkOff, 6, 10, []bench.Code{bench.CodeThinkIgnored}},
		{"no thinking, off", bench.ThinkOff, 0, 10, nil},
	} {
		res := fixture()
		res.Options.Think = tc.think
		for i := range res.Samples {
			res.Samples[i].ThinkingChunks, res.Samples[i].AnswerChunks = tc.thinking, tc.answer
		}
		r := Build(res, fixtureHardware(), fixtureMachine())
		var got []bench.Code
		for _, w := range r.Warnings {
			if w.Code == bench.CodeNoAnswer || w.Code == bench.CodeThinkIgnored {
				got = append(got, w.Code)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: warnings %v, want %v", tc.name, got, tc.want)
		}
	}
}
