package tablefit

import (
	"strings"
	"testing"
	"text/tabwriter"
)

// Whatever the table and the width: no panic; without a width, the tabwriter's output;
// with one, every kept cell (odd columns here) still whole in the output, and every
// line of prose (no tab) as it was.
func FuzzFit(f *testing.F) {
	f.Add(listTable, uint8(80), false)
	f.Add(metricTable, uint8(40), true)
	f.Add("a\tb\n\nprose line\nc\td\te\t\n", uint8(3), false)
	f.Add("x\t\t\ty\n\t\n", uint8(0), true)
	f.Fuzz(func(t *testing.T, text string, width uint8, right bool) {
		if len(text) > 4000 || strings.ContainsRune(text, '\r') {
			return
		}
		var flags uint
		if right {
			flags = tabwriter.AlignRight
		}
		l := Layout{Keys: 1, Trim: func(_, col int) Trim { return Trim(col % 2 * int(Middle)) }}
		whole := render(t, text, 0, l, flags)
		if whole != tabwriterOf(text, flags) {
			t.Fatalf("width 0 differs from the tabwriter")
		}
		out := render(t, text, int(width), l, flags)
		outLines := strings.Split(out, "\n")
		has := func(s string) bool {
			for _, line := range outLines {
				if strings.Contains(line, s) {
					return true
				}
			}
			return false
		}
		for _, row := range parse(text).rows {
			if len(row) == 1 {
				if !has(row[0]) {
					t.Fatalf("prose %q lost", row[0])
				}
				continue
			}
			for c, cell := range row {
				if c%2 == 0 && !has(strings.TrimRight(cell, " ")) {
					t.Fatalf("kept cell %q (column %d) is not whole in:\n%s", cell, c, out)
				}
			}
		}
	})
}
