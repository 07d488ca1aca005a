package bench

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yardstick-dev/yardstick/internal/threshold"
)

// SLO metric names: the per-request latencies an objective can bound (docs/metrics.md "Per
// request"). TTFT and E2E are counted from the scheduled send time, TPOT as is (see
// Objective.Value).
const (
	SLOMetricTTFT = "ttft"
	SLOMetricTPOT = "tpot"
	SLOMetricE2E  = "e2e"
)

// sloExample is the form every --slo error points to.
const sloExample = "ttft_p95=500ms,tpot=50ms"

// Objective is one service-level objective.
//
// With Percentile 0 it is a per-request objective: every successful request must take
// at most Threshold. With Percentile p in (0, 100] it bounds the nearest-rank p-th
// percentile of the metric over the successful requests (results.EvaluateSLO).
//
// Threshold is a Go duration; JSON records it as integer nanoseconds (threshold_ns).
type Objective struct {
	// Metric is "ttft", "tpot" or "e2e" (SLOMetric…).
	Metric string `json:"metric"`
	// Percentile is 0 for a per-request objective, else in (0, 100]: 95 from
	// "ttft_p95", 99.9 from "ttft_p99.9".
	Percentile float64       `json:"percentile,omitempty"`
	Threshold  time.Duration `json:"threshold_ns"`
}

// Key is the objective's name as --slo writes it: the metric, then _p and the
// percentile when there is one ("ttft_p99.9", "tpot").
func (o Objective) Key() string {
	if o.Percentile == 0 {
		return o.Metric
	}
	// 'f' with precision -1 is the shortest decimal that parses back to the same
	// float64, and never has an exponent, so the grammar below reads it back.
	return o.Metric + "_p" + strconv.FormatFloat(o.Percentile, 'f', -1, 64)
}

// Value returns o's metric for smp as the objective sees it, in nanoseconds: TTFT and
// E2E counted from the scheduled send time (ttft_ns + queue_delay_ns, e2e_ns +
// queue_delay_ns: the latency a user of an open-loop schedule saw, docs/metrics.md
// queue_delay_ns, the coordinated-omission guard), TPOT as is. A negative queue delay
// (sent before its time) is taken as 0: it never makes a request look faster than it
// was measured. ok is false for a failed sample and for one lacking the metric (TTFT or
// E2E of a request that produced no text, TPOT with fewer than 2 output tokens).
func (o Objective) Value(smp *Sample) (ns int64, ok bool) {
	if smp == nil || !smp.OK {
		return 0, false
	}
	var p *int64
	switch o.Metric {
	case SLOMetricTTFT:
		p = smp.TTFTNs
	case SLOMetricE2E:
		p = smp.E2ENs
	case SLOMetricTPOT:
		if smp.TPOTNs == nil {
			return 0, false
		}
		return *smp.TPOTNs, true
	default:
		return 0, false
	}
	if p == nil {
		return 0, false
	}
	return *p + max(0, smp.QueueDelayNs), true
}

// SLO is a set of objectives (--slo); the zero value has none. Objectives keep the
// order they were written in. *SLO is a urfave/cli v2 cli.Generic, so a bad --slo fails
// when the flag is parsed, before anything runs.
type SLO struct{ Objectives []Objective }

// ParseSLO reads a comma-separated list of objectives, metric[_pP]<=duration in the
// threshold syntax every command shares (internal/threshold), or the older
// metric[_pP]=duration, which means the same:
//
//	ttft_p95<=500ms,tpot<=50ms,e2e_p99.9<=2s
//	ttft_p95=500ms,tpot=50ms,e2e_p99.9=2s
//
// metric is ttft, tpot or e2e (any case; stored lower case). Without _pP the objective
// is per request; P is a percentile in (0, 100], digits with an optional decimal part
// (p50, p95, p99, p99.9). duration is time.ParseDuration's ("500ms", "1.5s"), > 0, and
// needs its unit. Spaces around items, names and values are ignored. A (metric,
// percentile) pair may appear once; "p95" and "p95.0" are the same pair. Every error
// is one line that names the bad item and says what is expected.
func ParseSLO(s string) (SLO, error) {
	if strings.TrimSpace(s) == "" {
		return SLO{}, fmt.Errorf("--slo %q: no objectives; expected metric[_pP]=duration items, e.g. %s", s, sloExample)
	}
	var out SLO
	seen := map[string]bool{}
	for i, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" {
			return SLO{}, fmt.Errorf("--slo %q: item %d is empty; expected metric[_pP]=duration items separated by single commas, e.g. %s", s, i+1, sloExample)
		}
		o, err := parseObjective(strings.TrimSpace(item))
		if err != nil {
			return SLO{}, err
		}
		if seen[o.Key()] {
			return SLO{}, fmt.Errorf("--slo %q: %s is given twice; each metric and percentile may appear once", strings.TrimSpace(item), o.Key())
		}
		seen[o.Key()] = true
		out.Objectives = append(out.Objectives, o)
	}
	return out, nil
}

