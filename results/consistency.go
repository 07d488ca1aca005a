package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
)

// check is the one semantic check of a decoded run file: a schema version this build
// knows (1..SchemaVersion), every sample possible (bench.Sample.Check), and the
// figures that follow from the samples (the run's and each level's completed and
// failed counts, each summary's n) equal to what the samples give. A file that fails it
// was edited or is corrupt, and every command refuses it: check, compare and report
// would otherwise judge figures no measurement produced ("3 of 3 met" on a file whose
// requests all failed).
func (r *Run) check() error {
	if r.SchemaVersion < 1 {
		return fmt.Errorf("schema version %d: must be 1..%d", r.SchemaVersion, SchemaVersion)
	}
	levels, targets := max(1, len(r.Levels)), max(1, len(r.Fleet))
	if r.Cold != nil {
		if err := r.Cold.Sample.Check(levels, targets); err != nil {
			return fmt.Errorf("cold.sample: %w", err)
		}
	}
	for _, part := range []struct {
		name string
		ss   []bench.Sample
	}{{"warmup", r.Warmup}, {"samples", r.Samples}} {
		for i := range part.ss {
			if err := part.ss[i].Check(levels, targets); err != nil {
				return fmt.Errorf("%s[%d]: %w", part.name, i, err)
			}
		}
	}
	if err := followsFrom("", r.Throughput, r.Summaries, r.Samples); err != nil {
		return err
	}
	for i, l := range r.Levels {
		if len(r.Levels) == 1 {
			break // the run's own figures, checked above
		}
		var ss []bench.Sample
		for _, s := range r.Samples {
			if s.Level == l.Index {
				ss = append(ss, s)
			}
		}
		if err := followsFrom(fmt.Sprintf("levels[%d].", i), l.Throughput, l.Summaries, ss); err != nil {
			return err
		}
	}
	if err := r.checkRooflines(); err != nil {
		return err
	}
	return r.checkMemory()
}

// checkMemory reports the first memory figure that does not follow from the others:
// a prediction whose parts do not add up to its total or that has no slot or context,
// a prediction error other than (predicted − RSS peak) / RSS peak, host-memory
// headroom other than available − RSS peak, or a headroom share that is not a fraction
// of at most 1 (docs/metrics.md "The run's memory against the machine").
func (r *Run) checkMemory() error {
	m := &r.Memory
	if p := m.Predicted; p != nil {
		sum := p.WeightsBytes + p.KVBytes + p.GraphBytes + p.RuntimeBytes
		switch {
		case sum != p.TotalBytes || p.TotalBytes == 0:
			return fmt.Errorf("memory.predicted: total_bytes %d: its parts add up to %d", p.TotalBytes, sum)
		case p.Parallel < 1 || p.NumCtx < 1:
			return fmt.Errorf("memory.predicted: %d slot(s) × %d tokens: both must be at least 1", p.Parallel, p.NumCtx)
		}
	}
	peak := m.ServerRSSPeakBytes
	if f := m.PredictedErrorFrac; f != nil {
		if m.Predicted == nil || peak == nil || *peak == 0 {
			return errors.New("memory.predicted_error_frac without a prediction and an RSS peak")
		}
		if want := PredictedErrorFrac(m.Predicted.TotalBytes, *peak); *f != want {
			return fmt.Errorf("memory.predicted_error_frac %g: the prediction and the RSS peak give %g", *f, want)
		}
	}
	if f := m.HeadroomFrac; f != nil && !(*f <= 1) {
		return fmt.Errorf("memory.headroom_frac %g: must be at most 1", *f)
	}
	if h := m.HeadroomBytes; h != nil && strings.HasPrefix(m.HeadroomSource, "host memory") {
		if m.AvailableBytes == nil || peak == nil {
			return errors.New("memory.headroom_bytes of host memory without available_bytes and an RSS peak")
		}
		wantH, wantF := Headroom(*m.AvailableBytes, *peak)
		if *h != wantH || m.HeadroomFrac == nil || *m.HeadroomFrac != wantF {
			return fmt.Errorf("memory.headroom_bytes %d: available_bytes − server_rss_peak_bytes is %d", *h, wantH)
		}
	}
	return nil
}

// checkRooflines reports the first roofline figure that does not follow from the rest
// of the file: a run roofline that gives a decode efficiency while saying the bytes fit
// in the last-level cache, or an efficiency that is negative or not a number; a level
// whose occupancy (mean requests in flight and decoding, decode tokens/s) is not what
// its samples give, or whose roofline is not what the run's roofline and its samples
// give (Run.levelRoofline, recomputed and compared field by field through its JSON,
// which round-trips float64 exactly). Files from before the occupancy figures hold
// none of them and are not held to it.
func (r *Run) checkRooflines() error {
	if rl := r.Roofline; rl != nil {
		for _, e := range []struct {
			name string
			v    *float64
		}{{"decode_efficiency_frac", rl.DecodeEfficiencyFrac}, {"prefill_efficiency_frac", rl.PrefillEfficiencyFrac}} {
			if e.v != nil && !(*e.v >= 0 && !math.IsInf(*e.v, 1)) {
				return fmt.Errorf("roofline.%s %g: must be a fraction ≥ 0", e.name, *e.v)
			}
		}
		if rl.FitsInLLC && rl.DecodeEfficiencyFrac != nil {
			return errors.New("roofline: fits_in_llc with a decode_efficiency_frac: a run whose bytes fit in the last-level cache has none")
		}
	}
	for i := range r.Levels {
		l := &r.Levels[i]
		if l.MeanRequestsInFlight == 0 && l.MeanDecodingStreams == 0 && l.DecodeTokensPerS == 0 && l.Roofline == nil {
			continue // a file from before the occupancy figures, or a level that decoded nothing
		}
		var ss []bench.Sample
		for _, s := range r.Samples {
			if s.Level == l.Index {
				ss = append(ss, s)
			}
		}
		inFlight, decoding, decodePerS := occupancy(ss, l.Window.DurationNs)
		if inFlight != l.MeanRequestsInFlight || decoding != l.MeanDecodingStreams || decodePerS != l.DecodeTokensPerS {
			return fmt.Errorf("levels[%d]: mean_requests_in_flight %g, mean_decoding_streams %g, decode_tokens_per_s %g: its samples give %g, %g, %g",
				i, l.MeanRequestsInFlight, l.MeanDecodingStreams, l.DecodeTokensPerS, inFlight, decoding, decodePerS)
		}
		want, _ := json.Marshal(r.levelRoofline(*l, ss))
		got, _ := json.Marshal(l.Roofline)
		if !bytes.Equal(want, got) {
			return fmt.Errorf("levels[%d].roofline %s: the run's roofline and the level's samples give %s", i, got, want)
		}
	}
	return nil
}

// followsFrom reports the first of t's counts or summaries' n that ss does not give.
func followsFrom(where string, t Throughput, summaries map[string]Summary, ss []bench.Sample) error {
	want := throughputOf(ss, 0)
	switch {
	case t.Completed != want.Completed:
		return fmt.Errorf("%sthroughput.completed %d, but %d of the samples succeeded", where, t.Completed, want.Completed)
	case t.Failed != want.Failed:
		return fmt.Errorf("%sthroughput.failed %d, but %d of the samples failed", where, t.Failed, want.Failed)
	}
	counts := metricCounts(ss)
	for _, name := range slices.Sorted(maps.Keys(summaries)) {
		if n := summaries[name].N; n != counts[name] {
			return fmt.Errorf("%ssummaries.%s has n %d, but the samples give %d values", where, name, n, counts[name])
		}
	}
	return nil
}
