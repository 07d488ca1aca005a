package profiles

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/yardstick-dev/yardstick/internal/threshold"
)

// checkThresholds are the figures an expectation can hold a run to, in the threshold
// syntax every command shares (internal/threshold): for each, the names it may be
// written with, its operator and the key of the older spelling it stands for.
var checkThresholds = []struct {
	names []string
	op    string
	key   string
}{
	{[]string{"server_gen_per_s", "server_gen_per_s_median", "server_gen", "server_gen_median"}, ">=", "min_server_gen_per_s"},
	{[]string{"ttft_p95", "ttft_ns_p95"}, "<=", "max_ttft_p95"},
	{[]string{"decode_efficiency_frac", "roofline.decode_efficiency_frac"}, ">=", "min_decode_efficiency_frac"},
	{[]string{"headroom_frac", "memory.headroom_frac"}, ">=", "min_headroom_frac"},
	{[]string{"predicted_error_frac", "memory.predicted_error_frac"}, "<=", "max_predicted_error_frac"},
}

// isThresholdKey reports whether key is one of the older threshold keys.
func isThresholdKey(key string) bool {
	for _, c := range checkThresholds {
		if c.key == key {
			return true
		}
	}
	return false
}

// thresholdList reads an expectation's thresholds: a list of strings in the shared
// threshold syntax, e.g. ["ttft_p95<=150ms", "server_gen_per_s>=20"], each standing
// for one of the older keys (checkThresholds) with the same range and units:
// ttft_p95<=D is max_ttft_p95: D, predicted_error_frac<=F bounds its absolute value
// as max_predicted_error_frac does. set records the keys given (with their lines), so
// a figure set twice, here or by its older key, is an error.
func thresholdList(file string, v *yaml.Node, e *Expectation, set map[string]int) error {
	if v.Kind != yaml.SequenceNode {
		return &profileError{file, v.Line, fmt.Sprintf("thresholds: want a list of strings such as \"ttft_p95<=150ms\", got %s", kindName(v))}
	}
	for _, item := range v.Content {
		if item.Kind != yaml.ScalarNode || item.Tag != "!!str" {
			return &profileError{file, item.Line, fmt.Sprintf("thresholds: want a string such as \"ttft_p95<=150ms\", got %s", kindName(item))}
		}
		bad := func(format string, a ...any) error {
			return &profileError{file, item.Line, fmt.Sprintf("thresholds: %q: ", clip(item.Value)) + fmt.Sprintf(format, a...)}
		}
		t, ok, err := threshold.Split(item.Value)
		if err != nil {
			return bad("%v", err)
		}
		if !ok {
			return bad("want METRIC<=LIMIT or METRIC>=LIMIT, e.g. ttft_p95<=150ms")
		}
		var known []string
		key := ""
		for _, c := range checkThresholds {
			known = append(known, c.names[0]+c.op+"…")
			for _, n := range c.names {
				if n == t.Name {
					if t.Op != c.op {
						return bad("%s is held %s a limit; write %q", c.names[0], map[string]string{"<=": "under", ">=": "over"}[c.op], t.Name+c.op+t.Limit)
					}
					key = c.key
				}
			}
		}
		if key == "" {
			return bad("check does not judge %s (it judges %s)", t.Name, strings.Join(known, ", "))
		}
		if line, dup := set[key]; dup {
			return bad("sets what line %d already set (%s)", line, key)
		}
		set[key] = item.Line
		// The limit read as the older key's value is: the same parsers, ranges and
		// messages.
		node := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: t.Limit, Line: item.Line}
		switch key {
		case "max_ttft_p95":
			node.Tag = "!!str"
			e.MaxTTFTP95, err = duration(file, "thresholds: "+t.Name, node)
		case "min_server_gen_per_s":
			e.MinServerGenPerS, err = number(file, "thresholds: "+t.Name, node, 0, 1e9, false)
		case "min_decode_efficiency_frac":
			e.MinDecodeEfficiencyFrac, err = number(file, "thresholds: "+t.Name, node, 0, 1, false)
		case "min_headroom_frac":
			e.MinHeadroomFrac, err = number(file, "thresholds: "+t.Name, node, 0, 1, true)
		case "max_predicted_error_frac":
			e.MaxPredictedErrorFrac, err = number(file, "thresholds: "+t.Name, node, 0, 10, false)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
