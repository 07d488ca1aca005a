package results

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/yardstick-dev/yardstick/internal/units"
	"github.com/yardstick-dev/yardstick/profiles"
)

// PlanReport is what `yardstick plan` prints: a model held against a memory size
// (profiles.Plan, whose fields are at the top level of the JSON: weights_bytes,
// rows of parallel and max_num_ctx), and, with --verify, the predictions held
// against the server.
type PlanReport struct {
	Model       string `json:"model"`
	ModelSource string `json:"model_source"`
	// Against names the memory: a device of the table, a GPU or this machine's RAM.
	Against string `json:"against"`
	profiles.Plan
	// Missing names the metadata fields the model lacks for a KV cache size; the
	// plan then has the weights only.
	Missing []string    `json:"missing_fields,omitempty"`
	Verify  []PlanCheck `json:"verify,omitempty"`
}

// PlanCheck is one --verify load: the prediction at NumCtx and Parallel against
// Ollama's /api/ps size and the server tree's resident set peak.
type PlanCheck struct {
	NumCtx       int                       `json:"num_ctx"`
	Parallel     int                       `json:"parallel"`
	Predicted    profiles.MemoryPrediction `json:"predicted"`
	PSSizeBytes  uint64                    `json:"ps_size_bytes"`
	RSSPeakBytes uint64                    `json:"rss_peak_bytes"`
	// RSSBaseBytes is the server tree's resident set just before the load: the
	// measured runtime base, and what RSS growth between two loads is taken from.
	RSSBaseBytes uint64 `json:"rss_base_bytes"`
}

func si(b uint64) string { return units.SI(float64(b)) }

// RenderPlan writes plan's table: the model's parts, then for each slot count the
// largest num_ctx per slot by KV cache type, a star marking a context capped at
// the trained one. It fits 80 columns.
func RenderPlan(w io.Writer, r PlanReport) error {
	p := r.Plan
	var b strings.Builder
	fmt.Fprintf(&b, "model     %s\n          %s\n", r.Model, r.ModelSource)
	fmt.Fprintf(&b, "against   %s\n", r.Against)
	fit := "fit"
	if !p.WeightsFit {
		fit = "DO NOT FIT, not even with 1 token of context;\n          a GPU server would keep some layers in host memory"
	}
	fmt.Fprintf(&b, "weights   %s resident: they %s\n", si(p.WeightsBytes), fit)
	if p.ExpertCount > 0 {
		fmt.Fprintf(&b, "          mixture of %d experts, %d used per token: all %s stay resident,\n", p.ExpertCount, p.ExpertUsedCount, si(p.WeightsBytes))
		fmt.Fprintf(&b, "          %s read per token: an MoE saves bandwidth, not memory\n", si(p.ActiveWeightBytesPerToken))
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(&b, "KV cache  unknown: the model's metadata lacks %s\n", strings.Join(r.Missing, ", "))
	}
	if len(p.KVBytesPerContextToken) > 0 {
		var kv []string
		for _, t := range profiles.PlanKVCacheTypes {
			if v, ok := p.KVBytesPerContextToken[t]; ok {
				kv = append(kv, fmt.Sprintf("%s %s B", t, comma(v)))
			}
		}
		fmt.Fprintf(&b, "KV cache  per context token per slot: %s\n", strings.Join(kv, ", "))
		at := "1 slot and the largest context"
		if !p.WeightsFit {
			at = "1 token of context"
		}
		fmt.Fprintf(&b, "compute   %s at %s\n", si(p.GraphBytes), at)
		fmt.Fprintf(&b, "runtime   %s, %s\n", si(p.RuntimeBytes), p.RuntimeSource)
	}
	if len(p.Rows) > 0 {
		var types []string
		var slots []int
		for _, row := range p.Rows {
			if !slices.Contains(types, row.KVCacheType) {
				types = append(types, row.KVCacheType)
			}
			if !slices.Contains(slots, row.Parallel) {
				slots = append(slots, row.Parallel)
			}
		}
		fmt.Fprintf(&b, "\nlargest num_ctx per slot that fits\n%-6s", "slots")
		for _, t := range types {
			fmt.Fprintf(&b, "  %18s", "KV "+t)
		}
		b.WriteString("\n")
		capped := false
		for _, s := range slots {
			fmt.Fprintf(&b, "%-6d", s)
			for _, t := range types {
				for _, row := range p.Rows {
					if row.Parallel != s || row.KVCacheType != t {
						continue
					}
					cell := "none"
					if row.MaxNumCtx > 0 {
						cell = comma(uint64(row.MaxNumCtx))
						if row.Capped {
							cell += "*"
							capped = true
						}
						cell += " " + fmt.Sprintf("%7s", si(row.Prediction.TotalBytes))
					}
					fmt.Fprintf(&b, "  %18s", cell)
				}
			}
			b.WriteString("\n")
		}
		b.WriteString("(each cell: tokens per slot, then the predicted total)\n")
		if capped {
			fmt.Fprintf(&b, "* capped at the model's trained context, %s tokens\n", comma(uint64(p.TrainedContextTokens)))
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if len(r.Verify) > 0 {
		fmt.Fprintf(&b, "\nverify  num_ctx × slots  predicted  /api/ps size  RSS peak  error vs RSS\n")
		for _, v := range r.Verify {
			errText := "n/a"
			if v.RSSPeakBytes > 0 {
				errText = fmt.Sprintf("%+.1f%%", 100*(float64(v.Predicted.TotalBytes)/float64(v.RSSPeakBytes)-1))
			}
			fmt.Fprintf(&b, "        %7s × %-6d  %9s  %12s  %8s  %12s\n", comma(uint64(v.NumCtx)), v.Parallel,
				si(v.Predicted.TotalBytes), si(v.PSSizeBytes), si(v.RSSPeakBytes), errText)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// comma formats n with thousands separators: 98304 → "98,304".
func comma(n uint64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
