package main

import (
	"embed"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/dataset"
	"github.com/yardstick-dev/yardstick/internal/flagval"
	"github.com/yardstick-dev/yardstick/results"
	"github.com/yardstick-dev/yardstick/synth"
)

// commands is yardstick's command line, in the order of --help: every command with its
// flags and the method that runs it (e.run in run.go, e.synth in synth.go, ...). Its
// help text is prose in help/NAME.txt.
func (e *env) commands() []*cli.Command {
	d := bench.DefaultOptions()
	failOn, alpha := &flagval.Gates{}, &flagval.Alpha{Value: results.DefaultAlpha}
	// html is the one format that draws (results.RenderRunHTML and the comparison's and
	// history's pages): it needs the runs, not only their Comparison.
	reportFormats := slices.Concat(results.Formats, []string{"html"})
	compareFormat := &flagval.Choice{Value: "table", Allowed: reportFormats}
	reportFormat := &flagval.Choice{Value: "table", Allowed: reportFormats}
	lsFormat := &flagval.Choice{Value: "table", Allowed: []string{"table", "json"}}
	checkFormat := &flagval.Choice{Value: "table", Allowed: checkFormats}
	hwFormat := &flagval.Choice{Value: "table", Allowed: []string{"table", "json"}}
	selftestFormat := &flagval.Choice{Value: "table", Allowed: []string{"table", "json"}}
	versionFormat := &flagval.Choice{Value: "table", Allowed: []string{"table", "json"}}
	return []*cli.Command{
		command("run", withEnv(runFlags(d), runEnv...), func(c *cli.Context) error { return e.run(c, d) }),
		command("synth", withEnv([]cli.Flag{
			&cli.StringFlag{Name: "shape", Value: "qwen2.5-0.5b", Usage: "model shape (see --list)"},
			&cli.StringFlag{Name: "quant", Value: "Q8_0", Usage: "weight type: " + synth.QuantNames()},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the random weights"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "GGUF path (default: twins/<shape>-<quant>.gguf)"},
			&cli.StringFlag{Name: "create", Usage: "also upload it to the server as this model name"},
			&cli.StringFlag{Name: "host", Usage: "server URL for --create (default: $OLLAMA_HOST, then " + bench.DefaultOllamaHost + ")"},
			&cli.BoolFlag{Name: "list", Usage: "list the shapes and their sizes, and exit"},
		}, "host"), noArgs(e.synth)),
		command("plan", withEnv(planFlags(), "host"), noArgs(e.plan)),
		command("hw", []cli.Flag{
			&cli.BoolFlag{Name: "probe", Usage: "measure host memory bandwidth"},
			&cli.DurationFlag{Name: "probe-duration", Value: 2 * time.Second, Usage: "how long the probe measures"},
			&cli.StringFlag{Name: "profile", Usage: "resolve this profile (name, file, builtin:<device id>) instead of the detected one"},
			&cli.BoolFlag{Name: "devices", Usage: "list the built-in device table and exit"},
			formatFlag(hwFormat), jsonAliasFlag,
		}, noArgs(func(c *cli.Context) error { return e.hw(c, hwFormat) })),
		command("check", append([]cli.Flag{
			&cli.StringFlag{Name: "profile", Usage: "profile with expectations: a name (./profiles/, ~/.config/yardstick/profiles/, built-in examples) or a YAML file"},
			strictFlag("a threshold the run has no figure for"),
		}, outputFlags(checkFormat)...), func(c *cli.Context) error { return e.check(c, checkFormat.Value) }),
		command("compare", append([]cli.Flag{
			&cli.GenericFlag{Name: "fail-on", Value: failOn, Usage: "regression gates, comma-separated: METRIC[_STAT]<=+N% bounds a rise, >=-N% a fall (older: METRIC:±N%)"},
			&cli.GenericFlag{Name: "alpha", Value: alpha, Usage: "significance level of the U test"},
			&cli.BoolFlag{Name: "force", Usage: "compare runs whose keys refuse the comparison"},
			strictFlag("a gate that cannot be judged (metric missing, too few samples)"),
		}, outputFlags(compareFormat)...), func(c *cli.Context) error { return e.compare(c, failOn.Gates, alpha.Value, compareFormat.Value) }),
		command("report", append(outputFlags(reportFormat),
			&cli.BoolFlag{Name: "samples", Usage: "with --format csv: one row per request (cold, warm-ups, measured) instead of the statistics"}),
			func(c *cli.Context) error { return e.report(c, reportFormat.Value) }),
		command("merge", []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "merged run file to write (required; - writes it to stdout)"},
			&cli.BoolFlag{Name: "force", Usage: "merge runs of different models or workloads"},
		}, e.merge),
		command("ls", []cli.Flag{
			&cli.GenericFlag{Name: "format", Aliases: []string{"f"}, Value: lsFormat, Usage: "table or json"},
			&cli.StringFlag{Name: "db", Usage: "list the runs of this results store (yardstick db) instead of a directory"},
		}, func(c *cli.Context) error { return e.ls(c, lsFormat.Value) }),
		command("db", []cli.Flag{
			&cli.StringFlag{Name: "db", Usage: "the SQLite results store (created when absent)"},
		}, e.db),
		command("selftest", []cli.Flag{
			&cli.BoolFlag{Name: "quick", Usage: "the ~300 ms self-test that runs record"},
			formatFlag(selftestFormat), jsonAliasFlag,
		}, noArgs(func(c *cli.Context) error { return e.selftest(c, selftestFormat) })),
		command("schema", []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the schema to this file instead of stdout (- for stdout)"},
		}, noArgs(e.schema)),
		command("version", []cli.Flag{formatFlag(versionFormat)}, func(c *cli.Context) error { return e.version(c, versionFormat.Value) }),
		command("completion", nil, e.completion),
	}
}

