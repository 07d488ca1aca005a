package results

// The run's memory held against the machine (docs/metrics.md, Memory): what the
// memory model predicted for the server's slots and context, what was available, the
// headroom left at the measured peak, and how far the prediction missed it.

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/units"
	"github.com/yardstick-dev/yardstick/profiles"
)

// DeviceAvailable is one GPU's memory when the hardware was detected: total and free
// (total − in use then) in bytes.
type DeviceAvailable struct {
	Name       string `json:"name"`
	Index      int    `json:"index"`
	TotalBytes uint64 `json:"total_bytes"`
	FreeBytes  uint64 `json:"free_bytes"`
}

// memoryAgainstMachine sets the prediction, the available GPU memory, the headroom and
// the prediction's error of r.Memory from the run's model, slots and measurements.
// On a CPU the measurement is the server's RSS peak and the memory available host
// memory (available_bytes); on a machine whose GPU holds the model, the peak GPU memory
// in use (device_used_peak_bytes) against the GPUs' total, and no prediction error:
// the device holds only part of what the model predicts (the runtime stays on the
// host) and its use before the load was not seen.
func memoryAgainstMachine(res *bench.Result, r *Run, hw profiles.Hardware) {
	mem := &r.Memory
	for _, g := range hw.GPUs {
		if g.MemoryTotalBytes == 0 {
			continue
		}
		mem.AvailableDevices = append(mem.AvailableDevices, DeviceAvailable{Name: g.Name, Index: g.Index,
			TotalBytes: g.MemoryTotalBytes, FreeBytes: g.MemoryTotalBytes - min(g.MemoryUsedBytes, g.MemoryTotalBytes)})
	}
	onGPU := len(hw.GPUs) > 0 && mem.ModelVRAMBytes != nil && *mem.ModelVRAMBytes > 0
	pred, err := predictRunMemory(res, onGPU)
	if err != nil {
		mem.PredictedUnavailable = err.Error()
	} else {
		mem.Predicted = &pred
	}
	switch {
	case onGPU && mem.DeviceUsedPeakBytes != nil && len(mem.AvailableDevices) > 0:
		var total uint64
		for _, d := range mem.AvailableDevices {
			total += d.TotalBytes
		}
		mem.setHeadroom(total, *mem.DeviceUsedPeakBytes, "GPU memory: the GPUs' total less the peak in use (nvidia-smi memory.used)")
		mem.PredictedErrorUnavailable = "on a GPU the device holds only part of the prediction and its use before the load was not seen"
	case onGPU:
		mem.HeadroomUnavailable = "the model is in GPU memory and its use was not sampled (nvidia-smi)"
		mem.PredictedErrorUnavailable = mem.HeadroomUnavailable
	default:
		if mem.AvailableBytes != nil && mem.ServerRSSPeakBytes != nil {
			mem.setHeadroom(*mem.AvailableBytes, *mem.ServerRSSPeakBytes, "host memory: available_bytes less server_rss_peak_bytes")
		} else {
			mem.HeadroomUnavailable = firstNonEmpty(mem.AvailableUnavailable, mem.RSSUnavailable, "no available memory or no RSS peak")
		}
		switch {
		case mem.Predicted == nil:
			mem.PredictedErrorUnavailable = "no prediction: " + mem.PredictedUnavailable
		case mem.ServerRSSPeakBytes == nil || *mem.ServerRSSPeakBytes == 0:
			mem.PredictedErrorUnavailable = "no RSS peak: " + firstNonEmpty(mem.RSSUnavailable, "not sampled")
		default:
			f := PredictedErrorFrac(mem.Predicted.TotalBytes, *mem.ServerRSSPeakBytes)
			mem.PredictedErrorFrac = &f
			mem.PredictedErrorAgainst = "server_rss_peak_bytes"
		}
	}
}

// PredictedErrorFrac is (predicted − measured) / measured: positive when the model
// over-predicts. measured must not be 0.
func PredictedErrorFrac(predicted, measured uint64) float64 {
	return (float64(predicted) - float64(measured)) / float64(measured)
}

// Headroom is available − peak in bytes (negative: the peak did not fit in what was
// available, and the machine swapped or evicted) and its share of available.
func Headroom(available, peak uint64) (int64, float64) {
	h := int64(available) - int64(peak)
	if available == 0 {
		return h, math.Inf(-1)
	}
	return h, float64(h) / float64(available)
}

