package results

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/yardstick-dev/yardstick/internal/threshold"
)

// Gate is one regression threshold of --fail-on: a run fails it when Stat of Metric
// changed against the base by more than Percent in the direction of Sign, and the
// change is significant (Mann-Whitney U p ≤ alpha).
type Gate struct {
	// Metric is the full metric name, with its unit suffix (server_gen_per_s, ttft_ns).
	Metric string `json:"metric"`
	// Stat is the statistic compared: median (the default), mean, p50, p90, p95, p99,
	// min or max. Percentiles are nearest-rank, as in the run file's summaries.
	Stat string `json:"stat"`
	// Sign is +1 when an increase beyond Percent fails, −1 when a decrease does.
	Sign int `json:"sign"`
	// Percent is the allowed change in percent of the base value, 0..1000 (0: any
	// significant change in that direction fails; a decrease is at most 100%).
	Percent float64 `json:"percent"`
	// Spec is the gate as written.
	Spec string `json:"spec"`
}

// Name is how reports name the gate: the metric and the statistic, e.g.
// "ttft_ns p95".
func (g Gate) Name() string { return g.Metric + " " + g.Stat }

// Threshold renders the limit, e.g. "+10%".
func (g Gate) Threshold() string {
	s := "+"
	if g.Sign < 0 {
		s = "-"
	}
	return s + strconv.FormatFloat(g.Percent, 'f', -1, 64) + "%"
}

// gateStats are the statistics a gate may name, as suffixes of the metric.
var gateStats = []string{"median", "mean", "p50", "p90", "p95", "p99", "min", "max"}

// ParseGates parses a --fail-on value: comma-separated gates in the threshold syntax
// every command shares (internal/threshold), METRIC[_STAT]<=+N% for a rise allowed,
// METRIC[_STAT]>=-N% for a fall allowed, or the older METRIC[_STAT]:±N%, which means
// the same: "server_gen_per_s>=-5%,ttft_p95<=+10%" is
// "server_gen_per_s:-5%,ttft_p95:+10%". METRIC is a metric name with or without its
// unit suffix (ttft or ttft_ns); STAT is one of median (default), mean, p50, p90, p95,
// p99, min, max. N is a percentage of the base value, 0..1000 (a decrease at most 100).
// The sign says which change fails; it may be left out for a metric whose better
// direction is known (then the worse direction is meant), and a sign pointing to an
// improvement is refused as a likely mistake. Errors name the offending term. An empty
// value gives no gates.
func ParseGates(spec string) ([]Gate, error) {
	var gates []Gate
	seen := map[string]bool{}
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	for _, term := range strings.Split(spec, ",") {
		term = strings.TrimSpace(term)
		if term == "" {
			return nil, errors.New("empty term (a stray comma?)")
		}
		g, err := parseGate(term)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", term, err)
		}
		if seen[g.Name()] {
			return nil, fmt.Errorf("%q: %s is gated twice", term, g.Name())
		}
		seen[g.Name()] = true
		gates = append(gates, g)
	}
	return gates, nil
}

