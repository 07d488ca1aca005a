package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/dataset"
	"github.com/yardstick-dev/yardstick/harness"
	"github.com/yardstick-dev/yardstick/internal/flagval"
	"github.com/yardstick-dev/yardstick/internal/userfile"
	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

// run benchmarks one model: flags to a harness.Config, one harness.Run, the outcome
// to an exit status; d holds the flags' defaults. Several models (-m a,b) are
// runModels'.
func (e *env) run(c *cli.Context, d bench.Options) error {
	cfg, err := runConfig(c, e, d)
	if err != nil {
		return err
	}
	if models := c.Generic("model").(*flagval.Models).List(); len(models) > 1 {
		return e.runModels(c, cfg, models)
	}
	_, err = e.runOne(c, cfg)
	return err
}

// runModels measures each of models in turn as run measures one: the harness is the
// one engine, called once per model, so each model gets its own run file (named after
// it), its own cold load and its own table, exactly as a run of that model alone.
// Every server is first asked about every model (harness.CheckModels): a model it does
// not serve fails the command before anything is measured. Each measured model is
// unloaded before the next (harness.Unload), so no run holds another's runner in
// memory (other_models_loaded); the last stays loaded, as a run of one leaves it.
// After the last model, one table sets the runs side by side (results.RenderRuns). A
// model whose run fails is named in the final error and the next one is measured; an
// interrupt ends the list. The exit status is the worst of the runs' (interrupted,
// then usage, then failure). The loop is here, not in the harness, because what it
// adds is the command's (the tables, the exit status); each run is the harness's.
func (e *env) runModels(c *cli.Context, cfg harness.Config, models []string) error {
	if err := harness.CheckModels(c.Context, cfg, models); err != nil {
		return runError(err)
	}
	// Every model is held against the same hardware figures, resolved (and probed) once.
	if resolve := cfg.ResolveProfile; resolve != nil {
		var prof *profiles.Profile
		cfg.ResolveProfile = func(ctx context.Context, name string, hw profiles.Hardware) (profiles.Profile, error) {
			if prof != nil {
				return *prof, nil
			}
			p, err := resolve(ctx, name, hw)
			if err == nil {
				prof = &p
			}
			return p, err
		}
	}
	var runs []*results.Run
	var files, failed []string
	code := 0
	// With --out - stdout holds the runs' JSON and nothing else: the headings and the
	// last table go to stderr with each run's table, and a run that went to stdout
	// (its file removed, runToStdout) is named "-".
	toStdout := c.String("out") == "-"
	tables := e.stdout
	if toStdout {
		tables = e.stderr
	}
	for i, m := range models {
		fmt.Fprintf(tables, "== model %d of %d: %s\n\n", i+1, len(models), m)
		mcfg := cfg
		mcfg.Options.Model = m
		o, err := e.runOne(c, mcfg)
		if o != nil {
			file := o.Path
			if toStdout && o.Status == harness.Completed {
				file = "-"
			}
			runs, files = append(runs, o.Run), append(files, file)
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", m, err))
			code = worstExit(code, err)
		}
		if code == exitInterrupted {
			break
		}
		if o != nil && i < len(models)-1 {
			if err := harness.Unload(c.Context, mcfg, m, o.Run.Target.Model.Digest); err != nil {
				fmt.Fprintf(e.stderr, "yardstick: unloading %s before the next model: %v\n", m, err)
			}
		}
		fmt.Fprintln(tables)
	}
	if len(runs) > 0 {
		fmt.Fprintf(tables, "== %d of %d models measured\n\n", len(runs), len(models))
		if err := results.RenderRuns(tables, runs, files); err != nil {
			return err
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &exitError{code, fmt.Errorf("%d of %d models did not complete: %s", len(failed), len(models), strings.Join(failed, "; "))}
}

// worstExit is the exit status of a list of runs so far (code) after one that ended
// with err: interrupted over usage over failure.
func worstExit(code int, err error) int {
	c := exitFailure
	var ee *exitError
	if errors.As(err, &ee) {
		c = ee.code
	}
	for _, worst := range []int{exitInterrupted, exitUsage, exitFailure} {
		if code == worst || c == worst {
			return worst
		}
	}
	return c
}

// runOne measures cfg's one model: progress, harness.Run, the run's table, notices and
// run file on stdout and stderr. It returns the Outcome (nil when nothing was
// measured) and the error that sets the exit status.
func (e *env) runOne(c *cli.Context, cfg harness.Config) (*harness.Outcome, error) {
	var bar *progressbar.ProgressBar
	if e.stderrTTY && !c.Bool("quiet") {
		cfg.Progress = func(planned int) bench.Observer {
			bar = newBar(e, planned)
			return observeBar(bar, cfg.Options.LevelNames())
		}
	}
	o, err := harness.Run(c.Context, cfg)
	if bar != nil {
		_ = bar.Finish()
		_ = bar.Clear()
	}
	if err != nil {
		return nil, runError(err)
	}
	// With --out - the run file's JSON is stdout's, and the table, for the person
	// watching, goes to stderr with the progress bar and the warnings.
	toStdout := c.String("out") == "-"
	table := e.stdout
	if toStdout {
		table = e.stderr
	}
	if err := results.RenderTable(table, o.Run); err != nil {
		return o, err
	}
	for _, n := range o.Notices {
		fmt.Fprintf(e.stderr, "yardstick: %s\n", n)
	}
	if toStdout && o.Path != "" {
		if err := runToStdout(e, o); err != nil {
			return o, err
		}
	} else if o.Path != "" {
		fmt.Fprintf(e.stdout, "\nrun file  %s\n", o.Path)
	}
	switch o.Status {
	case harness.Completed:
		return o, nil
	case harness.Interrupted:
		return o, &exitError{exitInterrupted, o.Err}
	}
	return o, &exitError{exitFailure, o.Err}
}

// runToStdout copies the run file of o (written in --out-dir under its default name,
// or in the fallback directory) to stdout, for --out -. The file is removed once stdout
// has it all and the run completed; otherwise it stays, named on stderr: the error line
// of a run that did not complete names it (and an interrupted run's journal beside it
// finishes it), and a stdout that failed must not lose the run.
func runToStdout(e *env, o *harness.Outcome) error {
	f, err := os.Open(o.Path)
	if err == nil {
		_, err = io.Copy(e.stdout, f)
		_ = f.Close()
	}
	if err != nil {
		return fmt.Errorf("--out -: writing the run to stdout: %w; the run file is %s", err, o.Path)
	}
	if o.Status == harness.Completed {
		if err := os.Remove(o.Path); err != nil {
			fmt.Fprintf(e.stderr, "yardstick: warning: --out -: the run file %s stays: %v\n", o.Path, err)
		}
		return nil
	}
	fmt.Fprintf(e.stderr, "\nrun file  %s\n", o.Path)
	return nil
}

// runError maps an error of harness.Run (nothing was measured) to its exit status.
func runError(err error) error {
	var ue *harness.UsageError
	switch {
	case errors.As(err, &ue):
		return &exitError{exitUsage, err}
	case errors.Is(err, harness.ErrInterruptedEarly):
		return &exitError{exitInterrupted, err}
	}
	return err
}

// runConfig maps run's flags to the harness's Config; d holds the defaults.
func runConfig(c *cli.Context, e *env, d bench.Options) (harness.Config, error) {
	cfg := harness.Config{
		Hosts: c.Generic("host").(*flagval.HostList).List(), Getenv: e.getenv,
		Out: c.String("out"), OutDir: c.String("out-dir"),
		Profile: c.String("profile"), ResolveProfile: e.resolveProfile,
		NoSelftest: c.Bool("no-selftest"), Abandon: e.hardStop,
	}
	if cfg.Out == "-" {
		cfg.Out = "" // written under its default name in --out-dir, then to stdout (runToStdout)
	}
	if c.NArg() > 0 {
		return cfg, usageErr("run takes no arguments, got %q (did you mean --model %s?)", c.Args().First(), c.Args().First())
	}
	if n := len(c.Generic("model").(*flagval.Models).List()); n > 1 && cfg.Out != "" {
		return cfg, usageErr("--out names one run file and --model lists %d models, each written to its own: give --out-dir instead", n)
	}
	opts, err := runOptions(c, d)
	if err != nil {
		return cfg, err
	}
	if jpath := c.String("resume"); jpath != "" {
		for _, f := range c.Command.Flags {
			switch name := f.Names()[0]; name {
			case "resume", "host", "grace", "quiet", "profile", "no-selftest":
			default:
				// A value from the environment (runEnv) is ignored: the journal's wins.
				if onCommandLine(c, e.args, name) {
					return cfg, usageErr("--resume takes the run's options from its journal; --%s cannot be given with it", name)
				}
			}
		}
		if cfg.Resume, err = harness.ReadResume(jpath); err != nil {
			return cfg, runError(err)
		}
		cfg.ResumePath = jpath
		opts = cfg.Resume.Header.Options
		if c.IsSet("grace") {
			opts.Grace = c.Duration("grace")
		}
		if !onCommandLine(c, e.args, "host") {
			cfg.Hosts = nil // $YARDSTICK_HOST too gives way to the journal's server
		}
		// The run is held against the profile it started with, unless one is given
		// (on the command line: $YARDSTICK_PROFILE gives way too).
		if onCommandLine(c, e.args, "profile") {
			opts.Profile = cfg.Profile
		} else {
			cfg.Profile = opts.Profile
		}
	} else {
		opts.Profile = cfg.Profile
	}
	cfg.Options = opts
	return cfg, nil
}

// runOptions maps run's workload and load flags to bench.Options.
func runOptions(c *cli.Context, d bench.Options) (bench.Options, error) {
	opts := d
	if models := c.Generic("model").(*flagval.Models).List(); len(models) > 0 {
		opts.Model = models[0] // the first; runModels sets each in turn
	}
	rv := c.Generic("runs").(*flagval.Runs)
	opts.Runs, opts.RunsAuto = rv.N, rv.Auto
	if rv.Auto {
		opts.Runs = c.Int("max-runs")
	}
	opts.MinRuns, opts.Precision, opts.Warmup = c.Int("min-runs"), c.Float64("precision"), c.Int("warmup")
	pt := c.Generic("prompt-tokens").(*flagval.List[int]).Vals
	opts.PromptTokens = pt[0]
	if len(pt) > 1 {
		opts.PromptTokensSweep = pt
	}
	opts.Backend = c.String("backend")
	opts.Concurrency = c.Generic("concurrency").(*flagval.List[int]).Vals
	opts.RatePerS = c.Generic("rate").(*flagval.List[float64]).Vals
	if len(opts.RatePerS) > 0 && !c.IsSet("concurrency") {
		opts.Concurrency = []int{0}
	}
	opts.Arrival = c.String("arrival")
	if c.IsSet("arrival") && len(opts.RatePerS) == 0 {
		return opts, usageErr("--arrival applies to the open loop: give --rate too")
	}
	opts.Duration = c.Duration("duration")
	if opts.Duration > 0 && !c.IsSet("runs") {
		opts.Runs = 100000
	}
	if c.IsSet("duration") && opts.Duration <= 0 {
		return opts, usageErr("--duration %v: must be positive", opts.Duration)
	}
	opts.SLO = *c.Generic("slo").(*bench.SLO)
	if opts.Backend == "openai" {
		opts.APIKeyEnv = c.String("api-key-env")
		if !envName(opts.APIKeyEnv) {
			// The value is not repeated: it may be the key itself.
			return opts, usageErr("--api-key-env takes the name of an environment variable (letters, digits and _, e.g. YARDSTICK_API_KEY), not the key")
		}
	} else if c.IsSet("api-key-env") {
		return opts, usageErr("--api-key-env applies to --backend openai")
	}
	opts.MaxTokens, opts.Seed, opts.Temperature = c.Int("max-tokens"), c.Int64("seed"), c.Float64("temperature")
	opts.NumCtx, opts.Think, opts.KVCacheType = c.Int("num-ctx"), *c.Generic("think").(*bench.Think), c.String("kv-cache-type")
	opts.ThinkSet = c.IsSet("think")
	opts.KeepAlive, opts.RequestTimeout = c.Duration("keep-alive"), c.Duration("request-timeout")
	opts.SkipColdLoad, opts.FirstTokenTimeout = c.Bool("no-cold"), c.Duration("first-token-timeout")
	opts.MaxErrors = *c.Generic("max-errors").(*bench.ErrorLimit)
	opts.Grace = c.Duration("grace")
	opts.ServerParallel = c.Int("server-parallel")
	if c.IsSet("server-parallel") && opts.ServerParallel < 1 {
		return opts, usageErr("--server-parallel %d: must be at least 1 (leave it out to find it)", opts.ServerParallel)
	}
	opts.PrefixTokens = c.Int("prefix-tokens")
	if opts.PrefixTokens > 0 || c.IsSet("prefix-groups") {
		opts.PrefixGroups = c.Int("prefix-groups")
	}
	if c.IsSet("prefix-tokens") && opts.PrefixTokens < 1 {
		return opts, usageErr("--prefix-tokens %d: must be at least 1", opts.PrefixTokens)
	}
	if c.IsSet("prefix-groups") && opts.PrefixGroups < 1 {
		return opts, usageErr("--prefix-groups %d: must be at least 1", opts.PrefixGroups)
	}
	opts.IgnoreEOS, opts.MinTokens = c.Bool("ignore-eos"), c.Int("min-tokens")
	if e := c.String("extra-body"); e != "" {
		opts.ExtraBody = json.RawMessage(e)
	}
	if err := datasetOptions(c, &opts); err != nil {
		return opts, err
	}
	return opts, workloadSources(c, &opts)
}

// datasetOptions reads --dataset and takes what the run sends of it into opts
// (package dataset); bad input is a usage error naming the file and line.
func datasetOptions(c *cli.Context, opts *bench.Options) error {
	path := c.String("dataset")
	if path == "" {
		for _, f := range []string{"dataset-format", "dataset-limit", "dataset-min-prompt-tokens", "dataset-max-prompt-tokens"} {
			if c.IsSet(f) {
				return usageErr("--%s applies to --dataset", f)
			}
		}
		return nil
	}
	if c.IsSet("prompt-tokens") {
		return usageErr("--prompt-tokens with --dataset: a dataset's prompts have the lengths the file gives (filter them with --dataset-min-prompt-tokens, --dataset-max-prompt-tokens)")
	}
	for _, f := range []string{"dataset-limit", "dataset-min-prompt-tokens", "dataset-max-prompt-tokens"} {
		if c.Int(f) < 0 {
			return usageErr("--%s %d: must not be negative", f, c.Int(f))
		}
	}
	d, err := dataset.Read(path, c.Generic("dataset-format").(*flagval.Choice).Value)
	if err != nil {
		return usageErr("%v", err)
	}
	so := dataset.SelectOptions{Seed: opts.Seed, Limit: c.Int("dataset-limit"),
		MinPromptTokens: c.Int("dataset-min-prompt-tokens"), MaxPromptTokens: c.Int("dataset-max-prompt-tokens"),
		NumCtx: opts.NumCtx, MaxTokens: opts.MaxTokens, MaxTokensSet: c.IsSet("max-tokens")}
	// --turns is read again, and checked, by workloadSources: here only how many turns
	// must fit the context.
	if t := strings.TrimSpace(c.String("turns")); strings.EqualFold(t, "all") {
		so.Turns = bench.TurnsAll
	} else if n, err := strconv.Atoi(t); err == nil && n > 0 {
		so.Turns = n
	}
	sel, err := dataset.Select(d.Conversations, so)
	if err != nil {
		return usageErr("%s: %v", path, err)
	}
	opts.Conversations = sel.Conversations
	opts.Dataset = &bench.DatasetInfo{Path: path, Format: d.Format, SHA256: d.SHA256,
		Records: len(d.Conversations), Selected: len(sel.Conversations),
		SkippedTooLong: sel.SkippedTooLong, SkippedFiltered: sel.SkippedFiltered, Unused: sel.Unused, TurnsCut: sel.TurnsCut,
		Limit: so.Limit, MinPromptTokens: so.MinPromptTokens, MaxPromptTokens: so.MaxPromptTokens,
		MaxTokensGiven: so.MaxTokensSet, TokensEstimated: dataset.EstimateRule}
	return nil
}

// workloadSources maps the flags of conversations (--turns, --think-time) and trace
// replay (--trace, --trace-speed) to opts, reading the trace: a trace that does not
// parse is bad input, named by file and line, before anything is sent.
func workloadSources(c *cli.Context, opts *bench.Options) error {
	if v := c.String("turns"); c.IsSet("turns") {
		if strings.EqualFold(strings.TrimSpace(v), "all") {
			if opts.Dataset == nil {
				return usageErr("--turns all takes every turn of a dataset's conversations: give --dataset, or a number of turns")
			}
			opts.Turns = bench.TurnsAll
			v = ""
		}
		if v != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return usageErr("--turns %q: want a number of turns, or all", v)
			}
			if n < 1 {
				return usageErr("--turns %d: must be in 1..%d", n, bench.MaxTurns)
			}
			opts.Turns = n
		}
	}
	opts.ThinkTime = c.Duration("think-time")
	if c.IsSet("trace-speed") && !c.IsSet("trace") {
		return usageErr("--trace-speed applies to a trace replay: give --trace too")
	}
	path := c.String("trace")
	if !c.IsSet("trace") {
		return nil
	}
	f, err := userfile.Open(path, maxTraceBytes)
	if err != nil {
		return usageErr("--trace: %v", err)
	}
	defer f.Close()
	h := sha256.New()
	trace, err := bench.ParseTrace(io.TeeReader(f, h), path)
	if err != nil {
		return usageErr("%v", err)
	}
	opts.Trace, opts.TraceFile, opts.TraceSHA256 = trace, path, hex.EncodeToString(h.Sum(nil))
	opts.TraceSpeed = c.Float64("trace-speed")
	if !c.IsSet("runs") {
		opts.Runs = min(len(trace), 100000)
	} else if !opts.RunsAuto && opts.Runs > len(trace) {
		// The replay sends each line once: the header and the run file said N lines
		// replayed while fewer were sent.
		return usageErr("--runs %d: %s has %d lines; --runs N replays its first N", opts.Runs, path, len(trace))
	}
	if !c.IsSet("concurrency") {
		opts.Concurrency = []int{0} // uncapped: the trace sets the arrivals
	}
	return nil
}

