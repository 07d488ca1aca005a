// Package tablefit fits text/tabwriter tables into a terminal's width. A Writer takes
// what a tabwriter.Writer takes (cells ended by tabs, lines by newlines) and, on Flush,
// first shortens the cells its Layout allows (names, paths, labels; never a number)
// until the widest line fits, then, if the table is still too wide, splits its columns
// into parts printed one under the other, each repeating the leading key columns (as
// R and pandas print wide tables). With a width of 0, or a table that fits, the output
// is the tabwriter's, byte for byte.
//
// Widths are counted in runes, as text/tabwriter counts them: a character that a
// terminal draws two cells wide (CJK) counts one, here as there.
package tablefit

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// Trim says how a cell may be shortened: which end keeps its text.
type Trim int

const (
	// Keep: never shortened (numbers, units, verdicts).
	Keep Trim = iota
	// End keeps the start: "qwen2.5-coder:7b-ins…".
	End
	// Middle keeps both ends: "prefill…(server)", "qwen2.5…Q4_K_M".
	Middle
	// Start keeps the end: "…/yardstick-qwen3-20261206.json", a path's file name.
	Start
)

// Ellipsis marks where a shortened cell lost its text.
const Ellipsis = "…"

// DefaultMinTrimmed is Layout.MinTrimmed when it is 0.
const DefaultMinTrimmed = 8

// Layout says which cells of a table may be shortened and how it splits.
type Layout struct {
	// Trim says how the cell at row (0-based, counting every line written) and
	// column (0-based) may be shortened; nil shortens nothing.
	Trim func(row, col int) Trim
	// Keys is the number of leading columns repeated in every part when the table is
	// split (a metric's name); 0 splits without repeating any.
	Keys int
	// Groups are the numbers of columns, after the keys and in order, that stay in
	// one part when the table is split (a run's median, CI and n); columns past
	// them are groups of one.
	Groups []int
	// Narrow says which shortenable cells (headings over a group of columns, such as
	// a run's label over its median, CI and n) are held, whenever the table does not
	// fit, to the width of the other cells of their column (at least MinTrimmed)
	// before anything else is shortened; nil: none.
	Narrow func(row, col int) bool
	// MinTrimmed is the fewest characters a shortened cell keeps, the ellipsis
	// included; 0 is DefaultMinTrimmed. A cell no longer than it is never shortened.
	MinTrimmed int
}

// Writer is a text/tabwriter.Writer that fits its table into a width (see the package
// comment). It buffers everything until Flush.
type Writer struct {
	out                         io.Writer
	width                       int
	layout                      Layout
	minwidth, tabwidth, padding int
	padchar                     byte
	flags                       uint
	buf                         bytes.Buffer
}

// NewWriter returns a Writer that writes to out, fitting the table into width columns
// (0: no limit); the last five arguments are tabwriter.NewWriter's.
func NewWriter(out io.Writer, width int, layout Layout, minwidth, tabwidth, padding int, padchar byte, flags uint) *Writer {
	if layout.MinTrimmed <= 0 {
		layout.MinTrimmed = DefaultMinTrimmed
	}
	return &Writer{out: out, width: width, layout: layout, minwidth: minwidth, tabwidth: tabwidth,
		padding: padding, padchar: padchar, flags: flags}
}

// Write buffers p; it never fails.
func (t *Writer) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush fits the buffered table, writes it through a tabwriter and empties the buffer.
func (t *Writer) Flush() error {
	text := t.buf.String()
	t.buf.Reset()
	if t.width > 0 {
		text = t.fit(text)
	}
	tw := tabwriter.NewWriter(t.out, t.minwidth, t.tabwidth, t.padding, t.padchar, t.flags)
	if _, err := io.WriteString(tw, text); err != nil {
		return err
	}
	return tw.Flush()
}

// table is the buffered text as lines of cells: every cell but a line's last ends in a
// tab (a column's cell); the last is the line's trailing text ("" after a final tab).
type table struct {
	rows    [][]string
	partial string // text after the last newline, passed through as is
}

func parse(text string) table {
	var t table
	lines := strings.Split(text, "\n")
	t.partial = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		t.rows = append(t.rows, strings.Split(l, "\t"))
	}
	return t
}

func (t table) String() string {
	var b strings.Builder
	for _, r := range t.rows {
		b.WriteString(strings.Join(r, "\t"))
		b.WriteByte('\n')
	}
	b.WriteString(t.partial)
	return b.String()
}

