package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/yardstick-dev/yardstick/internal/hostmon"
)

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

// Memory is what the run saw of memory (docs/metrics.md "Memory").
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

	// Parallel is the number of requests the server serves at once, each with its own
	// KV cache slot of num_ctx tokens (Ollama: OLLAMA_NUM_PARALLEL); ParallelSource
	// says where it came from: "flag" (--server-parallel), "server environment
	// (OLLAMA_NUM_PARALLEL=4)", "/api/ps arithmetic (…)", "default …". 0 in run files
	// written before it.
	Parallel       int    `json:"parallel,omitempty"`
	ParallelSource string `json:"parallel_source,omitempty"`
	// KVCacheType is the KV cache type the server holds the cache in (f16, q8_0,
	// q4_0), found the same way; KVCacheTypeSource says where it came from.
	KVCacheType       string `json:"kv_cache_type,omitempty"`
	KVCacheTypeSource string `json:"kv_cache_type_source,omitempty"`
	// OtherModelsLoaded names the models the server held besides this one when the
	// runtime base was read: the server's resident set (runtime base and peak alike)
	// includes their runners.
	OtherModelsLoaded []string `json:"other_models_loaded,omitempty"`
	// FlashAttention is "on" or "off" when the server's environment sets it
	// (OLLAMA_FLASH_ATTENTION), empty when it does not (Ollama then decides per model
	// and device) or was not read.
	FlashAttention string `json:"flash_attention,omitempty"`
	// RuntimeBaseBytes is the server's resident set (its whole process tree) after the
	// cold phase unloaded the model and before it loaded it again: the runtime's own
	// memory. Absent, with RuntimeBaseUnavailable saying why, without a cold phase or a
	// local server.
	RuntimeBaseBytes       *uint64 `json:"runtime_base_bytes,omitempty"`
	RuntimeBaseUnavailable string  `json:"runtime_base_unavailable,omitempty"`
	// AvailableBytes is the host memory the server could hold before the model loaded:
	// MemAvailable (/proc/meminfo) plus the server's resident set then, both read at the
	// same moment (after the cold phase's unload when there is one). Headroom is this
	// less the RSS peak. AvailableUnavailable says why it is absent.
	AvailableBytes       *uint64 `json:"available_bytes,omitempty"`
	AvailableSource      string  `json:"available_source,omitempty"`
	AvailableUnavailable string  `json:"available_unavailable,omitempty"`
	// SwappedInBytes and SwappedOutBytes are the pages the machine swapped in and out
	// from the first request to the last (/proc/vmstat pswpin, pswpout deltas × the
	// page size); not zero, the run measured the disk. SwapUnavailable says why they
	// are absent.
	SwappedInBytes  *uint64 `json:"swapped_in_bytes,omitempty"`
	SwappedOutBytes *uint64 `json:"swapped_out_bytes,omitempty"`
	SwapUnavailable string  `json:"swap_unavailable,omitempty"`
	// DeviceUsedPeakBytes is the peak GPU memory in use, summed over GPUs, sampled every
	// SampleIntervalNs while the run went on (nvidia-smi memory.used; every process's,
	// not only the server's); absent without nvidia-smi, with DeviceUnavailable saying
	// why when it was there and failed.
	DeviceUsedPeakBytes *uint64 `json:"device_used_peak_bytes,omitempty"`
	DeviceSamples       int     `json:"device_samples,omitempty"`
	DeviceUnavailable   string  `json:"device_unavailable,omitempty"`
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
	// Servers is how many servers the level measured: all of a run's, less those
	// stopped before it for failing (warning server_aborted).
	Servers int `json:"servers"`
	// Dropped counts, in an open loop measured for --duration, the requests that fell
	// due before the duration ended but were never sent: every slot of the
	// --concurrency cap stayed busy. They are neither samples nor in any rate.
	Dropped int    `json:"dropped,omitempty"`
	Window  Window `json:"window"`
}

// add accounts for one measured sample of the level: the window runs from the first
// measured send to the last successful done.
func (lv *Level) add(s Sample) {
	lv.Requests++
	if lv.Window.StartNs == 0 || s.SentAtNs < lv.Window.StartNs {
		lv.Window.StartNs = s.SentAtNs
	}
	if s.OK {
		lv.Window.EndNs = max(lv.Window.EndNs, s.SentAtNs+*s.E2ENs)
	}
}

