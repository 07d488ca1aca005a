package results

import (
	"fmt"
	"html/template"

	"github.com/yardstick-dev/yardstick/internal/units"
)

// htmlBar is a horizontal stacked bar drawn in HTML and CSS alone (no chart library):
// segments side by side, each Frac of the bar's full scale wide, and marks (a measured
// peak) as lines across it at their Frac. Width is the segment's CSS width, built here
// from numbers only.
type htmlBar struct {
	Segments []htmlBarSegment
	Marks    []htmlBarMark
	// Scale names what the full width stands for ("21.6 GiB available").
	Scale string
}

type htmlBarSegment struct {
	Label, Value, Color string
	Style               template.CSS
}

type htmlBarMark struct {
	Label string
	Style template.CSS
}

// memorySection is the run's predicted memory, part by part (weights, KV cache,
// compute graph, runtime: docs/metrics.md "The memory model"), as a stacked bar
// against the memory available at the start, with the measured peak marked, and its
// numbers in a table beside it. Absent without a prediction.
func memorySection(r *Run) (htmlSection, bool) {
	m := r.Memory
	p := m.Predicted
	if p == nil || p.TotalBytes == 0 {
		return htmlSection{}, false
	}
	var peak float64
	if m.ServerRSSPeakBytes != nil {
		peak = float64(*m.ServerRSSPeakBytes)
	}
	full, scale := float64(p.TotalBytes), "the predicted total"
	if m.AvailableBytes != nil && *m.AvailableBytes > 0 {
		full, scale = float64(*m.AvailableBytes), units.IEC(float64(*m.AvailableBytes))+" available at the start"
	}
	full = max(full, float64(p.TotalBytes), peak)
	frac := func(b float64) template.CSS { return template.CSS(fmt.Sprintf("width:%.3f%%", 100*b/full)) }
	bar := &htmlBar{Scale: scale}
	parts := []struct {
		name string
		b    uint64
	}{{"weights", p.WeightsBytes}, {"KV cache", p.KVBytes}, {"compute graph", p.GraphBytes}, {"runtime", p.RuntimeBytes}}
	rows := [][]htmlCell{}
	for i, part := range parts {
		bar.Segments = append(bar.Segments, htmlBarSegment{Label: part.name, Value: units.IEC(float64(part.b)), Color: color(i), Style: frac(float64(part.b)) + template.CSS(";background:"+color(i))})
		rows = append(rows, cells(part.name, units.IEC(float64(part.b))))
	}
	rows = append(rows, cells("predicted total", units.IEC(float64(p.TotalBytes))))
	if peak > 0 {
		bar.Marks = append(bar.Marks, htmlBarMark{Label: "measured peak " + units.IEC(peak), Style: template.CSS(fmt.Sprintf("left:%.3f%%", 100*peak/full))})
		rows = append(rows, cells("measured RSS peak", units.IEC(peak)))
	}
	if m.PredictedErrorFrac != nil {
		rows = append(rows, cells("prediction error", fmt.Sprintf("%+.1f%%", 100**m.PredictedErrorFrac)))
	}
	if m.AvailableBytes != nil {
		rows = append(rows, cells("available at the start", units.IEC(float64(*m.AvailableBytes))))
	}
	if m.HeadroomBytes != nil {
		rows = append(rows, cells("headroom at the peak", units.IEC(float64(*m.HeadroomBytes))))
	}
	caption := fmt.Sprintf("%d slot(s) × %d tokens of context, %s KV cache; slots: %s.", p.Parallel, p.NumCtx, p.KVCacheType, p.ParallelSource)
	return htmlSection{ID: "memory", Title: "Memory",
		Intro: "What the memory model predicts the server holds, part by part, against the memory available before the model loaded; the line is the measured peak of the server's resident set (docs/metrics.md, \"The memory model\").",
		Blocks: []htmlBlock{{Title: "Predicted memory against the machine", Caption: caption, Bar: bar,
			Tables: []htmlTable{{Head: []string{"part", "bytes"}, Rows: rows}}}}}, true
}