// fit shortens cells, and splits the table if it must, so that its lines fit t.width
// when they can: when shortening alone fits, only as much as needed, the longest
// shortenable cells first; otherwise the columns are grouped into as few parts as fit
// with every cell shortened as far as allowed, and each part is then shortened only as
// far as it needs.
func (t *Writer) fit(text string) string {
	tab := parse(text)
	ncols := 0
	for _, r := range tab.rows {
		ncols = max(ncols, len(r))
	}
	longest := make([]int, ncols) // of the shortenable cells of each column
	for i, r := range tab.rows {
		for c, cell := range r {
			if t.trim(tab, i, c) != Keep {
				longest[c] = max(longest[c], runes(cell))
			}
		}
	}
	floor := make([]int, ncols)
	for c := range floor {
		floor[c] = min(longest[c], t.layout.MinTrimmed)
	}
	all := seq(ncols)
	if t.tableWidth(tab, longest, all) <= t.width {
		return tab.String()
	}
	if t.layout.Narrow != nil && t.narrow(tab) {
		return t.fit(tab.String())
	}
	if t.tableWidth(tab, floor, all) <= t.width {
		t.shortenCells(tab, t.shrink(tab, longest, all))
		return tab.String()
	}
	// As few parts as fit with every cell at its floor; of the groupings into that
	// many, the one that needs the least shortening: every column's limit lowered
	// together, from its longest cell towards its floor, until the grouping has no
	// more parts than the floor's.
	parts := t.group(tab, floor, ncols)
	for k := 0; ; k++ {
		at := make([]int, ncols)
		for c := range at {
			at[c] = max(floor[c], longest[c]-k)
		}
		if g := t.group(tab, at, ncols); len(g) <= len(parts) {
			parts = g
			break
		}
	}
	limit := slices.Clone(longest)
	for _, cols := range parts {
		lp := t.shrink(tab, longest, cols)
		for _, c := range cols {
			limit[c] = min(limit[c], lp[c]) // a key column: as short as its shortest part
		}
	}
	t.shortenCells(tab, limit)
	return t.split(tab, parts).String()
}

// narrow shortens the Layout's Narrow cells to the widest other cell of their column
// in the adjacent lines that have one (at least MinTrimmed), and reports whether it
// shortened any.
func (t *Writer) narrow(tab table) bool {
	changed := false
	for i, r := range tab.rows {
		for c, cell := range r {
			mode := t.trim(tab, i, c)
			if mode == Keep || !t.layout.Narrow(i, c) {
				continue
			}
			// The other cells of the column in the adjacent lines that have one.
			others := 0
			for k := i - 1; k >= 0 && len(tab.rows[k]) > c && len(tab.rows[k]) > 1; k-- {
				if !t.layout.Narrow(k, c) {
					others = max(others, runes(tab.rows[k][c]))
				}
			}
			for k := i + 1; k < len(tab.rows) && len(tab.rows[k]) > c && len(tab.rows[k]) > 1; k++ {
				if !t.layout.Narrow(k, c) {
					others = max(others, runes(tab.rows[k][c]))
				}
			}
			if n := max(others, t.layout.MinTrimmed); runes(cell) > n {
				r[c], changed = shorten(cell, n, mode), true
			}
		}
	}
	return changed
}

// group divides the columns after the keys, in order, into parts that fit t.width
// with the shortenable cells held to limit, each part the key columns and as many
// groups of columns (Layout.Groups) as fit (at least one, even one too wide).
func (t *Writer) group(tab table, limit []int, ncols int) [][]int {
	keys := min(t.layout.Keys, ncols)
	var parts [][]int
	cur := seq(keys)
	for c, g := keys, 0; c < ncols; g++ {
		n := 1 // columns in this group (Layout.Groups)
		if g < len(t.layout.Groups) && t.layout.Groups[g] > 0 {
			n = t.layout.Groups[g]
		}
		next := append(slices.Clone(cur), seq(min(c+n, ncols))[c:]...)
		if len(cur) > keys && t.tableWidth(tab, limit, next) > t.width {
			parts = append(parts, cur)
			next = append(seq(keys), seq(min(c+n, ncols))[c:]...)
		}
		cur, c = next, c+n
	}
	return append(parts, cur)
}

// shrink returns the limits of the columns cols (the others as in from) after
// taking one character at a time from the column whose limit is longest among those
// where it narrows the table (a shortenable cell is the widest of a column block),
// until the columns fit t.width or none can lose another.
func (t *Writer) shrink(tab table, from []int, cols []int) []int {
	limit := slices.Clone(from)
	for t.tableWidth(tab, limit, cols) > t.width {
		widest := -1
		for _, c := range cols {
			if limit[c] > t.layout.MinTrimmed && t.binds(tab, c, limit[c]) && (widest < 0 || limit[c] > limit[widest]) {
				widest = c
			}
		}
		if widest < 0 {
			break
		}
		limit[widest]--
	}
	return limit
}

// binds reports whether holding column c's shortenable cells to n characters makes
// some column block of c n wide: a shortenable cell at least n long, and every cell
// of the block that is kept shorter than n. Only then does n−1 narrow the table.
func (t *Writer) binds(tab table, c, n int) bool {
	rows := tab.rows
	for i := 0; i < len(rows); {
		if len(rows[i]) <= c {
			i++
			continue
		}
		// The block: adjacent rows whose cell c is tab-ended, or the one row whose
		// trailing text it is.
		j := i + 1
		if len(rows[i])-1 > c {
			for j < len(rows) && len(rows[j])-1 > c {
				j++
			}
		}
		kept, long := 0, false
		for k := i; k < j; k++ {
			w := runes(rows[k][c])
			if t.trim(tab, k, c) == Keep {
				kept = max(kept, w)
			} else if w >= n {
				long = true
			}
		}
		if long && kept < n {
			return true
		}
		i = j
	}
	return false
}

