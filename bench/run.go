package bench

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/perf/benchmath"
)

// Warning is a caveat about a run, carried into the run file: a code for machines and a
// sentence for people.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Target is the server and model a run measured.
type Target struct {
	Backend       string    `json:"backend"`
	Host          string    `json:"host"`
	ServerVersion string    `json:"server_version"`
	Model         ModelInfo `json:"model"`
}

// ColdLoad is the first request after the model was unloaded.
type ColdLoad struct {
	// WasLoaded says whether the model had to be unloaded first.
	WasLoaded bool `json:"was_loaded"`
	// UnloadNs is how long the unload took until /api/ps no longer listed the model.
	UnloadNs int64 `json:"unload_ns"`
	// Sample is the cold request: its TTFT includes loading the model; its LoadNs is
	// the server's load_duration for it.
	Sample Sample `json:"sample"`
}

// Memory is what the run saw of memory (METRICS.md "Memory").
type Memory struct {
	// ModelSizeBytes and ModelVRAMBytes are /api/ps size and size_vram: Ollama's own
	// estimate, fixed at load.
	// Both are absent, with ModelSizeUnavailable saying why, when /api/ps did not list
	// the model after a successful request.
	ModelSizeBytes       *int64 `json:"model_size_bytes,omitempty"`
	ModelVRAMBytes       *int64 `json:"model_vram_bytes,omitempty"`
	ModelSizeUnavailable string `json:"model_size_unavailable,omitempty"`
	// ContextLength is the context the server loaded the model with (/api/ps).
	LoadedContextLength int `json:"loaded_context_length,omitempty"`
	// ServerPID is the PID of the local server process, 0 when not found.
	ServerPID int32 `json:"server_pid,omitempty"`
	// ServerRSSPeakBytes is the peak resident memory of the server and all its child
	// processes, sampled every SampleIntervalNs; absent when the server is not local.
	ServerRSSPeakBytes *uint64 `json:"server_rss_peak_bytes,omitempty"`
	RSSSamples         int     `json:"rss_samples"`
	SampleIntervalNs   int64   `json:"sample_interval_ns"`
	// RSSUnavailable says why ServerRSSPeakBytes is absent.
	RSSUnavailable string `json:"rss_unavailable,omitempty"`
}

// Window is the measured window: first measured send to last measured done, as
// offsets from the run's start on its monotonic clock.
type Window struct {
	StartNs    int64 `json:"start_ns"`
	EndNs      int64 `json:"end_ns"`
	DurationNs int64 `json:"duration_ns"`
}

// End reasons of a run.
const (
	EndCompleted   = "completed"
	EndInterrupted = "interrupted"
	EndErrors      = "aborted_after_errors"
)

// MaxConsecutiveFailures ends a run early: after this many failed requests in a row
// the server is not going to answer the rest.
const MaxConsecutiveFailures = 5

// ErrResumeMismatch is returned (wrapped) when a journal cannot be resumed against the
// server as it is now: bad input, not a failed measurement.
var ErrResumeMismatch = errors.New("resuming")

// errGraceOver abandons a request still in flight when --grace has passed after an
// interrupt.
var errGraceOver = errors.New("grace period over")

// MetadataTimeout bounds each metadata call (/api/version, /api/show, /api/tags,
// /api/ps, unload): a server that accepts and never answers must not hang a run.
const MetadataTimeout = 30 * time.Second

// CacheSuspectFactor flags a request whose server prefill rate exceeds this multiple of
// the run's median: prompt_eval_duration covers only the part of the prompt that was
// not in the server's cache while prompt_eval_count counts it all
// (runner/ollamarunner/runner.go, v0.17.4), so a cache hit shows as an absurd rate.
const CacheSuspectFactor = 5.0

// AutoMetric is the headline metric --runs auto watches: the server's decode rate.
const AutoMetric = "server_gen_per_s"

// Stop reasons of --runs auto.
const (
	StopPrecision = "precision_reached"
	StopCap       = "cap_reached"
)

// Stopping says how the number of measured requests was decided.
type Stopping struct {
	// Rule is "fixed" (--runs N) or "auto" (--runs auto).
	Rule string `json:"rule"`
	// Metric, PrecisionFrac and AchievedFrac (the final interval's half width over the
	// median; absent without an interval) are set for "auto".
	Metric        string   `json:"metric,omitempty"`
	PrecisionFrac float64  `json:"precision_frac,omitempty"`
	AchievedFrac  *float64 `json:"achieved_frac,omitempty"`
	// Reason is "precision_reached" or "cap_reached" for "auto"; a run that ended for
	// another reason says so in end_reason.
	Reason string `json:"reason,omitempty"`
}

// Level is one level of a run as measured: its load, its prompt length, and its
// measured window (first measured send to last measured done of the level).
type Level struct {
	Index int `json:"index"`
	LoadSpec
	// PromptTokens is the level's target prompt length; PromptWords the calibrated
	// prompt body length its requests used.
	PromptTokens int `json:"prompt_tokens"`
	PromptWords  int `json:"prompt_words"`
	// Requests counts the measured requests the level sent (all targets).
	Requests int `json:"requests"`
	// Dropped counts, in an open loop measured for --duration, the requests that fell
	// due before the duration ended but were never sent: every slot of the
	// --concurrency cap stayed busy. They are neither samples nor in any rate.
	Dropped int    `json:"dropped,omitempty"`
	Window  Window `json:"window"`
}