func parseGate(term string) (Gate, error) {
	t, canonical, err := threshold.Split(term)
	if err != nil {
		return Gate{}, err
	}
	name, limit, ok := strings.Cut(term, ":")
	if canonical {
		name, limit, ok = t.Name, t.Limit, true
		if !strings.HasSuffix(limit, "%") {
			return Gate{}, fmt.Errorf("a --fail-on limit is a change against the base run, e.g. %s%s+10%% or server_gen_per_s>=-5%%; an absolute limit such as %s belongs in --slo or a profile's expectations (check)", name, t.Op, limit)
		}
		// <= bounds a rise (+N%, the sign may be left out), >= a fall (-N%): rewritten
		// as the older METRIC:±N%, which the rest reads.
		switch {
		case t.Upper() && strings.HasPrefix(limit, "-"):
			return Gate{}, fmt.Errorf("%s<=%s would demand a fall; a limit on a rise is %s<=+N%%, on a fall %s>=-N%%", name, limit, name, name)
		case !t.Upper() && !strings.HasPrefix(limit, "-"):
			return Gate{}, fmt.Errorf("%s>=%s would demand a rise; a limit on a fall is %s>=-N%%, on a rise %s<=+N%%", name, limit, name, name)
		case t.Upper() && !strings.HasPrefix(limit, "+"):
			limit = "+" + limit
		}
	}
	if !ok {
		return Gate{}, errors.New("want METRIC<=+N% or METRIC>=-N% (or the older METRIC:±N%), e.g. ttft_p95<=+10%, server_gen_per_s>=-5%")
	}
	name, limit = strings.TrimSpace(name), strings.TrimSpace(limit)
	g := Gate{Spec: term, Stat: "median"}
	metric, err := resolveGateMetric(name, &g.Stat)
	if err != nil {
		return Gate{}, err
	}
	g.Metric = metric
	num, pct := strings.CutSuffix(limit, "%")
	if !pct {
		return Gate{}, fmt.Errorf("threshold %q must be a percentage, e.g. -5%%", limit)
	}
	dir := MetricDirection(metric)
	switch {
	case strings.HasPrefix(num, "+"):
		g.Sign, num = 1, num[1:]
	case strings.HasPrefix(num, "-"):
		g.Sign, num = -1, num[1:]
	case dir == Neutral:
		return Gate{}, fmt.Errorf("%s has no better direction: give a sign (+N%% or -N%%)", metric)
	default:
		g.Sign = -int(dir) // the worse direction
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || strings.ContainsAny(num, "+-eEnNxXpP_") {
		return Gate{}, fmt.Errorf("threshold %q is not a number of percent", limit)
	}
	if v < 0 || v > 1000 || (g.Sign < 0 && v > 100) {
		return Gate{}, fmt.Errorf("threshold %s%% out of range (0..1000%%, a decrease at most 100%%)", limit[:len(limit)-1])
	}
	g.Percent = v
	if dir != Neutral && g.Sign == int(dir) {
		return Gate{}, fmt.Errorf("%s is %s, so %s would fail on an improvement; did you mean %s?",
			metric, strings.ReplaceAll(dir.String(), "_", " "), g.Threshold(), Gate{Sign: -g.Sign, Percent: v}.Threshold())
	}
	return g, nil
}

// resolveGateMetric maps a gate's metric as written to a metric name, splitting off a
// statistic suffix into *stat.
func resolveGateMetric(name string, stat *string) (string, error) {
	if name == "" {
		return "", errors.New("no metric named")
	}
	if m, ok := lookupMetric(name); ok {
		return m, nil
	}
	for _, st := range gateStats {
		if base, ok := strings.CutSuffix(name, "_"+st); ok {
			if m, ok := lookupMetric(base); ok {
				*stat = st
				return m, nil
			}
		}
	}
	return "", fmt.Errorf("unknown metric %q (known: %s; add _p95, _p99, _mean… for another statistic than the median)",
		name, strings.Join(MetricOrder, ", "))
}

// lookupMetric resolves a gate's metric name: one of MetricOrder (the unit suffix may
// be left out), or levels[N].<one of LevelMetrics> for level N of runs of one sweep.
func lookupMetric(name string) (string, bool) {
	if rest, ok := strings.CutPrefix(name, "levels["); ok {
		i := strings.Index(rest, "].")
		if i <= 0 {
			return "", false
		}
		if n, err := strconv.Atoi(rest[:i]); err != nil || n < 0 || strconv.Itoa(n) != rest[:i] {
			return "", false
		}
		for _, m := range LevelMetrics {
			if leaf := rest[i+2:]; leaf == m || leaf+"_ns" == m || leaf+"_per_s" == m {
				return "levels[" + rest[:i] + "]." + m, true
			}
		}
		return "", false
	}
	for _, m := range MetricOrder {
		if name == m || name+"_ns" == m || name+"_per_s" == m {
			return m, true
		}
	}
	return "", false
}

// statValue returns statistic stat of s.
func statValue(s Summary, stat string) float64 {
	switch stat {
	case "mean":
		return s.Mean
	case "p50":
		return s.P50
	case "p90":
		return s.P90
	case "p95":
		return s.P95
	case "p99":
		return s.P99
	case "min":
		return s.Min
	case "max":
		return s.Max
	}
	return s.Median
}
