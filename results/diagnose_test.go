package results

import (
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
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
		{"prompt off target", func(r *bench.Result) { r.Samples[4].PromptTokens = 600 }, bench.CodePromptLengthOffTarget, "in 1 of 8 measured requests"},
		{"prompt cache hit", func(r *bench.Result) { r.Samples[5].ServerPrefillPerS = f64(512 / 0.05 * 6) }, bench.CodePromptCacheSuspect, "1 measured request prefilled more than 5× faster"},
		{"host busy", func(r *bench.Result) {
			r.HostCPU = &bench.HostCPU{LogicalCores: 2, OtherFrac: f64(0.3), ServerFrac: f64(0.6)}
		}, bench.CodeHostBusy, "other processes used 30% of this machine's CPU"},
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