// spanLevels sets the run's window from its closed levels' windows: from the first
// level's start to the last one's end, and as duration the levels' own durations
// summed (at most that span). Levels run one after another; between them a prompt
// sweep sends its warm-ups, which are not measured.
func (r *Result) spanLevels() {
	var levelsNs int64
	for _, lv := range r.Levels {
		if lv.Requests == 0 {
			continue
		}
		if r.Window.StartNs == 0 || lv.Window.StartNs < r.Window.StartNs {
			r.Window.StartNs = lv.Window.StartNs
		}
		r.Window.EndNs = max(r.Window.EndNs, lv.Window.EndNs)
		levelsNs += lv.Window.DurationNs
	}
	if r.Window.EndNs > r.Window.StartNs {
		r.Window.DurationNs = min(levelsNs, r.Window.EndNs-r.Window.StartNs)
	}
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
	switch {
	case opts.TraceFile != "" && len(opts.Trace) == 0:
		return nil, fmt.Errorf("--trace %s: the trace's requests were not given (Options.Trace)", opts.TraceFile)
	case opts.Turns == TurnsAll && len(opts.Conversations) == 0:
		return nil, errors.New("--turns all takes every turn of a dataset's conversations: give the conversations (--dataset), or a number of turns")
	}
	if observe == nil {
		observe = func(Event) {}
	}
	r := &runner{ctx: ctx, opts: opts, observe: observe, dur: dur, rs: dur.Resume, jr: dur.Journal,
		began: time.Now(), levels: opts.Levels(), target: opts.PromptTokens}
	if rs := r.rs; rs != nil {
		if opts.RunID != rs.Header.RunID {
			return nil, fmt.Errorf("resuming: run id %q is not the journal's %q", opts.RunID, rs.Header.RunID)
		}
		if len(targets) > 1 || !opts.Resumable() {
			return nil, errors.New("resuming: only a run of one server and one sequential level, measured by count, can be resumed")
		}
		// Offsets continue after the journal's last one: the window leaves out the
		// time the run was stopped.
		r.began = r.began.Add(-time.Duration(rs.LastOffsetNs()) - time.Millisecond)
	}
	if opts.RunID == "" {
		opts.RunID = NewRunID()
		r.opts.RunID = opts.RunID
	}
	res := &Result{
		RunID:     opts.RunID,
		Options:   opts,
		StartedAt: r.began.UTC().Round(time.Millisecond),
		Warmup:    []Sample{},
		Samples:   []Sample{},
		Levels:    []Level{},
		Warnings:  []Warning{},
	}
	r.res = res
	res.Options.Backend = targets[0].Name()
	res.Options.Host = Redact(targets[0].URL().String())
	res.Options.Hosts = nil
	if len(targets) > 1 {
		for _, b := range targets {
			res.Options.Hosts = append(res.Options.Hosts, Redact(b.URL().String()))
		}
	}
	if r.rs != nil {
		res.StartedAt = r.rs.Header.StartedAt
	}

	if err := r.describeTargets(targets); err != nil {
		r.stopSamplers()
		return nil, err
	}
	r.work = NewWorkload(opts.Seed, res.RunID, r.target-opts.PrefixTokens)
	r.work.PrefixWords = opts.PrefixTokens
	r.startHostMemory()
	if err := r.coldLoads(); err != nil {
		r.stopSamplers()
		return nil, err
	}
	r.warmFails, r.measFails = newFailures(len(r.members)), newFailures(len(r.members))
	r.serverDown = make([]bool, len(r.members))
	res.EndReason = EndCompleted
	rewarmed := false
	if r.rs != nil {
		rewarmed = r.resumeWarmups()
	} else {
		r.warmup(0, 0)
	}
	res.PromptWords = r.work.Words
	if ctx.Err() == nil && res.EndReason == EndCompleted && (r.rs == nil || !r.rs.Header.Calibrated) {
		r.journal(func() error { return r.jr.calibrated(r.work.Words) })
	}
	if rs := r.rs; rs != nil {
		res.warn(CodeResumed, fmt.Sprintf("resumed from a journal holding %d of %d measured requests; offsets continue after its last, so the window leaves out the time the run was stopped; energy, host CPU and server memory cover only the requests sent after resuming%s",
			len(rs.Samples), opts.Runs, map[bool]string{true: "; one new uncounted warm-up request was sent first, as the server may have unloaded the model meanwhile", false: ""}[rewarmed]))
	}

	cpu := hostmon.StartCPU(ctx, r.members[0].mem.ServerPID)
	energy := hostmon.StartEnergy(ctx, opts.sampleEvery())
	res.Stopping.Rule = "fixed"
	if opts.Duration > 0 {
		res.Stopping.Rule = "duration"
	}
	if opts.RunsAuto {
		res.Stopping = Stopping{Rule: "auto", Metric: AutoMetric, PrecisionFrac: opts.Precision, Reason: StopCap}
	}
	r.measure()
	return r.finish(energy, cpu)
}

