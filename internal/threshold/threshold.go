// Package threshold holds yardstick's one threshold syntax, accepted by every command
// that takes a threshold (run --slo, compare --fail-on, a profile's expectations):
//
//	METRIC[_STAT]<=LIMIT   the figure must stay at or under LIMIT
//	METRIC[_STAT]>=LIMIT   the figure must stay at or over LIMIT
//
// METRIC is a metric's name (ttft, ttft_ns, server_gen_per_s, decode_efficiency_frac,
// …), STAT a statistic where one applies (p95, p99, median, …), and LIMIT an absolute
// value (a duration such as 500ms, a number, a fraction) or, for a change against a
// base run, a signed percentage (+10%, -5%). Examples:
//
//	ttft_p95<=500ms          run --slo: the p95 TTFT objective
//	ttft_p95<=+10%           compare --fail-on: p95 TTFT may rise at most 10%
//	server_gen_per_s>=-5%    compare --fail-on: the median decode rate may fall at most 5%
//	server_gen_per_s>=20     a profile's expectation: median decode rate at least 20 tok/s
//
// The older spellings stay accepted where they were: run --slo ttft_p95=500ms,
// compare --fail-on ttft_p95:+10%, and a profile's max_ttft_p95: 500ms. The comparison
// operators are the ones k6's thresholds use ("p(95)<500"), so they read as a load
// tester's; the shell needs them quoted ('ttft_p95<=500ms').
package threshold

import (
	"errors"
	"fmt"
	"strings"
)

// Term is one threshold split into its parts, each trimmed.
type Term struct {
	// Name is METRIC[_STAT] as written, lower case.
	Name string
	// Op is "<=" or ">=".
	Op string
	// Limit is LIMIT as written.
	Limit string
}

// Upper reports whether the term bounds its figure from above (<=).
func (t Term) Upper() bool { return t.Op == "<=" }

// Split splits term at its operator. ok is false when term holds neither "<=" nor
// ">=" (an older spelling, for the caller to read). Errors, which do not repeat term
// (the caller names it): an operator with nothing before or after it, two operators,
// or the strict "<" or ">" alone (a threshold includes its limit).
func Split(term string) (t Term, ok bool, err error) {
	i := strings.Index(term, "<=")
	j := strings.Index(term, ">=")
	switch {
	case i < 0 && j < 0:
		if strings.ContainsAny(term, "<>") {
			return Term{}, false, errors.New("write <= or >= (a threshold includes its limit), e.g. ttft_p95<=500ms")
		}
		return Term{}, false, nil
	case i >= 0 && j >= 0:
		return Term{}, false, errors.New("one operator, <= or >=")
	case i < 0:
		i = j
	}
	t = Term{Name: strings.ToLower(strings.TrimSpace(term[:i])), Op: term[i : i+2], Limit: strings.TrimSpace(term[i+2:])}
	if strings.ContainsAny(t.Limit, "<>=") {
		return Term{}, false, errors.New("one operator, <= or >=")
	}
	if t.Name == "" {
		return Term{}, false, fmt.Errorf("no metric before %s", t.Op)
	}
	if t.Limit == "" {
		return Term{}, false, fmt.Errorf("no limit after %s", t.Op)
	}
	return t, true, nil
}