func (m *Memory) setHeadroom(available, peak uint64, source string) {
	h, f := Headroom(available, peak)
	if available == 0 {
		m.HeadroomUnavailable = "nothing was available"
		return
	}
	m.HeadroomBytes, m.HeadroomFrac, m.HeadroomSource = &h, &f, source
}

// predictRunMemory predicts the run's memory with the model's cost, the context the
// server loaded (else --num-ctx), the server's slots and KV cache type as the run
// found them, and the measured runtime base when there is one.
func predictRunMemory(res *bench.Result, onGPU bool) (profiles.MemoryPrediction, error) {
	mi, mem := res.Target.Model, res.Memory
	if mi.Cost == nil {
		why := mi.CostError
		if why == "" {
			why = "the server did not describe its tensors"
		}
		return profiles.MemoryPrediction{}, fmt.Errorf("the model's cost is unknown: %s", why)
	}
	in := profiles.MemoryInput{Cost: *mi.Cost, NumCtx: res.Options.NumCtx, Parallel: mem.Parallel,
		KVCacheType: mem.KVCacheType, VocabSize: int(min(mi.VocabSize, 1<<30)), EmbeddingLength: int(min(mi.EmbeddingLength, 1<<30)),
		HeadCount: int(min(mi.HeadCount, 1<<20)), NoFlashAttention: mem.FlashAttention == "off",
		GPU: onGPU, TrainedContext: int(min(mi.ContextLength, 1<<30))}
	if mem.LoadedContextLength > 0 {
		in.NumCtx = mem.LoadedContextLength
	}
	if in.KVCacheType == "" {
		in.KVCacheType = res.Options.KVCacheType
	}
	if mem.RuntimeBaseBytes != nil {
		in.RuntimeBaseBytes = *mem.RuntimeBaseBytes
	}
	p, err := profiles.PredictMemory(in)
	if err != nil {
		return profiles.MemoryPrediction{}, err
	}
	p.ParallelSource = mem.ParallelSource
	if p.ParallelSource == "" {
		p.ParallelSource = "unknown: taken as 1"
	}
	return p, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// warnSwap warns swapped when the machine swapped during the run, and
// other_models_loaded when the server's resident set held other models' runners.
func (r *Run) warnSwap() {
	if o := r.Memory.OtherModelsLoaded; len(o) > 0 {
		r.warn(bench.CodeOtherModelsLoaded, fmt.Sprintf("the server also held %s: its resident set, runtime base and peak alike, includes their runners, and so does the prediction's runtime part (unload them for this model's own figures)",
			strings.Join(o, ", ")))
	}
	m := r.Memory
	var in, out uint64
	if m.SwappedInBytes != nil {
		in = *m.SwappedInBytes
	}
	if m.SwappedOutBytes != nil {
		out = *m.SwappedOutBytes
	}
	if in == 0 && out == 0 {
		return
	}
	r.warn(bench.CodeSwapped, fmt.Sprintf("the machine swapped %s in and %s out during the run: its figures measured the disk, not memory (free memory, a smaller --num-ctx or fewer server slots)",
		units.IEC(float64(in)), units.IEC(float64(out))))
}

// memoryLines renders the table's memory line for a run with a prediction: predicted
// by part, measured, headroom, wrapped at the table's 80 columns with continuation
// lines under the first's text.
func memoryLines(b *strings.Builder, run *Run, hw profiles.Hardware) {
	mem := run.Memory
	p := mem.Predicted
	mib := func(n uint64) string {
		if v := float64(n) / (1 << 20); v < 9.95 {
			return fmt.Sprintf("%.1f", v)
		}
		return fmt.Sprintf("%.0f", float64(n)/(1<<20))
	}
	parts := []string{fmt.Sprintf("predicted %s (weights %s + KV %s + graph %s + runtime %s MiB)",
		units.IEC(float64(p.TotalBytes)), mib(p.WeightsBytes), mib(p.KVBytes), mib(p.GraphBytes), mib(p.RuntimeBytes))}
	parts = append(parts, fmt.Sprintf("%d %s × %d tokens, %s KV", p.Parallel, plural(p.Parallel, "slot", "slots"), p.NumCtx, p.KVCacheType))
	switch {
	case mem.ServerRSSPeakBytes != nil && mem.PredictedErrorFrac != nil:
		parts = append(parts, fmt.Sprintf("measured RSS peak %s (%s%%)", units.IEC(float64(*mem.ServerRSSPeakBytes)), signed(100**mem.PredictedErrorFrac)))
	case mem.ServerRSSPeakBytes != nil:
		parts = append(parts, fmt.Sprintf("measured RSS peak %s", units.IEC(float64(*mem.ServerRSSPeakBytes))))
	case mem.RSSUnavailable != "":
		parts = append(parts, "RSS unavailable: "+mem.RSSUnavailable)
	}
	if mem.DeviceUsedPeakBytes != nil {
		parts = append(parts, fmt.Sprintf("GPU memory in use at peak %s", units.IEC(float64(*mem.DeviceUsedPeakBytes))))
	}
	if mem.HeadroomBytes != nil {
		parts = append(parts, fmt.Sprintf("headroom %s (%s%% of %s available)", signedIEC(*mem.HeadroomBytes), strings.TrimPrefix(signed(100**mem.HeadroomFrac), "+"), units.IEC(float64(uint64(*mem.HeadroomBytes+int64(peakOf(mem)))))))
	}
	if mem.ModelSizeBytes != nil {
		where := "CPU only"
		if len(hw.GPUs) > 0 && mem.ModelVRAMBytes != nil {
			where = "in GPU memory " + units.IEC(float64(*mem.ModelVRAMBytes))
		}
		parts = append(parts, fmt.Sprintf("server's own figure %s (%s)", units.IEC(float64(*mem.ModelSizeBytes)), where))
	}
	wrapParts(b, "memory      ", "            ", parts, 80)
}

// wrapParts writes parts joined by ", " after first, word-wrapped at width columns
// with continuation lines after indent. A number and its unit ("1.2 GiB", "4 slots")
// stay on one line.
func wrapParts(b *strings.Builder, first, indent string, parts []string, width int) {
	text := glueParens(strings.Join(parts, ", "))
	for _, u := range []string{" B", " KiB", " MiB", " GiB", " TiB", " slots", " slot", " tokens", " KV", " ×", "× ", "peak ", "headroom ", "figure "} {
		text = strings.ReplaceAll(text, u, strings.Replace(u, " ", "\x00", 1))
	}
	line := first
	fresh := true
	for _, w := range strings.Fields(text) {
		w = strings.ReplaceAll(w, "\x00", " ")
		if !fresh && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			b.WriteString(line + "\n")
			line, fresh = indent, true
		}
		if !fresh {
			line += " "
		}
		line += w
		fresh = false
	}
	b.WriteString(line + "\n")
}