// shortenCells shortens every shortenable cell of column c longer than limit[c].
func (t *Writer) shortenCells(tab table, limit []int) {
	for i, r := range tab.rows {
		for c, cell := range r {
			if mode := t.trim(tab, i, c); mode != Keep && runes(cell) > limit[c] {
				r[c] = shorten(cell, limit[c], mode)
			}
		}
	}
}

// trim is the Layout's Trim of a cell; a line without a tab (a title, prose) is Keep.
func (t *Writer) trim(tab table, row, col int) Trim {
	if t.layout.Trim == nil || len(tab.rows[row]) == 1 {
		return Keep
	}
	return t.layout.Trim(row, col)
}

// tableWidth is the width of the widest line as tabwriter lays the table out, with
// the shortenable cells of column c held to limit[c], counting only the columns in
// cols.
func (t *Writer) tableWidth(tab table, limit []int, cols []int) int {
	cellWidth := func(i, c int) int {
		w := runes(tab.rows[i][c])
		if t.trim(tab, i, c) != Keep && w > limit[c] {
			w = limit[c]
		}
		return w
	}
	// blockWidth[i][c]: the width tabwriter gives the cell of row i in column c, the
	// widest of its column block (adjacent rows with a tab-ended cell in column c).
	widest := 0
	n := len(tab.rows)
	colw := make([][]int, n)
	for i := range colw {
		colw[i] = make([]int, max(len(tab.rows[i])-1, 0))
	}
	ncols := 0
	for _, r := range tab.rows {
		ncols = max(ncols, len(r)-1)
	}
	for c := 0; c < ncols; c++ {
		for i := 0; i < n; {
			if len(tab.rows[i])-1 <= c {
				i++
				continue
			}
			j, w := i, 0
			for ; j < n && len(tab.rows[j])-1 > c; j++ {
				w = max(w, cellWidth(j, c))
			}
			for k := i; k < j; k++ {
				colw[k][c] = max(w+t.padding, t.minwidth)
			}
			i = j
		}
	}
	for i, r := range tab.rows {
		if len(r) == 1 {
			continue // a line without a tab: prose the terminal wraps, not the table
		}
		lw := 0
		for c := range colw[i] {
			if slices.Contains(cols, c) {
				lw += colw[i][c]
			}
		}
		if last := len(r) - 1; slices.Contains(cols, last) {
			lw += cellWidth(i, last)
		}
		widest = max(widest, lw)
	}
	return widest
}

// split lays the parts (lists of columns, each with the key columns) one under the
// other, separated by a blank line. A line without a tab (a title, a blank line) is in
// every part.
func (t *Writer) split(tab table, parts [][]int) table {
	var out table
	for p, cols := range parts {
		if p > 0 {
			out.rows = append(out.rows, []string{""})
		}
		for _, r := range tab.rows {
			if len(r) == 1 {
				out.rows = append(out.rows, r)
				continue
			}
			var row []string
			for _, c := range cols {
				if c < len(r) {
					row = append(row, r[c])
				}
			}
			if len(row) == 0 {
				continue
			}
			switch last := cols[len(cols)-1]; {
			case t.flags&tabwriter.AlignRight != 0 && last < len(r)-1:
				// Right-aligned, a cell is aligned only when ended by a tab.
				row = append(row, "")
			case t.flags&tabwriter.AlignRight == 0:
				// Left-aligned, the part's last text is its lines' trailing text,
				// unpadded.
				for len(row) > 1 && row[len(row)-1] == "" {
					row = row[:len(row)-1]
				}
			}
			out.rows = append(out.rows, row)
		}
	}
	out.partial = tab.partial
	return out
}

// shorten cuts s to n runes (n ≥ 2), the ellipsis included, keeping the end mode says.
func shorten(s string, n int, mode Trim) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	keep := n - 1 // runes of s kept beside the ellipsis
	switch mode {
	case Start:
		return Ellipsis + string(r[len(r)-keep:])
	case Middle:
		head := (keep + 1) / 2
		return string(r[:head]) + Ellipsis + string(r[len(r)-(keep-head):])
	}
	return string(r[:keep]) + Ellipsis
}

func runes(s string) int { return utf8.RuneCountInString(s) }

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// Columns reports the width in columns of what w is shown in, as WithColumns gave it;
// 0 (no limit) for any other writer. Renderers that build their text in a buffer ask
// the writer they were given, and pass the width to NewWriter.
func Columns(w io.Writer) int {
	if s, ok := w.(interface{ Columns() int }); ok {
		return s.Columns()
	}
	return 0
}

// WithColumns returns w carrying the width n (columns) for Columns; w itself for
// n ≤ 0.
func WithColumns(w io.Writer, n int) io.Writer {
	if n <= 0 {
		return w
	}
	return sized{w, n}
}

type sized struct {
	io.Writer
	n int
}

func (s sized) Columns() int { return s.n }
