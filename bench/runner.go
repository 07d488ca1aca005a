package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yardstick-dev/yardstick/internal/hostmon"
	"github.com/yardstick-dev/yardstick/internal/stat"
)

// runner is one run in progress: RunDurable's state and its phases, each a method.
// Phases run on the calling goroutine, in order (targets, cold loads, warm-ups, each
// level, finish); only a level's requests run on other goroutines, and their samples
// come back to the caller's goroutine through one channel (measureLevel), so the
// fields below need no lock but the journal's and measuredIndex.
type runner struct {
	ctx     context.Context
	opts    Options
	observe Observer
	dur     Durable
	rs      *JournalData // the journal being resumed, or nil
	began   time.Time    // the run's clock origin: every _ns offset is from it
	levels  []LevelSpec
	members []*member
	res     *Result

	work          *Workload
	target        int          // the prompt length aimed at now (the level's)
	measuredIndex atomic.Int64 // the next measured request's index
	sentMeasured  atomic.Int64 // measured requests sent by this process
	// unsent is set when an interrupt left a live server's requests of a level unsent.
	unsent bool
	// convNext numbers the conversations started (conversation.go); levelStart is when
	// the level being measured began; trace is the trace being replayed (trace.go), or
	// nil.
	convNext   atomic.Int64
	levelStart time.Time
	trace      *traceReplay

	jr         *Journal
	journalMu  sync.Mutex
	journalErr error

	// Warm-up and measured failures are counted apart (a warm-up phase is judged on
	// its own); failures in a row are counted per server, so one server that stops
	// answering does not end the others' measuring.
	warmFails, measFails *failures
	serverDown           []bool    // servers stopped for failing in a row
	rates                []float64 // --runs auto: the decode rates so far
	// halts[t] stops server t's load in the level being measured; take closes it when
	// that server fails too often in a row, and every one of them when the run stops.
	halts    []chan struct{}
	haltOnce []sync.Once
	// swap and device watch the machine's swap and GPU memory from the cold phase on.
	swap   hostmon.Sampler[hostmon.Swap]
	device hostmon.Sampler[hostmon.DeviceMemory]
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

// failures counts failed requests: in a row per server, and in total.
type failures struct {
	inRow []int
	total int
}

func newFailures(servers int) *failures { return &failures{inRow: make([]int, servers)} }

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// journal runs f on the journal unless there is none or it failed before; a failure
// stops the journal, not the run.
func (r *runner) journal(f func() error) {
	r.journalMu.Lock()
	defer r.journalMu.Unlock()
	if r.jr == nil || r.journalErr != nil {
		return
	}
	if r.journalErr = f(); r.journalErr != nil {
		r.journalErr = fmt.Errorf("%w; the journal stopped there (the run file still gets everything)", r.journalErr)
	}
}

func (r *runner) record(l journalLine) { r.journal(func() error { return r.jr.add(l) }) }

// meta bounds one metadata call by MetadataTimeout.
func (r *runner) meta() (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.ctx, MetadataTimeout)
}

func (r *runner) stopSamplers() {
	for _, m := range r.members {
		if m != nil && m.sampler != nil {
			m.sampler.stop()
		}
	}
	if len(r.members) == 0 || r.members[0] == nil {
		return
	}
	mem := &r.members[0].mem
	if r.swap != nil {
		sw := r.swap.Stop()
		r.swap = nil
		if sw.Err != nil {
			mem.SwapUnavailable = sw.Err.Error()
		} else {
			mem.SwappedInBytes, mem.SwappedOutBytes = ptr(sw.InBytes), ptr(sw.OutBytes)
		}
	}
	if r.device != nil {
		d := r.device.Stop()
		r.device = nil
		mem.DeviceSamples = d.Samples
		if d.Err != nil {
			mem.DeviceUnavailable = d.Source + ": " + d.Err.Error()
		} else {
			mem.DeviceUsedPeakBytes = ptr(d.PeakUsedBytes)
		}
	}
}

// startHostMemory starts watching the machine's swap and GPU memory for the rest of
// the run.
func (r *runner) startHostMemory() {
	r.swap = hostmon.StartSwap(procRoot)
	if d := hostmon.StartDeviceMemory(r.ctx, r.opts.sampleEvery()); d != nil {
		r.device = d
	}
}