// lastOK returns the last successful sample of ss, or nil.
func lastOK(ss []Sample) *Sample {
	for i := len(ss) - 1; i >= 0; i-- {
		if ss[i].OK {
			return &ss[i]
		}
	}
	return nil
}

func bump(n int, ok bool) int {
	if ok {
		return 0
	}
	return n + 1
}

func (r *Result) warn(code Code, msg string) { r.Warnings = append(r.Warnings, Warning{code, msg}) }

func (r *Result) succeeded() int {
	n := 0
	for i := range r.Samples {
		if r.Samples[i].OK {
			n++
		}
	}
	return n
}

// endWarnings adds the warnings about how the run ended: failed requests, an abort on
// errors, --runs auto stopped by its cap, an interrupt. What the samples show about the
// server (early stops, cache hits, reloads, ...) is judged by package results when it
// builds the run file.
func (r *Result) endWarnings() {
	failed := map[ErrorKind]int{}
	for i := range r.Samples {
		if s := &r.Samples[i]; !s.OK {
			failed[s.ErrorKind]++
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
		r.warn(CodeFailedRequests, fmt.Sprintf("%d of %d measured requests failed (%v); summaries use the %d that succeeded",
			total, len(r.Samples), kinds, len(r.Samples)-total))
	}
	if r.EndReason == EndErrors {
		if l := r.Options.MaxErrors; l.IsSet {
			r.warn(CodeAborted, fmt.Sprintf("run stopped when its failed requests exceeded --max-errors %s", l.String()))
		} else {
			r.warn(CodeAborted, fmt.Sprintf("run stopped after %d consecutive failed requests", MaxConsecutiveFailures))
		}
	}
	if st := r.Stopping; st.Rule == "auto" && st.Reason == StopCap && r.EndReason == EndCompleted {
		achieved := "no interval"
		if st.AchievedFrac != nil {
			achieved = fmt.Sprintf("±%.1f%%", 100**st.AchievedFrac)
		}
		r.warn(CodePrecisionNotReached, fmt.Sprintf("--runs auto reached its cap of %d requests with the %s median known to %s, not the ±%.1f%% asked",
			r.Options.Runs, st.Metric, achieved, 100*st.PrecisionFrac))
	}
	if r.EndReason == EndInterrupted {
		asked := ""
		if r.Options.Duration <= 0 {
			asked = fmt.Sprintf(" of %d", r.Options.Runs*len(r.Options.Levels())*max(1, len(r.Options.Hosts)))
		}
		r.warn(CodeInterrupted, fmt.Sprintf("run interrupted after %d%s measured requests", len(r.Samples), asked))
	}
}

// NewRunID returns a random 16-hex-digit run identifier.
func NewRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Energy and HostCPU are the host's figures over the measured window
// (internal/hostmon; docs/metrics.md "Energy and cost").
type (
	Energy  = hostmon.Energy
	HostCPU = hostmon.HostCPU
)

// memorySampler samples the memory of the local server, if there is one, into mem:
// found when the run describes its servers, started once the cold phase has unloaded
// the model (or at once without one), so that the peak is this run's.
type memorySampler struct {
	ctx     context.Context
	every   time.Duration
	s       hostmon.Sampler[hostmon.RSS]
	mem     *Memory
	started bool
	// envErr says why the server's environment could not be read.
	envErr error
	env    map[string]string
	args   []string
}

// procRoot is where the samplers read /proc; tests point it at a fixture.
var procRoot = hostmon.ProcRoot

func newMemorySampler(ctx context.Context, base *url.URL, every time.Duration, mem *Memory) *memorySampler {
	ms := &memorySampler{ctx: ctx, every: every, mem: mem}
	mem.SampleIntervalNs = int64(every)
	pid, ok, err := hostmon.FindServerPID(ctx, base)
	switch {
	case err != nil:
		mem.RSSUnavailable = "finding the server process: " + err.Error()
		ms.envErr = errors.New(mem.RSSUnavailable)
	case !ok:
		mem.RSSUnavailable = "the server is not a process on this machine (or its socket is not readable)"
		ms.envErr = errors.New(mem.RSSUnavailable)
	default:
		mem.ServerPID = pid
		ms.env, ms.args, ms.envErr = hostmon.ProcessEnv(procRoot, pid)
	}
	return ms
}

// baseline reads, before the model loads, the memory available to the server and,
// when unloaded (the cold phase has just unloaded the model), the server's own
// resident set: the runtime base.
func (m *memorySampler) baseline(unloaded bool) {
	mem := m.mem
	if unloaded && mem.ServerPID != 0 {
		m.awaitRunnerExit(len(mem.OtherModelsLoaded))
	}
	avail, aerr := hostmon.MemAvailable(procRoot)
	var rss uint64
	var rerr error
	if mem.ServerPID != 0 {
		rss, rerr = hostmon.TreeRSS(m.ctx, mem.ServerPID)
	}
	switch {
	case mem.ServerPID == 0:
		mem.AvailableUnavailable = "the server is not a process on this machine: its memory is not this machine's"
	case aerr != nil:
		mem.AvailableUnavailable = aerr.Error()
	case rerr != nil:
		mem.AvailableUnavailable = "reading the server's memory: " + rerr.Error()
	default:
		mem.AvailableBytes = ptr(avail + rss)
		mem.AvailableSource = "MemAvailable + the server's resident set, before the model loaded"
		if !unloaded {
			mem.AvailableSource = "MemAvailable + the server's resident set at the start (the model may have been loaded)"
		}
	}
	switch {
	case !unloaded:
		mem.RuntimeBaseUnavailable = "no cold phase unloaded the model, so the server was not seen without it: the runtime base is an estimate"
	case mem.ServerPID == 0:
		mem.RuntimeBaseUnavailable = "the server is not a process on this machine: the runtime base is an estimate"
	case rerr != nil:
		mem.RuntimeBaseUnavailable = "reading the server's memory after the unload: " + rerr.Error() + "; the runtime base is an estimate"
	default:
		mem.RuntimeBaseBytes = ptr(rss)
		mem.RuntimeBaseUnavailable = ""
	}
}

// runnerExitWait bounds how long the baseline waits for the unloaded model's runner
// process to end: Ollama stops listing a model in /api/ps before its runner has exited.
const runnerExitWait = 5 * time.Second

// awaitRunnerExit waits, at most runnerExitWait, until the server has no more child
// processes than the others models it holds (one runner each), so that the runtime
// base does not count the unloaded model's runner on its way out.
func (m *memorySampler) awaitRunnerExit(others int) {
	deadline := time.Now().Add(runnerExitWait)
	for {
		n, err := hostmon.ChildCount(m.ctx, m.mem.ServerPID)
		if err != nil || n <= others || time.Now().After(deadline) || m.ctx.Err() != nil {
			return
		}
		select {
		case <-m.ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// start begins sampling; calls after the first do nothing.
func (m *memorySampler) start() {
	if m.started {
		return
	}
	m.started = true
	if m.mem.ServerPID != 0 {
		m.s = hostmon.StartRSS(m.ctx, m.mem.ServerPID, m.every)
	}
}

func (m *memorySampler) stop() {
	if m.s == nil {
		return
	}
	rss := m.s.Stop()
	m.s = nil
	m.mem.RSSSamples = rss.Samples
	switch {
	case rss.Samples > 0 && rss.PeakBytes > 0:
		m.mem.ServerRSSPeakBytes = ptr(rss.PeakBytes)
	case rss.Err != nil:
		m.mem.RSSUnavailable = "sampling the server's memory: " + rss.Err.Error()
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
