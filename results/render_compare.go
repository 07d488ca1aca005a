package results

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/tablefit"
)

// Renderer writes a Comparison in one format. Renderers depend only on the Comparison,
// so their output can be compared with golden files.
type Renderer func(io.Writer, *Comparison) error

// Renderers maps each --format name to its renderer.
var Renderers = map[string]Renderer{
	"table":     RenderComparisonTable,
	"markdown":  RenderComparisonMarkdown,
	"json":      RenderComparisonJSON,
	"csv":       RenderComparisonCSV,
	"junit":     RenderComparisonJUnit,
	"benchstat": RenderBenchstat,
}

// Formats lists the --format names in the order help shows them.
var Formats = []string{"table", "markdown", "json", "csv", "junit", "benchstat"}

// ciPct renders the half-width of the median's confidence interval relative to the
// median, as benchstat does (the larger of hi/median − 1 and 1 − lo/median): "± 3%",
// "± ∞" when there are too few samples for an interval.
func ciPct(s Summary) string {
	if s.MedianCILo == nil || s.MedianCIHi == nil {
		return "± ∞"
	}
	if s.Median == 0 {
		if *s.MedianCILo == 0 && *s.MedianCIHi == 0 {
			return "± 0%"
		}
		return "± ?"
	}
	v := math.Max(*s.MedianCIHi/s.Median-1, 1-*s.MedianCILo/s.Median)
	return fmt.Sprintf("± %.0f%%", 100*math.Abs(v))
}

func fmtMedian(mc MetricComparison, s Summary) string {
	if s.N == 0 {
		return "-"
	}
	return valueFormatter(mc.Metric)(s.Median)
}

// deltaCell is benchstat's "vs base" cell: the change of the median, or "~" when it
// may be noise, with the verdict for metrics that have a better direction.
func deltaCell(d Delta) string {
	switch {
	case d.Verdict == "n/a":
		return "n/a"
	case !d.Significant || d.Frac == nil && d.Verdict == "~":
		return "~"
	case d.Frac == nil:
		return "?"
	}
	s := pct(*d.Frac)
	if d.Verdict == "better" || d.Verdict == "worse" {
		s += " " + d.Verdict
	}
	return s
}

// pCell is benchstat's "(p=0.000 n=20)" for run i against the base: the p-value and
// the n the test compared (MetricComparison.TestedN: requests for itl_ns, not gaps).
func pCell(m MetricComparison, i int) string {
	d := m.Deltas[i-1]
	if d.Verdict == "n/a" {
		return ""
	}
	n0, n1 := m.testedN(0), m.testedN(i)
	if n0 == n1 {
		return fmt.Sprintf("(p=%.3f n=%d)", d.P, n0)
	}
	return fmt.Sprintf("(p=%.3f n=%d+%d)", d.P, n0, n1)
}

// notes gathers what qualifies the comparison, deduplicated, in order: key differences,
// the runs' own warnings, statistical warnings.
func (c *Comparison) notes() []string {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for i, keys := range c.Keys {
		for _, k := range keys {
			add(fmt.Sprintf("%s %s: %s", k.Severity, c.Runs[i+1].Label, k))
		}
	}
	for _, r := range c.Runs {
		for _, w := range r.Warnings {
			add(fmt.Sprintf("run %s: %s", r.Label, w))
		}
	}
	for _, m := range c.Metrics {
		for i, s := range m.Stats {
			if s.Warning != "" {
				add(fmt.Sprintf("%s %s: %s: no confidence interval", c.Runs[i].Label, m.Metric, s.Warning))
			}
		}
		for i, d := range m.Deltas {
			for _, w := range d.Warnings {
				if strings.Contains(w, "all samples are equal") {
					continue // no change at all: nothing to qualify
				}
				add(fmt.Sprintf("%s vs %s %s: %s", c.Runs[i+1].Label, c.Runs[0].Label, m.Metric, w))
			}
		}
	}
	return out
}

