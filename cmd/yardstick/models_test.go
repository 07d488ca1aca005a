package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/results"
)

// Several models, as a list or a repeated flag, are measured in turn: one run file
// each (named after its model), each run's own table, then one table of both; the
// first model is unloaded before the second, so the second run holds no other model.
func TestRunSeveralModels(t *testing.T) {
	for _, spelling := range [][]string{{"-m", "a,b"}, {"-m", "a", "-m", "b"}, {"--model", "a", "--model", "b"}} {
		t.Run(strings.Join(spelling, " "), func(t *testing.T) {
			f := fakeollama.New(fakeollama.Config{Models: []string{"a", "b"}, Tokens: 4})
			defer f.Close()
			dir := t.TempDir()
			o := runCLI(t, nil, append([]string{"run", "--host", f.URL, "--runs", "2", "--warmup", "0", "--prompt-tokens", "8",
				"--max-tokens", "4", "--out-dir", dir}, spelling...)...)
			if o.code != 0 {
				t.Fatalf("exit %d: %s", o.code, o.stderr)
			}
			for _, want := range []string{"== model 1 of 2: a", "== model 2 of 2: b", "== 2 of 2 models measured", "model  ", "TTFT median"} {
				if !strings.Contains(o.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, o.stdout)
				}
			}
			for _, m := range []string{"a", "b"} {
				files, _ := filepath.Glob(filepath.Join(dir, "yardstick-"+m+"-*.json"))
				if len(files) != 1 {
					t.Fatalf("run files of %s: %v", m, files)
				}
				r, err := results.ReadFile(files[0])
				if err != nil {
					t.Fatal(err)
				}
				if r.Target.Model.Name != m || len(r.Samples) != 2 {
					t.Errorf("%s: model %q, %d samples", files[0], r.Target.Model.Name, len(r.Samples))
				}
				for _, w := range r.Warnings {
					if w.Code == bench.CodeOtherModelsLoaded {
						t.Errorf("%s: %s (the model before it was not unloaded)", m, w.Message)
					}
				}
				// The combined table's row names the file.
				if !strings.Contains(o.stdout, files[0]) {
					t.Errorf("the table does not name %s", files[0])
				}
			}
		})
	}
}

// A bad list is one line and measures nothing: an empty name and a duplicate are
// usage errors (2) when the flag is parsed; a model the server does not serve is
// found before the first model is measured, and exits 1 as an unknown single model
// does; --out cannot name the files of several models.
func TestRunSeveralModelsBadList(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"a", "b"}, Tokens: 4})
	defer f.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"empty element", []string{"-m", "a,,b"}, 2, `an empty model name in "a,,b"`},
		{"trailing comma", []string{"-m", "a,"}, 2, "an empty model name"},
		{"duplicate across flags", []string{"-m", "a,b", "-m", "a"}, 2, `model "a" is listed twice`},
		{"not served", []string{"-m", "a,nope,b,gone"}, 1, `model "nope" not found on ` + f.URL},
		{"out with several", []string{"-m", "a,b", "--out", "x.json"}, 2, "--out names one run file and --model lists 2 models"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := runCLI(t, nil, append([]string{"run", "--host", f.URL, "--runs", "2", "--warmup", "0", "--out-dir", dir}, tc.args...)...)
			lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
			if o.code != tc.code || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and one line containing %q", o.code, o.stderr, tc.code, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("out-dir holds %d entries after a bad list", len(entries))
			}
		})
	}
	if n := f.Requests(); n != 0 {
		t.Errorf("bad lists sent %d generation requests", n)
	}
}

// A model whose run fails does not stop the list: the next one is measured, the
// table holds the runs that were, and the one line on stderr names the failed model
// with exit status 1. Model a takes generation requests 0..2 (cold and two measured);
// from request 3 on, b's cold load included, the server answers 500.
func TestRunSeveralModelsOneFails(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"a", "b"}, Tokens: 4, Fault: fakeollama.FaultHTTP500, FaultFrom: 3})
	defer f.Close()
	dir := t.TempDir()
	o := runCLI(t, nil, "run", "-m", "a,b", "--host", f.URL, "--runs", "2", "--warmup", "0", "--prompt-tokens", "8", "--max-tokens", "4", "--out-dir", dir)
	lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
	if o.code != 1 || len(lines) != 1 || !strings.Contains(lines[0], "1 of 2 models did not complete: b: ") || !strings.Contains(lines[0], "HTTP 500") {
		t.Errorf("exit %d, stderr %q; want 1 and one line naming b's failure", o.code, o.stderr)
	}
	if !strings.Contains(o.stdout, "== 1 of 2 models measured") {
		t.Errorf("stdout lacks the table of the one model measured:\n%s", o.stdout)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "yardstick-*.json")); len(files) != 1 || !strings.Contains(files[0], "yardstick-a-") {
		t.Errorf("run files %v, want a's alone", files)
	}
}

// With --out - and several models stdout holds the runs' JSON, one document after
// another (as jq reads a stream), and nothing else: the headings and the last table
// go to stderr, which names the runs that went to stdout "-" rather than the files
// removed once copied (found by a break-it round: the headings and the table were
// mixed into the JSON on stdout).
func TestRunSeveralModelsOutDash(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"a", "b"}, Tokens: 4})
	defer f.Close()
	dir := t.TempDir()
	o := runCLI(t, nil, "run", "--host", f.URL, "--runs", "2", "--warmup", "0", "--prompt-tokens", "8",
		"--max-tokens", "4", "--no-selftest", "--out-dir", dir, "-m", "a,b", "--out", "-")
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	dec := json.NewDecoder(strings.NewReader(o.stdout))
	var names []string
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("stdout is not a stream of run files: %v\n%s", err, o.stdout)
		}
		r, err := results.DecodeRun("stdout", raw)
		if err != nil {
			t.Fatalf("a document on stdout is not a run file: %v", err)
		}
		names = append(names, r.Target.Model.Name)
	}
	if strings.Join(names, ",") != "a,b" {
		t.Errorf("stdout's runs are of %v, want a then b", names)
	}
	for _, want := range []string{"== model 1 of 2: a", "== 2 of 2 models measured", "TTFT median"} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, o.stderr)
		}
	}
	if strings.Contains(o.stderr, "yardstick-a-") {
		t.Errorf("stderr names a run file removed after going to stdout:\n%s", o.stderr)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("--out-dir keeps %d files, want none", len(left))
	}
}
