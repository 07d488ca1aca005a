package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

func runCommand(e *env) *cli.Command {
	d := bench.DefaultOptions()
	return &cli.Command{
		Name:      "run",
		Usage:     "benchmark one model on an Ollama server and write the run JSON",
		UsageText: "yardstick run --model NAME [--host URL] [--runs N] [--warmup N] [--prompt-tokens N] [--max-tokens N] [--out FILE]",
		Description: `Unloads the model, times one cold request, sends --warmup uncounted requests, then
--runs measured requests one after another. Prints a table and writes every raw sample
and the summaries to a JSON file (atomically). Exit status: 0 all requests succeeded,
1 the run failed or some requests failed (the file still holds what was measured),
2 bad flags, 130 interrupted (the file holds what was measured so far).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "model name on the server, e.g. qwen2.5:0.5b"},
			&cli.StringFlag{Name: "host", Usage: "server URL (default: $OLLAMA_HOST, then " + bench.DefaultOllamaHost + ")"},
			&cli.IntFlag{Name: "runs", Aliases: []string{"n"}, Value: d.Runs, Usage: "measured requests"},
			&cli.IntFlag{Name: "warmup", Value: d.Warmup, Usage: "uncounted requests before measuring (they also calibrate the prompt length)"},
			&cli.IntFlag{Name: "prompt-tokens", Value: d.PromptTokens, Usage: "prompt length in tokens as the server counts them"},
			&cli.IntFlag{Name: "max-tokens", Value: d.MaxTokens, Usage: "output tokens to generate at most (num_predict)"},
			&cli.Int64Flag{Name: "seed", Value: d.Seed, Usage: "seed of the prompts and of the server's sampler"},
			&cli.Float64Flag{Name: "temperature", Value: d.Temperature, Usage: "sampling temperature (> 0 for shape twins)"},
			&cli.IntFlag{Name: "num-ctx", Value: d.NumCtx, Usage: "context window in tokens, always sent"},
			&cli.BoolFlag{Name: "think", Value: false, Usage: "let thinking models think"},
			&cli.StringFlag{Name: "kv-cache-type", Value: d.KVCacheType, Usage: "the server's KV cache type (OLLAMA_KV_CACHE_TYPE: f16, q8_0, q4_0), for the roofline"},
			&cli.DurationFlag{Name: "keep-alive", Value: d.KeepAlive, Usage: "how long the server keeps the model loaded afterwards"},
			&cli.DurationFlag{Name: "request-timeout", Value: d.RequestTimeout, Usage: "limit on each request, send to done"},
			&cli.BoolFlag{Name: "no-cold", Usage: "skip unloading the model and the timed cold-load request"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "run file path (default: yardstick-<model>-<time>.json in --out-dir)"},
			&cli.StringFlag{Name: "out-dir", Value: ".", Usage: "directory of the default run file"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr("run: unexpected argument %q (flags go before nothing else; did you mean --model %s?)", c.Args().First(), c.Args().First())
			}
			opts := d
			opts.Model = c.String("model")
			opts.Runs = c.Int("runs")
			opts.Warmup = c.Int("warmup")
			opts.PromptTokens = c.Int("prompt-tokens")
			opts.MaxTokens = c.Int("max-tokens")
			opts.Seed = c.Int64("seed")
			opts.Temperature = c.Float64("temperature")
			opts.NumCtx = c.Int("num-ctx")
			opts.Think = c.Bool("think")
			opts.KVCacheType = c.String("kv-cache-type")
			opts.KeepAlive = c.Duration("keep-alive")
			opts.RequestTimeout = c.Duration("request-timeout")
			opts.SkipColdLoad = c.Bool("no-cold")
			if err := opts.Validate(); err != nil {
				return &exitError{exitUsage, err}
			}
			hostStr := c.String("host")
			if hostStr == "" {
				hostStr = e.getenv("OLLAMA_HOST")
			}
			if hostStr == "" {
				hostStr = bench.DefaultOllamaHost
			}
			host, err := bench.ParseHost(hostStr)
			if err != nil {
				return usageErr("--host: %v", err)
			}
			out := c.String("out")
			if out == "" {
				out = results.DefaultPath(c.String("out-dir"), opts.Model, time.Now())
			}

			hw := profiles.Detect(c.Context)
			var bar *progressbar.ProgressBar
			observe := func(ev bench.Event) {}
			if e.stderrTTY && !c.Bool("quiet") {
				total := opts.Warmup + opts.Runs
				if !opts.SkipColdLoad {
					total++
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
					if s := ev.Sample; s != nil && s.OK && s.ServerGenPerS != nil {
						desc += fmt.Sprintf(" %.1f tok/s", *s.ServerGenPerS)
					} else if s != nil && !s.OK {
						desc += " failed: " + string(s.ErrorKind)
					}
					bar.Describe(desc)
					_ = bar.Add(1)
				}
			}
			res, runErr := bench.Run(c.Context, bench.NewOllama(host), opts, observe)
			if bar != nil {
				_ = bar.Finish()
				_ = bar.Clear()
			}
			if res == nil || (runErr != nil && len(res.Samples) == 0) || res.Samples == nil || succeeded(res) == 0 {
				if runErr == nil {
					runErr = errors.New("nothing was measured")
				}
				if res != nil && res.EndReason == bench.EndInterrupted {
					return &exitError{exitInterrupted, runErr}
				}
				return runErr
			}
			run := results.Build(res, hw, nil)
			if err := results.WriteFile(out, run); err != nil {
				return err
			}
			if err := results.RenderTable(e.stdout, run); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "\nrun file  %s\n", out)
			switch {
			case run.EndReason == bench.EndInterrupted:
				return &exitError{exitInterrupted, fmt.Errorf("interrupted; %d measured requests written to %s", len(run.Samples), out)}
			case run.Throughput.Failed > 0:
				return &exitError{exitFailure, fmt.Errorf("%d of %d measured requests failed (see warnings and %s)", run.Throughput.Failed, len(run.Samples), out)}
			}
			return nil
		},
	}
}

func succeeded(res *bench.Result) int {
	n := 0
	for _, s := range res.Samples {
		if s.OK {
			n++
		}
	}
	return n
}
