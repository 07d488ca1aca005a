package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// leaves lists the paths of every value in a decoded JSON document, in a fixed order
// (object keys sorted), each path a list of keys (string) and indexes (int).
func leaves(v any, path []any, out *[][]any) {
	*out = append(*out, slices.Clone(path))
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			leaves(v[k], append(path, k), out)
		}
	case []any:
		for i, e := range v {
			leaves(e, append(path, i), out)
		}
	}
}

// edit sets (or, with del, removes) the value at path in doc.
func edit(doc any, path []any, val any, del bool) any {
	if len(path) == 0 {
		return val
	}
	switch d := doc.(type) {
	case map[string]any:
		k := path[0].(string)
		if len(path) == 1 && del {
			delete(d, k)
		} else {
			d[k] = edit(d[k], path[1:], val, del)
		}
	case []any:
		i := path[0].(int)
		if len(path) == 1 && del {
			return append(d[:i], d[i+1:]...)
		}
		d[i] = edit(d[i], path[1:], val, del)
	}
	return doc
}

// fuzzValue is the value kind selects: the fuzzer's integer, float or string, or a
// value of another type than the field holds.
func fuzzValue(kind uint8, n int64, s string) (any, bool) {
	switch kind % 7 {
	case 0:
		return n, false
	case 1:
		return float64(n) / 7, false
	case 2:
		return s, false
	case 3:
		return nil, false
	case 4:
		return nil, true // delete the field
	case 5:
		return []any{n, s}, false
	}
	return map[string]any{"x": n}, false
}

// FuzzEditedRunFile edits one field of a real run file (any field, any depth, to any
// value or type, or removes it) and feeds the file to every command that reads run
// files: none may panic, and each ends with exit 0, 1 (a gate that failed) or 2 (the
// file refused), never another status (issue 11, "Mechanisms").
func FuzzEditedRunFile(f *testing.F) {
	raw, err := os.ReadFile(baseRun)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		field uint32
		kind  uint8
		n     int64
		s     string
	}{{0, 0, -5, ""}, {7, 0, 99, ""}, {40, 4, 0, ""}, {123, 2, 0, "\x1b[2J"}, {300, 0, 1 << 62, ""}, {999, 1, -1, ""}, {2000, 3, 0, ""}} {
		f.Add(seed.field, seed.kind, seed.n, seed.s)
	}
	wd, _ := os.Getwd()
	f.Fuzz(func(t *testing.T, field uint32, kind uint8, n int64, s string) {
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		var paths [][]any
		leaves(doc, nil, &paths)
		path := paths[int(field)%len(paths)]
		val, del := fuzzValue(kind, n, s)
		doc = edit(doc, path, val, del)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Skip("not JSON:", err)
		}
		dir := t.TempDir()
		in := filepath.Join(dir, "edited.json")
		if err := os.WriteFile(in, b, 0o644); err != nil {
			t.Fatal(err)
		}
		base := filepath.Join(wd, baseRun)
		for _, args := range [][]string{
			{"report", in},
			{"report", "--format", "markdown", in},
			{"report", "--format", "csv", in},
			{"report", "--format", "junit", in},
			{"compare", "--fail-on", "ttft_p95:+10%", base, in},
			{"merge", "-o", filepath.Join(dir, "m.json"), base, in},
			{"check", "--profile", filepath.Join(wd, "testdata", "fuzz-check.yaml"), in},
		} {
			o := runCLI(t, nil, args...)
			if o.code != 0 && o.code != 1 && o.code != 2 {
				t.Errorf("%v after setting %v to %v: exit %d %q", args[0], path, val, o.code, o.stderr)
			}
			if o.code == 2 && !ownLines(o.stderr) {
				t.Errorf("%v after setting %v to %v: not yardstick's lines: %q", args[0], path, val, o.stderr)
			}
		}
	})
}

// FuzzEditedJournal edits one field of a journal's header or one of its samples and
// resumes it against a port where nothing listens: --resume either refuses it at its
// line (exit 2), turns it into a run file (exit 130) or fails to reach the server
// (exit 1), and never panics.
func FuzzEditedJournal(f *testing.F) {
	raw, err := os.ReadFile(baseRun)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		line, field uint32
		kind        uint8
		n           int64
	}{{0, 3, 0, -100}, {1, 5, 0, 99}, {2, 1, 4, 0}, {0, 40, 0, 1e9}, {3, 9, 2, 0}} {
		f.Add(seed.line, seed.field, seed.kind, seed.n, "")
	}
	f.Fuzz(func(t *testing.T, line, field uint32, kind uint8, n int64, s string) {
		var run map[string]any
		if err := json.Unmarshal(raw, &run); err != nil {
			t.Fatal(err)
		}
		opts := run["options"].(map[string]any)
		opts["host"] = "http://127.0.0.1:9"
		header := map[string]any{"kind": "yardstick.journal", "journal_version": 1, "run_id": run["run_id"], "started_at": run["started_at"],
			"options": opts, "target": run["target"], "prompt_words": 10, "calibrated": true}
		docs := []any{header}
		for _, smp := range run["samples"].([]any)[:4] {
			docs = append(docs, map[string]any{"sample": smp})
		}
		i := int(line) % len(docs)
		var paths [][]any
		leaves(docs[i], nil, &paths)
		path := paths[int(field)%len(paths)]
		val, del := fuzzValue(kind, n, s)
		docs[i] = edit(docs[i], path, val, del)
		var text []byte
		for _, d := range docs {
			b, err := json.Marshal(d)
			if err != nil {
				t.Skip("not JSON:", err)
			}
			text = append(append(text, b...), '\n')
		}
		journal := filepath.Join(t.TempDir(), "r.json.journal")
		if err := os.WriteFile(journal, text, 0o644); err != nil {
			t.Fatal(err)
		}
		o := runCLI(t, nil, "run", "--resume", journal, "--no-selftest", "--request-timeout", "2s")
		if o.code != 1 && o.code != 2 && o.code != 130 {
			t.Errorf("line %d: %v set to %v: exit %d %q", i+1, path, val, o.code, o.stderr)
		}
		if o.code == 2 && !ownLines(o.stderr) {
			t.Errorf("line %d: %v set to %v: not yardstick's lines: %q", i+1, path, val, fmt.Sprint(o.stderr))
		}
	})
}

// ownLines reports whether every line of stderr is one of yardstick's (a warning or the
// error), nothing a panic or a library printed.
func ownLines(stderr string) bool {
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(l, "yardstick: ") {
			return false
		}
	}
	return stderr != ""
}