// parseObjective reads one trimmed item: metric[_pP]<=duration, the threshold syntax of
// every command (internal/threshold), or the older metric[_pP]=duration.
func parseObjective(item string) (Objective, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("--slo %q: "+format, append([]any{item}, a...)...)
	}
	t, canonical, err := threshold.Split(item)
	if err != nil {
		return Objective{}, bad("%v", err)
	}
	key, val, ok := strings.Cut(item, "=")
	if canonical {
		if !t.Upper() {
			return Objective{}, bad("an objective bounds a latency from above; write %q", t.Name+"<="+t.Limit)
		}
		key, val, ok = t.Name, t.Limit, true
	}
	if !ok {
		return Objective{}, bad("no '='; expected metric[_pP]<=duration, e.g. ttft_p95<=500ms (or the older ttft_p95=500ms)")
	}
	key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
	name, pct, hasPct := strings.Cut(key, "_")
	var o Objective
	switch name {
	case SLOMetricTTFT, SLOMetricTPOT, SLOMetricE2E:
		o.Metric = name
	default:
		return Objective{}, bad("unknown metric %q; expected ttft, tpot or e2e", name)
	}
	if hasPct {
		p, err := parsePercentile(pct)
		if err != nil {
			return Objective{}, bad("%v", err)
		}
		o.Percentile = p
	}
	if val == "" {
		return Objective{}, bad("no duration after '='; expected e.g. 500ms")
	}
	if isBareNumber(val) {
		return Objective{}, bad("%q has no unit; add one, e.g. \"%sms\"", val, val)
	}
	d, err := time.ParseDuration(val)
	if err != nil {
		return Objective{}, bad("%q is not a duration (e.g. 500ms)", val)
	}
	if d <= 0 {
		return Objective{}, bad("%q is not above zero; a threshold must be a positive duration (e.g. 500ms)", val)
	}
	o.Threshold = d
	return o, nil
}

// parsePercentile reads the part after the metric's '_': 'p' then digits with an
// optional decimal part, in (0, 100].
func parsePercentile(s string) (float64, error) {
	num, ok := strings.CutPrefix(s, "p")
	if !ok || !isDecimal(num) {
		return 0, fmt.Errorf("%q is not a percentile; expected _p and a number in (0, 100], e.g. _p95 or _p99.9", "_"+s)
	}
	p, err := strconv.ParseFloat(num, 64)
	if err != nil || p <= 0 || p > 100 {
		return 0, fmt.Errorf("percentile %s is out of range; expected a number in (0, 100], e.g. p95 or p99.9", num)
	}
	return p, nil
}

// isDecimal reports whether s is digits, optionally followed by '.' and more digits
// (no sign, exponent, or bare '.').
func isDecimal(s string) bool {
	whole, frac, hasDot := strings.Cut(s, ".")
	digits := func(t string) bool {
		for _, c := range t {
			if c < '0' || c > '9' {
				return false
			}
		}
		return t != ""
	}
	return digits(whole) && (!hasDot || digits(frac))
}

// isBareNumber reports whether s is a number without a unit ("500", "0.5", ".5", "-2"):
// time.ParseDuration rejects it too, but the message should say what is missing.
func isBareNumber(s string) bool {
	digit := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c != '.' && c != '+' && c != '-':
			return false
		}
	}
	return digit
}