// describeTargets asks every server what it is and serves, starts its memory sampler,
// and warns about what the answers say. An unreachable server or unknown model is an
// error.
func (r *runner) describeTargets(targets []Backend) error {
	opts, res := r.opts, r.res
	r.members = make([]*member, len(targets))
	for t, b := range targets {
		m := &member{b: b, target: Target{Backend: b.Name(), Host: Redact(b.URL().String())}}
		m.mm, _ = b.(ModelManager)
		r.members[t] = m
		where := ""
		if len(targets) > 1 {
			where = fmt.Sprintf("%s: ", m.target.Host)
		}
		mctx, cancel := r.meta()
		version, err := b.Version(mctx)
		cancel()
		if err != nil {
			return fmt.Errorf("%s%w", where, err)
		}
		m.target.ServerVersion = version
		mctx, cancel = r.meta()
		mi, err := b.Describe(mctx, opts.Model, opts.KVCacheType)
		cancel()
		if err != nil {
			return fmt.Errorf("%s%w", where, err)
		}
		m.target.Model = mi
		m.sampler = newMemorySampler(r.ctx, b.URL(), opts.sampleEvery(), &m.mem)
		r.findSettings(m)
	}
	res.Target = r.members[0].target
	mi := res.Target.Model
	if rs := r.rs; rs != nil {
		if d := rs.Header.Target.Model.Digest; d != "" && mi.Digest != "" && !sameDigest(d, mi.Digest) {
			return fmt.Errorf("%w: %q is not the model the journal measured (digest %.12s, now %.12s); start a new run", ErrResumeMismatch, opts.Model, d, mi.Digest)
		}
	} else {
		r.journal(func() error {
			return r.jr.begin(JournalHeader{RunID: res.RunID, StartedAt: res.StartedAt, Options: res.Options, Target: res.Target})
		})
	}
	if mi.Synthetic != nil {
		res.warn(CodeSyntheticWeights, fmt.Sprintf("%s is a shape twin of %s (%s) with random weights: its speed and memory stand for the real model, its text is noise",
			opts.Model, mi.Synthetic.Shape, mi.Synthetic.Quant))
	}
	if mi.ContextLength > 0 && uint64(opts.NumCtx) > mi.ContextLength {
		res.warn(CodeNumCtxBeyondModel, fmt.Sprintf("--num-ctx %d exceeds the model's trained context of %d tokens", opts.NumCtx, mi.ContextLength))
	}
	for t := 1; t < len(r.members); t++ {
		if a, b := r.members[0].target.Model.Digest, r.members[t].target.Model.Digest; a != "" && b != "" && !sameDigest(a, b) {
			res.warn(CodeFleetModelsDiffer, fmt.Sprintf("%s serves %q with digest %.12s, %s with %.12s: the servers do not run the same model files",
				r.members[0].target.Host, opts.Model, a, r.members[t].target.Host, b))
		}
	}
	if res.Target.Backend == "openai" && (opts.IgnoreEOS || opts.MinTokens > 0) && mi.Architecture != "" {
		// Only Ollama's own API described the model (OpenAI.ollamaIdentity).
		res.warn(CodeOptionsNotSent, "the server behind this OpenAI-compatible API is Ollama (its /api/show described the model), whose /v1 has no ignore_eos or min_tokens (openai/openai.go ChatCompletionRequest, v0.24.0) and drops them: outputs are not held to a fixed length, and a request that stops early stays flagged stopped_early")
	}
	if res.Target.Backend == "openai" {
		res.warn(CodeOptionsNotSent, "the OpenAI API has no num_ctx or keep_alive: the server's own context size and model lifetime apply, whatever --num-ctx and --keep-alive say; --think, when given, is sent as chat_template_kwargs.enable_thinking and, for a level, reasoning_effort, which a server or chat template may ignore; without --think neither is sent and the server's default applies")
	}
	pids := map[int32]string{}
	for _, m := range r.members {
		if pid := m.mem.ServerPID; pid != 0 {
			if other, ok := pids[pid]; ok {
				res.warn(CodeSameServer, fmt.Sprintf("%s and %s are the same server process (pid %d): the run measures one server under twice the load, not two", other, m.target.Host, pid))
			}
			pids[pid] = m.target.Host
		}
	}
	if r.members[0].mm == nil {
		res.warn(CodeNoModelManagement, fmt.Sprintf("the %s backend cannot unload models or list loaded ones: no cold load was measured and the model's size comes from no server report", res.Target.Backend))
	}
	return nil
}

