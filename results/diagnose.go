package results

import (
	"fmt"
	"slices"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/stat"
)

// CacheSuspectFactor flags a request whose server prefill rate exceeds this multiple of
// the run's median: prompt_eval_duration covers only the part of the prompt that was
// not in the server's cache while prompt_eval_count counts it all
// (runner/ollamarunner/runner.go, v0.17.4), so a cache hit shows as an absurd rate.
const CacheSuspectFactor = 5.0

// ReloadLoad is the load_duration above which a request is taken to have waited for
// the model to be loaded: a loaded model is handed out in well under a millisecond,
// while loading even a small one from the page cache takes longer than this.
const ReloadLoad = 250 * time.Millisecond

// OtherBusyWarnFrac is the share of the machine's CPU used by other processes during
// the window above which a run is flagged: on the two-core machines this project
// tests on, a second model runner made decode rates collapse rather than halve.
const OtherBusyWarnFrac = 0.10

// diagnose is the one pass that judges a built run: it flags the samples probably
// served from the prompt cache (Sample.CacheSuspect, on r.Samples, which are the
// result's) and appends the warnings about what the samples, the host and the
// roofline show: early stops, multi-token chunks, context overflow, output past the
// cap, prompt length off target, prompt-cache hits, host contention, model reloads,
// partial offload, a rate above its ceiling.
// Build calls it after the run's summaries and roofline and before its levels (whose
// prefill fit leaves cache-suspect samples out). levels are the result's.
func (r *Run) diagnose(levels []bench.Level) {
	r.diagnoseSamples(levels)
	r.warnHost()
	r.warnReloads()
	r.warnHardware()
	r.warnSwap()
}

// diagnoseSamples counts what the successful measured samples say about the server.
func (r *Run) diagnoseSamples(levels []bench.Level) {
	o := r.Options
	early, promptOff, overflow, overMax, multi := 0, 0, 0, 0, 0
	var perChunk []float64
	for i := range r.Samples {
		s := &r.Samples[i]
		if !s.OK {
			continue
		}
		if s.StoppedEarly {
			early++
		}
		if s.TokensPerChunk != nil {
			perChunk = append(perChunk, *s.TokensPerChunk)
			if *s.TokensPerChunk > 1 {
				multi++
			}
		}
		if s.PromptTokens+s.OutputTokens > o.NumCtx {
			overflow++
		}
		if s.OutputTokens > o.MaxTokens {
			overMax++
		}
		target := o.PromptTokens
		if s.Level < len(levels) {
			target = levels[s.Level].PromptTokens
		}
		if d := s.PromptTokens - target; d*d*100 > target*target { // off by more than 10%
			promptOff++
		}
	}
	if early > 0 {
		r.warn(bench.CodeStoppedEarly, fmt.Sprintf("%s stopped before --max-tokens %d (done_reason stop): their output is shorter than asked",
			measuredRequests(early), o.MaxTokens))
	}
	if multi > 0 {
		r.warn(bench.CodeMultiTokenChunks, fmt.Sprintf("%d of %d measured requests carried more than one output token per text chunk (tokens per chunk: median %.2f, max %.2f): itl_ns measures gaps between chunks, not between tokens; tpot_ns stays per token",
			multi, len(r.Samples), stat.Median(perChunk), slices.Max(perChunk)))
	}
	if overflow > 0 {
		r.warn(bench.CodeContextOverflow, fmt.Sprintf("%s used more than --num-ctx %d tokens of prompt and output: the server shifted or truncated the context", measuredRequests(overflow), o.NumCtx))
	}
	if overMax > 0 {
		r.warn(bench.CodeOutputOverMax, fmt.Sprintf("%s produced more than --max-tokens %d output tokens: the server ignored num_predict", measuredRequests(overMax), o.MaxTokens))
	}
	if promptOff > 0 {
		asked := fmt.Sprint(o.PromptTokens)
		if len(o.PromptTokensSweep) > 1 {
			asked = fmt.Sprintf("of their level (%v)", o.PromptTokensSweep)
		}
		r.warn(bench.CodePromptLengthOffTarget, fmt.Sprintf("prompt length more than 10%% away from --prompt-tokens %s in %d of %d measured requests: synthetic prompts of one word count tokenize to different lengths, and the calibration runs only on the cold and warm-up requests",
			asked, promptOff, len(r.Samples)))
	}
	r.flagCacheHits()
}