// Set replaces s with the objectives of v (cli.Generic). A bad v leaves s as it was.
// A second --slo replaces the first rather than adding to it.
func (s *SLO) Set(v string) error {
	p, err := ParseSLO(v)
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// String is the canonical form that ParseSLO reads back to an equal SLO, objectives in
// their order: "ttft_p95=500ms,tpot=50ms" (lower-case metrics, percentiles as the
// shortest exact decimal, durations as time.Duration.String). It is "" for no
// objectives and for a nil *SLO (urfave/cli calls String on zero values for help).
func (s *SLO) String() string {
	if s == nil {
		return ""
	}
	parts := make([]string, len(s.Objectives))
	for i, o := range s.Objectives {
		parts[i] = o.Key() + "=" + o.Threshold.String()
	}
	return strings.Join(parts, ",")
}

// IsSet reports whether s has at least one objective.
func (s SLO) IsSet() bool { return len(s.Objectives) > 0 }

// MarshalJSON writes the objectives as a JSON array ([] for none), so the run file
// records them.
func (s SLO) MarshalJSON() ([]byte, error) {
	if s.Objectives == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(s.Objectives)
}

// UnmarshalJSON reads what MarshalJSON wrote (null and [] give the zero SLO) and holds
// it to ParseSLO's rules: a known lower-case metric, a percentile of 0 or in (0, 100],
// a threshold above 0, no (metric, percentile) twice. A file that breaks them is
// corrupt, and the error says which objective.
func (s *SLO) UnmarshalJSON(b []byte) error {
	var objs []Objective
	if err := json.Unmarshal(b, &objs); err != nil {
		return fmt.Errorf("slo: %w", err)
	}
	seen := map[string]bool{}
	for i, o := range objs {
		var err error
		switch {
		case o.Metric != SLOMetricTTFT && o.Metric != SLOMetricTPOT && o.Metric != SLOMetricE2E:
			err = fmt.Errorf("unknown metric %q; expected ttft, tpot or e2e", o.Metric)
		case o.Percentile < 0 || o.Percentile > 100:
			err = fmt.Errorf("percentile %g is out of range; expected 0 (per request) or a number in (0, 100]", o.Percentile)
		case o.Threshold <= 0:
			err = fmt.Errorf("threshold_ns %d is not above zero", int64(o.Threshold))
		case seen[o.Key()]:
			err = errors.New(o.Key() + " is given twice")
		}
		if err != nil {
			return fmt.Errorf("slo: objective %d: %w", i, err)
		}
		seen[o.Key()] = true
	}
	if len(objs) == 0 {
		objs = nil
	}
	s.Objectives = objs
	return nil
}

// Meets reports whether one successful sample meets every objective's threshold: TTFT
// and E2E counted from the scheduled send time (ttft_ns + queue_delay_ns, e2e_ns +
// queue_delay_ns — the latency a user of an open-loop schedule saw, see docs/metrics.md
// coordinated omission), TPOT as is (Objective.Value). A failed sample meets none. A
// TPOT objective does not apply to a request of fewer than 2 output tokens (it has no
// TPOT; vLLM's benchmark counts such a request's TPOT as 0 likewise), while a request
// that never sent generated text has no TTFT and misses a TTFT objective. A percentile
// objective is held here as a per-request threshold: this is the test of a good
// request for goodput_per_s (docs/metrics.md "Aggregates"). With no objectives, every
// successful sample meets the SLO.
func (s SLO) Meets(smp *Sample) bool {
	if smp == nil || !smp.OK {
		return false
	}
	for _, o := range s.Objectives {
		v, ok := o.Value(smp)
		if !ok && o.Applies(smp) || ok && v > int64(o.Threshold) {
			return false
		}
	}
	return true
}

// Applies reports whether objective o judges the successful sample smp: a TPOT
// objective does not judge a request of fewer than 2 output tokens.
func (o Objective) Applies(smp *Sample) bool {
	return o.Metric != SLOMetricTPOT || smp.TPOTNs != nil
}

// Key is the SLO's canonical form with its objectives in a fixed order (metric, then
// percentile), so the same objectives written in another order compare equal.
func (s SLO) Key() string {
	objs := slices.Clone(s.Objectives)
	slices.SortFunc(objs, func(a, b Objective) int {
		if c := strings.Compare(a.Metric, b.Metric); c != 0 {
			return c
		}
		return cmp.Compare(a.Percentile, b.Percentile)
	})
	k := SLO{Objectives: objs}
	return k.String()
}
