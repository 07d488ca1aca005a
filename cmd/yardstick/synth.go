package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/ollama/ollama/types/model"
	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/results"
	"github.com/yardstick-dev/yardstick/synth"
)

func synthCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "synth",
		Usage:     "write a shape twin: a GGUF with a real model's exact tensor shapes and random weights",
		UsageText: "yardstick synth --shape qwen2.5-0.5b --quant Q8_0 [--out FILE] [--create NAME [--host URL]]\n   yardstick synth --list",
		Description: `A shape twin reads and computes exactly the bytes the real model does, so its speed and
memory stand for the real model with no download; its text is noise. Every run of a twin
records the shape, the quantization and "synthetic weights".`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "shape", Value: "qwen2.5-0.5b", Usage: "model shape (see --list)"},
			&cli.StringFlag{Name: "quant", Value: "Q8_0", Usage: "weight type: " + quantNames()},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the random weights"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "GGUF path (default: twins/<shape>-<quant>.gguf)"},
			&cli.StringFlag{Name: "create", Usage: "also upload it to the server as this model name"},
			&cli.StringFlag{Name: "host", Usage: "server URL for --create (default: $OLLAMA_HOST, then " + bench.DefaultOllamaHost + ")"},
			&cli.BoolFlag{Name: "list", Usage: "list the shapes and their sizes, and exit"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr("synth: unexpected argument %q", c.Args().First())
			}
			if c.Bool("list") {
				return listShapes(e)
			}
			shape, err := synth.LookupShape(c.String("shape"))
			if err != nil {
				return usageErr("--shape: %v", err)
			}
			q, err := synth.ParseQuant(c.String("quant"))
			if err != nil {
				return usageErr("--quant: %v", err)
			}
			spec := synth.Spec{Shape: shape, Quant: q, Seed: c.Uint64("seed")}
			out := c.String("out")
			if out == "" {
				out = filepath.Join("twins", fmt.Sprintf("%s-%s.gguf", shape.Name, q))
			}
			// Everything --create needs is checked before the (possibly long) write.
			name := c.String("create")
			var host *url.URL
			if name != "" {
				if !model.ParseName(name).IsValid() {
					return usageErr("--create %q: not a valid Ollama model name (letters, digits, '.', '-', '_', an optional namespace/ and :tag)", name)
				}
				hostURL := c.String("host")
				if hostURL == "" {
					hostURL = e.getenv("OLLAMA_HOST")
				}
				if hostURL == "" {
					hostURL = bench.DefaultOllamaHost
				}
				h, err := bench.ParseHost(hostURL)
				if err != nil {
					return usageErr("--host: %v", err)
				}
				host = h
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			info, err := synth.WriteFileContext(c.Context, out, spec)
			if err != nil {
				if c.Context.Err() != nil {
					return &exitError{exitInterrupted, fmt.Errorf("interrupted; %s not written", out)}
				}
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s: %s %s, %d tensors, %d parameters, %s (random weights, seed %d)\n",
				out, shape.Name, q, info.Tensors, info.Params, humanBytes(info.SizeBytes), spec.Seed)
			if name == "" {
				return nil
			}
			b := bench.NewOllama(host)
			if _, err := b.Version(c.Context); err != nil {
				return err
			}
			err = synth.Create(c.Context, b.Client(), name, out, spec, func(status string) {
				fmt.Fprintf(e.stderr, "create %s: %s\n", name, status)
			})
			if err != nil {
				if c.Context.Err() != nil {
					return &exitError{exitInterrupted, fmt.Errorf("interrupted while creating %q", name)}
				}
				return fmt.Errorf("creating %q on %s: %w", name, bench.Redact(host.String()), err)
			}
			fmt.Fprintf(e.stdout, "created model %s on %s\n", name, bench.Redact(host.String()))
			return nil
		},
	}
}

func listShapes(e *env) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "shape\tarch\tlayers\tembd\theads/kv\tvocab\tparams\tQ8_0 data\tQ4_0 data\tF16 data\tsource")
	for _, s := range synth.Shapes() {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d/%d\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Arch, s.BlockCount, s.EmbeddingLength,
			s.HeadCount, s.HeadCountKV, s.VocabSize, s.Params(),
			humanBytes(int64(s.DataBytes(synth.Q8_0))), humanBytes(int64(s.DataBytes(synth.Q4_0))), humanBytes(int64(s.DataBytes(synth.F16))), s.Source)
	}
	return tw.Flush()
}

func quantNames() string {
	var names []string
	for _, q := range synth.Quants() {
		names = append(names, string(q))
	}
	return strings.Join(names, ", ")
}

func humanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print yardstick's version",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(e.stdout, "yardstick %s (%s, run schema %d)\n", results.Version, runtime.Version(), results.SchemaVersion)
			return nil
		},
	}
}