// FleetMember is one server of a run against several (--host repeated): what it is,
// its cold load and its memory. Samples name it by their Target index.
type FleetMember struct {
	Target Target    `json:"target"`
	Cold   *ColdLoad `json:"cold,omitempty"`
	Memory Memory    `json:"memory"`
}

// Result is everything a run measured, raw. Package results summarizes it.
type Result struct {
	RunID     string    `json:"run_id"`
	Options   Options   `json:"options"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	EndReason string    `json:"end_reason"`
	// Target is the server measured; with several, the first (Fleet holds them all).
	Target Target `json:"target"`
	// Fleet lists every server of a run against several, in --host order; empty for one.
	Fleet []FleetMember `json:"fleet,omitempty"`
	// PromptWords is the calibrated prompt body length used by measured requests (of
	// the last level).
	PromptWords int       `json:"prompt_words"`
	Cold        *ColdLoad `json:"cold,omitempty"`
	Warmup      []Sample  `json:"warmup"`
	Samples     []Sample  `json:"samples"`
	// Levels are the run's levels in the order measured; one without a sweep.
	Levels   []Level  `json:"levels"`
	Window   Window   `json:"window"`
	Stopping Stopping `json:"stopping"`
	Memory   Memory   `json:"memory"`
	// HostCPU is the machine's CPU use during the measured requests.
	HostCPU *HostCPU `json:"host_cpu,omitempty"`
	// Energy is what the machine's counters say it used during the measured requests.
	Energy   Energy    `json:"energy"`
	Warnings []Warning `json:"warnings"`
}

// Event reports progress to an Observer.
type Event struct {
	Phase Phase
	// Done and Total count requests of Phase, Done including this one; Total is 0 when
	// a duration, not a count, ends the phase.
	Done, Total int
	// Level is the index of the level measured, of Levels levels.
	Level, Levels int
	Sample        *Sample
}

// Observer receives an event after every request. It runs on the goroutine that
// collects samples, so it must be quick.
type Observer func(Event)

// Run measures opts.Model on the server b: unload, one timed cold request,
// opts.Warmup uncounted requests, then the measured requests of each level, paced by
// its load model. It returns an error, and no result, only when nothing could be
// measured: bad options, an unreachable server, an unknown model, a failed cold
// request. Failed requests after that are failed samples. When ctx is canceled the
// run stops issuing requests, lets those in flight finish within opts.Grace, and
// returns what it has, with EndReason "interrupted".
func Run(ctx context.Context, b Backend, opts Options, observe Observer) (*Result, error) {
	return RunDurable(ctx, []Backend{b}, opts, observe, Durable{})
}

// Durable is how a run keeps what it measures beyond its process.
type Durable struct {
	// Journal, when not nil, receives every completed request as it completes.
	Journal *Journal
	// Resume, when not nil, is an interrupted run's journal to continue: opts must be
	// its header's options (same run id). The cold and warm-up requests it holds are
	// not sent again, the measured ones continue after its last; when it holds
	// measured requests, one new uncounted warm-up request is sent first (the server
	// may have unloaded the model meanwhile), and the run says so. Only runs of one
	// server and one sequential level can be resumed.
	Resume *JournalData
	// Abandon, when closed, abandons a request still in flight after an interrupt
	// without waiting for opts.Grace (a second Ctrl-C).
	Abandon <-chan struct{}
}

// member is the state of one target during a run.
type member struct {
	b       Backend
	mm      ModelManager // nil when the backend cannot load and unload models
	target  Target
	cold    *ColdLoad
	mem     Memory
	sampler *memorySampler
	psRead  bool
}

// RunDurable is Run against one or several servers (the same workload against each,
// at the same time: each server gets every level's load), with a journal and,
// optionally, a journal to resume. A journal that cannot be written is not fatal: the
// run continues and warns "journal_failed".
func RunDurable(ctx context.Context, targets []Backend, opts Options, observe Observer, dur Durable) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, errors.New("no server to measure")
	}
	if observe == nil {
		observe = func(Event) {}
	}
	levels := opts.Levels()
	began := time.Now()
	rs := dur.Resume
	if rs != nil {
		if opts.RunID != rs.Header.RunID {
			return nil, fmt.Errorf("resuming: run id %q is not the journal's %q", opts.RunID, rs.Header.RunID)
		}
		if len(targets) > 1 || !opts.Resumable() {
			return nil, errors.New("resuming: only a run of one server and one sequential level, measured by count, can be resumed")
		}
		// Offsets continue after the journal's last one: the window leaves out the
		// time the run was stopped.
		began = began.Add(-time.Duration(rs.LastOffsetNs()) - time.Millisecond)
	}
	if opts.RunID == "" {
		opts.RunID = NewRunID()
	}
	jr := dur.Journal
	var journalErr error
	var journalMu sync.Mutex
	journal := func(f func() error) {
		journalMu.Lock()
		defer journalMu.Unlock()
		if jr == nil || journalErr != nil {
			return
		}
		if journalErr = f(); journalErr != nil {
			journalErr = fmt.Errorf("%w; the journal stopped there (the run file still gets everything)", journalErr)
		}
	}
	meta := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, MetadataTimeout) }
	res := &Result{
		RunID:     opts.RunID,
		Options:   opts,
		StartedAt: began.UTC().Round(time.Millisecond),
		Warmup:    []Sample{},
		Samples:   []Sample{},
		Levels:    []Level{},
		Warnings:  []Warning{},
	}
	res.Options.Backend = targets[0].Name()
	res.Options.Host = Redact(targets[0].URL().String())
	res.Options.Hosts = nil
	if len(targets) > 1 {
		for _, b := range targets {
			res.Options.Hosts = append(res.Options.Hosts, Redact(b.URL().String()))
		}
	}
	if rs != nil {
		res.StartedAt = rs.Header.StartedAt
	}

	members := make([]*member, len(targets))
	stopSamplers := func() {
		for _, m := range members {
			if m != nil && m.sampler != nil {
				m.sampler.stop()
			}
		}
	}
	for t, b := range targets {
		m := &member{b: b, target: Target{Backend: b.Name(), Host: Redact(b.URL().String())}}
		m.mm, _ = b.(ModelManager)
		members[t] = m
		where := ""
		if len(targets) > 1 {
			where = fmt.Sprintf("%s: ", m.target.Host)
		}
		mctx, cancel := meta()
		version, err := b.Version(mctx)
		cancel()
		if err != nil {
			stopSamplers()
			return nil, fmt.Errorf("%s%w", where, err)
		}
		m.target.ServerVersion = version
		mctx, cancel = meta()
		mi, err := b.Describe(mctx, opts.Model, opts.KVCacheType)
		cancel()
		if err != nil {
			stopSamplers()
			return nil, fmt.Errorf("%s%w", where, err)
		}
		m.target.Model = mi
		m.sampler = startMemorySampler(ctx, b.URL(), opts.SampleInterval, &m.mem)
	}
	res.Target = members[0].target
	mi := res.Target.Model
	if rs != nil {
		if d := rs.Header.Target.Model.Digest; d != "" && mi.Digest != "" && !sameDigest(d, mi.Digest) {
			stopSamplers()
			return nil, fmt.Errorf("%w: %q is not the model the journal measured (digest %.12s, now %.12s); start a new run", ErrResumeMismatch, opts.Model, d, mi.Digest)
		}
	} else {
		journal(func() error {
			return jr.begin(JournalHeader{RunID: res.RunID, StartedAt: res.StartedAt, Options: res.Options, Target: res.Target})
		})
	}
	if mi.Synthetic != nil {
		res.warn("synthetic_weights", fmt.Sprintf("%s is a shape twin of %s (%s) with random weights: its speed and memory stand for the real model, its text is noise",
			opts.Model, mi.Synthetic.Shape, mi.Synthetic.Quant))
	}
	if mi.ContextLength > 0 && uint64(opts.NumCtx) > mi.ContextLength {
		res.warn("num_ctx_beyond_model", fmt.Sprintf("--num-ctx %d exceeds the model's trained context of %d tokens", opts.NumCtx, mi.ContextLength))
	}
	for t := 1; t < len(members); t++ {
		if a, b := members[0].target.Model.Digest, members[t].target.Model.Digest; a != "" && b != "" && !sameDigest(a, b) {
			res.warn("fleet_models_differ", fmt.Sprintf("%s serves %q with digest %.12s, %s with %.12s: the servers do not run the same model files",
				members[0].target.Host, opts.Model, a, members[t].target.Host, b))
		}
	}
	if res.Target.Backend == "openai" {
		res.warn("options_not_sent", "the OpenAI API has no num_ctx, think or keep_alive: the server's own context size, reasoning and model lifetime apply, whatever --num-ctx, --think and --keep-alive say")
	}
	if members[0].mm == nil {
		res.warn("no_model_management", fmt.Sprintf("the %s backend cannot unload models or list loaded ones: no cold load was measured and the model's size comes from no server report", res.Target.Backend))
	}

	target := opts.PromptTokens
	work := NewWorkload(opts.Seed, res.RunID, target)
	var measuredIndex atomic.Int64
	send := func(t int, phase Phase, index, promptIndex int, scheduledNs int64) Sample {
		if phase == PhaseMeasured {
			index = int(measuredIndex.Add(1) - 1)
			promptIndex = index
		}
		system, user := work.Prompt(promptIndex)
		s := Sample{Index: index, Phase: phase, Target: t, Nonce: work.Nonce(promptIndex), PromptWords: work.Words, ScheduledAtNs: scheduledNs}
		// The request outlives an interrupt by opts.Grace: one that finishes within
		// it is kept, one that does not is abandoned.
		gctx, abandon := context.WithCancelCause(context.WithoutCancel(ctx))
		defer abandon(nil)
		stopWatch := context.AfterFunc(ctx, func() {
			t := time.NewTimer(opts.Grace)
			defer t.Stop()
			select {
			case <-t.C:
				abandon(errGraceOver)
			case <-dur.Abandon:
				abandon(errGraceOver)
			case <-gctx.Done():
			}
		})
		defer stopWatch()
		rctx, cancel := context.WithTimeout(gctx, opts.RequestTimeout)
		defer cancel()
		members[t].b.Stream(rctx, began, Request{
			Model: opts.Model, System: system, User: user, MaxTokens: opts.MaxTokens,
			Seed: opts.Seed, Temperature: opts.Temperature, NumCtx: opts.NumCtx,
			Think: opts.Think, KeepAlive: opts.KeepAlive, FirstTokenTimeout: opts.FirstTokenTimeout,
		}, &s)
		// rctx descends from gctx alone, so a canceled request was abandoned.
		if s.ErrorKind == ErrCanceled {
			s.Error = fmt.Sprintf("abandoned: the run was interrupted and the request did not finish within --grace %v", opts.Grace)
		}
		return s
	}
	record := func(l journalLine) { journal(func() error { return jr.add(l) }) }
	calibrate := func(s Sample) {
		if s.OK {
			work.Calibrate(s.PromptWords, s.PromptTokens, target)
		}
	}

	for t, m := range members {
		if t == 0 && rs != nil && rs.Cold != nil {
			m.cold = rs.Cold
			calibrate(m.cold.Sample)
			continue
		}
		if opts.SkipColdLoad || m.mm == nil {
			continue
		}
		t0 := time.Now()
		uctx, cancel := context.WithTimeout(ctx, 2*MetadataTimeout)
		was, err := m.mm.Unload(uctx, opts.Model, m.target.Model.Digest, 60*time.Second)
		cancel()
		if err != nil {
			stopSamplers()
			return nil, err
		}
		cold := &ColdLoad{WasLoaded: was, UnloadNs: int64(time.Since(t0))}
		cold.Sample = send(t, PhaseCold, 0, -1, 0)
		observe(Event{Phase: PhaseCold, Done: t + 1, Total: len(members), Sample: &cold.Sample})
		if !cold.Sample.OK {
			stopSamplers()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("interrupted during the cold-load request: nothing measured")
			}
			return nil, fmt.Errorf("first request to %q at %s failed (%s): %s", opts.Model, m.target.Host, cold.Sample.ErrorKind, cold.Sample.Error)
		}
		calibrate(cold.Sample)
		m.cold = cold
		if t == 0 {
			record(journalLine{Cold: cold})
		}
	}
	res.Cold = members[0].cold
	// /api/ps lists the model only once a request has loaded it.
	readPS := func(m *member) {
		if m.psRead {
			return
		}
		m.psRead = true
		if m.mm == nil {
			m.mem.ModelSizeUnavailable = fmt.Sprintf("the %s backend does not report the loaded model's size", m.b.Name())
			return
		}
		mctx, cancel := meta()
		defer cancel()
		ps, err := m.mm.Running(mctx, opts.Model, m.target.Model.Digest)
		switch {
		case err != nil:
			m.mem.ModelSizeUnavailable = err.Error()
		case ps == nil:
			m.mem.ModelSizeUnavailable = "/api/ps did not list the model after a successful request"
		default:
			m.mem.ModelSizeBytes, m.mem.ModelVRAMBytes = ptr(ps.Size), ptr(ps.SizeVRAM)
			m.mem.LoadedContextLength = ps.ContextLength
			m.mem.ModelSizeUnavailable = ""
		}
	}
	for _, m := range members {
		if m.cold != nil {
			readPS(m)
		}
	}

	// Warm-up and measured failures are counted apart (a warm-up phase is judged on
	// its own); failures in a row are counted per server, so one server that stops
	// answering does not end the others' measuring.
	warmFails, measFails := newFailures(len(members)), newFailures(len(members))
	// tooMany applies --max-errors to f's total when it is set, else the
	// consecutive-failure rule to server t.
	tooMany := func(f *failures, t int, ok bool, asked int) bool {
		f.inRow[t] = bump(f.inRow[t], ok)
		if !ok {
			f.total++
		}
		if opts.MaxErrors.IsSet {
			return f.total > opts.MaxErrors.Allowed(asked)
		}
		return f.inRow[t] >= MaxConsecutiveFailures
	}
	res.EndReason = EndCompleted
	resumedMeasuring := rs != nil && len(rs.Samples) > 0
	// warmup sends the uncounted requests from the first'th, to every server in turn.
	warmup := func(first, level int) {
		for i := first; i < opts.Warmup && ctx.Err() == nil && res.EndReason == EndCompleted; i++ {
			for t, m := range members {
				n := len(res.Warmup)
				s := send(t, PhaseWarmup, n, -2-n, 0)
				if s.ErrorKind == ErrCanceled {
					return // abandoned at an interrupt: not a measurement
				}
				s.Level = level
				calibrate(s)
				if s.OK {
					readPS(m)
				}
				res.Warmup = append(res.Warmup, s)
				record(journalLine{Sample: &s})
				observe(Event{Phase: PhaseWarmup, Done: i + 1, Total: opts.Warmup, Level: level, Levels: len(levels), Sample: &s})
				if tooMany(warmFails, t, s.OK, opts.Warmup*len(members)) {
					res.EndReason = EndErrors
					return
				}
			}
		}
	}
	firstWarmup := 0
	if rs != nil {
		res.Warmup = append(res.Warmup, rs.Warmup...)
		for _, s := range rs.Warmup {
			calibrate(s)
			if tooMany(warmFails, 0, s.OK, opts.Warmup) {
				res.EndReason = EndErrors
			}
		}
		firstWarmup = len(rs.Warmup)
		if rs.Header.Calibrated {
			work.Words = rs.Header.PromptWords
		}
	}
	if !resumedMeasuring {
		warmup(firstWarmup, 0)
	}
	res.PromptWords = work.Words
	if ctx.Err() == nil && res.EndReason == EndCompleted && (rs == nil || !rs.Header.Calibrated) {
		journal(func() error { return jr.calibrated(work.Words) })
	}
	rewarmed := false
	if resumedMeasuring && len(rs.Samples) < opts.Runs && ctx.Err() == nil {
		rewarmed = true
		// Not calibrated on: the measured prompts keep their length.
		s := send(0, PhaseWarmup, len(res.Warmup), -2-len(res.Warmup), 0)
		if s.ErrorKind != ErrCanceled {
			res.Warmup = append(res.Warmup, s)
			record(journalLine{Sample: &s})
			if s.OK {
				readPS(members[0])
			}
		}
	}
	if rs != nil {
		res.warn("resumed", fmt.Sprintf("resumed from a journal holding %d of %d measured requests; offsets continue after its last, so the window leaves out the time the run was stopped; energy, host CPU and server memory cover only the requests sent after resuming%s",
			len(rs.Samples), opts.Runs, map[bool]string{true: "; one new uncounted warm-up request was sent first, as the server may have unloaded the model meanwhile", false: ""}[rewarmed]))
	}
	cpuStart, cpuOK := takeCPUSnapshot(ctx, members[0].mem.ServerPID)
	meter := startEnergyMeter(ctx, opts.SampleInterval)
	res.Stopping.Rule = "fixed"
	if opts.Duration > 0 {
		res.Stopping.Rule = "duration"
	}
	var rates []float64
	if opts.RunsAuto {
		res.Stopping = Stopping{Rule: "auto", Metric: AutoMetric, PrecisionFrac: opts.Precision, Reason: StopCap}
	}
	stopped := false
	// asked is what --max-errors P% is a share of: every measured request the run
	// asks for, or, measured by duration, those sent so far (at least 20).
	asked := func() int {
		if opts.Duration > 0 {
			return max(20, len(res.Samples))
		}
		return opts.Runs * len(levels) * len(members)
	}
	// halts[t] stops server t's load; take closes it when that server fails too often
	// in a row, and every one of them when the run stops.
	var halts []chan struct{}
	var haltOnce []sync.Once
	stopServer := func(t int) {
		if t < len(halts) {
			haltOnce[t].Do(func() { close(halts[t]) })
		}
	}
	serverDown := make([]bool, len(members))
	// take accounts for one measured sample; it returns true when the run stops.
	take := func(s Sample) bool {
		lv := &res.Levels[s.Level]
		lv.Requests++
		if lv.Window.StartNs == 0 || s.SentAtNs < lv.Window.StartNs {
			lv.Window.StartNs = s.SentAtNs
		}
		if s.OK {
			lv.Window.EndNs = max(lv.Window.EndNs, s.SentAtNs+*s.E2ENs)
		}
		res.Samples = append(res.Samples, s)
		if tooMany(measFails, s.Target, s.OK, asked()) {
			if opts.MaxErrors.IsSet || len(members) == 1 {
				res.EndReason = EndErrors
			} else if !serverDown[s.Target] {
				serverDown[s.Target] = true
				stopServer(s.Target)
				res.warn("server_aborted", fmt.Sprintf("%s failed %d requests in a row: no more requests were sent to it; the other servers were measured on", members[s.Target].target.Host, MaxConsecutiveFailures))
				if !slices.Contains(serverDown, false) {
					res.EndReason = EndErrors
				}
			}
		}
		if opts.RunsAuto && s.OK && s.ServerGenPerS != nil {
			rates = append(rates, *s.ServerGenPerS)
			if half, ok := MedianCIHalfWidthFrac(rates); ok {
				res.Stopping.AchievedFrac = ptr(half)
				if len(rates) >= opts.MinRuns && half <= opts.Precision {
					res.Stopping.Reason = StopPrecision
					return true
				}
			}
		}
		return res.EndReason != EndCompleted
	}
	if rs != nil {
		res.Levels = append(res.Levels, Level{Index: 0, LoadSpec: levels[0].Load, PromptTokens: levels[0].PromptTokens, PromptWords: work.Words})
		for _, s := range rs.Samples {
			stopped = take(s)
		}
		measuredIndex.Store(int64(len(rs.Samples)))
	}
	lim := Limit{Requests: uint64(opts.Runs), Duration: opts.Duration}
	for li, spec := range levels {
		if stopped || ctx.Err() != nil || res.EndReason != EndCompleted {
			break
		}
		if rs == nil {
			if li > 0 && spec.PromptTokens != target {
				// A new prompt length: re-aim the calibrated words, then let the
				// warm-ups correct them for this length.
				target = spec.PromptTokens
				last := lastOK(res.Samples)
				if last == nil {
					last = lastOK(res.Warmup)
				}
				if last == nil && res.Cold != nil && res.Cold.Sample.OK {
					last = &res.Cold.Sample
				}
				if last != nil {
					work.Retarget(last.PromptWords, last.PromptTokens, target)
				}
				warmFails = newFailures(len(members))
				warmup(0, li)
				if ctx.Err() != nil || res.EndReason != EndCompleted {
					break
				}
			}
			res.Levels = append(res.Levels, Level{Index: li, LoadSpec: spec.Load, PromptTokens: spec.PromptTokens, PromptWords: work.Words})
			res.PromptWords = work.Words
		}
		requests := opts.Runs - len(res.Samples)
		if rs == nil || li > 0 {
			requests = opts.Runs
		}
		if requests <= 0 {
			continue // a resumed level that was already complete
		}
		total := 0
		if opts.Duration <= 0 {
			total = opts.Runs * len(members)
		}
		// Each worker waits until its sample is taken, so a sample that stops the run
		// (--max-errors, --runs auto) stops its worker before it sends another.
		type taken struct {
			s   Sample
			ack chan struct{}
		}
		results := make(chan taken, 64)
		halts = make([]chan struct{}, len(members))
		haltOnce = make([]sync.Once, len(members))
		for t := range halts {
			halts[t] = make(chan struct{})
			if serverDown[t] {
				close(halts[t]) // stopped in an earlier level
				haltOnce[t].Do(func() {})
			}
		}
		var dropped atomic.Int64
		go func() {
			var wg sync.WaitGroup
			for t := range members {
				wg.Go(func() {
					l := lim
					l.Requests = uint64(requests)
					dropped.Add(int64(drive(ctx, began, spec.Load, spec.Load.pacer(opts.Seed), l, halts[t], func(j job) {
						s := send(t, PhaseMeasured, 0, 0, j.scheduledNs)
						s.Level = li
						ack := make(chan struct{})
						results <- taken{s, ack}
						<-ack
					})))
				})
			}
			wg.Wait()
			close(results)
		}()
		for tk := range results {
			s := tk.s
			if s.ErrorKind == ErrCanceled {
				close(tk.ack)
				continue // abandoned at an interrupt: not a measurement
			}
			if take(s) {
				stopped = true
				for t := range members {
					stopServer(t)
				}
			}
			close(tk.ack) // the worker may go on; what follows does not decide whether it should
			if s.OK {
				readPS(members[s.Target])
			}
			record(journalLine{Sample: &s})
			observe(Event{Phase: PhaseMeasured, Done: res.Levels[li].Requests, Total: total, Level: li, Levels: len(levels), Sample: &res.Samples[len(res.Samples)-1]})
		}
		lv := &res.Levels[len(res.Levels)-1]
		if lv.Window.EndNs > lv.Window.StartNs {
			lv.Window.DurationNs = lv.Window.EndNs - lv.Window.StartNs
		}
		if lv.Dropped = int(dropped.Load()); lv.Dropped > 0 {
			res.warn("dropped_requests", fmt.Sprintf("level %d (%s): %d requests fell due before --duration %v ended but were never sent, every one of its --concurrency %d slots being busy: the server could not keep up with the schedule",
				li, spec.Load, lv.Dropped, opts.Duration, spec.Load.Concurrency))
		}
	}
	// Samples arrive in the order they finish; the file keeps the order they were sent.
	slices.SortStableFunc(res.Samples, func(a, b Sample) int { return cmp.Compare(a.Index, b.Index) })
	var levelsNs int64
	for _, lv := range res.Levels {
		if lv.Requests == 0 {
			continue
		}
		if res.Window.StartNs == 0 || lv.Window.StartNs < res.Window.StartNs {
			res.Window.StartNs = lv.Window.StartNs
		}
		res.Window.EndNs = max(res.Window.EndNs, lv.Window.EndNs)
		levelsNs += lv.Window.DurationNs
	}
	journal(func() error { return jr.Sync() })
	if journalErr != nil {
		res.warn("journal_failed", journalErr.Error())
	}
	if ctx.Err() != nil {
		res.EndReason = EndInterrupted
	}
	// Levels run one after another; between them a prompt sweep sends its warm-ups,
	// which are not measured: the window's duration is the levels' own.
	if res.Window.EndNs > res.Window.StartNs {
		res.Window.DurationNs = min(levelsNs, res.Window.EndNs-res.Window.StartNs)
	}
	res.Energy = meter.stop()
	if cpuEnd, ok := takeCPUSnapshot(context.WithoutCancel(ctx), members[0].mem.ServerPID); ok && cpuOK {
		res.HostCPU = hostCPUBetween(cpuStart, cpuEnd)
	}
	stopSamplers()
	for _, m := range members {
		if !m.psRead && m.mem.ModelSizeUnavailable == "" {
			m.mem.ModelSizeUnavailable = "no request succeeded, so the loaded model was not listed"
		}
	}
	res.Memory = members[0].mem
	if len(members) > 1 {
		for _, m := range members {
			res.Fleet = append(res.Fleet, FleetMember{Target: m.target, Cold: m.cold, Memory: m.mem})
		}
	}
	res.EndedAt = time.Now().UTC().Round(time.Millisecond)
	res.annotate()
	if res.succeeded() == 0 {
		if res.EndReason == EndErrors && len(res.Samples) == 0 {
			return res, fmt.Errorf("aborted after %d failed warm-up requests, before any measured request (see --max-errors)", countFailed(res.Warmup))
		}
		if res.EndReason == EndInterrupted {
			return res, errors.New("interrupted before any measured request completed")
		}
		if len(res.Samples) == 0 {
			return res, fmt.Errorf("no measured request was sent (--duration %v is shorter than one request's wait?)", opts.Duration)
		}
		asked := ""
		if opts.Duration <= 0 {
			asked = fmt.Sprintf(" (of %d asked)", opts.Runs*len(levels)*len(targets))
		}
		return res, fmt.Errorf("all %d measured requests sent%s failed; first error (%s): %s",
			len(res.Samples), asked, res.Samples[0].ErrorKind, res.Samples[0].Error)
	}
	return res, nil
}

// measuredRequests is "1 measured request" or "n measured requests".
func measuredRequests(n int) string {
	if n == 1 {
		return "1 measured request"
	}
	return fmt.Sprintf("%d measured requests", n)
}

// failures counts failed requests: in a row per server, and in total.
type failures struct {
	inRow []int
	total int
}

func newFailures(servers int) *failures { return &failures{inRow: make([]int, servers)} }

// lastOK returns the last successful sample of ss, or nil.
func lastOK(ss []Sample) *Sample {
	for i := len(ss) - 1; i >= 0; i-- {
		if ss[i].OK {
			return &ss[i]
		}
	}
	return nil
}

// MedianCIHalfWidthFrac returns the half width of the 95% confidence interval of the
// median of xs over the median (order statistics, golang.org/x/perf/benchmath
// AssumeNothing, as results.Summarize computes it), or false with fewer than 6 values
// or a zero median.
func MedianCIHalfWidthFrac(xs []float64) (float64, bool) {
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(slices.Clone(xs), &benchmath.DefaultThresholds), 0.95)
	if math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) || math.IsNaN(s.Lo) || s.Center == 0 {
		return 0, false
	}
	return (s.Hi - s.Lo) / 2 / math.Abs(s.Center), true
}

func bump(n int, ok bool) int {
	if ok {
		return 0
	}
	return n + 1
}

func (r *Result) warn(code, msg string) { r.Warnings = append(r.Warnings, Warning{code, msg}) }

func (r *Result) succeeded() int {
	n := 0
	for i := range r.Samples {
		if r.Samples[i].OK {
			n++
		}
	}
	return n
}

// annotate flags suspect samples and adds the run's measurement warnings: failures,
// early stops, prompt-cache hits, model reloads, prompt length off target.
func (r *Result) annotate() {
	var rates, loads []float64
	failed := map[ErrorKind]int{}
	early, promptOff, overflow, overMax, multi := 0, 0, 0, 0, 0
	var perChunk []float64
	for i := range r.Samples {
		s := &r.Samples[i]
		if !s.OK {
			failed[s.ErrorKind]++
			continue
		}
		if s.ServerPrefillPerS != nil {
			rates = append(rates, *s.ServerPrefillPerS)
		}
		loads = append(loads, float64(s.LoadNs))
		if s.StoppedEarly {
			early++
		}
		if s.TokensPerChunk != nil {
			perChunk = append(perChunk, *s.TokensPerChunk)
			if *s.TokensPerChunk > 1 {
				multi++
			}
		}
		if s.PromptTokens+s.OutputTokens > r.Options.NumCtx {
			overflow++
		}
		if s.OutputTokens > r.Options.MaxTokens {
			overMax++
		}
		target := r.Options.PromptTokens
		if s.Level < len(r.Levels) {
			target = r.Levels[s.Level].PromptTokens
		}
		if d := s.PromptTokens - target; d*d*100 > target*target { // off by more than 10%
			promptOff++
		}
	}
	if len(failed) > 0 {
		total := 0
		kinds := make([]string, 0, len(failed))
		for k, n := range failed {
			total += n
			kinds = append(kinds, fmt.Sprintf("%s: %d", k, n))
		}
		slices.Sort(kinds)
		r.warn("failed_requests", fmt.Sprintf("%d of %d measured requests failed (%v); summaries use the %d that succeeded",
			total, len(r.Samples), kinds, len(r.Samples)-total))
	}
	if r.EndReason == EndErrors {
		if l := r.Options.MaxErrors; l.IsSet {
			r.warn("aborted", fmt.Sprintf("run stopped when its failed requests exceeded --max-errors %s", l.String()))
		} else {
			r.warn("aborted", fmt.Sprintf("run stopped after %d consecutive failed requests", MaxConsecutiveFailures))
		}
	}
	if st := r.Stopping; st.Rule == "auto" && st.Reason == StopCap && r.EndReason == EndCompleted {
		achieved := "no interval"
		if st.AchievedFrac != nil {
			achieved = fmt.Sprintf("±%.1f%%", 100**st.AchievedFrac)
		}
		r.warn("precision_not_reached", fmt.Sprintf("--runs auto reached its cap of %d requests with the %s median known to %s, not the ±%.1f%% asked",
			r.Options.Runs, st.Metric, achieved, 100*st.PrecisionFrac))
	}
	if r.EndReason == EndInterrupted {
		asked := ""
		if r.Options.Duration <= 0 {
			asked = fmt.Sprintf(" of %d", r.Options.Runs*len(r.Options.Levels())*max(1, len(r.Options.Hosts)))
		}
		r.warn("interrupted", fmt.Sprintf("run interrupted after %d%s measured requests", len(r.Samples), asked))
	}
	if early > 0 {
		r.warn("stopped_early", fmt.Sprintf("%s stopped before --max-tokens %d (done_reason stop): their output is shorter than asked",
			measuredRequests(early), r.Options.MaxTokens))
	}
	if multi > 0 {
		r.warn("multi_token_chunks", fmt.Sprintf("%d of %d measured requests carried more than one output token per text chunk (tokens per chunk: median %.2f, max %.2f): itl_ns measures gaps between chunks, not between tokens; tpot_ns stays per token",
			multi, len(r.Samples), median(perChunk), slices.Max(perChunk)))
	}
	if overflow > 0 {
		r.warn("context_overflow", fmt.Sprintf("%s used more than --num-ctx %d tokens of prompt and output: the server shifted or truncated the context", measuredRequests(overflow), r.Options.NumCtx))
	}
	if overMax > 0 {
		r.warn("output_over_max", fmt.Sprintf("%s produced more than --max-tokens %d output tokens: the server ignored num_predict", measuredRequests(overMax), r.Options.MaxTokens))
	}
	if promptOff > 0 {
		asked := fmt.Sprint(r.Options.PromptTokens)
		if len(r.Options.PromptTokensSweep) > 1 {
			asked = fmt.Sprintf("of their level (%v)", r.Options.PromptTokensSweep)
		}
		r.warn("prompt_length_off_target", fmt.Sprintf("prompt length more than 10%% away from --prompt-tokens %s in %d of %d measured requests: synthetic prompts of one word count tokenize to different lengths, and the calibration runs only on the cold and warm-up requests",
			asked, promptOff, len(r.Samples)))
	}
	if med := median(rates); len(rates) >= 3 && med > 0 {
		n := 0
		for i := range r.Samples {
			s := &r.Samples[i]
			if s.ServerPrefillPerS != nil && *s.ServerPrefillPerS > CacheSuspectFactor*med {
				s.CacheSuspect = true
				n++
			}
		}
		if n > 0 {
			r.warn("prompt_cache_suspect", fmt.Sprintf("%s prefilled more than %.0f× faster than the median: a prompt-cache hit or a noisy machine; they are flagged cache_suspect and kept in the summaries", measuredRequests(n), CacheSuspectFactor))
		}
	}
	if h := r.HostCPU; h != nil && h.OtherFrac != nil && h.ServerFrac != nil && *h.OtherFrac > OtherBusyWarnFrac {
		r.warn("host_busy", fmt.Sprintf("other processes used %.0f%% of this machine's CPU during the measured requests (the server used %.0f%%): the figures include contention",
			100**h.OtherFrac, 100**h.ServerFrac))
	}
	r.warnReloads(loads)
}

// ReloadLoad is the load_duration above which a request is taken to have waited for
// the model to be loaded: a loaded model is handed out in well under a millisecond,
// while loading even a small one from the page cache takes longer than this.
const ReloadLoad = 250 * time.Millisecond

// warnReloads warns "model_reloaded" when most measured requests waited over
// ReloadLoad for the model (the server loads it for every request), or when some did,
// over 10× the typical load of the others: a reload during the run. A single such
// request is enough.
func (r *Result) warnReloads(loads []float64) {
	var fast, slow []float64
	for _, l := range loads {
		if l > float64(ReloadLoad) {
			slow = append(slow, l)
		} else {
			fast = append(fast, l)
		}
	}
	switch {
	case len(slow) == 0:
	case 2*len(slow) > len(loads):
		r.warn("model_reloaded", fmt.Sprintf("the median measured request waited %s for the model to load: the server loads it for every request (--keep-alive 0, or not enough memory to keep it)",
			time.Duration(median(loads)).Round(time.Millisecond)))
	default:
		n := 0
		for _, l := range slow {
			if l > 10*median(fast) {
				n++
			}
		}
		if n > 0 {
			r.warn("model_reloaded", fmt.Sprintf("%d of %d measured requests waited over %v for the model to load (up to %s): the server reloaded it during the run",
				n, len(loads), ReloadLoad, time.Duration(slices.Max(slow)).Round(time.Millisecond)))
		}
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	c := slices.Clone(xs)
	slices.Sort(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// NewRunID returns a random 16-hex-digit run identifier.
func NewRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// memorySampler wraps the RSS sampler of the local server, if there is one.
type memorySampler struct {
	s   *RSSSampler
	mem *Memory
}

func startMemorySampler(ctx context.Context, base *url.URL, every time.Duration, mem *Memory) *memorySampler {
	ms := &memorySampler{mem: mem}
	mem.SampleIntervalNs = int64(every)
	pid, ok, err := FindServerPID(ctx, base)
	switch {
	case err != nil:
		mem.RSSUnavailable = "finding the server process: " + err.Error()
	case !ok:
		mem.RSSUnavailable = "the server is not a process on this machine (or its socket is not readable)"
	default:
		mem.ServerPID = pid
		ms.s = NewRSSSampler(pid, every)
		ms.s.Start(ctx)
	}
	return ms
}

func (m *memorySampler) stop() {
	if m.s == nil {
		return
	}
	peak, n, err := m.s.Stop()
	m.s = nil
	m.mem.RSSSamples = n
	switch {
	case n > 0 && peak > 0:
		m.mem.ServerRSSPeakBytes = ptr(peak)
	case err != nil:
		m.mem.RSSUnavailable = "sampling the server's memory: " + err.Error()
	default:
		m.mem.RSSUnavailable = "no memory sample was taken"
	}
}

func countFailed(ss []Sample) int {
	n := 0
	for _, s := range ss {
		if !s.OK {
			n++
		}
	}
	return n
}
