package tablefit

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode/utf8"
)

// A list of runs as `yardstick ls` prints it: left-aligned, the file's path the last,
// trailing cell of each line. Columns 1, 2 and 6 are names (shortenable), the others
// numbers (kept).
const listTable = "started\thost\tmodel\tok/failed\tTTFT p50\tdecode tok/s p50\tfile\n" +
	"2026-11-29 06:00\tbench-01\tqwen2.5-coder:7b-instruct Q4_K_M\t20/0\t98.8ms\t101.3\truns/2026/yardstick-qwen2.5-coder-7b-20261129T060000Z-0123456789abcdef.json\n" +
	"2026-11-29 06:05\tworkstation-with-a-long-name\tqwen3:0.6b Q8_0\t19/1\t112ms\t90.2\tb.json\n"

var listTrim = map[int]Trim{1: Middle, 2: Middle, 6: Start}

func listLayout() Layout {
	return Layout{Keys: 1, Trim: func(_, col int) Trim { return listTrim[col] }}
}

// A metric table as the run table prints it: right-aligned, every line ended by a
// tab, the metric's label first (shortenable), then numbers.
const metricTable = "metric\tn\tmedian\tmedian CI (≥95%)\tmean\tp90\tp99\tmin\tmax\tCV\t\n" +
	"TTFT\t8\t104ms\t100ms .. 106ms\t104ms\t107ms\t107ms\t100ms\t107ms\t2.4%\t\n" +
	"prefill tok/s (server)\t8\t10240.0\t10240.0 .. 10240.0\t10240.0\t10240.0\t10240.0\t10240.0\t10240.0\t0.0%\t\n" +
	"decode tok/s (client)\t248\t100.0\t100.0 .. 100.0\t100.0\t100.0\t100.0\t100.0\t100.0\t0.0%\t\n"

func metricLayout() Layout {
	return Layout{Keys: 1, Trim: func(_, col int) Trim {
		if col == 0 {
			return Middle
		}
		return Keep
	}}
}

func render(t *testing.T, text string, width int, l Layout, flags uint) string {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(&b, width, l, 0, 0, 2, ' ', flags)
	fmt.Fprint(w, text)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func tabwriterOf(text string, flags uint) string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', flags)
	fmt.Fprint(tw, text)
	_ = tw.Flush()
	return b.String()
}

// With no width, or a width the table fits in, the output is the tabwriter's, byte
// for byte: piped output and wide terminals see what they always saw.
func TestUnfittedIsTabwriter(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		layout     Layout
		flags      uint
	}{
		{"list", listTable, listLayout(), 0},
		{"metrics", metricTable, metricLayout(), tabwriter.AlignRight},
		// Prose between blocks and an unterminated last line pass through.
		{"prose", "title\n" + listTable + "\nnotes\n  - a\nno newline", listLayout(), 0},
	} {
		want := tabwriterOf(tc.text, tc.flags)
		widest := 0
		for _, l := range strings.Split(want, "\n") {
			widest = max(widest, utf8.RuneCountInString(l))
		}
		for _, width := range []int{0, widest, widest + 50} {
			if got := render(t, tc.text, width, tc.layout, tc.flags); got != want {
				t.Errorf("%s at width %d:\n%s\nwant the tabwriter's:\n%s", tc.name, width, got, want)
			}
		}
	}
}

func TestShorten(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		mode Trim
		want string
	}{
		// n counts the ellipsis: 7 characters of text and "…".
		{"qwen2.5-coder:7b", 8, End, "qwen2.5…"},
		// Middle keeps one more at the head when the kept count is odd (7: 4 + 3).
		{"qwen2.5-coder:7b", 8, Middle, "qwen…:7b"},
		// Start keeps the end: a path's file name.
		{"runs/2026/b.json", 8, Start, "…/b.json"},
		// Runes, not bytes: "≥" is one.
		{"≥95% median CI", 6, End, "≥95% …"},
		// Short enough already: unchanged.
		{"b.json", 8, Start, "b.json"},
	} {
		if got := shorten(tc.s, tc.n, tc.mode); got != tc.want || utf8.RuneCountInString(got) > tc.n {
			t.Errorf("shorten(%q, %d, %d) = %q, want %q", tc.s, tc.n, tc.mode, got, tc.want)
		}
	}
}