// runFlags are run's flags; d holds the defaults.
func runFlags(d bench.Options) []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "model", Aliases: []string{"m"}, Value: &flagval.Models{EnvFirst: flagval.EnvFirst{Var: envVar("model")}}, Usage: "model name on the server, e.g. qwen2.5:0.5b; several (-m a,b or -m a -m b) are measured in turn, one run file each, then one table of them all"},
		&cli.GenericFlag{Name: "host", Value: &flagval.HostList{EnvFirst: flagval.EnvFirst{Var: envVar("host")}}, Usage: "server URL; repeat it to measure several servers at once (default: $OLLAMA_HOST, then " + bench.DefaultOllamaHost + ")"},
		&cli.StringFlag{Name: "backend", Value: d.Backend, Usage: "server API: ollama (/api/chat) or openai (/v1/chat/completions: llama.cpp, vLLM, LM Studio, Ollama's /v1)"},
		&cli.StringFlag{Name: "api-key-env", Value: bench.DefaultAPIKeyEnv, Usage: "environment variable holding the openai backend's API key (sent as a bearer token; never recorded)"},
		&cli.GenericFlag{Name: "concurrency", Aliases: []string{"c"}, Value: flagval.IntList(0, bench.MaxInFlight, 1), Usage: "closed loop: N workers, each sending its next request when its last ends; a list sweeps the levels; with --rate, the cap on requests in flight (0: none)"},
		&cli.GenericFlag{Name: "rate", Value: flagval.RateList(), Usage: "open loop: requests per second on a fixed schedule (latency and queue delay counted from it); a list sweeps the levels"},
		&cli.StringFlag{Name: "arrival", Value: d.Arrival, Usage: "open-loop arrivals: constant or poisson (seeded by --seed)"},
		&cli.DurationFlag{Name: "duration", Usage: "measure each level for this long instead of --runs requests (--runs is then a cap, 100000 unless given)"},
		&cli.GenericFlag{Name: "slo", Value: &bench.SLO{}, Usage: "objectives each request is held against, e.g. 'ttft_p95<=500ms,tpot<=50ms' (older: ttft_p95=500ms; metrics ttft, tpot, e2e; _pNN makes it a percentile); gives goodput per level"},
		&cli.GenericFlag{Name: "runs", Aliases: []string{"n"}, Value: &flagval.Runs{N: d.Runs}, Usage: "measured requests: a number, or auto (until the median decode rate is known to --precision, at most --max-runs)"},
		&cli.IntFlag{Name: "max-runs", Value: 100, Usage: "cap of --runs auto"},
		&cli.IntFlag{Name: "min-runs", Value: d.MinRuns, Usage: "successful requests --runs auto measures at least (≥ 6)"},
		&cli.Float64Flag{Name: "precision", Value: d.Precision, Usage: "--runs auto stops when the median's 95% CI half width is within this fraction of it"},
		&cli.IntFlag{Name: "warmup", Value: d.Warmup, Usage: "uncounted requests before measuring (they also calibrate the prompt length)"},
		&cli.StringFlag{Name: "turns", Usage: "conversations: each user sends N turns, turn k with the whole history before it (the model's replies too); --runs counts turns, sent as whole conversations; all: every turn of a dataset's conversations"},
		&cli.DurationFlag{Name: "think-time", Usage: "conversations: how long a user waits after a reply before its next turn"},
		&cli.StringFlag{Name: "trace", Usage: "replay a Mooncake trace (JSON Lines: timestamp ms, input_length, output_length, hash_ids of 512-token blocks) as an open loop; --runs N replays its first N lines (default: all)"},
		&cli.Float64Flag{Name: "trace-speed", Value: 1, Usage: "--trace: replay this many times as fast as recorded"},
		&cli.GenericFlag{Name: "prompt-tokens", Value: flagval.IntList(1, 1<<20, d.PromptTokens), Usage: "prompt length in tokens as the server counts them; a list sweeps it and fits TTFT = fixed + tokens / prefill rate"},
		&cli.IntFlag{Name: "max-tokens", Value: d.MaxTokens, Usage: "output tokens to generate at most (num_predict); given with --dataset, it replaces the lengths the file sets"},
		&cli.StringFlag{Name: "dataset", Usage: "send the prompts of this file instead of synthetic ones (ShareGPT JSON, JSONL or text; see --dataset-format)"},
		&cli.GenericFlag{Name: "dataset-format", Value: &flagval.Choice{Allowed: dataset.Formats}, Usage: "format of --dataset: sharegpt, jsonl or text (default: detected from its first character)"},
		&cli.IntFlag{Name: "dataset-limit", Usage: "send at most N records of --dataset, drawn in an order set by --seed (0: all)"},
		&cli.IntFlag{Name: "dataset-min-prompt-tokens", Usage: "skip --dataset records whose estimated prompt tokens are fewer"},
		&cli.IntFlag{Name: "dataset-max-prompt-tokens", Usage: "skip --dataset records whose estimated prompt tokens are more"},
		&cli.IntFlag{Name: "prefix-tokens", Usage: "give every measured request a shared system prefix of about N tokens (part of --prompt-tokens), so the prompt cache can hit; reports hits and misses apart"},
		&cli.IntFlag{Name: "prefix-groups", Value: 1, Usage: "number of different shared prefixes (--prefix-tokens), each request drawing one"},
		&cli.BoolFlag{Name: "ignore-eos", Usage: "openai backend: ask the server to ignore the end of sequence and generate --max-tokens (ignore_eos: vLLM, SGLang, llama.cpp)"},
		&cli.IntFlag{Name: "min-tokens", Usage: "openai backend: generate at least N tokens (min_tokens: vLLM, SGLang)"},
		&cli.StringFlag{Name: "extra-body", Usage: "openai backend: a JSON object whose fields are added to every request, e.g. '{\"top_k\": 20}' (recorded in the run file)"},
		&cli.Int64Flag{Name: "seed", Value: d.Seed, Usage: "seed of the prompts and of the server's sampler"},
		&cli.Float64Flag{Name: "temperature", Value: d.Temperature, Usage: "sampling temperature (> 0 for shape twins)"},
		&cli.IntFlag{Name: "num-ctx", Value: d.NumCtx, Usage: "context window in tokens, always sent"},
		&cli.GenericFlag{Name: "think", Value: func() *bench.Think { t := d.Think; return &t }(), Usage: "what thinking models are asked: true, false, or an effort low, medium or high (Ollama's think; on openai servers reasoning_effort and chat_template_kwargs.enable_thinking)"},
		&cli.StringFlag{Name: "kv-cache-type", Value: d.KVCacheType, Usage: "the server's KV cache type (OLLAMA_KV_CACHE_TYPE: f16, q8_0, q4_0), for the roofline, and for the memory prediction when the local server's environment cannot be read"},
		&cli.IntFlag{Name: "server-parallel", Usage: "requests the server serves at once, each with its own KV cache (OLLAMA_NUM_PARALLEL), for the memory prediction (default: read from the local server's environment, else worked out from /api/ps)"},
		&cli.DurationFlag{Name: "keep-alive", Value: d.KeepAlive, Usage: "how long the server keeps the model loaded afterwards"},
		&cli.DurationFlag{Name: "request-timeout", Value: d.RequestTimeout, Usage: "limit on each request, send to done"},
		&cli.DurationFlag{Name: "first-token-timeout", Usage: "fail a request with no generated text this long after sending it (0: no limit)"},
		&cli.GenericFlag{Name: "max-errors", Value: &bench.ErrorLimit{}, Usage: "end the run once its failed requests exceed N, or P% of those asked (with --duration: of those sent, from 20 on) (default: after 5 failures in a row, per server)"},
		&cli.DurationFlag{Name: "grace", Value: d.Grace, Usage: "on Ctrl-C or SIGTERM, how long the request in flight may still finish and be kept"},
		&cli.StringFlag{Name: "resume", Usage: "finish an interrupted run from its journal (<run file>.journal), with the options it was started with"},
		&cli.StringFlag{Name: "profile", Usage: "hardware profile to hold the run against: a name, a YAML file or builtin:<device id> (default: detected; a CPU without a device-table row gets a 1 s bandwidth probe)"},
		&cli.BoolFlag{Name: "no-selftest", Usage: "skip the 300 ms client self-test recorded in the run"},
		&cli.BoolFlag{Name: "no-cold", Usage: "skip unloading the model and the timed cold-load request"},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "run file path; - writes its JSON to stdout and the table to stderr (default: yardstick-<model>-<time>.json in --out-dir)"},
		&cli.StringFlag{Name: "out-dir", Value: ".", Usage: "directory of the default run file"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
	}
}

