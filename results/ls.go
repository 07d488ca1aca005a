package results

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/yardstick-dev/yardstick/internal/tablefit"
)

// ListEntry is one run file found by List, with the figures that tell runs apart.
type ListEntry struct {
	File      string `json:"file"`
	RunID     string `json:"run_id"`
	StartedAt string `json:"started_at"`
	Host      string `json:"host"`
	Model     string `json:"model"`
	Quant     string `json:"quantization,omitempty"`
	Synthetic bool   `json:"synthetic,omitempty"`
	Server    string `json:"server"`
	Workload  string `json:"workload_hash"`
	// Load describes the run's levels and servers, as the "load" comparability key
	// does: "sequential", "concurrency 1 | concurrency 4", "rate 2/s poisson".
	Load      string `json:"load"`
	Completed int    `json:"completed"`
	Failed    int    `json:"failed"`
	Dropped   int    `json:"dropped,omitempty"`
	// TTFTMedianNs and DecodeMedianPerS are the medians of ttft_ns and
	// server_gen_per_s; absent when the run has none.
	TTFTMedianNs     *float64 `json:"ttft_median_ns,omitempty"`
	DecodeMedianPerS *float64 `json:"server_gen_median_per_s,omitempty"`
	OutputTokensPerS float64  `json:"output_tokens_per_s"`
	// Merged counts the source runs of a merged run, 0 otherwise.
	Merged   int `json:"merged,omitempty"`
	Warnings int `json:"warnings"`
}

// Skipped is a JSON file in the listed directory that is not a readable run file.
type Skipped struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// List reads every *.json file directly in dir (not below it) and returns the run
// files, oldest first (by started_at, then file name), and the other JSON files with
// the reason each was skipped (not a run file, a newer schema, unreadable). Errors: dir
// cannot be read.
func List(dir string) ([]ListEntry, []Skipped, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	entries := []ListEntry{}
	var skipped []Skipped
	for _, de := range des {
		if de.IsDir() || !strings.HasSuffix(de.Name(), ".json") || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, de.Name())
		// One read per file: the run and its merged_from record come from the same bytes.
		b, err := readRegular(path)
		var r *Run
		if err == nil {
			r, err = DecodeRun(path, b)
		}
		if err != nil {
			reason := strings.TrimPrefix(err.Error(), path+": ")
			skipped = append(skipped, Skipped{File: path, Reason: reason})
			continue
		}
		merged := 0
		if src, err := decodeMergeSources(path, b); err == nil {
			merged = len(src)
		}
		e := ListEntryOf(path, r, merged)
		entries = append(entries, e)
	}
	SortList(entries)
	return entries, skipped, nil
}

// ListEntryOf is the entry of run r, read from file, that has merged sources (0: not
// a merged run): what List and the results store (package store) list.
func ListEntryOf(file string, r *Run, merged int) ListEntry {
	m := r.Target.Model
	e := ListEntry{File: file, RunID: r.RunID, StartedAt: r.StartedAt, Host: r.Environment.Hardware.Hostname,
		Model: m.Name, Quant: m.QuantizationLevel, Synthetic: m.Synthetic != nil, Server: r.Target.Backend + " " + r.Target.ServerVersion,
		Workload: r.Workload.Hash, Load: loadLabel(r), Dropped: droppedOf(r), Completed: r.Throughput.Completed, Failed: r.Throughput.Failed,
		OutputTokensPerS: r.Throughput.OutputTokensPerS, Warnings: len(r.Warnings), Merged: merged}
	if s, ok := r.Summaries["ttft_ns"]; ok {
		v := s.Median
		e.TTFTMedianNs = &v
	}
	if s, ok := r.Summaries["server_gen_per_s"]; ok {
		v := s.Median
		e.DecodeMedianPerS = &v
	}
	return e
}

// SortList orders entries oldest first: by started_at, then by file.
func SortList(entries []ListEntry) {
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].StartedAt != entries[j].StartedAt {
			return entries[i].StartedAt < entries[j].StartedAt
		}
		return entries[i].File < entries[j].File
	})
}

// RenderList writes the run files as a table, one line each: start time (UTC, to the
// minute), host, model and quantization, server, workload hash, load, requests ok/failed,
// median TTFT, median server decode rate, output tokens/s, warnings, file.
func RenderList(w io.Writer, entries []ListEntry) error {
	// In a narrow terminal (tablefit.Columns) the names shorten first: host, model,
	// server and load in the middle, the workload hash at its end, the file's path
	// at its start (its file name stays); never a number.
	trim := map[int]tablefit.Trim{1: tablefit.Middle, 2: tablefit.Middle, 3: tablefit.Middle, 4: tablefit.End, 5: tablefit.Middle, 11: tablefit.Start}
	tw := tablefit.NewWriter(w, tablefit.Columns(w), tablefit.Layout{Keys: 1,
		Trim: func(_, col int) tablefit.Trim { return trim[col] }}, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "started (UTC)\thost\tmodel\tserver\tworkload\tload\tok/failed\tTTFT median\tdecode tok/s median\tout tok/s\twarnings\tfile")
	for _, e := range entries {
		started := e.StartedAt
		if len(started) >= 16 {
			started = strings.Replace(started[:16], "T", " ", 1)
		}
		model := strings.TrimSpace(e.Model + " " + e.Quant)
		if e.Synthetic {
			model += " (twin)"
		}
		host := orDash(e.Host)
		if e.Merged > 0 {
			host = fmt.Sprintf("%d merged: %s", e.Merged, host)
		}
		ttft, dec := "-", "-"
		if e.TTFTMedianNs != nil {
			ttft = dur(*e.TTFTMedianNs)
		}
		if e.DecodeMedianPerS != nil {
			dec = fmt.Sprintf("%.1f", *e.DecodeMedianPerS)
		}
		okFailed := fmt.Sprintf("%d/%d", e.Completed, e.Failed)
		if e.Dropped > 0 {
			okFailed += fmt.Sprintf(" +%d dropped", e.Dropped)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%d\t%s\n", started, host, model, e.Server, orDash(e.Workload),
			orDash(e.Load), okFailed, ttft, dec, e.OutputTokensPerS, e.Warnings, e.File)
	}
	return tw.Flush()
}

// RenderListJSON writes the entries as an indented JSON array.
func RenderListJSON(w io.Writer, entries []ListEntry) error {
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