// cellsRE finds a table's cells in a laid-out line: text without two spaces in a row
// (no test cell holds two), between the line's ends and runs of two or more spaces.
var cellsRE = regexp.MustCompile(`\S+(?: \S+)*`)

// cellSpans returns where each cell of line starts and ends, in runes.
func cellSpans(line string) (starts, ends []int) {
	for _, m := range cellsRE.FindAllStringIndex(line, -1) {
		starts = append(starts, utf8.RuneCountInString(line[:m[0]]))
		ends = append(ends, utf8.RuneCountInString(line[:m[1]]))
	}
	return starts, ends
}

// At every width from 30 to the table's own, a fitted table: keeps every number whole
// (each kept cell of the input appears as a whole cell, in a line of its row's key);
// fits the width from the width its narrowest part needs on; stays aligned (in each
// part, left-aligned cells start, right-aligned cells end, where the header's do);
// and shortens only with an ellipsis in a shortenable column.
func TestFittedKeepsNumbersAlignedAndFits(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		layout     Layout
		flags      uint
		keep       func(col int) bool
		// fitsFrom is the width from which every line fits: the key column and the
		// widest single column beside it at their floors, with padding.
		fitsFrom int
	}{
		// "2026-11-29 06:00" (16) + 2 + "decode tok/s p50" (16) = 34.
		{"list", listTable, listLayout(), 0, func(c int) bool { return listTrim[c] == Keep }, 34},
		// The label at its floor 8 + 2 + "10240.0 .. 10240.0" (18) + 2 (a tab-ended
		// cell is padded) = 30.
		{"metrics", metricTable, metricLayout(), tabwriter.AlignRight, func(c int) bool { return c != 0 }, 30},
	} {
		natural := 0
		for _, l := range strings.Split(tabwriterOf(tc.text, tc.flags), "\n") {
			natural = max(natural, utf8.RuneCountInString(l))
		}
		in := parse(tc.text).rows
		for width := 30; width <= natural; width++ {
			out := render(t, tc.text, width, tc.layout, tc.flags)
			parts := strings.Split(strings.TrimSuffix(out, "\n"), "\n\n")
			for _, line := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(line); width >= tc.fitsFrom && n > width {
					t.Errorf("%s at %d: a line of %d: %q", tc.name, width, n, line)
				}
			}
			for _, row := range in {
				for c, cell := range row {
					if !tc.keep(c) || cell == "" {
						continue
					}
					found := false
					for _, line := range strings.Split(out, "\n") {
						if strings.HasPrefix(line, row[0]) || strings.HasPrefix(strings.TrimLeft(line, " "), row[0][:3]) {
							for _, m := range cellsRE.FindAllString(line, -1) {
								found = found || m == cell
							}
						}
					}
					if !found {
						t.Errorf("%s at %d: %q (row %q) is not whole in:\n%s", tc.name, width, cell, row[0], out)
					}
				}
			}
			for _, part := range parts {
				lines := strings.Split(part, "\n")
				hs, he := cellSpans(lines[0])
				for _, line := range lines[1:] {
					s, e := cellSpans(line)
					ok := fmt.Sprint(s) == fmt.Sprint(hs)
					if tc.flags&tabwriter.AlignRight != 0 {
						ok = fmt.Sprint(e) == fmt.Sprint(he)
					}
					if !ok {
						t.Errorf("%s at %d: not aligned with its header:\n%s", tc.name, width, part)
						break
					}
				}
			}
			if width == natural && out != tabwriterOf(tc.text, tc.flags) {
				t.Errorf("%s at its own width %d: changed", tc.name, width)
			}
		}
	}
}

