package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

// Every bad dataset or workload flag is one line on stderr and exit 2, before any
// request is sent: the fake counts none.
func TestDatasetBadInputExits2(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4})
	defer f.Close()
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.jsonl", "{\"prompt\": \"a\"}\n{\"prompt\": }\n")
	empty := write("empty.txt", "\n\n")
	nohuman := write("nohuman.json", "[\n{\"id\": \"x\", \"conversations\": [{\"from\": \"gpt\", \"value\": \"hi\"}]}\n]")
	long := write("long.txt", strings.Repeat("abcd", 5000)+"\n")
	good := filepath.Join("..", "..", "datasets", "prompts-small.jsonl")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"syntax", []string{"--dataset", bad}, bad + ":2: not valid JSON"},
		{"empty", []string{"--dataset", empty}, empty + ": no record: the text dataset is empty"},
		{"no human turn", []string{"--dataset", nohuman}, nohuman + ":2: record 1 (id x) has no human turn"},
		{"missing file", []string{"--dataset", filepath.Join(dir, "none.json")}, "reading dataset: stat "},
		{"all too long", []string{"--dataset", long}, long + ": no record of the dataset can be sent: 1 need more than --num-ctx 4096"},
		{"unknown format", []string{"--dataset", good, "--dataset-format", "csv"}, "unknown format \"csv\""},
		{"format without dataset", []string{"--dataset-format", "text"}, "--dataset-format applies to --dataset"},
		{"prompt tokens with dataset", []string{"--dataset", good, "--prompt-tokens", "64"}, "--prompt-tokens with --dataset"},
		{"negative limit", []string{"--dataset", good, "--dataset-limit", "-1"}, "--dataset-limit -1: must not be negative"},
		{"prefix with dataset", []string{"--dataset", good, "--prefix-tokens", "8"}, "--prefix-tokens with --dataset"},
		{"prefix groups zero", []string{"--prefix-tokens", "8", "--prefix-groups", "0"}, "--prefix-groups 0: must be at least 1"},
		{"prefix groups without prefix", []string{"--prefix-groups", "2"}, "--prefix-groups needs --prefix-tokens"},
		{"prefix too long", []string{"--prefix-tokens", "300"}, "--prefix-tokens 300: must be less than --prompt-tokens 256"},
		{"ignore eos on ollama", []string{"--ignore-eos"}, "--ignore-eos, --min-tokens and --extra-body are sent to OpenAI-compatible servers"},
		{"extra body not json", []string{"--backend", "openai", "--extra-body", "{top_k: 1}"}, "--extra-body: must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--model", "twin", "--host", f.URL, "--out", filepath.Join(dir, "run.json")}, tt.args...)
			o := runCLI(t, nil, args...)
			if o.code != 2 {
				t.Fatalf("exit %d, want 2; stderr %s", o.code, o.stderr)
			}
			if !strings.Contains(o.stderr, tt.want) || strings.Count(strings.TrimSpace(o.stderr), "\n") > 0 {
				t.Errorf("stderr %q, want one line containing %q", o.stderr, tt.want)
			}
		})
	}
	if n := f.Requests(); n != 0 {
		t.Errorf("%d generation requests were sent", n)
	}
}

// A ShareGPT run against the fake sends the records' first human turns, records them
// per sample and in the run file, and names the dataset in the table.
func TestRunShareGPTDatasetAgainstFake(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 300})
	defer f.Close()
	path := filepath.Join("..", "..", "datasets", "sharegpt-small.json")
	o, r := runWant(t, 0, "--model", "twin", "--host", f.URL, "--dataset", path, "--dataset-limit", "4", "--runs", "6", "--warmup", "1", "--quiet")
	d := r.Options.Dataset
	if d == nil || d.Format != "sharegpt" || d.Records != 10 || d.Selected != 4 || d.Unused != 6 || len(d.SHA256) != 64 {
		t.Fatalf("options.dataset %+v", d)
	}
	if r.Workload.Dataset == nil || r.Workload.Dataset.SHA256 != d.SHA256 || r.Workload.PromptTokensTarget != 0 {
		t.Errorf("workload %+v", r.Workload)
	}
	records := map[string]bool{}
	for _, s := range r.Samples {
		if !s.OK || s.ConversationID == "" {
			t.Errorf("sample %d: ok %v record %q", s.Index, s.OK, s.ConversationID)
		}
		records[s.ConversationID] = true
	}
	// Six requests over four records: each is sent, two of them twice.
	if len(records) != 4 {
		t.Errorf("records sent %v, want 4", records)
	}
	if !strings.Contains(o.stdout, "dataset   "+path+" (sharegpt") || !strings.Contains(o.stdout, "4 of 10 records sent") {
		t.Errorf("table:\n%s", o.stdout)
	}
	for _, w := range r.Warnings {
		if w.Code == "prompt_length_off_target" || w.Code == "output_over_max" {
			t.Errorf("warning that does not apply to a dataset: %v", w)
		}
	}
}
