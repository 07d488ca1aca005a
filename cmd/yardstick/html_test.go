package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/results"
)

// convRun is a real run file: 3-turn conversations from a 10-record ShareGPT file
// against Ollama v0.24.0 on a shape twin of qwen3-0.6b (--dataset, --turns all).
const convRun = "testdata/conversation-ollama.json"

// report --format html writes one page for one run, for several (a comparison) and for
// a directory (a history); compare --format html writes the comparison's page. Each is
// a whole HTML document holding the runs' names, written through --out.
func TestReportHTMLPageKinds(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "runs")
	if err := os.MkdirAll(hist, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{baseRun, newRun} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hist, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string // in the page: its kind and what names the runs
	}{
		{"run", []string{"report", "-f", "html", baseRun}, []string{`data-kind="run"`, baseRun, `id="timeline"`}},
		{"comparison", []string{"report", "-f", "html", baseRun, newRun}, []string{`data-kind="comparison"`, baseRun + " (base)", newRun}},
		{"compare", []string{"compare", "-f", "html", baseRun, newRun}, []string{`data-kind="comparison"`, `id="verdicts"`}},
		{"history", []string{"report", "-f", "html", hist}, []string{`data-kind="history"`, "base.json", "new.json"}},
		// A 3-turn ShareGPT conversation run against Ollama v0.24.0 (a shape twin of
		// qwen3-0.6b): the header says it is one, the By turn section has its table and
		// chart, and the run file's conversation_cache (2 later turns judged by prefill
		// time, 1 missed) is said in words.
		{"conversation", []string{"report", "-f", "html", convRun}, []string{`<dt>conversations</dt>`, `id="turns"`,
			"TTFT against context depth", "by prefill time", "1 of 2 judged missed"}},
	} {
		out := filepath.Join(dir, tc.name+".html")
		args := append([]string{tc.args[0], "-o", out}, tc.args[1:]...)
		o := runCLI(t, nil, args...)
		if o.code != 0 || o.stdout != "" {
			t.Errorf("%s: exit %d stdout %q stderr %q", tc.name, o.code, o.stdout, o.stderr)
			continue
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(page), "</html>") {
			t.Errorf("%s: not a whole HTML document", tc.name)
		}
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: page lacks %q", tc.name, w)
			}
		}
	}
}

// Bad input: runs that cannot be compared keep compare's refusal (exit 2, nothing
// written), an empty directory and no argument exit 2, and a directory's unreadable
// files are one stderr line each and listed in the page, which is still written.
func TestReportHTMLBadInput(t *testing.T) {
	llama := writeVariant(t, "llama.json", func(r *results.Run) {
		r.RunID = "llama"
		m := &r.Target.Model
		m.Name, m.Digest, m.Architecture, m.Family, m.ParameterSize, m.ParameterCount = "llama3.1:8b", "sha256:46e0c10c039e", "llama", "llama", "8.0B", 8030261248
	})
	dir := t.TempDir()
	out := filepath.Join(dir, "page.html")
	for _, args := range [][]string{
		{"report", "-f", "html", "-o", out, baseRun, llama},
		{"compare", "-f", "html", "-o", out, baseRun, llama},
	} {
		o := runCLI(t, nil, args...)
		if o.code != 2 {
			t.Errorf("%v: exit %d, want 2", args, o.code)
		}
		lastLineHas(t, o, "not comparable with "+baseRun)
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: a page was written for runs that cannot be compared", args)
		}
	}

	empty := t.TempDir()
	if o := runCLI(t, nil, "report", "-f", "html", empty); o.code != 2 || !strings.Contains(o.stderr, "no readable run files") {
		t.Errorf("empty directory: exit %d stderr %q", o.code, o.stderr)
	}
	if o := runCLI(t, nil, "report", "-f", "html"); o.code != 2 {
		t.Errorf("no argument: exit %d", o.code)
	}

	mixed := t.TempDir()
	b, err := os.ReadFile(baseRun)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(mixed, "base.json"), b, 0o644)
	_ = os.WriteFile(filepath.Join(mixed, "torn.json"), b[:len(b)/2], 0o644)
	_ = os.WriteFile(filepath.Join(mixed, "other.json"), []byte(`{"kind": "yardstick.comparison"}`), 0o644)
	o := runCLI(t, nil, "report", "-f", "html", "-o", out, mixed)
	if o.code != 0 {
		t.Fatalf("directory with unreadable files: exit %d stderr %q", o.code, o.stderr)
	}
	lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(o.stderr, "other.json") || !strings.Contains(o.stderr, "torn.json") {
		t.Errorf("stderr %q, want one line for each of the two unreadable files", o.stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"other.json", "torn.json", `id="unreadable"`} {
		if !strings.Contains(string(page), name) {
			t.Errorf("page lacks %q", name)
		}
	}
}
