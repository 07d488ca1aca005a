package results

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/hostmon"
	"github.com/yardstick-dev/yardstick/internal/stat"
)

// CacheSuspectFactor flags a request whose server prefill rate exceeds this multiple of
// the run's median: prompt_eval_duration covers only the part of the prompt that was
// not in the server's cache while prompt_eval_count counts it all
// (runner/ollamarunner/runner.go, v0.24.0), so a cache hit shows as an absurd rate.
const CacheSuspectFactor = 5.0

// PromptShortFrac flags a request whose counted prompt (prompt_tokens) is under this
// fraction of the prompt length it was sent at (its level's --prompt-tokens): a server
// that counts only the prompt suffix it had to compute (llama.cpp's timings.prompt_n
// does) counts a cache hit as a short prompt. Calibration brings counted prompts
// within a few percent of the target, so half is far outside any tokenizer's spread.
const PromptShortFrac = 0.5

// ReloadLoad is the load_duration above which a request is taken to have waited for
// the model to be loaded: a loaded model is handed out in well under a millisecond,
// while loading even a small one from the page cache takes longer than this.
const ReloadLoad = 250 * time.Millisecond

// OtherBusyWarnFrac is the share of the machine's CPU used by other processes during
// the window above which a run is flagged: on the two-core machines this project
// tests on, a second model runner made decode rates collapse rather than halve.
const OtherBusyWarnFrac = 0.10

// CachedHitFrac is the share of a request's prompt the server must report cached
// (cached_prompt_tokens) for the request to count as a prompt-cache hit: the chat
// template's opening tokens, shared by every request and a nonce away from anything
// else, stay under it (about 10 tokens of Qwen's template against prompts of 64 and
// more).
const CachedHitFrac = 0.25

// diagnose is the one pass that judges a built run: it flags the samples probably
// served from the prompt cache (Sample.CacheSuspect, on r.Samples, which are the
// result's) and appends the warnings about what the samples, the host and the
// roofline show: early stops, multi-token chunks, context overflow, output past the
// cap, prompt length off target, prompt-cache hits, host contention, model reloads,
// partial offload, a rate above its ceiling.
// Build calls it after the run's summaries and roofline and before its levels (whose
// prefill fit leaves cache-suspect samples out). levels are the result's.
func (r *Run) diagnose(levels []bench.Level) {
	r.judgeTurns()
	r.diagnoseSamples(levels)
	r.warnHost()
	r.warnReloads()
	r.warnHardware()
	r.warnSwap()
}