// send sends one request to server t and returns its sample. A measured request takes
// the next measured index (its prompt is that index's); the others use index and
// promptIndex as given. scheduledNs is the open loop's due time, 0 elsewhere.
func (r *runner) send(t int, phase Phase, index, promptIndex int, scheduledNs int64) Sample {
	opts := r.opts
	if phase == PhaseMeasured {
		index = int(r.measuredIndex.Add(1) - 1)
		promptIndex = index
		r.sentMeasured.Add(1)
	}
	p := r.prompt(promptIndex)
	s := Sample{Index: index, Phase: phase, Target: t, Nonce: p.nonce, PromptWords: p.words, ScheduledAtNs: scheduledNs,
		MaxTokensAsked: p.ownMaxTokens, ConversationID: p.record, PrefixGroup: p.group, PrefixWords: p.prefixWords}
	// The request outlives an interrupt by opts.Grace: one that finishes within it is
	// kept, one that does not is abandoned.
	gctx, abandon := context.WithCancelCause(context.WithoutCancel(r.ctx))
	defer abandon(nil)
	stopWatch := context.AfterFunc(r.ctx, func() {
		t := time.NewTimer(opts.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			abandon(errGraceOver)
		case <-r.dur.Abandon:
			abandon(errGraceOver)
		case <-gctx.Done():
		}
	})
	defer stopWatch()
	rctx, cancel := context.WithTimeout(gctx, opts.RequestTimeout)
	defer cancel()
	r.members[t].b.Stream(rctx, r.began, Request{
		Model: opts.Model, System: p.system, User: p.user, MaxTokens: p.maxTokens,
		Seed: opts.Seed, Temperature: opts.Temperature, NumCtx: opts.NumCtx,
		Think: opts.Think, ThinkSet: opts.ThinkSet, KeepAlive: opts.KeepAlive, FirstTokenTimeout: opts.FirstTokenTimeout,
		IgnoreEOS: opts.IgnoreEOS, MinTokens: opts.MinTokens, ExtraBody: opts.ExtraBody,
	}, &s)
	// rctx descends from gctx alone, so a canceled request was abandoned.
	if s.ErrorKind == ErrCanceled {
		s.Error = fmt.Sprintf("abandoned: the run was interrupted and the request did not finish within --grace %v", opts.Grace)
	}
	return s
}

// calibrate aims the prompt at the current target from a successful request; behind
// a shared prefix, the prefix and the body together (Workload.calibratePrefixed).
func (r *runner) calibrate(s Sample) {
	switch {
	case !s.OK:
	case r.opts.PrefixTokens > 0:
		r.work.calibratePrefixed(s.PromptWords, s.PrefixWords, s.PromptTokens, r.opts.PrefixTokens, r.target)
	default:
		r.work.Calibrate(s.PromptWords, s.PromptTokens, r.target)
	}
}

// coldLoads unloads the model on every server that can, and times the first request
// after it. A failed cold request is an error: the server cannot serve the model.
func (r *runner) coldLoads() error {
	opts := r.opts
	for t, m := range r.members {
		if t == 0 && r.rs != nil && r.rs.Cold != nil {
			m.cold = r.rs.Cold
			r.calibrate(m.cold.Sample)
			continue
		}
		if opts.SkipColdLoad || m.mm == nil {
			continue
		}
		t0 := time.Now()
		uctx, cancel := context.WithTimeout(r.ctx, 2*MetadataTimeout)
		was, err := m.mm.Unload(uctx, opts.Model, m.target.Model.Digest, 60*time.Second)
		cancel()
		if err != nil {
			return err
		}
		// The model is out: the server's memory now is its runtime's own, and the peak
		// sampled from here on is this run's load.
		r.otherModels(m)
		m.sampler.baseline(true)
		m.sampler.start()
		cold := &ColdLoad{WasLoaded: was, UnloadNs: int64(time.Since(t0))}
		cold.Sample = r.send(t, PhaseCold, 0, -1, 0)
		r.observe(Event{Phase: PhaseCold, Done: t + 1, Total: len(r.members), Sample: &cold.Sample})
		if !cold.Sample.OK {
			if r.ctx.Err() != nil {
				return fmt.Errorf("interrupted during the cold-load request: nothing measured")
			}
			return fmt.Errorf("first request to %q at %s failed (%s): %s", opts.Model, m.target.Host, cold.Sample.ErrorKind, cold.Sample.Error)
		}
		r.calibrate(cold.Sample)
		m.cold = cold
		if t == 0 {
			r.record(journalLine{Cold: cold})
		}
	}
	r.res.Cold = r.members[0].cold
	for _, m := range r.members {
		if !m.sampler.started {
			r.otherModels(m)
			m.sampler.baseline(false)
			m.sampler.start()
		}
		if m.cold != nil {
			r.readPS(m)
		}
	}
	return nil
}