// strictFlag is --strict of the commands that gate: on by default, what cannot be
// judged fails; --strict=false skips it (what fails is named by what).
func strictFlag(what string) cli.Flag {
	return &cli.BoolFlag{Name: "strict", Value: true, Usage: "fail " + what + " instead of skipping it; --strict=false skips it"}
}

// outputFlags are the flags of the commands that write a report.
func outputFlags(format *flagval.Choice) []cli.Flag {
	return []cli.Flag{
		formatFlag(format),
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the report to this file (atomically) instead of stdout (-: stdout)"},
	}
}

// formatFlag is --format (-f), the one spelling of an output format on every command:
// JSON is --format json everywhere.
func formatFlag(format *flagval.Choice) cli.Flag {
	return &cli.GenericFlag{Name: "format", Aliases: []string{"f"}, Value: format,
		Usage: "output format: " + strings.Join(format.Allowed, ", ")}
}

// jsonAliasFlag is --json, hidden: the spelling hw and selftest had before --format,
// kept so scripts written for it still work (jsonFormat).
var jsonAliasFlag = &cli.BoolFlag{Name: "json", Hidden: true, Usage: "same as --format json"}

// jsonFormat is the format asked of a command with --format and the hidden --json:
// --json means --format json, and contradicting an explicit --format is a usage error.
func jsonFormat(c *cli.Context, format *flagval.Choice) (string, error) {
	if !c.Bool("json") {
		return format.Value, nil
	}
	if c.IsSet("format") && format.Value != "json" {
		return "", usageErr("%s: --json is --format json; it contradicts --format %s", c.Command.Name, format.Value)
	}
	return "json", nil
}

//go:embed help/*.txt
var helpFiles embed.FS

// command is the command name with flags and action, and its help from
// help/NAME.txt, which is prose and reads as the help does: the first line is the
// one-line usage, the lines up to the first blank line the synopsis (one line a form),
// the rest the description. A command without its file is a build error caught by
// every test (they all build the app), so it panics.
func command(name string, flags []cli.Flag, action cli.ActionFunc) *cli.Command {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic("yardstick: no help for command " + name + ": " + err.Error())
	}
	head, desc, _ := strings.Cut(strings.TrimSpace(string(b)), "\n\n")
	lines := strings.Split(head, "\n")
	return &cli.Command{Name: name, Usage: lines[0], UsageText: strings.Join(lines[1:], "\n   "),
		Description: strings.TrimSpace(desc), Flags: flags, Action: action}
}

// noArgs refuses arguments before calling action: the command takes flags only.
func noArgs(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usageErr("%s: unexpected argument %q", c.Command.Name, c.Args().First())
		}
		return action(c)
	}
}