// diagnoseSamples counts what the successful measured samples say about the server.
func (r *Run) diagnoseSamples(levels []bench.Level) {
	o := r.Options
	early, promptOff, overflow, overMax, multi, noAnswer, thought, estimated := 0, 0, 0, 0, 0, 0, 0, 0
	atFloor, floor := 0, 0 // prompts over the target at one word of body: the template floor
	// Capacity for every sample: a 100k-request run's growing slices were most of what
	// Build allocates beyond the samples (docs/performance.md, memory).
	perChunk := make([]float64, 0, len(r.Samples))
	for i := range r.Samples {
		s := &r.Samples[i]
		if !s.OK {
			continue
		}
		if s.StoppedEarly {
			early++
		}
		if s.ThinkingChunks > 0 {
			thought++
			if s.AnswerChunks == 0 {
				noAnswer++
			}
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
		if s.OutputTokens > cmp.Or(s.MaxTokensAsked, o.MaxTokens) {
			overMax++
		}
		target := o.PromptTokens
		if s.Level < len(levels) {
			target = levels[s.Level].PromptTokens
		}
		target = cmp.Or(s.PromptTokensAsked, target)
		// A dataset's prompts have the file's lengths: no target to be off; a later turn
		// carries its history.
		if s.TokensEstimated {
			estimated++ // and its prompt is uncounted: no length to hold to the target
		} else if d := s.PromptTokens - target; o.Dataset == nil && s.Turn < 2 && d*d*100 > target*target { // off by more than 10%
			promptOff++
			if d > 0 && s.PromptWords > 0 && s.PromptWords <= 1 {
				// Calibrated down to one word and still over: the chat template and
				// the nonce alone are longer than the target.
				atFloor++
				floor = min(cmp.Or(floor, s.PromptTokens), s.PromptTokens)
			}
		}
	}
	if estimated > 0 {
		r.TokensEstimated = true
		r.warn(bench.CodeTokensEstimated, fmt.Sprintf("%s ended without usage (the server ignores stream_options.include_usage): their output tokens are their text chunks, one chunk taken as one token, so output_tokens, tpot_ns and client_gen_per_s are estimates; their prompt tokens are unknown",
			measuredRequests(estimated)))
	}
	if early > 0 {
		asked := fmt.Sprintf("--max-tokens %d", o.MaxTokens)
		if o.Dataset != nil {
			asked = "the output length asked (the record's own, else " + asked + ")"
		}
		r.warn(bench.CodeStoppedEarly, fmt.Sprintf("%s stopped before %s (done_reason stop): their output is shorter than asked",
			measuredRequests(early), asked))
	}
	if noAnswer > 0 {
		r.warn(bench.CodeNoAnswer, fmt.Sprintf("%s ended while the model was still thinking, before any answer text (--max-tokens %d): they have no ttfa_ns or answer figures; raise --max-tokens or ask --think false",
			measuredRequests(noAnswer), o.MaxTokens))
	}
	if thought > 0 && o.Think == bench.ThinkOff && (o.ThinkSet || r.Target.Backend != "openai") {
		r.warn(bench.CodeThinkIgnored, fmt.Sprintf("%s streamed thinking although thinking was asked off: the model or its template ignores the switch, and TTFT counts the thinking", measuredRequests(thought)))
	}
	if multi > 0 {
		r.warn(bench.CodeMultiTokenChunks, fmt.Sprintf("%d of %d measured requests carried more than one output token per text chunk (tokens per chunk: median %.2f, max %.2f): itl_ns measures gaps between chunks, not between tokens; tpot_ns stays per token",
			multi, len(r.Samples), stat.Median(perChunk), slices.Max(perChunk)))
	}
	if overflow > 0 {
		r.warn(bench.CodeContextOverflow, fmt.Sprintf("%s used more than --num-ctx %d tokens of prompt and output: the server shifted or truncated the context", measuredRequests(overflow), o.NumCtx))
	}
	if overMax > 0 {
		r.warn(bench.CodeOutputOverMax, fmt.Sprintf("%s produced more than --max-tokens %d output tokens (or than a dataset record's own length): the server ignored num_predict", measuredRequests(overMax), o.MaxTokens))
	}
	if promptOff > 0 {
		asked := fmt.Sprint(o.PromptTokens)
		if len(o.PromptTokensSweep) > 1 {
			asked = fmt.Sprintf("of their level (%v)", o.PromptTokensSweep)
		}
		why := "synthetic prompts of one word count tokenize to different lengths, and the calibration runs only on the cold and warm-up requests"
		if atFloor > 0 {
			why = fmt.Sprintf("%d of them were down to one word of body and still counted %d tokens or more: the chat template and the request's nonce alone take about that many, a floor below which --prompt-tokens cannot go", atFloor, floor)
		}
		r.warn(bench.CodePromptLengthOffTarget, fmt.Sprintf("prompt length more than 10%% away from --prompt-tokens %s in %d of %d measured requests: %s",
			asked, promptOff, len(r.Samples), why))
	}
	r.flagCacheHits(levels)
}

// flagCacheHits flags the successful measured samples probably served from the
// server's prompt cache (Sample.CacheSuspect) and warns when there are any, naming the
// tests that fired (docs/metrics.md "Per request", server_prefill_per_s). Three tests
// are absolute, so a run in which every request hits the cache is caught: the server
// reports cached prompt tokens (over CachedHitFrac of the prompt); the prefill rate exceeds the run's prefill
// compute ceiling (Roofline.PrefillCeilingPerS, when known); the counted prompt is
// under PromptShortFrac of the prompt the request was sent at (a prompt counted 0
// times is a server that did not count, not a hit). The fourth is relative: a prefill
// rate over CacheSuspectFactor × the median of its level's, when the level has three or
// more. The roofline's prefill efficiency then leaves out the requests the server
// count, the short prompt or the median flagged (not those only the ceiling flagged:
// a beaten ceiling may be the ceiling's fault, and above_ceiling says so).
func (r *Run) flagCacheHits(levels []bench.Level) {
	// The relative test compares a request with the median of its own level: in a
	// --prompt-tokens sweep the prefill rate grows with the prompt, so one median over
	// every level would flag the longest prompts.
	byLevel := map[int][]float64{}
	perLevel := map[int]int{}
	for i := range r.Samples {
		if s := &r.Samples[i]; s.OK && s.ServerPrefillPerS != nil && !reuseExpected(s) {
			perLevel[s.Level]++
		}
	}
	for l, n := range perLevel {
		byLevel[l] = make([]float64, 0, n)
	}
	for i := range r.Samples {
		if s := &r.Samples[i]; s.OK && s.ServerPrefillPerS != nil && !reuseExpected(s) {
			byLevel[s.Level] = append(byLevel[s.Level], *s.ServerPrefillPerS)
		}
	}
	medians := map[int]float64{}
	for l, rates := range byLevel {
		if len(rates) >= 3 {
			medians[l] = stat.Median(rates)
		}
	}
	ceiling := 0.0
	if r.Roofline != nil {
		ceiling = r.Roofline.PrefillCeilingPerS
	}
	var byCount, byPrefix, byCeiling, byShort, byMedian, n int
	// clean are the prefill rates of requests no test but the ceiling's flagged: the
	// roofline's prefill efficiency is their median (a rate above the ceiling may be
	// the ceiling's fault, and above_ceiling must still say so).
	clean := make([]float64, 0, len(r.Samples))
	expected := 0 // requests meant to hit the cache, left out here
	for i := range r.Samples {
		s := &r.Samples[i]
		if !s.OK {
			continue
		}
		if reuseExpected(s) {
			expected++
			continue
		}
		target := r.Options.PromptTokens
		if s.Level < len(levels) {
			target = levels[s.Level].PromptTokens
		}
		rate := -1.0
		if s.ServerPrefillPerS != nil {
			rate = *s.ServerPrefillPerS
		}
		// A few cached tokens are the chat template's opening, which every request
		// shares (llama.cpp's cache_n counts them): a hit is over CachedHitFrac of the
		// prompt.
		server := s.CachedPromptTokens != nil && float64(*s.CachedPromptTokens) > CachedHitFrac*float64(s.PromptTokens)
		// 5. a shared-prefix run's judged hit (docs/metrics.md, Shared prefixes),
		// counted apart when the server's own count did not already say so.
		prefix := s.PrefixHit != nil && *s.PrefixHit && !server
		byPrefix += b2i(prefix)
		counted := server || prefix
		fast := ceiling > 0 && rate > ceiling
		// A dataset's prompts have no target and lengths that differ by design (a long
		// prompt prefills faster than a short one): only the absolute tests 1 and 2 hold.
		dataset := r.Options.Dataset != nil
		short := !dataset && s.PromptTokens > 0 && float64(s.PromptTokens) < PromptShortFrac*float64(target)
		med, relative := medians[s.Level]
		relative = relative && !dataset
		outlier := relative && med > 0 && rate > CacheSuspectFactor*med
		byCount, byCeiling, byShort, byMedian = byCount+b2i(server), byCeiling+b2i(fast), byShort+b2i(short), byMedian+b2i(outlier)
		if counted || fast || short || outlier {
			s.CacheSuspect = true
			n++
		}
		if rate >= 0 && !(counted || short || outlier) {
			clean = append(clean, rate)
		}
	}
	if rl := r.Roofline; rl != nil && rl.PrefillCeilingPerS > 0 && (n > byCeiling || expected > 0) {
		if left := len(clean); left > 0 {
			e := stat.Median(clean) / rl.PrefillCeilingPerS
			rl.PrefillEfficiencyFrac = &e
		} else {
			rl.PrefillEfficiencyFrac = nil
		}
		if n > byCeiling {
			rl.Notes = append(rl.Notes, "the prefill efficiency leaves out the requests flagged cache_suspect by the server's cached count, a short counted prompt or their level's median")
		}
		if expected > 0 {
			rl.Notes = append(rl.Notes, "the prefill efficiency leaves out the later turns of conversations and the requests of a trace replay, which are meant to reuse the server's prompt cache")
		}
	}
	if n == 0 {
		return
	}
	var tests []string
	if byCount > 0 {
		tests = append(tests, fmt.Sprintf("%d by the server's own count of cached prompt tokens", byCount))
	}
	if byPrefix > 0 {
		tests = append(tests, fmt.Sprintf("%d judged shared-prefix hits (prefix_cache)", byPrefix))
	}
	if byCeiling > 0 {
		tests = append(tests, fmt.Sprintf("%d prefilling faster than the compute ceiling of %.0f tokens/s (a cache hit, or a ceiling figure too low for this machine)", byCeiling, ceiling))
	}
	if byShort > 0 {
		tests = append(tests, fmt.Sprintf("%d counting under %.0f%% of the prompt tokens sent", byShort, 100*PromptShortFrac))
	}
	if byMedian > 0 {
		tests = append(tests, fmt.Sprintf("%d prefilling more than %.0f× faster than their level's median (a cache hit or a noisy machine)", byMedian, CacheSuspectFactor))
	}
	look := "look"
	if n == 1 {
		look = "looks"
	}
	r.warn(bench.CodePromptCacheSuspect, fmt.Sprintf("%s %s served from the server's prompt cache: %s; flagged cache_suspect and kept in the summaries",
		measuredRequests(n), look, strings.Join(tests, ", ")))
}

// reuseExpected reports whether s is meant to reuse the server's prompt cache: a later
// turn of a conversation (its history) or a trace replay's request (its shared
// blocks). The cache_suspect tests leave such requests alone; a conversation's turns
// are judged by judgeTurns instead.
func reuseExpected(s *bench.Sample) bool { return s.Turn > 1 || s.TraceLine > 0 }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// warnHost warns host_busy when other processes took over OtherBusyWarnFrac of the
// machine's CPU during the measured requests, and when the server's processes changed
// during them (hostmon.SplitProcessesChanged: a runner started or exited, so the
// CPU could not be split) while the machine was over OtherBusyWarnFrac busy: the
// contention cannot then be measured, and a runner that came or went is a reason to
// suspect it.
func (r *Run) warnHost() {
	h := r.HostCPU
	switch {
	case h == nil:
	case h.OtherFrac != nil && h.ServerFrac != nil && *h.OtherFrac > OtherBusyWarnFrac:
		r.warn(bench.CodeHostBusy, fmt.Sprintf("other processes used %.0f%% of this machine's CPU during the measured requests (the server used %.0f%%): the figures include contention",
			100**h.OtherFrac, 100**h.ServerFrac))
	case h.SplitUnavailable == hostmon.SplitProcessesChanged && h.BusyFrac > OtherBusyWarnFrac:
		r.warn(bench.CodeHostBusy, fmt.Sprintf("the machine's CPU was %.0f%% busy during the measured requests and the server's processes changed (a model runner started or exited: another model loaded, or this one reloaded), so how much of it was other work cannot be measured: the figures may include contention",
			100*h.BusyFrac))
	}
}

// warnReloads warns model_reloaded when most successful measured requests waited
// over ReloadLoad for the model (the server loads it for every request), or when some
// did, over 10× the typical load of the others: a reload during the run. A single such
// request is enough.
func (r *Run) warnReloads() {
	loads, fast := make([]float64, 0, len(r.Samples)), make([]float64, 0, len(r.Samples))
	var slow []float64
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