// flagCacheHits flags the samples whose prefill rate is over CacheSuspectFactor × the
// median of three or more, and warns when there are any.
func (r *Run) flagCacheHits() {
	var rates []float64
	for i := range r.Samples {
		if s := &r.Samples[i]; s.OK && s.ServerPrefillPerS != nil {
			rates = append(rates, *s.ServerPrefillPerS)
		}
	}
	med := stat.Median(rates)
	if len(rates) < 3 || med <= 0 {
		return
	}
	n := 0
	for i := range r.Samples {
		s := &r.Samples[i]
		if s.ServerPrefillPerS != nil && *s.ServerPrefillPerS > CacheSuspectFactor*med {
			s.CacheSuspect = true
			n++
		}
	}
	if n > 0 {
		r.warn(bench.CodePromptCacheSuspect, fmt.Sprintf("%s prefilled more than %.0f× faster than the median: a prompt-cache hit or a noisy machine; they are flagged cache_suspect and kept in the summaries", measuredRequests(n), CacheSuspectFactor))
	}
}

// warnHost warns host_busy when other processes took over OtherBusyWarnFrac of the
// machine's CPU during the measured requests.
func (r *Run) warnHost() {
	if h := r.HostCPU; h != nil && h.OtherFrac != nil && h.ServerFrac != nil && *h.OtherFrac > OtherBusyWarnFrac {
		r.warn(bench.CodeHostBusy, fmt.Sprintf("other processes used %.0f%% of this machine's CPU during the measured requests (the server used %.0f%%): the figures include contention",
			100**h.OtherFrac, 100**h.ServerFrac))
	}
}

// warnReloads warns model_reloaded when most successful measured requests waited
// over ReloadLoad for the model (the server loads it for every request), or when some
// did, over 10× the typical load of the others: a reload during the run. A single such
// request is enough.
func (r *Run) warnReloads() {
	var loads, fast, slow []float64
	for i := range r.Samples {
		if s := &r.Samples[i]; s.OK {
			l := float64(s.LoadNs)
			loads = append(loads, l)
			if l > float64(ReloadLoad) {
				slow = append(slow, l)
			} else {
				fast = append(fast, l)
			}
		}
	}
	switch {
	case len(slow) == 0:
	case 2*len(slow) > len(loads):
		r.warn(bench.CodeModelReloaded, fmt.Sprintf("the median measured request waited %s for the model to load: the server loads it for every request (--keep-alive 0, or not enough memory to keep it)",
			time.Duration(stat.Median(loads)).Round(time.Millisecond)))
	default:
		n := 0
		for _, l := range slow {
			if l > 10*stat.Median(fast) {
				n++
			}
		}
		if n > 0 {
			r.warn(bench.CodeModelReloaded, fmt.Sprintf("%d of %d measured requests waited over %v for the model to load (up to %s): the server reloaded it during the run",
				n, len(loads), ReloadLoad, time.Duration(slices.Max(slow)).Round(time.Millisecond)))
		}
	}
}

// warnHardware warns about the run against the machine: a model partly outside GPU
// memory, a measured rate above its ceiling. Under concurrency each level holds its own
// decode throughput against a batched ceiling (levelRoofline).
func (r *Run) warnHardware() {
	if f := r.Memory.OffloadFrac; f != nil && *f > 0 {
		r.warn(bench.CodePartialOffload, fmt.Sprintf("%.0f%% of the model is not in GPU memory: decode is bound by host memory for that part", 100**f))
	}
	rl := r.Roofline
	if rl == nil {
		return
	}
	for _, e := range []struct {
		name string
		frac *float64
		what string
	}{{"decode", rl.DecodeEfficiencyFrac, "memory bandwidth"}, {"prefill", rl.PrefillEfficiencyFrac, "peak FLOP/s"}} {
		if e.frac != nil && *e.frac > 1 {
			r.warn(bench.CodeAboveCeiling, fmt.Sprintf(
				"measured %s rate is %.0f%% of its ceiling: the %s figure is too low for this machine, or the model is small enough to be served from CPU cache",
				e.name, 100**e.frac, e.what))
		}
	}
}

func (r *Run) warn(code bench.Code, msg string) {
	r.Warnings = append(r.Warnings, bench.Warning{Code: code, Message: msg})
}

// measuredRequests is "1 measured request" or "n measured requests".
func measuredRequests(n int) string {
	if n == 1 {
		return "1 measured request"
	}
	return fmt.Sprintf("%d measured requests", n)
}
