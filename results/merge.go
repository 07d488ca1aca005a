package results

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
)

// MergeSource records one run that went into a merged run.
type MergeSource struct {
	// File is the run file as given to merge.
	File      string `json:"file"`
	RunID     string `json:"run_id"`
	Host      string `json:"host"`
	CPUModel  string `json:"cpu_model"`
	StartedAt string `json:"started_at"`
	// ServerVersion is the server's version on that machine.
	ServerVersion string `json:"server_version"`
	// ToolBuild is the yardstick build that measured the source (Tool.Build); the
	// merged file's tool is its first source's.
	ToolBuild string `json:"tool_build,omitempty"`
	// FirstSample and Samples locate the source's measured samples in the merged
	// samples array: [first_sample, first_sample + samples).
	FirstSample int `json:"first_sample"`
	Samples     int `json:"samples"`
	// WindowNs is the source's measured window.
	WindowNs int64 `json:"window_ns"`
	// OutputTokensPerS is the source's own throughput.
	OutputTokensPerS float64 `json:"output_tokens_per_s"`
	// ColdTTFTNs is the source's cold-load TTFT, when it measured one.
	ColdTTFTNs *int64 `json:"cold_ttft_ns,omitempty"`
}

// MergedRun is a run file made by merging runs of one workload from several machines: a
// complete run file (kind yardstick.run, readable by ReadFile and every command) with
// the sources recorded under merged_from.
type MergedRun struct {
	*Run
	MergedFrom []MergeSource `json:"merged_from"`
}

// ReadMergeSources returns the merged_from record of a run file, or nil when the file
// is not a merged run.
func ReadMergeSources(path string) ([]MergeSource, error) {
	b, err := readRegular(path)
	if err != nil {
		return nil, err
	}
	return decodeMergeSources(path, b)
}