// readPS reads, once per server, what /api/ps says of the loaded model (it lists the
// model only once a request has loaded it).
func (r *runner) readPS(m *member) {
	if m.psRead {
		return
	}
	m.psRead = true
	if m.mm == nil {
		m.mem.ModelSizeUnavailable = fmt.Sprintf("the %s backend does not report the loaded model's size", m.b.Name())
		return
	}
	mctx, cancel := r.meta()
	defer cancel()
	ps, err := m.mm.Running(mctx, r.opts.Model, m.target.Model.Digest)
	switch {
	case err != nil:
		m.mem.ModelSizeUnavailable = err.Error()
	case ps == nil:
		m.mem.ModelSizeUnavailable = "/api/ps did not list the model after a successful request"
	case ps.Size < 0 || ps.SizeVRAM < 0 || ps.SizeVRAM > ps.Size || ps.ContextLength < 0:
		// Figures no loaded model has are not recorded as memory.
		m.mem.ModelSizeUnavailable = fmt.Sprintf("/api/ps reports impossible figures (size %d, size_vram %d, context_length %d)", ps.Size, ps.SizeVRAM, ps.ContextLength)
	default:
		m.mem.ModelSizeBytes, m.mem.ModelVRAMBytes = ptr(ps.Size), ptr(ps.SizeVRAM)
		m.mem.LoadedContextLength = ps.ContextLength
		m.mem.ModelSizeUnavailable = ""
	}
	r.settleParallel(m)
}

// tooMany applies --max-errors to f's total when it is set, else the
// consecutive-failure rule to server t.
func (r *runner) tooMany(f *failures, t int, ok bool, asked int) bool {
	f.inRow[t] = bump(f.inRow[t], ok)
	if !ok {
		f.total++
	}
	if r.opts.MaxErrors.IsSet {
		return f.total > r.opts.MaxErrors.Allowed(asked)
	}
	return f.inRow[t] >= MaxConsecutiveFailures
}

// warmup sends the uncounted requests from the first'th on, to every server in turn,
// calibrating the prompt on each; level is the level they prepare.
func (r *runner) warmup(first, level int) {
	opts, res := r.opts, r.res
	for i := first; i < opts.Warmup && r.ctx.Err() == nil && res.EndReason == EndCompleted; i++ {
		for t, m := range r.members {
			if r.serverDown[t] {
				continue
			}
			n := len(res.Warmup)
			s := r.send(t, PhaseWarmup, n, -2-n, 0)
			if s.ErrorKind == ErrCanceled {
				return // abandoned at an interrupt: not a measurement
			}
			s.Level = level
			r.calibrate(s)
			if s.OK {
				r.readPS(m)
			}
			res.Warmup = append(res.Warmup, s)
			r.record(journalLine{Sample: &s})
			r.observe(Event{Phase: PhaseWarmup, Done: i + 1, Total: opts.Warmup, Level: level, Levels: len(r.levels), Sample: &s})
			if r.tooMany(r.warmFails, t, s.OK, opts.Warmup*len(r.members)) && r.failedServer(t) {
				return
			}
		}
	}
}

