package results

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The HTML report (docs/report.md): one self-contained page per run, comparison or
// directory of runs. Tables are rendered here, with html/template, so every string a
// server or a run file supplies is escaped; charts are specs (htmlChart) that the
// page's script (htmlassets/report.js) draws with uPlot 1.6.32 (htmlassets/uplot,
// MIT), both inlined, so the page loads nothing. The data of every chart is also in a
// table beside it.

//go:embed htmlassets/page.html.tmpl htmlassets/report.js htmlassets/report.css htmlassets/uplot/uPlot.iife.min.js htmlassets/uplot/uPlot.min.css
var htmlAssets embed.FS

var pageTemplate = template.Must(template.New("page.html.tmpl").ParseFS(htmlAssets, "htmlassets/page.html.tmpl"))

func asset(name string) string {
	b, err := htmlAssets.ReadFile("htmlassets/" + name)
	if err != nil {
		panic("results: embedded asset missing: " + name) // a build error: the embed list names it
	}
	return string(b)
}

// htmlPage is what the page template renders.
type htmlPage struct {
	// Kind is "run", "sweep", "comparison" or "history" (main's data-kind).
	Kind, Title, Lead string
	Version           string
	Headers           []htmlHeader
	Choices           []htmlChoice
	Sections          []htmlSection
	Charts            []*htmlChart

	UplotJS  template.JS
	UplotCSS template.CSS
	JS       template.JS
	CSS      template.CSS
}

// htmlHeader says what was measured, where and on what, with every warning.
type htmlHeader struct {
	Label    string
	Facts    []htmlFact
	Warnings []string
}

type htmlFact struct{ Name, Value string }

type htmlChoice struct{ Value, Label string }

type htmlSection struct {
	// ID is the section's element id (docs screenshots and tests find it by it).
	ID, Title, Intro string
	Blocks           []htmlBlock
}

// htmlBlock is a chart with its numbers beside it, or tables alone.
type htmlBlock struct {
	Title, Caption string
	// Metric, when set, ties the block to the history page's metric chooser.
	Metric string
	// Stacked puts the tables under the chart, for tables too wide to sit beside it.
	Stacked bool
	Chart   *htmlChart
	// Bar is a stacked bar drawn in HTML (memorySection), in the chart's place.
	Bar    *htmlBar
	Tables []htmlTable
}

type htmlTable struct {
	Caption   string
	Collapsed bool
	Head      []string
	Rows      [][]htmlCell
}

type htmlCell struct{ Text, Class string }

func cells(texts ...string) []htmlCell {
	out := make([]htmlCell, len(texts))
	for i, t := range texts {
		out[i] = htmlCell{Text: t}
	}
	return out
}

// htmlChart is one chart's spec, as report.js reads it. Data is aligned: Data[0] the x
// values in ascending order, Data[i] series i−1's values at them, nil where it has no
// point. Points counts the non-nil series values: the browser test holds the drawn
// count against it.
type htmlChart struct {
	ID     string        `json:"id"`
	Height int           `json:"height,omitempty"`
	X      htmlAxis      `json:"x"`
	Y      htmlAxis      `json:"y"`
	Y2     *htmlAxis     `json:"y2,omitempty"`
	Series []htmlSeries  `json:"series"`
	Data   [][]*float64  `json:"data"`
	Lines  []htmlLine    `json:"lines,omitempty"`
	Marks  []htmlPoint   `json:"points,omitempty"`
	Points int           `json:"-"`
	rows   []htmlDataRow // while building: one x with its series values
}