// glueParens joins the words of each parenthesized group (a breakdown, a source) so
// that a wrap does not split it.
func glueParens(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case r == ' ' && depth > 0:
			r = 0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// signed renders v with no decimals and a sign: "+3", "−17" (U+2212), "0".
func signed(v float64) string {
	r := math.Round(v)
	switch {
	case r > 0:
		return fmt.Sprintf("+%.0f", r)
	case r < 0:
		return fmt.Sprintf("−%.0f", -r)
	}
	return "0"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// dropPerMachine clears what describes one machine and one server: the prediction
// (its slots, runtime base and context are one server's), what was available, the
// headroom and the prediction's error, swap and GPU memory. A merge keeps them in its
// sources, as it keeps the roofline.
func (m *Memory) dropPerMachine() {
	keep := *m
	*m = Memory{Memory: bench.Memory{
		ModelSizeBytes: keep.ModelSizeBytes, ModelVRAMBytes: keep.ModelVRAMBytes, ModelSizeUnavailable: keep.ModelSizeUnavailable,
		LoadedContextLength: keep.LoadedContextLength, ServerPID: keep.ServerPID, ServerRSSPeakBytes: keep.ServerRSSPeakBytes,
		RSSSamples: keep.RSSSamples, SampleIntervalNs: keep.SampleIntervalNs, RSSUnavailable: keep.RSSUnavailable,
	}, OffloadFrac: keep.OffloadFrac}
}

// peakOf is the peak the headroom was taken from: the GPU memory in use when the
// headroom is the GPUs', else the server's RSS.
func peakOf(m Memory) uint64 {
	if strings.HasPrefix(m.HeadroomSource, "GPU") && m.DeviceUsedPeakBytes != nil {
		return *m.DeviceUsedPeakBytes
	}
	if m.ServerRSSPeakBytes != nil {
		return *m.ServerRSSPeakBytes
	}
	return 0
}

// signedIEC renders a byte count that may be negative: "20.8 GiB", "−1.5 GiB".
func signedIEC(n int64) string {
	if n < 0 {
		return "−" + units.IEC(float64(-n))
	}
	return units.IEC(float64(n))
}