func runLine(r RunRef) string {
	model := r.Model
	if r.Quant != "" {
		model += " " + r.Quant
	}
	if r.Synthetic {
		model += " (synthetic twin)"
	}
	dropped := ""
	if r.Dropped > 0 {
		dropped = fmt.Sprintf(", %d dropped", r.Dropped)
	}
	return fmt.Sprintf("%s, %s, %s %s, %s, %d ok, %d failed%s, run %s", orDash(r.Host), model, r.Backend, r.Server,
		r.StartedAt, r.Completed, r.Failed, dropped, r.RunID)
}

// RenderComparisonTable writes the comparison for a terminal: the runs, one row per
// metric with each run's median ± its 95% CI and n, the change against the base with
// its verdict and p-value ("~": may be noise), the run-level figures, the gates and
// every note. With one run it is that run's summary.
func RenderComparisonTable(w io.Writer, c *Comparison) error {
	var b strings.Builder
	for i, r := range c.Runs {
		role := "base"
		if i > 0 {
			role = "new "
		}
		if len(c.Runs) == 1 {
			role = "run "
		}
		fmt.Fprintf(&b, "%s  %s: %s\n", role, r.Label, runLine(r))
	}
	b.WriteString("\n")
	// In a narrow terminal (tablefit.Columns) the runs' labels above their columns
	// shorten at their start to their columns' width (a path's file name stays; the
	// lines above give them whole), "vs <base>" in its middle; then the metric and
	// figure names in their middle;
	// then the columns split into parts led by the metric, a run's median, CI and n
	// together, a change and its p together.
	runCols := 1 + 3*len(c.Runs)
	labels := func(row, col int) tablefit.Trim {
		switch {
		case col == 0, row == 0 && col >= runCols:
			return tablefit.Middle
		case row == 0:
			return tablefit.Start
		}
		return tablefit.Keep
	}
	var groups []int
	for range c.Runs {
		groups = append(groups, 3)
	}
	for range c.Runs[1:] {
		groups = append(groups, 2)
	}
	heading := func(row, col int) bool { return row == 0 && col > 0 }
	tw := tablefit.NewWriter(&b, tablefit.Columns(w), tablefit.Layout{Keys: 1, Trim: labels, Groups: groups, Narrow: heading}, 0, 0, 2, ' ', 0)
	head1, head2 := []string{""}, []string{"metric"}
	for _, r := range c.Runs {
		head1 = append(head1, r.Label, "", "")
		head2 = append(head2, "median", "95% CI", "n")
	}
	for range c.Runs[1:] {
		head1 = append(head1, "vs "+c.Runs[0].Label, "")
		head2 = append(head2, "change", "")
	}
	fmt.Fprintln(tw, strings.TrimRight(strings.Join(head1, "\t"), "\t"))
	fmt.Fprintln(tw, strings.TrimRight(strings.Join(head2, "\t"), "\t"))
	for _, m := range c.Metrics {
		row := []string{c.metricLabel(m.Metric)}
		for _, s := range m.Stats {
			ci, n := ciPct(s), strconv.Itoa(s.N)
			if s.N == 0 {
				ci, n = "", ""
			}
			row = append(row, fmtMedian(m, s), ci, n)
		}
		for i, d := range m.Deltas {
			row = append(row, deltaCell(d), pCell(m, i+1))
		}
		fmt.Fprintln(tw, strings.TrimRight(strings.Join(row, "\t"), "\t"))
	}
	if len(c.Figures) > 0 {
		fmt.Fprintln(tw, "")
		fmt.Fprintln(tw, "run-level (one value per run, no test)")
		for _, f := range c.Figures {
			row := []string{f.Name}
			for _, v := range f.Values {
				row = append(row, figureValue(f, v), "", "")
			}
			for _, fr := range f.Fracs {
				cell := "-"
				if fr != nil {
					cell = pct(*fr)
				}
				row = append(row, cell, "")
			}
			fmt.Fprintln(tw, strings.TrimRight(strings.Join(row, "\t"), "\t"))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(c.Runs) > 1 {
		fmt.Fprintf(&b, "\nchange: of the median; ~ when a Mann-Whitney U test gives p > %g (may be noise); better/worse by each metric's direction\n", c.Alpha)
	}
	if len(c.Gates) > 0 {
		fmt.Fprintf(&b, "\ngates (fail when beyond the limit and p <= %g)\n", c.Alpha)
		for _, g := range c.Gates {
			fmt.Fprintf(&b, "  %-4s  %s: %s\n", strings.ToUpper(g.Status), c.Runs[g.Run].Label, g.Message)
		}
	}
	if n := c.notes(); len(n) > 0 {
		b.WriteString("\nnotes\n")
		for _, s := range n {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func figureValue(f FigureComparison, v *float64) string {
	if v == nil {
		return "-"
	}
	return valueFormatter(f.Name)(*v)
}

// mdEscape makes s safe in a markdown table cell.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// mdCodeEscape makes s safe in a code span inside a markdown table cell: a code span
// shows entities as written, so only the cell's "|" is escaped (GFM reads "\|" in a
// table before the span), and a backtick, which would end the span, becomes "'".
func mdCodeEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "`", "'").Replace(s)
}

// RenderComparisonMarkdown writes the comparison as GitHub-flavoured markdown, for pull
// request comments and $GITHUB_STEP_SUMMARY: a gate verdict first, then the runs, the
// metric table, the run-level figures and the notes.
func RenderComparisonMarkdown(w io.Writer, c *Comparison) error {
	var b strings.Builder
	b.WriteString("### yardstick")
	if len(c.Runs) > 1 {
		fmt.Fprintf(&b, ": %s vs %s", mdEscape(strings.Join(labels(c.Runs[1:]), ", ")), mdEscape(c.Runs[0].Label))
	} else {
		b.WriteString(": " + mdEscape(c.Runs[0].Label))
	}
	b.WriteString("\n\n")
	if len(c.Gates) > 0 {
		failed, skipped, unjudged := 0, 0, 0
		for _, g := range c.Gates {
			switch g.Status {
			case "fail":
				failed++
				if !g.Judged {
					unjudged++
				}
			case "skip":
				skipped++
			}
		}
		if failed > 0 {
			fmt.Fprintf(&b, "**Regression gate failed**: %d of %d gates", failed, len(c.Gates))
			if unjudged > 0 {
				fmt.Fprintf(&b, " (%d not judged, failed by the strict rule)", unjudged)
			}
			b.WriteString(".\n\n")
		} else {
			fmt.Fprintf(&b, "**Regression gate passed**: %d gates", len(c.Gates))
			if skipped > 0 {
				fmt.Fprintf(&b, " (%d not evaluable)", skipped)
			}
			b.WriteString(".\n\n")
		}
		b.WriteString("| gate | run | result | detail |\n|---|---|---|---|\n")
		for _, g := range c.Gates {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", mdCodeEscape(g.Gate.Spec), mdEscape(c.Runs[g.Run].Label), strings.ToUpper(g.Status), mdEscape(g.Message))
		}
		b.WriteString("\n")
	}
	b.WriteString("| run | host | model | server | started | ok | failed |\n|---|---|---|---|---|--:|--:|\n")
	for _, r := range c.Runs {
		model := r.Model + " " + r.Quant
		if r.Synthetic {
			model += " (synthetic twin)"
		}
		failed := strconv.Itoa(r.Failed)
		if r.Dropped > 0 {
			failed += fmt.Sprintf(" (+%d dropped)", r.Dropped)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s %s | %s | %d | %s |\n", mdEscape(r.Label), mdEscape(orDash(r.Host)), mdEscape(strings.TrimSpace(model)),
			mdEscape(r.Backend), mdEscape(r.Server), r.StartedAt, r.Completed, failed)
	}
	for i, r := range c.src {
		mdLevels(&b, r, c.Runs[i].Label, len(c.Runs) > 1)
	}
	mdHeader(&b, c, "metric", []string{"%s median", "± 95% CI", "n"}, []string{"%s vs base", "p"})
	for _, m := range c.Metrics {
		fmt.Fprintf(&b, "| %s |", mdEscape(c.metricLabel(m.Metric)))
		for _, s := range m.Stats {
			if s.N == 0 {
				b.WriteString(" - | | |")
				continue
			}
			fmt.Fprintf(&b, " %s | %s | %d |", fmtMedian(m, s), ciPct(s), s.N)
		}
		for _, d := range m.Deltas {
			cell := deltaCell(d)
			if d.Verdict == "worse" {
				cell = "**" + cell + "**"
			}
			p := ""
			if d.Verdict != "n/a" {
				p = fmt.Sprintf("%.3f", d.P)
			}
			fmt.Fprintf(&b, " %s | %s |", cell, p)
		}
		b.WriteString("\n")
	}
	if len(c.Figures) > 0 {
		mdHeader(&b, c, "run-level figure", []string{"%s"}, []string{"%s vs base"})
		for _, f := range c.Figures {
			fmt.Fprintf(&b, "| %s |", mdEscape(f.Name))
			for _, v := range f.Values {
				fmt.Fprintf(&b, " %s |", figureValue(f, v))
			}
			for _, fr := range f.Fracs {
				cell := "-"
				if fr != nil {
					cell = pct(*fr)
				}
				fmt.Fprintf(&b, " %s |", cell)
			}
			b.WriteString("\n")
		}
	}
	if len(c.Runs) > 1 {
		fmt.Fprintf(&b, "\nChange of the median; `~` when a Mann-Whitney U test gives p > %g (may be noise).\n", c.Alpha)
	}
	if n := c.notes(); len(n) > 0 {
		b.WriteString("\n<details><summary>notes</summary>\n\n")
		for _, s := range n {
			fmt.Fprintf(&b, "- %s\n", mdEscape(s))
		}
		b.WriteString("\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdLevels writes, after a blank line, the per-level table of a sweep as the terminal
// shows it (levelTable), titled with the run's label when named: a GFM table, the load
// left-aligned and every figure right-aligned, then its notes as a list. Nothing for a
// run of one level.
func mdLevels(b *strings.Builder, r *Run, label string, named bool) {
	head, rows, notes := levelTable(r)
	if head == nil {
		return
	}
	md := func(s string) string { return strings.ReplaceAll(mdEscape(s), "*", `\*`) }
	title := "Levels"
	if named {
		title += " of " + md(label)
	}
	b.WriteString("\n" + title + "\n\n|")
	align := "|"
	for i, h := range head {
		if i == 0 {
			h = "level"
		}
		b.WriteString(" " + md(h) + " |")
		if h == "load" {
			align += "---|"
		} else {
			align += "--:|"
		}
	}
	b.WriteString("\n" + align + "\n")
	for _, row := range rows {
		b.WriteString("|")
		for _, cell := range row {
			b.WriteString(" " + md(cell) + " |")
		}
		b.WriteString("\n")
	}
	if len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			b.WriteString("- " + md(strings.TrimSpace(n)) + "\n")
		}
	}
}

// mdHeader writes, after a blank line, the header and alignment rows of a markdown
// table: a left-aligned first column named first, then the columns of perRun for every
// run and those of perChange for every run after the base, all right-aligned. In a
// column name, %s stands for the run's label.
func mdHeader(b *strings.Builder, c *Comparison, first string, perRun, perChange []string) {
	b.WriteString("\n| " + first + " |")
	align := "|---|"
	cols := func(runs []RunRef, names []string) {
		for _, r := range runs {
			for _, n := range names {
				b.WriteString(" " + strings.ReplaceAll(n, "%s", mdEscape(r.Label)) + " |")
				align += "--:|"
			}
		}
	}
	cols(c.Runs, perRun)
	cols(c.Runs[1:], perChange)
	b.WriteString("\n" + align + "\n")
}

func labels(rs []RunRef) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Label
	}
	return out
}

// RenderComparisonJSON writes the Comparison as indented JSON (kind
// "yardstick.comparison"); values are in each metric's unit.
func RenderComparisonJSON(w io.Writer, c *Comparison) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// CSVHeader is the header row of the CSV format. level is the index of the row's level
// in the run's levels[]; load (sequential, closed or open), concurrency (the closed
// loop's workers, or the open loop's cap on requests in flight, 0 for none),
// rate_per_s and arrival (open loop only) and target_prompt_tokens are that level's.
// tested_n is how many values the U test compared (requests for itl_ns).
var CSVHeader = []string{"metric", "unit", "direction", "run", "run_id", "host",
	"level", "load", "concurrency", "rate_per_s", "arrival", "target_prompt_tokens",
	"n", "median", "median_ci_lo", "median_ci_hi", "median_ci_level", "mean", "p90", "p95", "p99", "min", "max",
	"change_frac", "p_value", "tested_n", "significant", "verdict"}

// csvNum writes a value in plain decimal, unrounded (the shortest form that reads back
// to the same float64): 98819146, never 9.8819146e+07, so that every CSV reader and
// spreadsheet takes it as the number it is. Only magnitudes below 1e-6 (a p-value) or
// from 1e21 use an exponent, which every reader also parses.
func csvNum(v float64) string {
	if a := math.Abs(v); v == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// splitLevel splits "levels[2].ttft_ns" into 2 and "ttft_ns"; a name without a level
// gives -1.
func splitLevel(name string) (int, string) {
	if rest, ok := strings.CutPrefix(name, "levels["); ok {
		if i := strings.Index(rest, "]."); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil && n >= 0 {
				return n, rest[i+2:]
			}
		}
	}
	return -1, name
}

// levelCells are the CSV's level and load columns for a row of run r about level n
// (-1: the whole run). A run of one level has it on every row; a row over a whole
// sweep (the pooled statistics, memory, energy) has them empty.
func levelCells(r RunRef, n int) []string {
	if n < 0 && len(r.Levels) == 1 {
		n = 0
	}
	if n < 0 || n >= len(r.Levels) {
		return make([]string, 6)
	}
	l := r.Levels[n]
	rate, arrival := "", ""
	if l.Model == bench.LoadOpen {
		rate, arrival = csvNum(l.RatePerS), l.Arrival
	}
	conc := strconv.Itoa(l.Concurrency)
	if l.Model == bench.LoadSequential {
		conc = "1"
	}
	return []string{strconv.Itoa(l.Index), l.Model, conc, rate, arrival, strconv.Itoa(l.PromptTokens)}
}

// RenderComparisonCSV writes one row per metric, level and run (RFC 4180, header
// CSVHeader): the metric's bare name ("ttft_ns") with its unit, the level and its load
// in their own columns, values in the metric's unit, unrounded, in plain decimal
// (csvNum). A sweep has rows over the whole run (level empty) and rows for each level.
// The change, p-value and verdict are empty for the base run. Run-level figures follow
// as rows with only their value and change.
func RenderComparisonCSV(w io.Writer, c *Comparison) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(CSVHeader)
	opt := func(p *float64) string {
		if p == nil {
			return ""
		}
		return csvNum(*p)
	}
	head := func(name string, dir Direction, i int) []string {
		n, leaf := splitLevel(name)
		r := c.Runs[i]
		return append([]string{leaf, metricUnit(leafName(leaf)), dir.String(), r.Label, r.RunID, r.Host}, levelCells(r, n)...)
	}
	for _, m := range c.Metrics {
		for i, s := range m.Stats {
			row := append(head(m.Metric, m.Direction, i), strconv.Itoa(s.N))
			if s.N == 0 {
				row = append(row, make([]string, 10)...)
			} else {
				lvl := ""
				if s.MedianCILevel > 0 {
					lvl = csvNum(s.MedianCILevel)
				}
				row = append(row, csvNum(s.Median), opt(s.MedianCILo), opt(s.MedianCIHi), lvl, csvNum(s.Mean), csvNum(s.P90), csvNum(s.P95), csvNum(s.P99), csvNum(s.Min), csvNum(s.Max))
			}
			if i == 0 {
				row = append(row, "", "", strconv.Itoa(m.testedN(0)), "", "")
			} else {
				d := m.Deltas[i-1]
				row = append(row, opt(d.Frac), csvNum(d.P), strconv.Itoa(m.testedN(i)), strconv.FormatBool(d.Significant), d.Verdict)
			}
			_ = cw.Write(row)
		}
	}
	for _, f := range c.Figures {
		for i, v := range f.Values {
			row := append(head(f.Name, f.Direction, i), "1", opt(v))
			row = append(row, make([]string, 9)...)
			if i > 0 {
				row = append(row, opt(f.Fracs[i-1]), "", "", "", "")
			} else {
				row = append(row, "", "", "", "", "")
			}
			_ = cw.Write(row)
		}
	}
	cw.Flush()
	return cw.Error()
}
