package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/ollama/ollama/types/model"
	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/units"
	"github.com/yardstick-dev/yardstick/synth"
)

// synth writes a shape twin, and with --create uploads it.
func (e *env) synth(c *cli.Context) error {
	if c.Bool("list") {
		return synth.RenderShapes(e.stdout)
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
	// A shape the engine cannot load at this quantization is refused before anything
	// is written, on one line naming the quantizations that shape can take.
	if err := spec.Validate(); err != nil {
		var valid []string
		for _, vq := range synth.ValidQuants(shape) {
			valid = append(valid, string(vq))
		}
		return usageErr("--shape %s --quant %s: %v (valid for %s: %s)", shape.Name, q, err, shape.Name, strings.Join(valid, ", "))
	}
	out := c.String("out")
	if out == "-" {
		// Ollama v0.24.0's fs/ggml.WriteGGUF takes an *os.File and writes the tensors
		// at their offsets in parallel, which a pipe cannot take.
		return usageErr("synth --out -: a GGUF file is written at a path (its tensors are written in place, which a pipe cannot take), not to stdout")
	}
	if out == "" {
		out = filepath.Join("twins", fmt.Sprintf("%s-%s.gguf", shape.Name, q))
	}
	// Everything --create needs is checked before the (possibly long) write.
	name, host, err := createTarget(c, e)
	if err != nil {
		return err
	}
	if name != "" {
		// A server that does not answer is found before a write of up to tens of GB.
		if _, err := bench.NewOllama(host).Version(c.Context); err != nil {
			return fmt.Errorf("--create: %w; nothing written", err)
		}
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
	params := fmt.Sprintf("%d parameters", info.Params)
	if shape.IsMoE() {
		params += fmt.Sprintf(" (%d active: %d of %d experts per token)", shape.ActiveParams(), shape.ExpertUsedCount, shape.ExpertCount)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %s %s, %d tensors, %s, %s (random weights, seed %d)\n",
		out, shape.Name, q, info.Tensors, params, units.IEC(float64(info.SizeBytes)), spec.Seed)
	if name == "" {
		return nil
	}
	return createTwin(c, e, name, host, out, spec)
}

// createTarget checks --create's model name and resolves --host ($OLLAMA_HOST, then
// Ollama's default); name is "" without --create.
func createTarget(c *cli.Context, e *env) (name string, host *url.URL, err error) {
	name = c.String("create")
	if name == "" {
		return "", nil, nil
	}
	if !model.ParseName(name).IsValid() {
		return "", nil, usageErr("--create %q: not a valid Ollama model name (letters, digits, '.', '-', '_', an optional namespace/ and :tag)", name)
	}
	hostURL := c.String("host")
	if hostURL == "" {
		hostURL = e.getenv("OLLAMA_HOST")
	}
	if hostURL == "" {
		hostURL = bench.DefaultOllamaHost
	}
	if host, err = bench.ParseHost(hostURL); err != nil {
		return "", nil, usageErr("--host: %v", err)
	}
	return name, host, nil
}

// createTwin uploads the twin at out to the server at host as model name.
func createTwin(c *cli.Context, e *env, name string, host *url.URL, out string, spec synth.Spec) error {
	b := bench.NewOllama(host)
	if _, err := b.Version(c.Context); err != nil {
		return err
	}
	err := synth.Create(c.Context, b.Client(), name, out, spec, func(status string) {
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
}
