// Package harness runs one benchmark as one library call: Run takes a Config (the
// options of `yardstick run`, already parsed) and returns an Outcome (the run file
// built and written, and how the run ended). It owns what lies between the command line
// and the measuring engine: host defaults, backends, resume rules, the journal, the
// hardware profile and machine record, the client self-test, building the run file
// (results.Build), the fallback write when the run file cannot be written, and progress
// through an observer that learns the planned request count from the engine.
//
// The harness never prints and never exits: a command renders the Outcome's run
// (results.RenderTable) and maps its Status and errors to an exit status.
package harness

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/calib"
	"github.com/yardstick-dev/yardstick/internal/atomicfile"
	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

// JournalSuffix names a run's journal after its run file: <run file>.journal.
const JournalSuffix = ".journal"

// Config is one benchmark run as `yardstick run` describes it. Options holds the
// workload and load model (bench.DefaultOptions with the flags applied); the other
// fields say where the run goes and how it is kept.
type Config struct {
	Options bench.Options
	// Hosts are the servers as given (--host, repeatable); empty means $OLLAMA_HOST,
	// then bench.DefaultOllamaHost (the OpenAI backend needs one). With Resume, at
	// most one, which must be the journal's server (it may carry credentials again).
	Hosts []string
	// Getenv reads the environment ($OLLAMA_HOST, the OpenAI key's variable); nil is
	// os.Getenv.
	Getenv func(string) string
	// Out is the run file's path; "" names one in OutDir after the model, the UTC time
	// and the run id (results.DefaultPath).
	Out, OutDir string
	// Resume is the journal of an interrupted run to finish (ReadResume), or nil.
	Resume *bench.JournalData
	// ResumePath is that journal's path; the run file is written beside it.
	ResumePath string
	// Profile names the hardware profile (--profile); ResolveProfile resolves it (nil:
	// profiles.ResolveProfile, which may probe memory bandwidth for about a second).
	Profile        string
	ResolveProfile func(ctx context.Context, nameOrPath string, hw profiles.Hardware) (profiles.Profile, error)
	// NoSelftest skips the client self-test (about 300 ms) recorded in the run.
	NoSelftest bool
	// Progress, when not nil, is called once before measuring with the number of
	// requests the engine plans to send (bench.Options.PlannedRequests: −1 when a
	// duration bounds the run) and returns the observer of every completed request.
	Progress func(planned int) bench.Observer
	// Abandon, when closed, abandons a request in flight after an interrupt at once
	// (a second Ctrl-C) instead of waiting for Options.Grace.
	Abandon <-chan struct{}
}

// Status is how a run that measured something ended.
type Status int

const (
	// Completed: every request succeeded and the run file is written.
	Completed Status = iota
	// RequestsFailed: measured requests failed (Outcome.Err counts them).
	RequestsFailed
	// Aborted: the run, or a server of its fleet, stopped after too many failures.
	Aborted
	// Interrupted: a signal stopped the run; what was measured is written.
	Interrupted
	// EngineFailed: the engine returned an error after measuring something.
	EngineFailed
	// WriteFailed: the run file could not be written at Out; Outcome.Path is the
	// fallback in the temporary directory, or "" when that failed too.
	WriteFailed
)

// Outcome is what Run measured and wrote.
type Outcome struct {
	// Run is the run file's content; Path is where it was written.
	Run  *results.Run
	Path string
	// Status says how the run ended; Err, for every status but Completed, is the one
	// line to print for it.
	Status Status
	Err    error
	// Notices are lines for the user that do not change the status (a journal that
	// could not be removed).
	Notices []string
}

// UsageError is bad input: a flag, a host, a journal, a profile or an output path that
// is wrong. Nothing was measured. `yardstick` exits 2 for it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usage(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// ErrInterruptedEarly is returned when a signal came before anything was measured.
var ErrInterruptedEarly = errors.New("interrupted before anything was measured")

// ReadResume reads the journal at path for Config.Resume. Errors (a name without the
// journal suffix, a journal that cannot be read or fails its checks) are UsageErrors.
// A journal of a run that cannot be resumed (Options.Resumable) is read too: Run
// turns it into the run file, measuring nothing.
func ReadResume(path string) (*bench.JournalData, error) {
	if !strings.HasSuffix(path, JournalSuffix) {
		return nil, usage("--resume %s: a journal's name ends in %s (the run file's name plus %s)", path, JournalSuffix, JournalSuffix)
	}
	d, err := bench.ReadJournal(path)
	if err != nil {
		return nil, usage("--resume: %w", err)
	}
	return d, nil
}

