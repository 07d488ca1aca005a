package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/harness"
	"github.com/yardstick-dev/yardstick/internal/flagval"
	"github.com/yardstick-dev/yardstick/results"
)

func runCommand(e *env) *cli.Command {
	d := bench.DefaultOptions()
	return withHelp(&cli.Command{
		Name:  "run",
		Flags: runFlags(d),
		Action: func(c *cli.Context) error {
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
		},
	})
}

// runFlags are run's flags; d holds the defaults.
func runFlags(d bench.Options) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "model name on the server, e.g. qwen2.5:0.5b"},
		&cli.GenericFlag{Name: "host", Value: &flagval.HostList{}, Usage: "server URL; repeat it to measure several servers at once (default: $OLLAMA_HOST, then " + bench.DefaultOllamaHost + ")"},
		&cli.StringFlag{Name: "backend", Value: d.Backend, Usage: "server API: ollama (/api/chat) or openai (/v1/chat/completions: llama.cpp, vLLM, LM Studio, Ollama's /v1)"},
		&cli.StringFlag{Name: "api-key-env", Value: bench.DefaultAPIKeyEnv, Usage: "environment variable holding the openai backend's API key (sent as a bearer token; never recorded)"},
		&cli.GenericFlag{Name: "concurrency", Aliases: []string{"c"}, Value: flagval.IntList(0, bench.MaxInFlight, 1), Usage: "closed loop: N workers, each sending its next request when its last ends; a list sweeps the levels; with --rate, the cap on requests in flight (0: none)"},
		&cli.GenericFlag{Name: "rate", Value: flagval.RateList(), Usage: "open loop: requests per second on a fixed schedule (latency and queue delay counted from it); a list sweeps the levels"},
		&cli.StringFlag{Name: "arrival", Value: d.Arrival, Usage: "open-loop arrivals: constant or poisson (seeded by --seed)"},
		&cli.DurationFlag{Name: "duration", Usage: "measure each level for this long instead of --runs requests (--runs is then a cap, 100000 unless given)"},
		&cli.GenericFlag{Name: "slo", Value: &bench.SLO{}, Usage: "objectives each request is held against, e.g. ttft_p95=500ms,tpot=50ms (metrics ttft, tpot, e2e; _pNN makes it a percentile); gives goodput per level"},
		&cli.GenericFlag{Name: "runs", Aliases: []string{"n"}, Value: &flagval.Runs{N: d.Runs}, Usage: "measured requests: a number, or auto (until the median decode rate is known to --precision, at most --max-runs)"},
		&cli.IntFlag{Name: "max-runs", Value: 100, Usage: "cap of --runs auto"},
		&cli.IntFlag{Name: "min-runs", Value: d.MinRuns, Usage: "successful requests --runs auto measures at least (≥ 6)"},
		&cli.Float64Flag{Name: "precision", Value: d.Precision, Usage: "--runs auto stops when the median's 95% CI half width is within this fraction of it"},
		&cli.IntFlag{Name: "warmup", Value: d.Warmup, Usage: "uncounted requests before measuring (they also calibrate the prompt length)"},
		&cli.GenericFlag{Name: "prompt-tokens", Value: flagval.IntList(1, 1<<20, d.PromptTokens), Usage: "prompt length in tokens as the server counts them; a list sweeps it and fits TTFT = fixed + tokens / prefill rate"},
		&cli.IntFlag{Name: "max-tokens", Value: d.MaxTokens, Usage: "output tokens to generate at most (num_predict)"},
		&cli.Int64Flag{Name: "seed", Value: d.Seed, Usage: "seed of the prompts and of the server's sampler"},
		&cli.Float64Flag{Name: "temperature", Value: d.Temperature, Usage: "sampling temperature (> 0 for shape twins)"},
		&cli.IntFlag{Name: "num-ctx", Value: d.NumCtx, Usage: "context window in tokens, always sent"},
		&cli.BoolFlag{Name: "think", Value: false, Usage: "let thinking models think"},
		&cli.StringFlag{Name: "kv-cache-type", Value: d.KVCacheType, Usage: "the server's KV cache type (OLLAMA_KV_CACHE_TYPE: f16, q8_0, q4_0), for the roofline"},
		&cli.DurationFlag{Name: "keep-alive", Value: d.KeepAlive, Usage: "how long the server keeps the model loaded afterwards"},
		&cli.DurationFlag{Name: "request-timeout", Value: d.RequestTimeout, Usage: "limit on each request, send to done"},
		&cli.DurationFlag{Name: "first-token-timeout", Usage: "fail a request with no generated text this long after sending it (0: no limit)"},
		&cli.GenericFlag{Name: "max-errors", Value: &bench.ErrorLimit{}, Usage: "end the run once its failed requests exceed N, or P% of those asked (with --duration: of those sent, from 20 on) (default: after 5 failures in a row, per server)"},
		&cli.DurationFlag{Name: "grace", Value: d.Grace, Usage: "on Ctrl-C or SIGTERM, how long the request in flight may still finish and be kept"},
		&cli.StringFlag{Name: "resume", Usage: "finish an interrupted run from its journal (<run file>.journal), with the options it was started with"},
		&cli.StringFlag{Name: "profile", Usage: "hardware profile to hold the run against: a name, a YAML file or builtin:<device id> (default: detected; a CPU without a device-table row gets a 1 s bandwidth probe)"},
		&cli.BoolFlag{Name: "no-selftest", Usage: "skip the 300 ms client self-test recorded in the run"},
		&cli.BoolFlag{Name: "no-cold", Usage: "skip unloading the model and the timed cold-load request"},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "run file path (default: yardstick-<model>-<time>.json in --out-dir)"},
		&cli.StringFlag{Name: "out-dir", Value: ".", Usage: "directory of the default run file"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
	}
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
	opts.NumCtx, opts.Think, opts.KVCacheType = c.Int("num-ctx"), c.Bool("think"), c.String("kv-cache-type")
	opts.KeepAlive, opts.RequestTimeout = c.Duration("keep-alive"), c.Duration("request-timeout")
	opts.SkipColdLoad, opts.FirstTokenTimeout = c.Bool("no-cold"), c.Duration("first-token-timeout")
	opts.MaxErrors = *c.Generic("max-errors").(*bench.ErrorLimit)
	opts.Grace = c.Duration("grace")
	return opts, nil
}

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
