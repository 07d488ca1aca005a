package profiles

import (
	"fmt"
	"slices"
)

// PlanSlots are the parallel slot counts a plan holds the model against.
var PlanSlots = []int{1, 2, 4, 8}

// PlanKVCacheTypes are the KV cache types a plan compares, Ollama's three
// (OLLAMA_KV_CACHE_TYPE; q8_0 and q4_0 need flash attention).
var PlanKVCacheTypes = []string{"f16", "q8_0", "q4_0"}

// PlanInput is a model and a memory to hold it against.
type PlanInput struct {
	// Memory is the model and the server's settings; its NumCtx, Parallel and
	// KVCacheType are set by ComputePlan for each row.
	Memory MemoryInput
	// AvailableBytes is the memory the model may take: a GPU's memory, or the
	// host's RAM on a machine without one.
	AvailableBytes uint64
	// Slots and KVCacheTypes are the rows' parallel slots and cache types;
	// empty = PlanSlots, PlanKVCacheTypes.
	Slots        []int
	KVCacheTypes []string
}

// Plan is what fits: for each slot count and KV cache type the largest
// num_ctx per slot whose predicted total (PredictMemory) is within the
// available memory.
type Plan struct {
	AvailableBytes uint64 `json:"available_bytes"`
	// WeightsBytes is every tensor, resident whether read or not (for a mixture,
	// every expert); ActiveWeightBytesPerToken is what one decode step reads.
	WeightsBytes              uint64 `json:"weights_bytes"`
	ActiveWeightBytesPerToken uint64 `json:"active_weight_bytes_per_token"`
	ExpertBytes               uint64 `json:"expert_bytes,omitempty"`
	ExpertCount               int    `json:"expert_count,omitempty"`
	ExpertUsedCount           int    `json:"expert_used_count,omitempty"`
	// WeightsFit is false when the weights, compute buffers and runtime alone,
	// at one token of context, exceed AvailableBytes.
	WeightsFit bool `json:"weights_fit"`
	// TrainedContextTokens caps every row (0 when unknown: rows are then
	// capped at MaxPlanContext).
	TrainedContextTokens int `json:"trained_context_tokens,omitempty"`
	// KVBytesPerContextToken is one slot's KV per context token by cache type.
	KVBytesPerContextToken map[string]uint64 `json:"kv_bytes_per_context_token"`
	// GraphBytes is the compute buffers of the first row at its largest
	// context, or at 1 token of context when nothing fits.
	GraphBytes    uint64    `json:"graph_bytes"`
	RuntimeBytes  uint64    `json:"runtime_bytes"`
	RuntimeSource string    `json:"runtime_source"`
	Rows          []PlanRow `json:"rows"`
	Notes         []string  `json:"notes,omitempty"`
}

// PlanRow is one slot count at one KV cache type.
type PlanRow struct {
	Parallel    int    `json:"parallel"`
	KVCacheType string `json:"kv_cache_type"`
	// MaxNumCtx is the largest num_ctx per slot that fits, tokens; 0 when none.
	MaxNumCtx int `json:"max_num_ctx"`
	// Capped is true when MaxNumCtx is the trained context (or MaxPlanContext),
	// not the memory's limit.
	Capped bool `json:"capped"`
	// Prediction is the memory at MaxNumCtx (absent when nothing fits).
	Prediction *MemoryPrediction `json:"prediction,omitempty"`
}

// MaxPlanContext caps a plan's rows when the trained context is unknown:
// 1,048,576 tokens, past any open model's context today.
const MaxPlanContext = 1 << 20

// ComputePlan holds a model against a memory size for every slot count and KV
// cache type of in. Errors: no available memory, a slot count below 1, and
// those of PredictMemory.
func ComputePlan(in PlanInput) (Plan, error) {
	m := in.Memory
	p := Plan{
		AvailableBytes:            in.AvailableBytes,
		WeightsBytes:              m.Cost.WeightBytes,
		ActiveWeightBytesPerToken: m.Cost.ActiveWeightBytesPerToken,
		ExpertBytes:               m.Cost.ExpertBytes,
		ExpertCount:               m.Cost.ExpertCount,
		ExpertUsedCount:           m.Cost.ExpertUsedCount,
		TrainedContextTokens:      m.TrainedContext,
		KVBytesPerContextToken:    map[string]uint64{},
	}
	if in.AvailableBytes == 0 {
		return p, fmt.Errorf("plan: no memory size to hold the model against")
	}
	slots, types := in.Slots, in.KVCacheTypes
	if len(slots) == 0 {
		slots = PlanSlots
	}
	if len(types) == 0 {
		types = PlanKVCacheTypes
	}
	limit := m.TrainedContext
	if limit <= 0 {
		limit = MaxPlanContext
		p.Notes = append(p.Notes, fmt.Sprintf("trained context unknown: contexts capped at %d", MaxPlanContext))
	}
	for _, t := range types {
		per, err := KVBytesPerTokenAt(m.Cost, t)
		if err != nil {
			return p, err
		}
		p.KVBytesPerContextToken[t] = uint64(per + 0.5)
	}
	m.NumCtx, m.Parallel, m.KVCacheType = 1, 1, types[0]
	base, err := PredictMemory(m)
	if err != nil {
		return p, err
	}
	p.WeightsFit = base.TotalBytes <= in.AvailableBytes
	p.RuntimeBytes, p.RuntimeSource, p.GraphBytes = base.RuntimeBytes, base.RuntimeSource, base.GraphBytes
	for _, n := range base.Notes {
		if !slices.Contains(p.Notes, n) {
			p.Notes = append(p.Notes, n)
		}
	}
	for _, s := range slots {
		if s < 1 {
			return p, fmt.Errorf("plan: %d slots; at least 1", s)
		}
		for _, t := range types {
			m.Parallel, m.KVCacheType = s, t
			n, err := MaxNumCtx(m, in.AvailableBytes, limit)
			if err != nil {
				return p, err
			}
			row := PlanRow{Parallel: s, KVCacheType: t, MaxNumCtx: n, Capped: n == limit}
			if n > 0 {
				m.NumCtx = n
				pred, err := PredictMemory(m)
				if err != nil {
					return p, err
				}
				row.Prediction = &pred
				if s == slots[0] && t == types[0] {
					p.GraphBytes = pred.GraphBytes
				}
			}
			p.Rows = append(p.Rows, row)
		}
	}
	return p, nil
}
