package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/internal/fakeopenai"
	"github.com/yardstick-dev/yardstick/results"
)

// `yardstick schema` prints the committed schema (results' drift test keeps that one
// true to the types), and --out writes the same bytes.
func TestSchemaCommandPrintsCommittedSchema(t *testing.T) {
	want, err := os.ReadFile("../../docs/schema/run.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	o := runCLI(t, nil, "schema")
	if o.code != 0 || o.stdout != string(want) {
		t.Fatalf("schema: exit %d, stderr %q; stdout equals docs/schema/run.schema.json: %v", o.code, o.stderr, o.stdout == string(want))
	}
	out := filepath.Join(t.TempDir(), "run.schema.json")
	if o := runCLI(t, nil, "schema", "--out", out); o.code != 0 || o.stdout != "" {
		t.Fatalf("schema --out: exit %d, stdout %q, stderr %q", o.code, o.stdout, o.stderr)
	}
	if got, err := os.ReadFile(out); err != nil || string(got) != string(want) {
		t.Errorf("schema --out wrote %d bytes (%v), want the committed schema's %d", len(got), err, len(want))
	}
	if o := runCLI(t, nil, "schema", "extra"); o.code != 2 {
		t.Errorf("schema with an argument: exit %d, want 2", o.code)
	}
}

// Run files written by `yardstick run` against the fake servers (with the self-test,
// host CPU and memory sampling a real run records, an open-loop sweep with SLOs, the
// OpenAI backend, several servers at once) and by `merge` validate against the
// committed schema: what the runner writes, not only what results.Build assembles.
func TestRunnerFilesValidateAgainstSchema(t *testing.T) {
	b, err := os.ReadFile("../../docs/schema/run.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(results.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(results.SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	oll := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 8, Gap: time.Millisecond, Synthetic: true})
	defer oll.Close()
	oll2 := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 8, Gap: time.Millisecond, Synthetic: true})
	defer oll2.Close()
	thinker := fakeollama.New(fakeollama.Config{Models: []string{"qwen3"}, Tokens: 8, ThinkingTokens: 4, Gap: time.Millisecond})
	defer thinker.Close()
	oai := fakeopenai.New(fakeopenai.Config{Models: []string{"m"}, TTFT: 2 * time.Millisecond, Gap: time.Millisecond, Tokens: 8, PromptTokens: 16})
	defer oai.Close()
	dir := t.TempDir()
	small := []string{"--runs", "6", "--warmup", "1", "--prompt-tokens", "16", "--max-tokens", "8"}
	runs := map[string][]string{
		"selftest.json": {"--model", "twin", "--host", oll.URL},
		"sweep.json": {"--model", "qwen3", "--host", thinker.URL, "--rate", "50,100", "--arrival", "poisson", "--slo", "ttft_p95=500ms,tpot=50ms",
			"--max-errors", "10%", "--think", "high", "--no-selftest"},
		"openai.json": {"--backend", "openai", "--model", "m", "--host", oai.URL, "--no-selftest"},
		"fleet.json":  {"--model", "twin", "--host", oll.URL, "--host", oll2.URL, "--concurrency", "2", "--no-selftest"},
	}
	var written []string
	for name, args := range runs {
		out := filepath.Join(dir, name)
		if o := runCLI(t, nil, append(append([]string{"run", "--out", out}, small...), args...)...); o.code != 0 {
			t.Fatalf("%s: exit %d: %s", name, o.code, o.stderr)
		}
		written = append(written, out)
	}
	a, b2 := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for _, p := range []string{a, b2} {
		if o := runCLI(t, nil, append([]string{"run", "--out", p, "--model", "twin", "--host", oll.URL, "--no-selftest"}, small...)...); o.code != 0 {
			t.Fatalf("exit %d: %s", o.code, o.stderr)
		}
	}
	merged := filepath.Join(dir, "merged.json")
	if o := runCLI(t, nil, "merge", "--out", merged, a, b2); o.code != 0 {
		t.Fatalf("merge: exit %d: %s", o.code, o.stderr)
	}
	written = append(written, a, merged)
	// Each file holds the part it is here for.
	for name, want := range map[string][]string{
		"selftest.json": {`"selftest": {`, `"host_cpu": {`},
		"sweep.json":    {`"think": "high"`, `"max_errors": "10%"`, `"threshold_ns": 500000000`, `"arrival": "poisson"`},
		"openai.json":   {`"backend": "openai"`},
		"fleet.json":    {`"fleet": [`},
		"merged.json":   {`"merged_from": [`},
	} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !bytes.Contains(raw, []byte(w)) {
				t.Errorf("%s has no %s", name, w)
			}
		}
	}
	for _, p := range written {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s does not validate against docs/schema/run.schema.json:\n%v", filepath.Base(p), err)
		}
	}
}
