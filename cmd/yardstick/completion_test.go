package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

// The completion protocol: the scripts run the words up to the cursor, the one being
// completed last ("" for none), and completeFlag; yardstick prints the words that fit.
func TestCompletionWords(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the lines printed, joined by spaces
	}{
		// After the program: the commands, in --help's order (commands.go).
		{[]string{""}, "run synth plan hw check compare report merge ls db selftest schema version completion"},
		// Commands beginning with what is typed.
		{[]string{"co"}, "compare completion"},
		// A flag being completed: run's flags that begin with it, long ones with --.
		{[]string{"run", "--conc"}, "--concurrency"},
		// -m is --model's one-letter alias; -- leaves out one-letter names; flags in
		// their order in run's --help.
		{[]string{"run", "-m"}, "-m"},
		{[]string{"run", "--m"}, "--model --max-runs --min-runs --max-tokens --min-tokens --max-errors"},
		// The help flag is every command's.
		{[]string{"ls", "--h"}, "--help"},
		// A flag waiting for its value: the values of one that takes one of a few
		// (flagChoices), filtered by what is typed.
		{[]string{"run", "--backend", ""}, "ollama openai"},
		{[]string{"run", "--think", "m"}, "medium"},
		{[]string{"run", "-n", ""}, "auto"},
		// A flagval.Choice knows its values: report's formats (commands.go).
		{[]string{"report", "x.json", "-f", ""}, "table markdown json csv junit benchstat html"},
		// A flag whose value is free, and a file argument: nothing, so the shell
		// completes file names.
		{[]string{"run", "--model", ""}, ""},
		{[]string{"report", ""}, ""},
		{[]string{"run", ""}, ""},
		// An unknown command: nothing.
		{[]string{"nope", "--"}, ""},
	} {
		o := runCLI(t, nil, append(tc.args, completeFlag)...)
		got := strings.Join(strings.Fields(o.stdout), " ")
		if o.code != 0 || got != tc.want {
			t.Errorf("%q: exit %d, printed %q, want %q (stderr %q)", tc.args, o.code, got, tc.want, o.stderr)
		}
	}
}

// Asking for completion runs nothing, whatever the command line: no request reaches
// the server, no file is written.
func TestCompletionRunsNothing(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4})
	defer f.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "run.json")
	for _, args := range [][]string{
		{"run", "--model", "twin", "--host", f.URL, "--out", out, ""},
		{"run", "--model", "twin", "--host", f.URL, "--out", out, "--q"},
		// Flags after an argument are not moved in front of it (interspersed), which
		// would take the request off the end of the line.
		{"merge", "a.json", "b.json", "--out", out, ""},
		{"synth", "--shape", "qwen2.5-0.5b", "--out", filepath.Join(dir, "x.gguf"), ""},
	} {
		if o := runCLI(t, nil, append(args, completeFlag)...); o.code != 0 {
			t.Errorf("%q: exit %d: %s", args, o.code, o.stderr)
		}
	}
	if n := f.Requests(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files written: %s", left[0].Name())
	}
}

// completion prints each shell's script: bash and zsh as shipped (bash parses it when
// bash is here), fish from the commands with file names after file flags only and the
// values of the flags that take one of a few.
func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh"} {
		o := runCLI(t, nil, "completion", sh)
		want, err := completionScripts.ReadFile("completion/yardstick." + sh)
		if err != nil || o.code != 0 || o.stdout != string(want) {
			t.Errorf("completion %s: exit %d, %d bytes, want the %d of completion/yardstick.%s (%v)", sh, o.code, len(o.stdout), len(want), sh, err)
		}
		if !strings.Contains(o.stdout, completeFlag) || !strings.Contains(o.stdout, "yardstick") {
			t.Errorf("completion %s: the script does not ask yardstick:\n%s", sh, o.stdout)
		}
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		script := filepath.Join(t.TempDir(), "yardstick.bash")
		if err := os.WriteFile(script, []byte(runCLI(t, nil, "completion", "bash").stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v: %s", err, b)
		}
	}
	o := runCLI(t, nil, "completion", "fish")
	if o.code != 0 {
		t.Fatalf("completion fish: exit %d: %s", o.code, o.stderr)
	}
	lines := strings.Split(o.stdout, "\n")
	has := func(prefix string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		t.Errorf("completion fish: no line %q…", prefix)
		return ""
	}
	has("complete -r -c yardstick -n '__fish_yardstick_no_subcommand' -a 'compare'")
	// --out is a path: no -f (no file names) on its line; --model is not.
	if l := has("complete -c yardstick -n '__fish_seen_subcommand_from run' -l out "); strings.Contains(l, " -f ") {
		t.Errorf("fish: run --out completes no file names: %s", l)
	}
	if l := has("complete -c yardstick -n '__fish_seen_subcommand_from run' -f -l model "); l == "" {
		t.Error("fish: run --model should not complete file names")
	}
	has("complete -c yardstick -n '__fish_seen_subcommand_from run' -l backend -x -a 'ollama openai'")
	has("complete -c yardstick -n '__fish_seen_subcommand_from compare' -l format -x -a 'table markdown json csv junit benchstat html'")

	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if o := runCLI(t, nil, args...); o.code != exitUsage || !strings.Contains(o.stderr, "bash, zsh or fish") {
			t.Errorf("%q: exit %d, stderr %q: want 2 naming the shells", args, o.code, o.stderr)
		}
	}
}
