package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Tables fit $COLUMNS when it is a positive number, whatever stdout is; else a
// terminal's width; else (a pipe, a file) no limit.
func TestTermColumns(t *testing.T) {
	r, w, err := os.Pipe() // not a terminal
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, tc := range []struct {
		columns string
		want    int
	}{
		{"", 0},    // a pipe without $COLUMNS: whole tables
		{"80", 80}, // $COLUMNS holds for a pipe too
		{" 120 ", 120},
		{"0", 0},    // not a width: ignored
		{"-5", 0},   // not a width: ignored
		{"wide", 0}, // not a number: ignored
	} {
		got := termColumns(int(w.Fd()), func(k string) string {
			if k == "COLUMNS" {
				return tc.columns
			}
			return ""
		})
		if got != tc.want {
			t.Errorf("COLUMNS=%q: %d, want %d", tc.columns, got, tc.want)
		}
	}
}

// ls and report fit the width the process's stdout has (env.stdoutColumns, from
// termColumns), and print whole tables without one.
func TestTablesFitStdout(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"base.json", "new.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "compare", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "yardstick-qwen2.5-0.5b-20261129T060000Z-"+f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(columns int, args ...string) string {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, stdoutColumns: columns}
		if code := Main(context.Background(), append([]string{"yardstick"}, args...), e); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	base := filepath.Join(dir, "yardstick-qwen2.5-0.5b-20261129T060000Z-base.json")
	for _, args := range [][]string{{"ls", dir}, {"compare", base, filepath.Join(dir, "yardstick-qwen2.5-0.5b-20261129T060000Z-new.json")}} {
		whole, fitted := run(0, args...), run(80, args...)
		if whole == fitted {
			t.Errorf("%s: the same at 80 columns as whole", args[0])
		}
		wholeLines := map[string]bool{}
		for _, l := range strings.Split(whole, "\n") {
			wholeLines[l] = true
		}
		for _, l := range strings.Split(fitted, "\n") {
			// Prose lines (runs' descriptions, notes) stay as they were, for the
			// terminal to wrap; a table line is new or fits.
			if utf8.RuneCountInString(l) > 80 && !wholeLines[l] {
				t.Errorf("%s at 80: %q", args[0], l)
			}
		}
		if args[0] == "ls" && utf8.RuneCountInString(strings.Split(whole, "\n")[0]) <= 80 {
			t.Errorf("ls whole fits 80 already: the test tests nothing")
		}
	}
}
