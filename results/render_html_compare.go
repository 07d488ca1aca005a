package results

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// RenderComparisonHTML writes the HTML report of a comparison (docs/report.md): each
// run's header, the key differences, every latency distribution overlaid with each
// run's verdict against the base, and the table of every metric's change (median, CI,
// change, p, verdict, as the other formats give it). runs are the compared runs, in
// c's order (Compare's input).
func RenderComparisonHTML(w io.Writer, c *Comparison, runs []*Run) error {
	if len(runs) != len(c.Runs) || len(c.raw) != len(runs) {
		return errors.New("rendering the HTML comparison: the runs are not the comparison's")
	}
	p := &htmlPage{Kind: "comparison", Title: "yardstick: comparison of " + fmt.Sprint(len(runs)) + " runs",
		Lead: fmt.Sprintf("Every run against the base, %s: medians with %.0f%% confidence intervals, change of the median and the p-value of a Mann-Whitney U test; \"~\" marks a change that may be noise (p > %g).",
			c.Runs[0].Label, 100*c.CILevel, c.Alpha)}
	for i, r := range runs {
		h := runHeader(c.Runs[i].Label, r)
		h.Label = c.Runs[i].Label
		if i == 0 {
			h.Label += " (base)"
		}
		p.Headers = append(p.Headers, h)
	}
	if notes := c.notes(); len(notes) > 0 {
		p.Headers = append(p.Headers, htmlHeader{Label: "What qualifies the comparison", Warnings: notes})
	}

	lat := htmlSection{ID: "latency", Title: "Latency distributions, overlaid", Intro: "Cumulative distributions of every run; marks at p50, p95 and p99 of each."}
	for _, m := range latencyMetrics {
		var series []cdfSeries
		mc := c.metric(m)
		for i := range runs {
			xs := c.raw[i][m]
			if len(xs) == 0 {
				continue
			}
			s := cdfSeries{label: c.Runs[i].Label, values: xs, color: color(i), delta: []string{}}
			if i > 0 && mc != nil {
				d := mc.Deltas[i-1]
				p := ""
				if d.Verdict != "n/a" {
					p = fmt.Sprintf("%.3f", d.P)
				}
				s.delta = []string{deltaCell(d), p}
			}
			series = append(series, s)
		}
		if len(series) > 0 {
			lat.Blocks = append(lat.Blocks, cdfBlock(m, series))
		}
	}
	p.Sections = append(p.Sections, lat)

	t := htmlTable{Head: []string{"metric"}}
	for i, r := range c.Runs {
		t.Head = append(t.Head, r.Label+" median")
		if i > 0 {
			t.Head = append(t.Head, "change", "p")
		}
	}
	for _, mc := range c.Metrics {
		row := cells(c.metricLabel(mc.Metric) + unitSuffix(leafName(mc.Metric)))
		for i, s := range mc.Stats {
			row = append(row, htmlCell{Text: fmtMedian(mc, s) + " " + ciPct(s)})
			if i > 0 {
				d := mc.Deltas[i-1]
				p := ""
				if d.Verdict != "n/a" {
					p = fmt.Sprintf("%.3f", d.P)
				}
				cell := deltaCell(d)
				row = append(row, htmlCell{Text: cell, Class: verdictClass(cell)}, htmlCell{Text: p})
			}
		}
		t.Rows = append(t.Rows, row)
	}
	blocks := []htmlBlock{{Tables: []htmlTable{t}}}
	if len(c.Figures) > 0 {
		ft := htmlTable{Caption: "Run-level figures (one value per run: no test is possible)", Head: []string{"figure"}}
		for i, r := range c.Runs {
			ft.Head = append(ft.Head, r.Label)
			if i > 0 {
				ft.Head = append(ft.Head, "change")
			}
		}
		for _, f := range c.Figures {
			row := cells(f.Name)
			for i, v := range f.Values {
				txt := "-"
				if v != nil {
					txt = valueFormatter(f.Name)(*v)
				}
				row = append(row, htmlCell{Text: txt})
				if i > 0 {
					ch := "-"
					if fr := f.Fracs[i-1]; fr != nil {
						ch = pct(*fr)
					}
					row = append(row, htmlCell{Text: ch})
				}
			}
			ft.Rows = append(ft.Rows, row)
		}
		blocks = append(blocks, htmlBlock{Tables: []htmlTable{ft}})
	}
	if len(c.Gates) > 0 {
		gt := htmlTable{Caption: "Regression gates", Head: []string{"gate", "run", "status", "message"}}
		for _, g := range c.Gates {
			cls := ""
			if g.Status == "fail" {
				cls = "verdict-worse"
			}
			gt.Rows = append(gt.Rows, []htmlCell{{Text: g.Gate.Name()}, {Text: c.Runs[g.Run].Label}, {Text: g.Status, Class: cls}, {Text: g.Message}})
		}
		blocks = append(blocks, htmlBlock{Tables: []htmlTable{gt}})
	}
	p.Sections = append(p.Sections, htmlSection{ID: "verdicts", Title: "Every metric", Intro: "Median ± the half-width of its confidence interval; the change is the base's median to the run's.", Blocks: blocks})
	return renderPage(w, p)
}

