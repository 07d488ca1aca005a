package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/calib"
	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

func runCommand(e *env) *cli.Command {
	d := bench.DefaultOptions()
	return &cli.Command{
		Name:      "run",
		Usage:     "benchmark one model on an Ollama or OpenAI-compatible server and write the run JSON",
		UsageText: "yardstick run --model NAME [--host URL]... [--backend ollama|openai] [--runs N | --duration D] [--concurrency N[,N...] | --rate R[,R...]] [--prompt-tokens N[,N...]] [--slo ttft_p95=500ms,...] [--out FILE]",
		Description: `Unloads the model, times one cold request, sends --warmup uncounted requests, then
the measured requests of each level: --runs of them (or for --duration), one after
another by default, from --concurrency N workers (closed loop), or on an open-loop
schedule of --rate requests per second. A list (--concurrency 1,2,4,8, --rate 0.5,1,2,
--prompt-tokens 128,512,2048) sweeps the levels in turn into one run file. With --slo
every request is held against the objectives and each level reports its goodput.
Several --host flags measure several servers at once with the same workload.
Prints a table and writes every raw sample and the summaries to a JSON file
(atomically). Exit status: 0 all requests succeeded,
1 the run failed or some requests failed (the file still holds what was measured),
2 bad flags or input, 130 interrupted (the file holds what was measured so far).
Every completed request is also appended to <run file>.journal, which is removed once
the run file is written; an interrupted run keeps it, and --resume JOURNAL finishes the
run with the same options and run id.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "model name on the server, e.g. qwen2.5:0.5b"},
			&cli.GenericFlag{Name: "host", Value: &hostList{}, Usage: "server URL; repeat it to measure several servers at once (default: $OLLAMA_HOST, then " + bench.DefaultOllamaHost + ")"},
			&cli.StringFlag{Name: "backend", Value: d.Backend, Usage: "server API: ollama (/api/chat) or openai (/v1/chat/completions: llama.cpp, vLLM, LM Studio, Ollama's /v1)"},
			&cli.StringFlag{Name: "api-key-env", Value: bench.DefaultAPIKeyEnv, Usage: "environment variable holding the openai backend's API key (sent as a bearer token; never recorded)"},
			&cli.GenericFlag{Name: "concurrency", Aliases: []string{"c"}, Value: intList(0, bench.MaxInFlight, 1), Usage: "closed loop: N workers, each sending its next request when its last ends; a list sweeps the levels; with --rate, the cap on requests in flight (0: none)"},
			&cli.GenericFlag{Name: "rate", Value: rateList(), Usage: "open loop: requests per second on a fixed schedule (latency and queue delay counted from it); a list sweeps the levels"},
			&cli.StringFlag{Name: "arrival", Value: d.Arrival, Usage: "open-loop arrivals: constant or poisson (seeded by --seed)"},
			&cli.DurationFlag{Name: "duration", Usage: "measure each level for this long instead of --runs requests (--runs is then a cap, 100000 unless given)"},
			&cli.GenericFlag{Name: "slo", Value: &bench.SLO{}, Usage: "objectives each request is held against, e.g. ttft_p95=500ms,tpot=50ms (metrics ttft, tpot, e2e; _pNN makes it a percentile); gives goodput per level"},
			&cli.GenericFlag{Name: "runs", Aliases: []string{"n"}, Value: &runsValue{n: d.Runs}, Usage: "measured requests: a number, or auto (until the median decode rate is known to --precision, at most --max-runs)"},
			&cli.IntFlag{Name: "max-runs", Value: 100, Usage: "cap of --runs auto"},
			&cli.IntFlag{Name: "min-runs", Value: d.MinRuns, Usage: "successful requests --runs auto measures at least (≥ 6)"},
			&cli.Float64Flag{Name: "precision", Value: d.Precision, Usage: "--runs auto stops when the median's 95% CI half width is within this fraction of it"},
			&cli.IntFlag{Name: "warmup", Value: d.Warmup, Usage: "uncounted requests before measuring (they also calibrate the prompt length)"},
			&cli.GenericFlag{Name: "prompt-tokens", Value: intList(1, 1<<20, d.PromptTokens), Usage: "prompt length in tokens as the server counts them; a list sweeps it and fits TTFT = fixed + tokens / prefill rate"},
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
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr("run takes no arguments, got %q (did you mean --model %s?)", c.Args().First(), c.Args().First())
			}
			opts := d
			opts.Model = c.String("model")
			rv := c.Generic("runs").(*runsValue)
			opts.Runs, opts.RunsAuto = rv.n, rv.auto
			if rv.auto {
				opts.Runs = c.Int("max-runs")
			}
			opts.MinRuns = c.Int("min-runs")
			opts.Precision = c.Float64("precision")
			opts.Warmup = c.Int("warmup")
			pt := c.Generic("prompt-tokens").(*numList[int]).vals
			opts.PromptTokens = pt[0]
			if len(pt) > 1 {
				opts.PromptTokensSweep = pt
			}
			opts.Backend = c.String("backend")
			opts.Concurrency = c.Generic("concurrency").(*numList[int]).vals
			opts.RatePerS = c.Generic("rate").(*numList[float64]).vals
			if len(opts.RatePerS) > 0 && !c.IsSet("concurrency") {
				opts.Concurrency = []int{0}
			}
			opts.Arrival = c.String("arrival")
			if c.IsSet("arrival") && len(opts.RatePerS) == 0 {
				return usageErr("--arrival applies to the open loop: give --rate too")
			}
			opts.Duration = c.Duration("duration")
			if opts.Duration > 0 && !c.IsSet("runs") {
				opts.Runs = 100000
			}
			if c.IsSet("duration") && opts.Duration <= 0 {
				return usageErr("--duration %v: must be positive", opts.Duration)
			}
			opts.SLO = *c.Generic("slo").(*bench.SLO)
			if opts.Backend == "openai" {
				opts.APIKeyEnv = c.String("api-key-env")
				if !envName(opts.APIKeyEnv) {
					// The value is not repeated: it may be the key itself.
					return usageErr("--api-key-env takes the name of an environment variable (letters, digits and _, e.g. YARDSTICK_API_KEY), not the key")
				}
			} else if c.IsSet("api-key-env") {
				return usageErr("--api-key-env applies to --backend openai")
			}
			opts.MaxTokens = c.Int("max-tokens")
			opts.Seed = c.Int64("seed")
			opts.Temperature = c.Float64("temperature")
			opts.NumCtx = c.Int("num-ctx")
			opts.Think = c.Bool("think")
			opts.KVCacheType = c.String("kv-cache-type")
			opts.KeepAlive = c.Duration("keep-alive")
			opts.RequestTimeout = c.Duration("request-timeout")
			opts.SkipColdLoad = c.Bool("no-cold")
			opts.FirstTokenTimeout = c.Duration("first-token-timeout")
			opts.MaxErrors = *c.Generic("max-errors").(*bench.ErrorLimit)
			opts.Grace = c.Duration("grace")
			var resume *bench.JournalData
			if jpath := c.String("resume"); jpath != "" {
				var err error
				if resume, err = resumeOptions(c, jpath); err != nil {
					return &exitError{exitUsage, err}
				}
				opts = resume.Header.Options
				if !opts.Resumable() {
					return usageErr("--resume %s: this run (a load model, a sweep, a duration or several servers) cannot be resumed without changing what it measures; its journal holds every request it completed", c.String("resume"))
				}
				if c.IsSet("grace") {
					opts.Grace = c.Duration("grace")
				}
			}
			if err := opts.Validate(); err != nil {
				return &exitError{exitUsage, err}
			}
			hostStrs := c.Generic("host").(*hostList).vals
			if len(hostStrs) > 1 && resume != nil {
				return usageErr("--resume finishes a run of one server; give at most one --host")
			}
			if len(hostStrs) == 0 && resume != nil {
				hostStrs = []string{resume.Header.Options.Host}
			}
			if len(hostStrs) == 0 && opts.Backend == "openai" {
				return usageErr("--backend openai needs --host (e.g. http://127.0.0.1:8080 for llama.cpp's server, http://127.0.0.1:8000 for vLLM, http://127.0.0.1:11434 for Ollama's /v1)")
			}
			if len(hostStrs) == 0 {
				hostStrs = []string{e.getenv("OLLAMA_HOST")}
			}
			if len(hostStrs) == 1 && hostStrs[0] == "" {
				hostStrs[0] = bench.DefaultOllamaHost
			}
			var backends []bench.Backend
			seen := map[string]bool{}
			for _, hs := range hostStrs {
				host, err := bench.ParseHost(hs)
				if err != nil {
					return usageErr("--host: %v", err)
				}
				if seen[host.String()] {
					return usageErr("--host %s is given twice", bench.Redact(host.String()))
				}
				seen[host.String()] = true
				backends = append(backends, newBackend(opts, host, e.getenv))
			}
			host := backends[0].URL()
			if len(backends) > 1 {
				for _, b := range backends {
					opts.Hosts = append(opts.Hosts, bench.Redact(b.URL().String()))
				}
			}
			opts.RunID = bench.NewRunID()
			out := c.String("out")
			if out == "" {
				out = results.DefaultPath(c.String("out-dir"), opts.Model, time.Now(), opts.RunID)
			}
			if resume != nil {
				if h := bench.Redact(host.String()); h != resume.Header.Options.Host {
					return usageErr("--host %s is not the server the journal measured (%s)", h, resume.Header.Options.Host)
				}
				opts.RunID = resume.Header.RunID
				out = strings.TrimSuffix(c.String("resume"), journalSuffix)
			}
			// A run file that cannot be written must fail now, not after the run.
			if err := results.CheckWritable(out); err != nil {
				return usageErr("--out: %v", err)
			}
			if _, err := os.Stat(out + journalSuffix); resume == nil && err == nil {
				if j, err := bench.ReadJournal(out + journalSuffix); err == nil && !j.Header.Options.Resumable() {
					return usageErr("%s%s holds the completed requests of a run that stopped without writing its file and cannot be resumed (a load model, sweep, duration or several servers): keep it elsewhere or remove it", out, journalSuffix)
				}
				return usageErr("%s%s is the journal of an unfinished run: finish it with --resume %s%s, or remove it", out, journalSuffix, out, journalSuffix)
			}

			hw := profiles.Detect(c.Context)
			resolve := e.resolveProfile
			if resolve == nil {
				resolve = profiles.ResolveProfile
			}
			// Resolved before measuring: a probe must not run while the server works,
			// and a bad profile must fail before anything is measured.
			prof, err := resolve(c.Context, c.String("profile"), hw)
			if err != nil {
				if c.Context.Err() != nil {
					return &exitError{exitInterrupted, errors.New("interrupted before anything was measured")}
				}
				return usageErr("--profile: %v", err)
			}
			machine := machineOf(prof)
			// The client's own overhead and timing error on this machine, measured
			// while the server is idle; about 300 ms.
			var self *calib.SelftestResult
			if !c.Bool("no-selftest") {
				if st, err := calib.QuickSelftest(c.Context); err == nil {
					self = &st
				}
			}
			var bar *progressbar.ProgressBar
			observe := func(ev bench.Event) {}
			if e.stderrTTY && !c.Bool("quiet") {
				levels, names := opts.Levels(), opts.LevelNames()
				warmups := opts.Warmup
				if len(opts.PromptTokensSweep) > 1 {
					warmups *= len(levels)
				}
				total := len(backends) * (warmups + opts.Runs*len(levels))
				if !opts.SkipColdLoad && opts.Backend == "ollama" {
					total += len(backends)
				}
				if opts.Duration > 0 {
					total = -1 // a spinner: the count is not known
				}
				bar = progressbar.NewOptions(total,
					progressbar.OptionSetWriter(e.stderr),
					progressbar.OptionSetDescription("cold load"),
					progressbar.OptionShowCount(),
					progressbar.OptionSetElapsedTime(true),
					progressbar.OptionSetPredictTime(true),
					progressbar.OptionClearOnFinish(),
					progressbar.OptionThrottle(100*time.Millisecond),
				)
				observe = func(ev bench.Event) {
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
			var journal *bench.Journal
			if resume != nil {
				journal, err = bench.AppendJournal(c.String("resume"))
			} else {
				journal, err = bench.CreateJournal(out + journalSuffix)
			}
			if err != nil {
				return usageErr("%v", err)
			}
			res, runErr := bench.RunDurable(c.Context, backends, opts, observe, bench.Durable{Journal: journal, Resume: resume, Abandon: e.hardStop})
			if bar != nil {
				_ = bar.Finish()
				_ = bar.Clear()
			}
			interrupted := c.Context.Err() != nil
			if res == nil || (res.Cold == nil && len(res.Warmup) == 0 && len(res.Samples) == 0) {
				// Nothing was measured: one line, no file.
				if resume == nil {
					_ = journal.Remove()
				} else {
					_ = journal.Close()
				}
				if runErr == nil {
					runErr = errors.New("nothing was measured")
				}
				if interrupted {
					return &exitError{exitInterrupted, errors.New("interrupted before anything was measured")}
				}
				if errors.Is(runErr, bench.ErrResumeMismatch) {
					return &exitError{exitUsage, runErr}
				}
				return runErr
			}
			// Something was measured: it is written, whatever happened after.
			run := results.Build(res, hw, machine)
			run.Selftest = self
			for _, w := range prof.Warnings {
				run.Warnings = append(run.Warnings, bench.Warning{Code: "profile", Message: w})
			}
			if err := results.RenderTable(e.stdout, run); err != nil {
				return err
			}
			written, werr := writeRunFile(out, run)
			// An interrupt that came as the last request asked was ending (and it finished
			// within --grace) left nothing undone: the run is complete.
			stopped := run.EndReason == bench.EndInterrupted
			if werr != nil || (stopped && opts.Resumable()) {
				// The journal stays: it can finish the run, or holds what the file could not.
				if jerr := journal.Close(); werr != nil && jerr == nil {
					werr = fmt.Errorf("%w; every completed request is in %s", werr, journal.Path())
				}
			} else if err := journal.Remove(); err != nil {
				fmt.Fprintf(e.stderr, "yardstick: warning: removing the journal: %v\n", err)
			}
			if werr != nil && written == "" {
				return werr
			}
			fmt.Fprintf(e.stdout, "\nrun file  %s\n", written)
			switch {
			case werr != nil:
				return werr
			case stopped && !opts.Resumable():
				return &exitError{exitInterrupted, fmt.Errorf("interrupted; what was measured (measured requests: %d) is in %s", len(run.Samples), written)}
			case stopped:
				return &exitError{exitInterrupted, fmt.Errorf("interrupted; what was measured (measured requests: %d) is in %s; finish the run with yardstick run --resume %s",
					len(run.Samples), written, journal.Path())}
			case runErr != nil:
				return &exitError{exitFailure, fmt.Errorf("%v (written to %s)", runErr, written)}
			case aborted(run) != "":
				return &exitError{exitFailure, fmt.Errorf("%s (written to %s)", aborted(run), written)}
			case run.Throughput.Failed > 0:
				return &exitError{exitFailure, fmt.Errorf("%d of %d measured requests failed (see warnings and %s)", run.Throughput.Failed, len(run.Samples), written)}
			}
			return nil
		},
	}
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
	return alt, &exitError{exitFailure, fmt.Errorf("%v; the run was written to %s instead", err, alt)}
}

// journalSuffix names a run's journal after its run file.
const journalSuffix = ".journal"

// resumeOptions reads the journal of --resume and refuses flags that would make the
// resumed run differ from the one it finishes.
func resumeOptions(c *cli.Context, path string) (*bench.JournalData, error) {
	if !strings.HasSuffix(path, journalSuffix) {
		return nil, fmt.Errorf("--resume %s: a journal's name ends in %s (the run file's name plus %s)", path, journalSuffix, journalSuffix)
	}
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		switch name {
		case "resume", "host", "grace", "quiet", "profile", "no-selftest":
			continue
		}
		if c.IsSet(name) {
			return nil, fmt.Errorf("--resume takes the run's options from its journal; --%s cannot be given with it", name)
		}
	}
	d, err := bench.ReadJournal(path)
	if err != nil {
		return nil, fmt.Errorf("--resume: %w", err)
	}
	return d, nil
}

// newBackend returns the backend of opts.Backend for the server at host; the OpenAI
// backend's API key is read from the environment variable opts.APIKeyEnv.
func newBackend(opts bench.Options, host *url.URL, getenv func(string) string) bench.Backend {
	if opts.Backend == "openai" {
		return bench.NewOpenAI(host, getenv(opts.APIKeyEnv))
	}
	return bench.NewOllama(host)
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

// aborted returns the message of a server_aborted warning, or "": a server of the
// fleet stopped answering, which fails the run even when its failures were warm-ups.
func aborted(run *results.Run) string {
	for _, w := range run.Warnings {
		if w.Code == "server_aborted" {
			return w.Message
		}
	}
	return ""
}

// machineOf is what a run records of its profile.
func machineOf(p profiles.Profile) *results.Machine {
	return &results.Machine{
		Profile: p.Name, ProfileSource: p.Source,
		MemoryBandwidthBytesPerS: p.MemoryBandwidthBytesPerS, BandwidthSource: p.BandwidthSource,
		PeakFLOPS: p.PeakFLOPS, FLOPSSource: p.FLOPSSource,
		HostBandwidthBytesPerS: p.HostMemoryBandwidthBytesPerS,
		PricePerHour:           p.PricePerHour, Watts: p.Watts, EnergyPricePerKWh: p.EnergyPricePerKWh, Currency: p.Currency,
	}
}

// runsValue is the --runs flag: a positive count or "auto", validated when parsed.
type runsValue struct {
	n    int
	auto bool
}

func (r *runsValue) Set(s string) error {
	if strings.EqualFold(strings.TrimSpace(s), "auto") {
		r.auto = true
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("want a number or auto")
	}
	r.n, r.auto = n, false
	return nil
}

func (r *runsValue) String() string {
	if r == nil {
		return ""
	}
	if r.auto {
		return "auto"
	}
	return strconv.Itoa(r.n)
}