// What a person sees at 80 columns, written out.
func TestFittedExamples(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		width      int
		layout     Layout
		flags      uint
		want       string
	}{
		// Whole, the list is 197 wide. With host, model and file at their floor (8)
		// it is 18+10+10+11+10+18+8 = 85 > 80: it splits, into as few parts as fit
		// then (two: the file alone after the numbers). Of the two-part groupings,
		// the one that shortens least keeps the numbers with the names, which then
		// shorten in their middle, widest first, until the part fits; the path, alone
		// in its part, fits whole but for its start.
		{"list", listTable, 80, listLayout(), 0,
			"started           host       model       ok/failed  TTFT p50  decode tok/s p50\n" +
				"2026-11-29 06:00  bench-01   qwen2…_K_M  20/0       98.8ms    101.3\n" +
				"2026-11-29 06:05  work…name  qwen3…Q8_0  19/1       112ms     90.2\n" +
				"\n" +
				"started           file\n" +
				"2026-11-29 06:00  …stick-qwen2.5-coder-7b-20261129T060000Z-0123456789abcdef.json\n" +
				"2026-11-29 06:05  b.json\n"},
		// Whole, 121 wide; up to p90 it is 24+5+9+20+9+9 = 76 with the labels whole,
		// and p99 would make it 85: the rest goes to a second part, led by the
		// metric again, right-aligned as the first.
		{"metrics at 80", metricTable, 80, metricLayout(), tabwriter.AlignRight,
			"                  metric    n   median    median CI (≥95%)     mean      p90\n" +
				"                    TTFT    8    104ms      100ms .. 106ms    104ms    107ms\n" +
				"  prefill tok/s (server)    8  10240.0  10240.0 .. 10240.0  10240.0  10240.0\n" +
				"   decode tok/s (client)  248    100.0      100.0 .. 100.0    100.0    100.0\n" +
				"\n" +
				"                  metric      p99      min      max    CV\n" +
				"                    TTFT    107ms    100ms    107ms  2.4%\n" +
				"  prefill tok/s (server)  10240.0  10240.0  10240.0  0.0%\n" +
				"   decode tok/s (client)    100.0    100.0    100.0  0.0%\n"},
		// At 60 two parts still do with the labels shortened (in their middle, so
		// server and client stay apart) to make the first part fit.
		{"metrics at 60", metricTable, 60, metricLayout(), tabwriter.AlignRight,
			"           metric    n   median    median CI (≥95%)     mean\n" +
				"             TTFT    8    104ms      100ms .. 106ms    104ms\n" +
				"  prefill…server)    8  10240.0  10240.0 .. 10240.0  10240.0\n" +
				"  decode …client)  248    100.0      100.0 .. 100.0    100.0\n" +
				"\n" +
				"           metric      p90      p99      min      max    CV\n" +
				"             TTFT    107ms    107ms    100ms    107ms  2.4%\n" +
				"  prefill…server)  10240.0  10240.0  10240.0  10240.0  0.0%\n" +
				"  decode …client)    100.0    100.0    100.0    100.0  0.0%\n"},
	} {
		if got := render(t, tc.text, tc.width, tc.layout, tc.flags); got != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.name, got, tc.want)
		}
	}
}

func TestColumns(t *testing.T) {
	var b bytes.Buffer
	if Columns(&b) != 0 || Columns(WithColumns(&b, 80)) != 80 {
		t.Error("Columns does not read WithColumns")
	}
	if WithColumns(&b, 0) != &b || WithColumns(&b, -1) != &b {
		t.Error("WithColumns of no width should be the writer itself")
	}
	fmt.Fprint(WithColumns(&b, 80), "x")
	if b.String() != "x" {
		t.Error("WithColumns does not write through")
	}
}