// resumeWarmups takes the journal's warm-ups and, when it also holds measured
// requests still to be continued, sends one new uncounted warm-up (the server may have
// unloaded the model meanwhile). It returns whether that warm-up was sent.
func (r *runner) resumeWarmups() (rewarmed bool) {
	rs, res := r.rs, r.res
	res.Warmup = append(res.Warmup, rs.Warmup...)
	for _, s := range rs.Warmup {
		r.calibrate(s)
		if r.tooMany(r.warmFails, 0, s.OK, r.opts.Warmup) {
			res.EndReason = EndErrors
		}
	}
	if rs.Header.Calibrated {
		r.work.Words = rs.Header.PromptWords
	}
	if len(rs.Samples) == 0 && len(rs.Warmup) < r.opts.Warmup {
		r.warmup(len(rs.Warmup), 0)
		return false
	}
	if len(rs.Samples) >= r.opts.Runs || r.ctx.Err() != nil || res.EndReason != EndCompleted || r.replayEnds() {
		return false
	}
	// Not calibrated on: the measured prompts keep their length.
	s := r.send(0, PhaseWarmup, len(res.Warmup), -2-len(res.Warmup), 0)
	if s.ErrorKind != ErrCanceled {
		res.Warmup = append(res.Warmup, s)
		r.record(journalLine{Sample: &s})
		if s.OK {
			r.readPS(r.members[0])
		}
	}
	return true
}

// replayEnds reports whether the journal's measured requests alone end the run: --runs
// auto reaches its precision on them, or --max-errors (or the consecutive-failure
// rule) is already exceeded.
func (r *runner) replayEnds() bool {
	opts := r.opts
	f := newFailures(1)
	var rates []float64
	for _, s := range r.rs.Samples {
		if r.tooMany(f, 0, s.OK, opts.Runs) {
			return true
		}
		if opts.RunsAuto && s.OK && s.ServerGenPerS != nil {
			rates = append(rates, *s.ServerGenPerS)
			if half, ok := stat.MedianCIHalfWidthFrac(rates); ok && len(rates) >= opts.MinRuns && half <= opts.Precision {
				return true
			}
		}
	}
	return false
}

// asked is what --max-errors P% of measured requests is a share of: every measured
// request the run asks for, or, measured by duration, those sent so far (at least 20).
func (r *runner) asked() int {
	if r.opts.Duration > 0 {
		return max(20, len(r.res.Samples))
	}
	return r.opts.Runs * len(r.levels) * len(r.members)
}

// failedServer acts on server t's failures having gone too far: with --max-errors, or
// with one server, the run ends; in a fleet, server t alone is stopped (for the rest
// of the run, warm-ups included) and the run ends only when every server is. It
// returns true when the run ends.
func (r *runner) failedServer(t int) bool {
	res := r.res
	if r.opts.MaxErrors.IsSet || len(r.members) == 1 {
		res.EndReason = EndErrors
		return true
	}
	if !r.serverDown[t] {
		r.serverDown[t] = true
		r.stopServer(t)
		res.warn(CodeServerAborted, fmt.Sprintf("%s failed %d requests in a row: no more requests were sent to it; the other servers were measured on", r.members[t].target.Host, MaxConsecutiveFailures))
	}
	if !slices.Contains(r.serverDown, false) {
		res.EndReason = EndErrors
		return true
	}
	return false
}

func (r *runner) stopServer(t int) {
	if t < len(r.halts) {
		r.haltOnce[t].Do(func() { close(r.halts[t]) })
	}
}

// take accounts for one measured sample; it returns true when the run stops.
func (r *runner) take(s Sample) bool {
	opts, res := r.opts, r.res
	res.Levels[s.Level].add(s)
	res.Samples = append(res.Samples, s)
	if r.tooMany(r.measFails, s.Target, s.OK, r.asked()) {
		r.failedServer(s.Target)
	}
	if opts.RunsAuto && s.OK && s.ServerGenPerS != nil {
		r.rates = append(r.rates, *s.ServerGenPerS)
		if half, ok := stat.MedianCIHalfWidthFrac(r.rates); ok {
			res.Stopping.AchievedFrac = ptr(half)
			if len(r.rates) >= opts.MinRuns && half <= opts.Precision {
				res.Stopping.Reason = StopPrecision
				return true
			}
		}
	}
	return res.EndReason != EndCompleted
}