// Run validates cfg, measures the run and writes its run file. It returns an error,
// and writes nothing, when nothing was measured: a *UsageError for bad input,
// ErrInterruptedEarly, or the engine's error (an unreachable server, an unknown
// model, a first request that failed). Once something is measured it is written,
// whatever happened after, and the Outcome says how the run ended.
func Run(ctx context.Context, cfg Config) (*Outcome, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if r := cfg.Resume; r != nil && !r.Header.Options.Resumable() {
		return recoverRun(ctx, cfg)
	}
	opts := cfg.Options
	if err := opts.Validate(); err != nil {
		return nil, &UsageError{err}
	}
	backends, err := newBackends(cfg, &opts)
	if err != nil {
		return nil, err
	}
	out, err := outPath(cfg, &opts, backends[0].URL())
	if err != nil {
		return nil, err
	}
	hw := profiles.Detect(ctx)
	// Resolved before measuring: a probe must not run while the server works, and a
	// bad profile must fail before anything is measured.
	prof, err := resolveProfile(ctx, cfg, hw)
	if err != nil {
		return nil, err
	}
	// The client's own overhead and timing error on this machine, measured while the
	// server is idle; about 300 ms.
	var self *calib.SelftestResult
	if !cfg.NoSelftest {
		if st, err := calib.QuickSelftest(ctx); err == nil {
			self = &st
		}
	}
	observe := func(bench.Event) {}
	if cfg.Progress != nil {
		observe = cfg.Progress(opts.PlannedRequests(len(backends)))
	}
	var journal *bench.Journal
	if cfg.Resume != nil {
		journal, err = bench.AppendJournal(cfg.ResumePath)
	} else {
		journal, err = bench.CreateJournal(out + JournalSuffix)
	}
	if err != nil {
		return nil, usage("%v", err)
	}
	res, runErr := bench.RunDurable(ctx, backends, opts, observe, bench.Durable{Journal: journal, Resume: cfg.Resume, Abandon: cfg.Abandon})
	if res == nil || (res.Cold == nil && len(res.Warmup) == 0 && len(res.Samples) == 0) {
		return nil, nothingMeasured(ctx, cfg, journal, runErr)
	}
	// Something was measured: it is written, whatever happened after.
	run := results.Build(res, hw, MachineOf(prof))
	run.Selftest = self
	for _, w := range prof.Warnings {
		run.Warnings = append(run.Warnings, bench.Warning{Code: bench.CodeProfile, Message: w})
	}
	return finish(run, out, journal, opts, runErr), nil
}

// CheckModels checks, before anything is measured, that every server of cfg answers
// and serves each of models (Backend.Version, then Backend.Describe of each model, each
// call bounded by bench.MetadataTimeout), so that a list of models with one the server
// lacks fails at once rather than after measuring the others. Run checks its one model
// again as it starts. cfg.Options.Model is not used. Errors, as Run gives them: a
// *UsageError for a bad host; an unreachable server; a model a server does not serve
// (not a UsageError, as Run's own is not), with the first one's reason (what the
// server serves) and the names of the others, in one line.
func CheckModels(ctx context.Context, cfg Config, models []string) error {
	opts := cfg.Options
	backends, err := newBackends(cfg, &opts)
	if err != nil {
		return err
	}
	var first error
	var missing []string
	for _, b := range backends {
		vctx, cancel := context.WithTimeout(ctx, bench.MetadataTimeout)
		_, err := b.Version(vctx)
		cancel()
		if err != nil {
			return err
		}
		for _, m := range models {
			dctx, cancel := context.WithTimeout(ctx, bench.MetadataTimeout)
			_, err := b.Describe(dctx, m, opts.KVCacheType)
			cancel()
			switch {
			case ctx.Err() != nil:
				return ErrInterruptedEarly
			case err == nil || slices.Contains(missing, m):
			case first == nil:
				first, missing = err, append(missing, m)
			default:
				missing = append(missing, m)
			}
		}
	}
	switch {
	case first == nil:
		return nil
	case len(missing) == 2:
		return fmt.Errorf("%w; %q is not served either; nothing was measured", first, missing[1])
	case len(missing) > 2:
		return fmt.Errorf("%w; %s are not served either; nothing was measured", first, strings.Join(quoteAll(missing[1:]), ", "))
	}
	return fmt.Errorf("%w; nothing was measured", first)
}