// maxTraceBytes bounds a trace file: Mooncake's published traces are a few MB.
const maxTraceBytes = 1 << 30

// newBar is the progress bar of a run that plans total requests (−1: a spinner).
func newBar(e *env, total int) *progressbar.ProgressBar {
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription("cold load"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

// observeBar describes every completed request on bar: phase, count, level and the
// request's decode rate or failure.
func observeBar(bar *progressbar.ProgressBar, names []string) bench.Observer {
	return func(ev bench.Event) {
		desc := fmt.Sprintf("%s %d/%d", ev.Phase, ev.Done, ev.Total)
		if ev.Total == 0 {
			desc = fmt.Sprintf("%s %d", ev.Phase, ev.Done)
		}
		if ev.Levels > 1 {
			desc = fmt.Sprintf("level %d/%d (%s) %s", ev.Level+1, ev.Levels, names[ev.Level], desc)
		}
		if s := ev.Sample; s != nil && s.OK && s.ServerGenPerS != nil {
			desc += fmt.Sprintf(" %.1f tok/s", *s.ServerGenPerS)
		} else if s != nil && !s.OK {
			desc += " failed: " + string(s.ErrorKind)
		}
		bar.Describe(desc)
		_ = bar.Add(1) // renders the new description with the new count
	}
}

// envName reports whether s can name an environment variable: a letter or _, then
// letters, digits and _.
func envName(s string) bool {
	for i, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}