// decodeMergeSources is ReadMergeSources on a file's bytes.
func decodeMergeSources(path string, b []byte) ([]MergeSource, error) {
	var doc struct {
		MergedFrom []MergeSource `json:"merged_from"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc.MergedFrom, nil
}

// MergeOptions configure Merge.
type MergeOptions struct {
	// Force merges runs whose keys differ in ways that refuse a merge.
	Force bool
	// Nested holds, per input, the merged_from record of an input that is itself a
	// merged run (ReadMergeSources), so its sources are kept and never counted twice.
	Nested [][]MergeSource
}

// Merge combines runs of one workload from several machines into one run: measured
// samples concatenated in the order given (renumbered from 0; their clock offsets stay
// those of their own run), summaries recomputed from the raw samples (so percentiles
// and median intervals are exact, not averages of summaries), throughput over the
// summed windows (Σ output_tokens / Σ windows: machine-seconds, the per-machine rate
// of the fleet; multiply by the machines to get the fleet's rate when all serve at
// once), the peak memory the largest of the sources'. Warnings are kept, prefixed by
// their host; a "merged" warning lists the sources, and "mixed_hardware" says when the
// CPUs or GPUs differ. Cold-load and host-CPU records are per machine and stay only in
// merged_from and the sources.
//
// Errors: fewer than two runs; runs whose model, weights (digest, synthetic) or
// workload differ (CompareKeys: any refusal or warning but seed, num_ctx and
// prompt_words), unless opts.Force; two copies of one run.
func Merge(runs []*Run, files []string, opts MergeOptions) (*MergedRun, error) {
	if len(runs) < 2 {
		return nil, errors.New("merge needs at least two run files")
	}
	if len(files) != len(runs) {
		return nil, fmt.Errorf("%d file names for %d runs", len(files), len(runs))
	}
	ids := map[string]string{}
	for i, r := range runs {
		own := []string{r.RunID}
		if i < len(opts.Nested) {
			for _, src := range opts.Nested[i] {
				own = append(own, src.RunID)
			}
		}
		for _, id := range own {
			if f, ok := ids[id]; ok {
				return nil, fmt.Errorf("%s: holds run %s, which %s holds too: merging would count its samples twice", files[i], id, f)
			}
			ids[id] = files[i]
		}
		if i == 0 {
			continue
		}
		for _, k := range CompareKeys(runs[0], r) {
			blocks := k.Severity == KeyRefuse || k.Key == "model_digest" || k.Key == "quantization" || k.Key == "backend" || k.Key == "slo"
			if blocks && !opts.Force {
				return nil, fmt.Errorf("%s: cannot merge with %s: %s (--force merges anyway)", files[i], files[0], k)
			}
		}
	}
	first := runs[0]
	m := *first
	m.Warmup = []bench.Sample{}
	m.Samples = []bench.Sample{}
	m.Warnings = []bench.Warning{}
	m.Cold = nil
	m.HostCPU = nil
	// Per-machine figures: each source's roofline, energy and stopping rule describe its
	// own machine and run; they stay in the sources, not in the merged file.
	m.Roofline = nil
	m.Energy = EnergyCost{}
	m.Stopping = bench.Stopping{Rule: "merged"}
	m.Environment.Machine = nil
	m.Memory.ServerRSSPeakBytes = nil
	m.Memory.ServerPID = 0
	m.Memory.RSSSamples = 0
	m.Memory.dropPerMachine()
	m.Window = bench.Window{}
	m.Options.Runs = 0
	m.EndReason = bench.EndCompleted
	out := &MergedRun{Run: &m}

	var hosts, servers, cpus []string
	h := sha256.New()
	for i, r := range runs {
		hw := r.Environment.Hardware
		src := MergeSource{File: files[i], RunID: r.RunID, Host: hw.Hostname, CPUModel: hw.CPUModel, StartedAt: r.StartedAt,
			ServerVersion: r.Target.ServerVersion, ToolBuild: r.Tool.Build(), FirstSample: len(m.Samples), Samples: len(r.Samples),
			WindowNs: r.Window.DurationNs, OutputTokensPerS: r.Throughput.OutputTokensPerS}
		if r.Cold != nil {
			src.ColdTTFTNs = r.Cold.TTFTNs
		}
		if i < len(opts.Nested) && len(opts.Nested[i]) > 0 {
			// A merged input contributes its own sources, shifted to where its samples
			// land in this merge.
			for _, n := range opts.Nested[i] {
				n.FirstSample += len(m.Samples)
				out.MergedFrom = append(out.MergedFrom, n)
			}
		} else {
			out.MergedFrom = append(out.MergedFrom, src)
		}
		h.Write([]byte(r.RunID))
		for _, s := range r.Samples {
			s.Index = len(m.Samples)
			m.Samples = append(m.Samples, s)
		}
		m.Warmup = append(m.Warmup, r.Warmup...)
		for _, w := range r.Warnings {
			if w.Code.Derived() {
				continue // recomputed for the merged samples
			}
			m.Warnings = append(m.Warnings, bench.Warning{Code: w.Code, Message: orDash(hw.Hostname) + ": " + w.Message})
		}
		m.Window.DurationNs += r.Window.DurationNs
		m.Options.Runs += r.Options.Runs
		if p := r.Memory.ServerRSSPeakBytes; p != nil && (m.Memory.ServerRSSPeakBytes == nil || *p > *m.Memory.ServerRSSPeakBytes) {
			v := *p
			m.Memory.ServerRSSPeakBytes = &v
		}
		m.Memory.RSSSamples += r.Memory.RSSSamples
		if r.StartedAt < m.StartedAt {
			m.StartedAt = r.StartedAt
		}
		if r.EndedAt > m.EndedAt {
			m.EndedAt = r.EndedAt
		}
		if r.EndReason != bench.EndCompleted && m.EndReason == bench.EndCompleted {
			m.EndReason = r.EndReason
		}
		hosts = appendNew(hosts, orDash(hw.Hostname))
		servers = appendNew(servers, r.Target.ServerVersion)
		cpu := hw.CPUModel
		for _, g := range hw.GPUs {
			cpu += " + " + g.Name
		}
		cpus = appendNew(cpus, cpu)
	}
	m.RunID = hex.EncodeToString(h.Sum(nil)[:8])
	m.Environment.Hardware.Hostname = strings.Join(hosts, ",")
	m.Target.ServerVersion = strings.Join(servers, ",")
	m.Window.StartNs, m.Window.EndNs = 0, m.Window.DurationNs
	m.Warnings = append([]bench.Warning{{Code: bench.CodeMerged, Message: fmt.Sprintf("merged from %d runs on %s: samples concatenated, summaries recomputed from them; throughput is per machine (Σ tokens / Σ windows)",
		len(runs), strings.Join(hosts, ", "))}}, m.Warnings...)
	if len(cpus) > 1 {
		m.Warnings = append(m.Warnings, bench.Warning{Code: bench.CodeMixedHardware, Message: "the merged machines differ (" + strings.Join(cpus, "; ") +
			"): percentiles describe the fleet, not any one machine"})
	}
	// A fleet's per-server figures stay in the sources.
	m.Fleet = nil
	m.summarizeSamples(m.Window.DurationNs)
	m.summarizeLevels(mergedLevels(runs))
	return out, nil
}

// mergedLevels are the levels of a merge: each level of the first run with the
// requests, dropped requests and window durations of that level summed over the runs,
// so its throughput and goodput are per machine (Σ over the runs / Σ of their level
// windows), as for the whole run. The runs have the same levels (the "load"
// comparability key refuses others); runs without levels give none.
func mergedLevels(runs []*Run) []bench.Level {
	levels := make([]bench.Level, len(runs[0].Levels))
	for i := range levels {
		lv := runs[0].Levels[i].Level
		lv.Requests, lv.Dropped, lv.Window = 0, 0, bench.Window{}
		for _, r := range runs {
			if i < len(r.Levels) {
				lv.Requests += r.Levels[i].Requests
				lv.Dropped += r.Levels[i].Dropped
				lv.Window.DurationNs += r.Levels[i].Window.DurationNs
			}
		}
		lv.Window.EndNs = lv.Window.DurationNs
		levels[i] = lv
	}
	return levels
}

func appendNew(xs []string, s string) []string {
	if slices.Contains(xs, s) {
		return xs
	}
	return append(xs, s)
}

// WriteMerged writes a merged run file atomically (as WriteFile does).
func WriteMerged(path string, m *MergedRun) error {
	b, err := encodeMerged(m)
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

// EncodeMerged writes the merged run file's bytes, the same WriteMerged writes, to w
// (for merge --out -, stdout).
func EncodeMerged(w io.Writer, m *MergedRun) error {
	b, err := encodeMerged(m)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// encodeMerged is the merged run file: indented JSON and a final newline.
func encodeMerged(m *MergedRun) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding merged run: %w", err)
	}
	return append(b, '\n'), nil
}