// Unload asks every server of cfg that can unload models (bench.ModelManager: Ollama)
// to unload model, matched by name or digest, and waits until it is gone (at most 60
// s, as the cold load's unload does): between the models of one invocation, so that
// the next model's run measures its own memory and is not held beside the last one
// (an other_models_loaded warning). A server that cannot unload is skipped. Errors:
// the first server's failure to unload.
func Unload(ctx context.Context, cfg Config, model, digest string) error {
	opts := cfg.Options
	backends, err := newBackends(cfg, &opts)
	if err != nil {
		return err
	}
	for _, b := range backends {
		mm, ok := b.(bench.ModelManager)
		if !ok {
			continue
		}
		uctx, cancel := context.WithTimeout(ctx, 2*bench.MetadataTimeout)
		_, err := mm.Unload(uctx, model, digest, 60*time.Second)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// resolveProfile resolves cfg.Profile for hw (cfg.ResolveProfile, else
// profiles.ResolveProfile). Errors: ErrInterruptedEarly when ctx ended meanwhile (a
// probe was cut short), else a UsageError.
func resolveProfile(ctx context.Context, cfg Config, hw profiles.Hardware) (profiles.Profile, error) {
	resolve := cfg.ResolveProfile
	if resolve == nil {
		resolve = profiles.ResolveProfile
	}
	prof, err := resolve(ctx, cfg.Profile, hw)
	switch {
	case err != nil && ctx.Err() != nil:
		return prof, ErrInterruptedEarly
	case err != nil:
		return prof, usage("--profile: %v", err)
	}
	return prof, nil
}

// recoverRun writes the run file of cfg.Resume, a journal of a run that cannot be
// resumed (a load model, a sweep, a duration, several servers) and whose process was
// killed before it wrote its file: the journal's requests, built as any run
// (bench.JournalData.Recovered), held against the profile, the journal removed once
// the file is written. Nothing is sent to any server. The run ended interrupted, and
// the Outcome says so.
func recoverRun(ctx context.Context, cfg Config) (*Outcome, error) {
	out := strings.TrimSuffix(cfg.ResumePath, JournalSuffix)
	if err := atomicfile.CheckTarget(out); err != nil {
		return nil, usage("--out: %v", err)
	}
	if _, err := os.Lstat(out); err == nil {
		return nil, usage("--resume %s: %s exists; a journal is turned into a run file only where there is none (move one of them)", cfg.ResumePath, out)
	}
	journal, err := bench.AppendJournal(cfg.ResumePath) // the lock: no run is writing it
	if err != nil {
		return nil, usage("%v", err)
	}
	hw := profiles.Detect(ctx)
	prof, err := resolveProfile(ctx, cfg, hw)
	if err != nil {
		_ = journal.Close()
		return nil, err
	}
	run := results.Build(cfg.Resume.Recovered(), hw, MachineOf(prof))
	o := &Outcome{Run: run}
	written, werr := writeRunFile(out, run)
	o.Path = written
	if werr != nil {
		_ = journal.Close()
		o.Status, o.Err = WriteFailed, fmt.Errorf("%w; every completed request is still in %s", werr, cfg.ResumePath)
		return o, nil
	}
	if err := journal.Remove(); err != nil {
		o.Notices = append(o.Notices, fmt.Sprintf("warning: removing the journal: %v", err))
	}
	o.Status, o.Err = Interrupted, fmt.Errorf("the run was interrupted and cannot be resumed (a load model, a sweep, a duration or several servers); its journal's %d measured requests are in %s", len(run.Samples), written)
	return o, nil
}

// nothingMeasured ends a run that measured nothing: its journal goes (a resumed one is
// kept), and the error says why.
func nothingMeasured(ctx context.Context, cfg Config, journal *bench.Journal, runErr error) error {
	if cfg.Resume == nil {
		_ = journal.Remove()
	} else {
		_ = journal.Close()
	}
	switch {
	case ctx.Err() != nil:
		return ErrInterruptedEarly
	case runErr == nil:
		return errors.New("nothing was measured")
	case errors.Is(runErr, bench.ErrResumeMismatch):
		return &UsageError{runErr}
	}
	return runErr
}

// finish writes the run file (or its fallback), keeps or removes the journal, and says
// how the run ended.
func finish(run *results.Run, out string, journal *bench.Journal, opts bench.Options, runErr error) *Outcome {
	o := &Outcome{Run: run}
	written, werr := writeRunFile(out, run)
	o.Path = written
	// An interrupt that came as the last request asked was ending (and it finished
	// within --grace) left nothing undone: the run is complete.
	stopped := run.EndReason == bench.EndInterrupted
	if werr != nil || (stopped && opts.Resumable()) {
		// The journal stays: it can finish the run, or holds what the file could not.
		jerr := journal.Close()
		switch {
		case werr == nil || jerr != nil:
		case warned(run, bench.CodeJournalFailed):
			werr = fmt.Errorf("%w; the journal %s stopped early and holds only the requests before its failure", werr, journal.Path())
		default:
			werr = fmt.Errorf("%w; every completed request is in %s", werr, journal.Path())
		}
	} else if err := journal.Remove(); err != nil {
		o.Notices = append(o.Notices, fmt.Sprintf("warning: removing the journal: %v", err))
	}
	switch {
	case werr != nil:
		o.Status, o.Err = WriteFailed, werr
	case stopped && !opts.Resumable():
		o.Status, o.Err = Interrupted, fmt.Errorf("interrupted; what was measured (measured requests: %d) is in %s", len(run.Samples), written)
	case stopped:
		o.Status, o.Err = Interrupted, fmt.Errorf("interrupted; what was measured (measured requests: %d) is in %s; finish the run with yardstick run --resume %s",
			len(run.Samples), written, journal.Path())
	case runErr != nil:
		o.Status, o.Err = EngineFailed, fmt.Errorf("%v (written to %s)", runErr, written)
	case aborted(run) != "":
		o.Status, o.Err = Aborted, fmt.Errorf("%s (written to %s)", aborted(run), written)
	case run.Throughput.Failed > 0:
		o.Status, o.Err = RequestsFailed, fmt.Errorf("%d of %d measured requests failed (see warnings and %s)", run.Throughput.Failed, len(run.Samples), written)
	}
	return o
}

// newBackends resolves the servers of cfg (host defaults, parsing, duplicates) into
// backends and records them in opts.
func newBackends(cfg Config, opts *bench.Options) ([]bench.Backend, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	hosts := append([]string(nil), cfg.Hosts...)
	switch {
	case len(hosts) > 1 && cfg.Resume != nil:
		return nil, usage("--resume finishes a run of one server; give at most one --host")
	case len(hosts) == 0 && cfg.Resume != nil:
		hosts = []string{cfg.Resume.Header.Options.Host}
	case len(hosts) == 0 && opts.Backend == "openai":
		return nil, usage("--backend openai needs --host (e.g. http://127.0.0.1:8080 for llama.cpp's server, http://127.0.0.1:8000 for vLLM, http://127.0.0.1:11434 for Ollama's /v1)")
	case len(hosts) == 0:
		hosts = []string{cfg.Getenv("OLLAMA_HOST")}
	}
	if len(hosts) == 1 && hosts[0] == "" {
		hosts[0] = bench.DefaultOllamaHost
	}
	if opts.Backend == "openai" && opts.APIKeyEnv != "" && opts.APIKeyEnv != bench.DefaultAPIKeyEnv && cfg.Getenv(opts.APIKeyEnv) == "" {
		// The name is not repeated: a key can look like a name (hf_…), and an unset
		// name is likelier a pasted key than a typo. Nor is it recorded.
		return nil, usage("--api-key-env names a variable that is not set in the environment (not repeated, in case it is a key); set it, or leave --api-key-env out to use %s", bench.DefaultAPIKeyEnv)
	}
	var backends []bench.Backend
	seen := map[string]bool{}
	for _, hs := range hosts {
		host, err := bench.ParseHost(hs)
		if err != nil {
			return nil, usage("--host: %v", err)
		}
		if seen[host.String()] {
			return nil, usage("--host %s is given twice", bench.Redact(host.String()))
		}
		seen[host.String()] = true
		if opts.Backend == "openai" {
			backends = append(backends, bench.NewOpenAI(host, cfg.Getenv(opts.APIKeyEnv)))
		} else {
			backends = append(backends, bench.NewOllama(host))
		}
	}
	if len(backends) > 1 {
		for _, b := range backends {
			opts.Hosts = append(opts.Hosts, bench.Redact(b.URL().String()))
		}
	}
	return backends, nil
}

// outPath gives the run a run id and the run file its path, and refuses, before
// anything is measured, a path that cannot be written or whose journal is still there.
func outPath(cfg Config, opts *bench.Options, host *url.URL) (string, error) {
	opts.RunID = bench.NewRunID()
	out := cfg.Out
	if out == "" {
		out = results.DefaultPath(cfg.OutDir, opts.Model, time.Now(), opts.RunID)
	}
	if r := cfg.Resume; r != nil {
		if h := bench.Redact(host.String()); h != r.Header.Options.Host {
			return "", usage("--host %s is not the server the journal measured (%s)", h, bench.Redact(r.Header.Options.Host))
		}
		opts.RunID = r.Header.RunID
		out = strings.TrimSuffix(cfg.ResumePath, JournalSuffix)
	}
	if err := atomicfile.CheckTarget(out); err != nil {
		return "", usage("--out: %v", err)
	}
	if _, err := os.Stat(out + JournalSuffix); cfg.Resume == nil && err == nil {
		if j, err := bench.ReadJournal(out + JournalSuffix); err == nil && !j.Header.Options.Resumable() {
			return "", usage("%s%s holds the completed requests of a run that stopped without writing its file; turn it into that file with yardstick run --resume %s%s, or remove it", out, JournalSuffix, out, JournalSuffix)
		}
		return "", usage("%s%s is the journal of an unfinished run: finish it with --resume %s%s, or remove it", out, JournalSuffix, out, JournalSuffix)
	}
	return out, nil
}

// writeRunFile writes the run file to path; when that fails (the disk filled, the
// directory went away) it writes to the system's temporary directory instead, so a
// finished run is never lost, and returns an error naming both.
func writeRunFile(path string, run *results.Run) (string, error) {
	err := results.WriteFile(path, run)
	if err == nil {
		return path, nil
	}
	alt := filepath.Join(os.TempDir(), filepath.Base(results.DefaultPath(".", run.Target.Model.Name, time.Now(), run.RunID)))
	if err2 := results.WriteFile(alt, run); err2 != nil {
		return "", fmt.Errorf("%v; the fallback %s failed too: %v", err, alt, err2)
	}
	return alt, fmt.Errorf("%v; the run was written to %s instead", err, alt)
}

// aborted returns the message of a server_aborted warning, or "": a server of the
// fleet stopped answering, which fails the run even when its failures were warm-ups.
func aborted(run *results.Run) string {
	if i := slices.IndexFunc(run.Warnings, func(w bench.Warning) bool { return w.Code == bench.CodeServerAborted }); i >= 0 {
		return run.Warnings[i].Message
	}
	return ""
}

// warned reports whether run has a warning of code.
func warned(run *results.Run, code bench.Code) bool {
	return slices.ContainsFunc(run.Warnings, func(w bench.Warning) bool { return w.Code == code })
}

// MachineOf is what a run records of its hardware profile: the bandwidth and FLOP/s
// the roofline uses, each with its source, and the price and power figures of the
// cost per million tokens.
func MachineOf(p profiles.Profile) *results.Machine {
	return &results.Machine{
		Profile: p.Name, ProfileSource: p.Source,
		MemoryBandwidthBytesPerS: p.MemoryBandwidthBytesPerS, BandwidthSource: p.BandwidthSource,
		PeakFLOPS: p.PeakFLOPS, FLOPSSource: p.FLOPSSource,
		PeakFP16FLOPS: p.PeakFP16FLOPS, FP16FLOPSSource: p.FP16FLOPSSource,
		PeakINT8OPS: p.PeakINT8OPS, INT8OPSSource: p.INT8OPSSource, LLCBytes: p.LLCBytes,
		HostBandwidthBytesPerS: p.HostMemoryBandwidthBytesPerS,
		PricePerHour:           p.PricePerHour, Watts: p.Watts, EnergyPricePerKWh: p.EnergyPricePerKWh, Currency: p.Currency,
	}
}