// htmlAxis is an axis: its label carries the unit; Format is how ticks print ("si":
// 1.2G, "pct": 95%, "": plain); Log draws it on a log scale; Time makes x seconds
// since the Unix epoch, printed as dates.
type htmlAxis struct {
	Label  string   `json:"label"`
	Format string   `json:"format,omitempty"`
	Log    bool     `json:"log,omitempty"`
	Time   bool     `json:"time,omitempty"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
}

type htmlSeries struct {
	Label  string `json:"label"`
	Color  string `json:"color"`
	Scale  string `json:"scale,omitempty"` // "y" (default) or "y2"
	Line   bool   `json:"line,omitempty"`
	Points bool   `json:"points,omitempty"`
	Dash   bool   `json:"dash,omitempty"`
	Size   int    `json:"size,omitempty"`
}

// htmlLine is a reference line: at x = Value (Axis "x") or at y = Value on Scale.
type htmlLine struct {
	Axis  string  `json:"axis"`
	Scale string  `json:"scale,omitempty"`
	Value float64 `json:"value"`
	Label string  `json:"label,omitempty"`
	Color string  `json:"color,omitempty"`
	Dash  bool    `json:"dash,omitempty"`
	Right bool    `json:"right,omitempty"`
	// Below puts the label under the line (two close lines keep apart).
	Below bool `json:"below,omitempty"`
}

// htmlPoint is a labelled mark at (X, Y) on Scale, hidden with series Series (1-based,
// as uPlot numbers them) when that is toggled off.
type htmlPoint struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Scale  string  `json:"scale,omitempty"`
	Series *int    `json:"series,omitempty"`
	Label  string  `json:"label,omitempty"`
	Color  string  `json:"color,omitempty"`
	Shape  string  `json:"shape,omitempty"`
	Size   int     `json:"size,omitempty"`
}

type htmlDataRow struct {
	x  float64
	ys map[int]float64
}

// palette is Tableau 10's, colour-blind safer than most, in its order.
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

func color(i int) string { return palette[i%len(palette)] }

// add records series s's value y at x.
func (c *htmlChart) add(s int, x, y float64) {
	if !finite(x) || !finite(y) {
		return
	}
	c.rows = append(c.rows, htmlDataRow{x: x, ys: map[int]float64{s: y}})
}

// finish sorts the rows by x, merges rows of equal x whose series do not collide, and
// fills Data and Points. Series values keep 5 significant digits (x values 12): the
// page stays small and nothing drawn or hovered needs more.
func (c *htmlChart) finish() {
	rows := c.rows
	sortRows(rows)
	var merged []htmlDataRow
	for _, r := range rows {
		if n := len(merged); n > 0 && merged[n-1].x == r.x {
			last := &merged[n-1]
			collide := false
			for s := range r.ys {
				if _, ok := last.ys[s]; ok {
					collide = true
				}
			}
			if !collide {
				for s, y := range r.ys {
					last.ys[s] = y
				}
				continue
			}
		}
		merged = append(merged, r)
	}
	// A series without a point (no sweep levels on a roofline) is left out; marks
	// name series by number, so they are renumbered.
	used := map[int]bool{}
	for _, r := range merged {
		for s := range r.ys {
			used[s] = true
		}
	}
	renum := map[int]int{}
	var kept []htmlSeries
	for i, s := range c.Series {
		if used[i] {
			renum[i] = len(kept)
			kept = append(kept, s)
		}
	}
	c.Series = kept
	for i := range c.Marks {
		if m := c.Marks[i].Series; m != nil {
			n := renum[*m-1] + 1
			c.Marks[i].Series = &n
		}
	}
	for j := range merged {
		ys := make(map[int]float64, len(merged[j].ys))
		for s, y := range merged[j].ys {
			ys[renum[s]] = y
		}
		merged[j].ys = ys
	}
	c.Data = make([][]*float64, len(c.Series)+1)
	for i := range c.Data {
		c.Data[i] = make([]*float64, len(merged))
	}
	c.Points = 0
	for j, r := range merged {
		x := roundSig(r.x, 12) // a time axis is 10 digits of seconds
		c.Data[0][j] = &x
		for s, y := range r.ys {
			v := round5(y)
			c.Data[s+1][j] = &v
			c.Points++
		}
	}
	c.rows = nil
}

func sortRows(rows []htmlDataRow) {
	// Stable, so equal x keep the order they were added in.
	slices.SortStableFunc(rows, func(a, b htmlDataRow) int {
		switch {
		case a.x < b.x:
			return -1
		case a.x > b.x:
			return 1
		}
		return 0
	})
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func round5(v float64) float64 { return roundSig(v, 5) }

// roundSig rounds v to digits significant digits.
func roundSig(v float64, digits int) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', digits, 64), 64)
	return r
}

// renderPage writes p with the embedded assets.
func renderPage(w io.Writer, p *htmlPage) error {
	p.Version = ThisTool().Version
	p.UplotJS = template.JS(asset("uplot/uPlot.iife.min.js"))
	p.UplotCSS = template.CSS(asset("uplot/uPlot.min.css"))
	p.JS = template.JS(asset("report.js"))
	p.CSS = template.CSS(asset("report.css"))
	for _, s := range p.Sections {
		for i := range s.Blocks {
			b := &s.Blocks[i]
			if b.Chart != nil && b.Chart.Points == 0 {
				// Nothing to draw (every request failed): the tables say what there is.
				b.Chart = nil
				b.Caption = joinNonEmpty(" ", b.Caption, "Nothing to draw: no successful request has these figures.")
			}
			if b.Chart != nil {
				p.Charts = append(p.Charts, b.Chart)
			}
		}
	}
	for i, c := range p.Charts {
		c.ID = fmt.Sprintf("chart-%d", i+1)
	}
	if err := pageTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	return nil
}

// msOf converts nanoseconds to milliseconds for an axis in ms.
func msOf(ns float64) float64 { return ns / 1e6 }

// joinNonEmpty joins the non-empty parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