// nextPromptLength prepares level li's prompt length when it differs from the last
// level's: the calibrated words are re-aimed in one step from the last successful
// request, then the level's own warm-ups correct them. It returns false when the
// warm-ups ended the run.
func (r *runner) nextPromptLength(li int, tokens int) bool {
	res := r.res
	r.target = tokens
	last := lastOK(res.Samples)
	if last == nil {
		last = lastOK(res.Warmup)
	}
	if last == nil && res.Cold != nil && res.Cold.Sample.OK {
		last = &res.Cold.Sample
	}
	if last != nil {
		if pt := r.opts.PrefixTokens; pt > 0 {
			r.work.splitPrefix(r.work.Retarget(last.PromptWords+last.PrefixWords, last.PromptTokens, r.target), pt, r.target)
		} else {
			r.work.Retarget(last.PromptWords, last.PromptTokens, r.target)
		}
	}
	r.warmFails = newFailures(len(r.members))
	r.warmup(0, li)
	return r.ctx.Err() == nil && res.EndReason == EndCompleted
}

// measureLevel sends level li's measured requests to every server at once, each
// server paced by spec.Load, requests of them at most (its duration aside). Samples
// come back on one channel and are taken here, in the order they finish. It returns
// true when a sample stopped the run.
func (r *runner) measureLevel(li int, spec LevelSpec, requests int) (stopped bool) {
	opts, res := r.opts, r.res
	prior := len(res.Samples) // a resumed level's journal samples are not sent here
	total := 0
	if opts.Duration <= 0 {
		total = opts.Runs * len(r.members)
	}
	// Each worker waits until its sample is taken, so a sample that stops the run
	// (--max-errors, --runs auto) stops its worker before it sends another.
	type taken struct {
		s   Sample
		ack chan struct{}
	}
	results := make(chan taken, 64)
	r.halts = make([]chan struct{}, len(r.members))
	r.haltOnce = make([]sync.Once, len(r.members))
	for t := range r.halts {
		r.halts[t] = make(chan struct{})
		if r.serverDown[t] {
			r.stopServer(t) // stopped in an earlier level
		}
	}
	lim := Limit{Requests: uint64(requests), Duration: opts.Duration}
	var tracePacer Pacer // shared: a TracePacer is immutable
	if opts.Turns != 0 {
		// drive paces conversations: enough whole ones to hold --runs turns.
		convs, turns := r.conversationsFor(int(r.convNext.Load()), requests)
		lim.Requests = uint64(convs)
		if total > 0 {
			total = turns * len(r.members)
		}
	}
	if len(opts.Trace) > 0 {
		if r.trace == nil {
			r.trace = r.newTraceReplay() // sends its two calibrating requests
		}
		tracePacer = r.trace.pacer
		lim.Requests = uint64(min(requests, len(opts.Trace)))
		if total > 0 {
			total = int(lim.Requests) * len(r.members)
		}
	}
	r.levelStart = time.Now()
	var dropped atomic.Int64
	go func() {
		var wg sync.WaitGroup
		for t := range r.members {
			wg.Go(func() {
				pacer := tracePacer
				if pacer == nil {
					pacer = spec.Load.pacer(opts.Seed) // one per server: a Poisson pacer is not shared
				}
				n := drive(r.ctx, r.began, spec.Load, pacer, lim, r.halts[t], func(j job) {
					emit := func(s Sample) {
						s.Level = li
						ack := make(chan struct{})
						results <- taken{s, ack}
						<-ack
					}
					switch {
					case opts.Turns != 0:
						r.converse(t, j, emit)
					case r.trace != nil:
						emit(r.replay(t, j))
					default:
						emit(r.send(t, PhaseMeasured, 0, 0, j.scheduledNs))
					}
				})
				dropped.Add(int64(n))
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
		if r.take(s) {
			stopped = true
			for t := range r.members {
				r.stopServer(t)
			}
		}
		close(tk.ack) // the worker may go on; what follows does not decide whether it should
		if s.OK {
			r.readPS(r.members[s.Target])
		}
		r.record(journalLine{Sample: &s})
		r.observe(Event{Phase: PhaseMeasured, Done: res.Levels[li].Requests, Total: total, Level: li, Levels: len(r.levels), Sample: &res.Samples[len(res.Samples)-1]})
	}
	lv := &res.Levels[len(res.Levels)-1]
	r.closeWindow(lv)
	if r.ctx.Err() != nil && opts.Duration <= 0 {
		sent := make([]int, len(r.members))
		for _, s := range res.Samples[prior:] {
			if s.Level == li {
				sent[s.Target]++
			}
		}
		for t := range r.members {
			if !r.serverDown[t] && sent[t] < requests {
				r.unsent = true
			}
		}
	}
	active := 0
	for _, down := range r.serverDown {
		if !down {
			active++
		}
	}
	if opts.Duration > 0 && r.ctx.Err() == nil && !stopped && lv.Requests >= requests*active {
		res.warn(CodeRunsCapReached, fmt.Sprintf("level %d (%s) reached --runs %d before --duration %v was over: it measured for %v",
			li, spec.Load, requests, opts.Duration, time.Duration(lv.Window.DurationNs).Round(time.Millisecond)))
	}
	if spec.Load.Model == LoadClosed && opts.Duration <= 0 && requests < spec.Load.Concurrency {
		res.warn(CodeConcurrencyNotReached, fmt.Sprintf("level %d: --runs %d is fewer than its --concurrency %d, so at most %d requests were ever in flight", li, requests, spec.Load.Concurrency, requests))
	}
	if lv.Dropped = int(dropped.Load()); lv.Dropped > 0 {
		slots := fmt.Sprintf("every one of its --concurrency %d slots", spec.Load.Concurrency)
		if spec.Load.Concurrency == 0 {
			slots = fmt.Sprintf("all %d requests the client keeps in flight at most", MaxInFlight)
		}
		res.warn(CodeDroppedRequests, fmt.Sprintf("level %d (%s): %d requests fell due before --duration %v ended but were never sent, %s being busy: the server could not keep up with the schedule; they count as missed in the SLO",
			li, spec.Load, lv.Dropped, opts.Duration, slots))
	}
	return stopped
}

// closeWindow sets lv's window duration from its first send and last done. A resumed
// level measured in two stretches, the journal's requests and those sent after
// resuming, is the sum of the two: the time between them (the run was stopped, then
// a new warm-up) is not measuring time.
func (r *runner) closeWindow(lv *Level) {
	if lv.Window.EndNs <= lv.Window.StartNs {
		lv.Window.EndNs, lv.Window.DurationNs = lv.Window.StartNs, 0 // no request of the level succeeded
		return
	}
	lv.Window.DurationNs = lv.Window.EndNs - lv.Window.StartNs
	if r.rs == nil || lv.Index != 0 {
		return
	}
	// Each resume sent a warm-up between two stretches of measured requests (the time
	// the run was stopped is already out of the offsets): the window is the sum of the
	// stretches between those warm-ups.
	var cuts []int64
	for _, w := range r.res.Warmup {
		if w.SentAtNs > lv.Window.StartNs {
			cuts = append(cuts, w.SentAtNs)
		}
	}
	if len(cuts) == 0 {
		return
	}
	slices.Sort(cuts)
	stretches := make([]Window, len(cuts)+1)
	for _, s := range r.res.Samples {
		i, _ := slices.BinarySearch(cuts, s.SentAtNs)
		w := &stretches[i]
		if w.StartNs == 0 || s.SentAtNs < w.StartNs {
			w.StartNs = s.SentAtNs
		}
		if s.OK {
			w.EndNs = max(w.EndNs, s.SentAtNs+*s.E2ENs)
		}
	}
	lv.Window.DurationNs = 0
	for _, w := range stretches {
		lv.Window.DurationNs += max(0, w.EndNs-w.StartNs)
	}
}

// measure runs the levels in order until they are done or the run stops.
func (r *runner) measure() {
	res, rs := r.res, r.rs
	stopped := false
	if rs != nil {
		res.Levels = append(res.Levels, Level{Index: 0, LoadSpec: r.levels[0].Load, PromptTokens: r.levels[0].PromptTokens, PromptWords: r.work.Words, Servers: 1})
		for _, s := range rs.Samples {
			stopped = r.take(s)
		}
		r.measuredIndex.Store(int64(len(rs.Samples)))
	}
	for li, spec := range r.levels {
		if stopped || res.EndReason != EndCompleted {
			return
		}
		requests := r.opts.Runs
		if rs != nil && requests-len(rs.Samples) <= 0 {
			continue // a resumed run that was already complete
		}
		if r.ctx.Err() != nil {
			r.unsent = true // interrupted before this level (or, resumed, its rest) was sent
			return
		}
		if rs == nil {
			if li > 0 && spec.PromptTokens != r.target && !r.nextPromptLength(li, spec.PromptTokens) {
				return
			}
			res.Levels = append(res.Levels, Level{Index: li, LoadSpec: spec.Load, PromptTokens: spec.PromptTokens, PromptWords: r.work.Words,
				Servers: len(r.members) - countTrue(r.serverDown)})
			res.PromptWords = r.work.Words
		} else {
			requests -= len(rs.Samples)
		}
		stopped = r.measureLevel(li, spec, requests)
		if lv := res.Levels[len(res.Levels)-1]; lv.Requests == 0 && r.ctx.Err() != nil {
			res.Levels = res.Levels[:len(res.Levels)-1] // interrupted before any request of it ended
		}
	}
}

// finish closes the run: samples in the order sent, windows, the journal's last sync,
// energy, host CPU, memory, warnings, and the error that says why nothing succeeded,
// when nothing did.
func (r *runner) finish(energy hostmon.Sampler[Energy], cpu hostmon.Sampler[*HostCPU]) (*Result, error) {
	opts, res := r.opts, r.res
	// Samples arrive in the order they finish; the file keeps the order they were sent.
	slices.SortStableFunc(res.Samples, func(a, b Sample) int { return cmp.Compare(a.Index, b.Index) })
	for i := range res.Levels {
		r.closeWindow(&res.Levels[i]) // a level taken only from a journal was never measured here
	}
	res.spanLevels()
	r.journal(func() error { return r.jr.Sync() })
	if r.journalErr != nil {
		res.warn(CodeJournalFailed, r.journalErr.Error())
	}
	// An interrupt that came after every request asked had ended interrupted nothing.
	if r.ctx.Err() != nil && res.EndReason == EndCompleted && res.Stopping.Reason != StopPrecision &&
		(opts.Duration > 0 || r.unsent || len(res.Levels) < len(r.levels)) {
		res.EndReason = EndInterrupted
	}
	if res.EndReason == EndInterrupted && res.Stopping.Reason == StopCap {
		res.Stopping.Reason = "" // --runs auto neither reached its precision nor its cap
	}

	res.Energy = energy.Stop()
	// A resumed run that measured nothing here has no window of its own to describe.
	if h := cpu.Stop(); !(r.rs != nil && r.sentMeasured.Load() == 0) {
		res.HostCPU = h
	}
	r.stopSamplers()
	for _, m := range r.members {
		r.settleParallel(m)
		if !m.psRead && m.mem.ModelSizeUnavailable == "" {
			m.mem.ModelSizeUnavailable = "no request succeeded, so the loaded model was not listed"
		}
	}
	res.Memory = r.members[0].mem
	if len(r.members) > 1 {
		for _, m := range r.members {
			res.Fleet = append(res.Fleet, FleetMember{Target: m.target, Cold: m.cold, Memory: m.mem})
		}
	}
	res.EndedAt = time.Now().UTC().Round(time.Millisecond)
	res.endWarnings()
	if res.succeeded() > 0 {
		return res, nil
	}
	switch {
	case res.EndReason == EndErrors && len(res.Samples) == 0:
		return res, fmt.Errorf("aborted after %d failed warm-up requests, before any measured request (see --max-errors)", countFailed(res.Warmup))
	case res.EndReason == EndInterrupted:
		return res, errors.New("interrupted before any measured request completed")
	case len(res.Samples) == 0:
		return res, fmt.Errorf("no measured request was sent (--duration %v is shorter than one request's wait?)", opts.Duration)
	}
	asked := ""
	if opts.Duration <= 0 {
		asked = fmt.Sprintf(" (of %d asked)", opts.Runs*len(r.levels)*len(r.members))
	}
	return res, fmt.Errorf("all %d measured requests sent%s failed; first error (%s): %s",
		len(res.Samples), asked, res.Samples[0].ErrorKind, res.Samples[0].Error)
}