// metric is the comparison of the pooled metric name, or nil.
func (c *Comparison) metric(name string) *MetricComparison {
	for i := range c.Metrics {
		if c.Metrics[i].Metric == name {
			return &c.Metrics[i]
		}
	}
	return nil
}

// History is a directory of run files, for the history page: the runs that were read,
// in the order they started, and the files that could not be.
type History struct {
	Dir        string
	Runs       []HistoryRun
	Unreadable []Unreadable
}

// HistoryRun is a run of a history with its file name.
type HistoryRun struct {
	Path string
	Run  *Run
}

// Unreadable is a file of a history's directory that is not a readable run file, and
// why.
type Unreadable struct {
	Path string
	Err  error
}

// ErrNoRuns is returned (wrapped) by ReadHistory for a directory without a readable
// run file.
var ErrNoRuns = errors.New("no readable run files")

// ReadHistory reads every *.json file directly in dir (not in subdirectories) as a run
// file, sorting the runs by start time (then path). A file that does not read as a run
// is listed in Unreadable with why, and reading goes on. skip, when not "", is a path
// left out (the report being written there). Errors: dir cannot be listed; no file
// read as a run (ErrNoRuns, with the unreadable files in the History still).
func ReadHistory(dir, skip string) (*History, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	h := &History{Dir: dir}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if skip != "" && filepath.Clean(skip) == filepath.Clean(path) {
			continue
		}
		if e.Type()&fs.ModeType != 0 && e.Type()&fs.ModeSymlink == 0 {
			h.Unreadable = append(h.Unreadable, Unreadable{path, errors.New("not a regular file")})
			continue
		}
		r, err := ReadFile(path)
		if err != nil {
			h.Unreadable = append(h.Unreadable, Unreadable{path, err})
			continue
		}
		h.Runs = append(h.Runs, HistoryRun{Path: path, Run: r})
	}
	slices.SortStableFunc(h.Runs, func(a, b HistoryRun) int {
		if c := strings.Compare(a.Run.StartedAt, b.Run.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	if len(h.Runs) == 0 {
		return h, fmt.Errorf("%s: %w (*.json)", dir, ErrNoRuns)
	}
	return h, nil
}

// historyMetrics are the metrics a history page can trend, the first chosen first:
// per-request medians with their CI, and the run's output throughput.
var historyMetrics = []string{"server_gen_per_s", "ttft_ns", "tpot_ns", "itl_ns", "e2e_ns", "server_prefill_per_s", "output_tokens_per_s"}

// RenderHistoryHTML writes the history page of h (docs/report.md): the runs grouped
// by model (name and quantization), machine (host and profile) and work (load and
// workload hash, as compare requires them equal), one trend chart per
// group of a metric chosen on the page, the median over time with its 95% confidence
// interval, and a table of every run with its change against the run before (change,
// p, verdict, as Compare judges it); the unreadable files are listed.
func RenderHistoryHTML(w io.Writer, h *History) error {
	p := &htmlPage{Kind: "history", Title: "yardstick: history of " + h.Dir,
		Lead: fmt.Sprintf("%d run files, grouped by model and machine; %d unreadable.", len(h.Runs), len(h.Unreadable))}
	for _, m := range historyMetrics {
		p.Choices = append(p.Choices, htmlChoice{Value: m, Label: historyLabel(m)})
	}
	type group struct {
		key  string
		runs []HistoryRun
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, hr := range h.Runs {
		r := hr.Run
		prof := ""
		if r.Environment.Machine != nil {
			prof = r.Environment.Machine.Profile
		}
		// Runs of other work (another workload or load) would make a false trend:
		// compare refuses them, so they are another group.
		k := joinNonEmpty(" ", r.Target.Model.Name, r.Target.Model.QuantizationLevel) + " on " + joinNonEmpty(", ", r.Environment.Hardware.Hostname, prof) +
			": " + strings.Join(r.Options.LevelNames(), "; ") + ", workload " + r.Workload.Hash
		g := byKey[k]
		if g == nil {
			g = &group{key: k}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.runs = append(g.runs, hr)
	}
	for _, g := range groups {
		// Each run against the one before it, as compare judges a change (the group
		// shares its work; other keys, a digest or a server version, may differ).
		prev := make([]*Comparison, len(g.runs))
		for i := 1; i < len(g.runs); i++ {
			a, b := g.runs[i-1], g.runs[i]
			c, err := Compare([]*Run{a.Run, b.Run}, []string{a.Path, b.Path}, CompareOptions{Force: true})
			if err == nil {
				prev[i] = c
			}
		}
		sec := htmlSection{ID: fmt.Sprintf("history-%d", len(p.Sections)), Title: g.key, Intro: historyIntro(g.runs)}
		for _, m := range historyMetrics {
			c := &htmlChart{Height: 280, X: htmlAxis{Label: "run started (UTC)", Time: true}, Y: htmlAxis{Label: historyLabel(m)},
				Series: []htmlSeries{{Label: "median", Color: color(0), Line: true, Points: true},
					{Label: "95% CI low", Color: "#9ab3cf", Line: true, Dash: true},
					{Label: "95% CI high", Color: "#9ab3cf", Line: true, Dash: true}}}
			if m == "output_tokens_per_s" {
				c.Series[0].Label = "output throughput"
				c.Series = c.Series[:1]
			}
			t := htmlTable{Head: []string{"run file", "started", "median", "95% CI", "n", "vs the run before", "p", "warnings"}}
			vsPrev := func(i int) []htmlCell {
				if prev[i] == nil {
					return cells("-", "")
				}
				if m == "output_tokens_per_s" {
					for _, f := range prev[i].Figures {
						if f.Name == m && len(f.Fracs) == 1 && f.Fracs[0] != nil {
							return cells(pct(*f.Fracs[0]), "")
						}
					}
					return cells("-", "")
				}
				mc := prev[i].metric(m)
				if mc == nil || len(mc.Deltas) != 1 || mc.Deltas[0].Verdict == "n/a" {
					return cells("-", "")
				}
				d := mc.Deltas[0]
				cell := deltaCell(d)
				return []htmlCell{{Text: cell, Class: verdictClass(cell)}, {Text: fmt.Sprintf("%.3f", d.P)}}
			}
			conv := func(v float64) float64 { return v }
			if strings.HasSuffix(m, "_ns") {
				conv = msOf
			}
			for i, hr := range g.runs {
				r := hr.Run
				at, err := time.Parse(time.RFC3339Nano, r.StartedAt)
				name := filepath.Base(hr.Path)
				started := r.StartedAt
				if err == nil {
					started = at.UTC().Format("2006-01-02 15:04")
				}
				if m == "output_tokens_per_s" {
					if err == nil && r.Throughput.Completed > 0 {
						c.add(0, float64(at.UnixMilli())/1e3, r.Throughput.OutputTokensPerS)
					}
					row := append(cells(name, started, fmt.Sprintf("%.1f", r.Throughput.OutputTokensPerS), "-", fmt.Sprint(r.Throughput.Completed)), vsPrev(i)...)
					t.Rows = append(t.Rows, append(row, cells(fmt.Sprint(len(r.Warnings)))...))
					continue
				}
				s, ok := r.Summaries[m]
				if !ok || s.N == 0 {
					t.Rows = append(t.Rows, cells(name, started, "-", "-", "0", "-", "", fmt.Sprint(len(r.Warnings))))
					continue
				}
				ci := "-"
				f := formatter(m)
				if err == nil {
					x := float64(at.UnixMilli()) / 1e3
					c.add(0, x, conv(s.Median))
					if s.MedianCILo != nil && s.MedianCIHi != nil {
						c.add(1, x, conv(*s.MedianCILo))
						c.add(2, x, conv(*s.MedianCIHi))
					}
				}
				if s.MedianCILo != nil && s.MedianCIHi != nil {
					ci = f(*s.MedianCILo) + " … " + f(*s.MedianCIHi)
				}
				row := append(cells(name, started, f(s.Median), ci, fmt.Sprint(s.N)), vsPrev(i)...)
				t.Rows = append(t.Rows, append(row, cells(fmt.Sprint(len(r.Warnings)))...))
			}
			c.finish()
			if c.Points == 0 {
				continue
			}
			sec.Blocks = append(sec.Blocks, htmlBlock{Title: historyLabel(m), Metric: m, Chart: c, Tables: []htmlTable{t}, Stacked: true})
		}
		p.Sections = append(p.Sections, sec)
	}
	if len(h.Unreadable) > 0 {
		t := htmlTable{Head: []string{"file", "why it was not read"}}
		for _, u := range h.Unreadable {
			t.Rows = append(t.Rows, cells(filepath.Base(u.Path), u.Err.Error()))
		}
		p.Sections = append(p.Sections, htmlSection{ID: "unreadable", Title: "Unreadable files", Intro: "These files of the directory are not readable run files; the history leaves them out.",
			Blocks: []htmlBlock{{Tables: []htmlTable{t}}}})
	}
	return renderPage(w, p)
}

func historyLabel(m string) string {
	switch {
	case m == "output_tokens_per_s":
		return "output throughput (tok/s)"
	case strings.HasSuffix(m, "_ns"):
		return label(m) + " median (ms)"
	}
	if l := label(m); strings.Contains(l, "tok/s") {
		return l + " median"
	}
	return label(m) + " median" + unitSuffix(m)
}

// historyIntro is a history section's first line: how many runs and when, "1 run, on
// T." for one.
func historyIntro(runs []HistoryRun) string {
	if len(runs) == 1 {
		return fmt.Sprintf("1 run, on %s.", runs[0].Run.StartedAt)
	}
	return fmt.Sprintf("%d runs, from %s to %s.", len(runs), runs[0].Run.StartedAt, runs[len(runs)-1].Run.StartedAt)
}
