package results

import (
	"fmt"
	"maps"
	"slices"

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
