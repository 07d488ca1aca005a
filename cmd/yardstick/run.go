package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/harness"
	"github.com/yardstick-dev/yardstick/internal/flagval"
	"github.com/yardstick-dev/yardstick/internal/userfile"
	"github.com/yardstick-dev/yardstick/results"
)

// run benchmarks one model: flags to a harness.Config, one harness.Run, the outcome
// to an exit status; d holds the flags' defaults.
func (e *env) run(c *cli.Context, d bench.Options) error {
	cfg, err := runConfig(c, e, d)
	if err != nil {
		return err
	}
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
		return runError(err)
	}
	if err := results.RenderTable(e.stdout, o.Run); err != nil {
		return err
	}
	for _, n := range o.Notices {
		fmt.Fprintf(e.stderr, "yardstick: %s\n", n)
	}
	if o.Path != "" {
		fmt.Fprintf(e.stdout, "\nrun file  %s\n", o.Path)
	}
	switch o.Status {
	case harness.Completed:
		return nil
	case harness.Interrupted:
		return &exitError{exitInterrupted, o.Err}
	}
	return &exitError{exitFailure, o.Err}
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
		Hosts: c.Generic("host").(*flagval.HostList).Vals, Getenv: e.getenv,
		Out: c.String("out"), OutDir: c.String("out-dir"),
		Profile: c.String("profile"), ResolveProfile: e.resolveProfile,
		NoSelftest: c.Bool("no-selftest"), Abandon: e.hardStop,
	}
	if c.NArg() > 0 {
		return cfg, usageErr("run takes no arguments, got %q (did you mean --model %s?)", c.Args().First(), c.Args().First())
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
				if c.IsSet(name) {
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
		// The run is held against the profile it started with, unless one is given.
		if c.IsSet("profile") {
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
	opts.Model = c.String("model")
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
	if err := workloadSources(c, &opts); err != nil {
		return opts, err
	}
	return opts, nil
}

// workloadSources maps the flags of conversations (--turns, --think-time) and trace
// replay (--trace, --trace-speed) to opts, reading the trace: a trace that does not
// parse is bad input, named by file and line, before anything is sent.
func workloadSources(c *cli.Context, opts *bench.Options) error {
	if v := c.String("turns"); c.IsSet("turns") {
		if strings.EqualFold(strings.TrimSpace(v), "all") {
			return usageErr("--turns all takes every turn of a dataset's conversations: give --dataset, or a number of turns")
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return usageErr("--turns %q: want a number of turns, or all", v)
		}
		if n < 1 {
			return usageErr("--turns %d: must be in 1..%d", n, bench.MaxTurns)
		}
		opts.Turns = n
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
