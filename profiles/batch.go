package profiles

import "math"

// BatchCeiling is what the hardware allows b streams decoding at once, each at a
// context of ContextTokens (docs/metrics.md "Hardware roofline", "Under load"). Decode
// is bound by memory bandwidth, and a step of a batch reads the weights once for all of
// its b tokens and each stream's own KV cache, so a step reads
//
//	bytes(b) = weight bytes + b × KVBytesPerContextToken × ContextTokens
//
// and yields b tokens: the throughput ceiling is b × bandwidth / bytes(b) tokens/s. At
// b = 1 it is ComputeRoofline's decode ceiling at the same bandwidth; as b grows it
// rises toward bandwidth / (KV bytes per context token × context), the rate at which
// the KV caches alone can be read.
//
// A mixture of experts with n experts, k used per token, reads its shared weights (all
// but the expert tensors) and, in each layer, the distinct experts the batch's tokens
// use, D of them, with k ≤ D ≤ min(n, b × k): every token uses k distinct experts, and
// all b may use the same k. Two figures follow:
//
//   - DecodeCeilingPerS takes D = k, the fewest bytes any batch can read. It is a true
//     ceiling under the roofline's assumptions, whatever the routing.
//   - UniformRoutingDecodeCeilingPerS takes D = n(1 − (1 − k/n)^b), the expected number
//     of distinct experts per layer when each token draws its k experts independently
//     and uniformly (elementary probability: one token leaves a given expert unused with
//     probability 1 − k/n, b independent tokens with (1 − k/n)^b, and the expectation
//     of a count is the sum of its n indicators'). It is an estimate, not a bound: real
//     routing is correlated (a sequence's consecutive tokens, and streams on one topic,
//     share experts; fewer bytes, a higher rate) and streams on different topics prefer
//     different experts (more bytes). For b < 1 it takes D = k.
type BatchCeiling struct {
	// Streams is b, the number of streams decoding at once: a time average, so real
	// and > 0 (ceilings are smooth in b; docs/metrics.md "Under load" says why the
	// ceiling at the mean bounds the mean of the ceilings).
	Streams float64
	// ContextTokens is each stream's context during its decode steps, in tokens.
	ContextTokens float64
	// BandwidthBytesPerS is the rate a byte is read at.
	BandwidthBytesPerS float64
	// WeightBytesPerStep is the fewest weight bytes a step of the batch reads:
	// ModelCost.ActiveWeightBytesPerToken, the weights one token reads (for a mixture
	// of experts, the shared weights and k experts per layer). An untied model also
	// reads one embedding row per distinct token of the step; only one is counted,
	// which keeps the bytes a lower bound (a row is embedding_length elements, about a
	// kilobyte).
	WeightBytesPerStep float64
	// KVBytesPerStep = Streams × KVBytesPerContextToken × ContextTokens.
	KVBytesPerStep float64
	// DecodeCeilingPerS = Streams × BandwidthBytesPerS / (WeightBytesPerStep +
	// KVBytesPerStep), tokens/s over all streams; 0 when an input is missing.
	DecodeCeilingPerS float64
	// For a mixture of experts with ExpertCount and ExpertUsedCount known (zero for a
	// dense model): UniformRoutingExpertsPerLayer = n(1 − (1 − k/n)^max(b, 1));
	// UniformRoutingWeightBytesPerStep = shared weight bytes + that many experts of
	// ExpertBytes / n bytes each; UniformRoutingDecodeCeilingPerS = Streams ×
	// BandwidthBytesPerS / (UniformRoutingWeightBytesPerStep + KVBytesPerStep).
	UniformRoutingExpertsPerLayer    float64
	UniformRoutingWeightBytesPerStep float64
	UniformRoutingDecodeCeilingPerS  float64
}

// ExpectedDistinctExperts is n(1 − (1 − k/n)^b): the expected number of distinct
// experts b tokens use in one layer of a mixture of n experts with k used per token,
// when each token draws its k independently and uniformly (see BatchCeiling). It is k
// at b = 1 and rises toward n; b is real (the formula is smooth in it). 0 when n or k
// is not positive, k > n, or b is not positive.
func ExpectedDistinctExperts(n, k int, b float64) float64 {
	if n <= 0 || k <= 0 || k > n || !(b > 0) {
		return 0
	}
	return float64(n) * -math.Expm1(b*math.Log1p(-float64(k)/float64(n)))
}

// BatchDecodeCeiling returns the decode ceilings of streams streams decoding at once
// on a model of cost c, each at a context of contextTokens tokens, reading at
// bandwidthBytesPerS bytes/s (see BatchCeiling for the formulas). streams is real and
// > 0; contextTokens ≥ 0. With streams, bandwidth or the bytes of a step not positive
// (or not finite) the ceilings are 0.
func BatchDecodeCeiling(c ModelCost, streams, contextTokens, bandwidthBytesPerS float64) BatchCeiling {
	bc := BatchCeiling{Streams: streams, ContextTokens: contextTokens, BandwidthBytesPerS: bandwidthBytesPerS}
	if !(streams > 0) || math.IsInf(streams, 0) || !(contextTokens >= 0) || !(bandwidthBytesPerS > 0) || math.IsInf(bandwidthBytesPerS, 0) {
		return bc
	}
	bc.WeightBytesPerStep = float64(c.ActiveWeightBytesPerToken)
	bc.KVBytesPerStep = streams * float64(c.KVBytesPerContextToken) * contextTokens
	bc.DecodeCeilingPerS = throughputCeiling(streams, bandwidthBytesPerS, bc.WeightBytesPerStep+bc.KVBytesPerStep)
	n, k := c.ExpertCount, c.ExpertUsedCount
	if c.ExpertBytes == 0 || n <= 0 || k <= 0 || k > n {
		return bc
	}
	perExpert := float64(c.ExpertBytes) / float64(n)
	// ActiveWeightBytesPerToken counts k of the n experts (ComputeModelCost).
	shared := max(0, bc.WeightBytesPerStep-float64(k)*perExpert)
	bc.UniformRoutingExpertsPerLayer = ExpectedDistinctExperts(n, k, max(streams, 1))
	bc.UniformRoutingWeightBytesPerStep = shared + bc.UniformRoutingExpertsPerLayer*perExpert
	bc.UniformRoutingDecodeCeilingPerS = throughputCeiling(streams, bandwidthBytesPerS, bc.UniformRoutingWeightBytesPerStep+bc.KVBytesPerStep)
	return bc
}

// throughputCeiling is b tokens per step of bytes bytes read at bw bytes/s; 0 for a
// step of no bytes.
func throughputCeiling(b, bw, bytes float64) float64 {
	if !(bytes > 0) {
		return 0
	}
	return b * bw / bytes
}
