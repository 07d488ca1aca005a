package results

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yardstick-dev/yardstick/internal/tablefit"
)

// figureRE is a figure as the tables write it, a whole field: a count or a decimal
// with its unit or percent (98.8ms, 10240.0, +13.07%, 20); a version (0.17.4), a date
// or a path is not one.
var figureRE = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?(ms|µs|ns|s|%)?$`)

// figures counts the figures of out.
func figures(out string) map[string]int {
	m := map[string]int{}
	for _, f := range strings.Fields(out) {
		if figureRE.MatchString(f) {
			m[f]++
		}
	}
	return m
}

// prose reports whether line is not a table row: after its indent, at most one run
// of two spaces ("workload  8 measured …", "base  run.json: …", "  - a warning").
func prose(line string) bool {
	return len(regexp.MustCompile(`  +`).FindAllString(strings.TrimLeft(line, " "), -1)) <= 1
}

// Fitted to 80 columns (what a terminal of 80 shows), the tables of ls, of a run and
// of a comparison have no line over 80 (prose stays as it was, for the terminal to
// wrap), and every figure of the whole rendering is still there, whole, as often:
// fitting moves and shortens names, never numbers.
func TestTablesFitEightyColumns(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "yardstick-qwen2.5-0.5b-20261129T060000Z-base00000000000a.json")
	for _, f := range []string{"base.json", "new.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "compare", f))
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, f)
		if f == "base.json" {
			name = long
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entries, _, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := ReadInputs("", []string{long, filepath.Join(dir, "new.json")})
	if err != nil {
		t.Fatal(err)
	}
	comp, err := Compare(runs, []string{long, filepath.Join(dir, "new.json")}, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		render func(w *bytes.Buffer, width int) error
	}{
		{"ls", func(w *bytes.Buffer, width int) error { return RenderList(tablefit.WithColumns(w, width), entries) }},
		{"run table", func(w *bytes.Buffer, width int) error {
			return RenderTable(tablefit.WithColumns(w, width), buildFixture())
		}},
		{"comparison", func(w *bytes.Buffer, width int) error {
			return RenderComparisonTable(tablefit.WithColumns(w, width), comp)
		}},
	} {
		var whole, fitted bytes.Buffer
		if err := tc.render(&whole, 0); err != nil {
			t.Fatal(err)
		}
		if err := tc.render(&fitted, 80); err != nil {
			t.Fatal(err)
		}
		if fitted.String() == whole.String() {
			t.Fatalf("%s: fitted to 80 it is as whole: the test tests nothing", tc.name)
		}
		wholeLines := map[string]bool{}
		for _, l := range strings.Split(whole.String(), "\n") {
			wholeLines[l] = true
		}
		// Over 80 is only prose (the terminal wraps it), as it was whole.
		for _, l := range strings.Split(fitted.String(), "\n") {
			if n := utf8.RuneCountInString(l); n > 80 && !(wholeLines[l] && prose(l)) {
				t.Errorf("%s: a table line of %d at 80: %q", tc.name, n, l)
			}
		}
		got := figures(fitted.String())
		for f, k := range figures(whole.String()) {
			if got[f] < k {
				t.Errorf("%s: %q appears %d times whole and %d fitted:\n%s", tc.name, f, k, got[f], fitted.String())
			}
		}
		if tc.name == "ls" {
			// The long path shortens at its start: what is left is its end.
			kept := false
			for _, f := range strings.Fields(fitted.String()) {
				rest, cut := strings.CutPrefix(f, tablefit.Ellipsis)
				kept = kept || cut && strings.HasSuffix(long, rest) && strings.HasSuffix(rest, ".json")
			}
			if !kept {
				t.Errorf("ls: the path did not keep its end:\n%s", fitted.String())
			}
		}
	}
}
