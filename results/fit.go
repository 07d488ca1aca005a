package results

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"

	"github.com/yardstick-dev/yardstick/bench"
)

// PrefillFit is TTFT = FixedNs + prompt_tokens / PrefillPerS fitted by least squares
// over successful measured samples (x = prompt_tokens, y = ttft_ns; docs/metrics.md ttft_ns
// and prompt_tokens, TTFT from the send, not the schedule: queueing is the client's,
// not the server's). The least squares is gonum's stat.LinearRegression (unweighted),
// y = alpha + beta·x: FixedNs = alpha, PrefillPerS = 10⁹ / beta.
//
// FixedNs is the part of TTFT that does not grow with the prompt (HTTP, scheduling,
// the first decode step); it is reported as fitted and may come out slightly negative
// when the data leave no room for one. R2 is the coefficient of determination
// (stat.RSquared) of the fit: 1 when every point is on the line.
type PrefillFit struct {
	// N is the number of samples fitted.
	N           int     `json:"n"`
	FixedNs     float64 `json:"fixed_ns"`
	PrefillPerS float64 `json:"prefill_per_s"`
	R2          float64 `json:"r2"`
	// PromptTokensMin and PromptTokensMax bound the fitted prompt lengths: the fit
	// says nothing outside them.
	PromptTokensMin int `json:"prompt_tokens_min"`
	PromptTokensMax int `json:"prompt_tokens_max"`
}

// FitPrefill fits PrefillFit to the measured, successful samples that have a TTFT and a
// prompt (prompt_tokens > 0), leaving out those flagged CacheSuspect (served from the
// prompt cache, their TTFT does not pay for their prompt). It returns an error, and no
// fit, with fewer than 3 such samples, with fewer than two distinct prompt lengths,
// and when TTFT does not grow with prompt length (slope ≤ 0): a prefill rate is then
// not measurable, and a fake or negative one is never returned.
func FitPrefill(samples []bench.Sample) (*PrefillFit, error) {
	l, err := fitSamples(samples, func(s *bench.Sample) (x, y float64, ok bool) {
		if s.TTFTNs == nil || s.PromptTokens <= 0 || s.CacheSuspect {
			return 0, 0, false
		}
		return float64(s.PromptTokens), float64(*s.TTFTNs), true
	}, "prompt_tokens", "prompt lengths")
	if err != nil {
		return nil, fmt.Errorf("prefill fit: %w", err)
	}
	if !(l.beta > 0) {
		return nil, fmt.Errorf("prefill fit: TTFT does not grow with prompt length (slope %.3g ns/token over %d samples): no prefill rate can be fitted", l.beta, l.n)
	}
	return &PrefillFit{N: l.n, FixedNs: l.alpha, PrefillPerS: 1e9 / l.beta, R2: l.r2,
		PromptTokensMin: int(l.xMin), PromptTokensMax: int(l.xMax)}, nil
}

// DecodeFit is the per-token decode time against context depth, fitted by least
// squares (gonum's stat.LinearRegression, unweighted) over successful measured samples:
//
//	TPOT = StepNs + NsPerContextToken × depth,  depth = prompt_tokens + output_tokens/2
//
// with tpot_ns as docs/metrics.md defines it, (e2e − ttft) / (output_tokens − 1). depth is
// the mean context a decode step of the request saw: the N−1 decode steps of a request
// with N output tokens attend to prompt + 1 … prompt + N−1 tokens, whose mean is
// prompt + N/2. Each step reads the weights (StepNs) and the KV cache, which grows with
// the context (NsPerContextToken; docs/metrics.md "Hardware roofline"). DecodePerSAtZero =
// 10⁹ / StepNs is the decode rate the fit gives at an empty context. NsPerContextToken
// is reported as fitted, and may be slightly negative when depth makes no measurable
// difference. R2 is stat.RSquared of the fit (1 when every point is on the line, and
// when every TPOT is the same).
type DecodeFit struct {
	N                 int     `json:"n"`
	StepNs            float64 `json:"step_ns"`
	NsPerContextToken float64 `json:"ns_per_context_token"`
	DecodePerSAtZero  float64 `json:"decode_per_s_at_zero_depth"`
	R2                float64 `json:"r2"`
	// DepthMin and DepthMax bound the fitted depths, in tokens.
	DepthMin float64 `json:"depth_min_tokens"`
	DepthMax float64 `json:"depth_max_tokens"`
}

// FitDecode fits DecodeFit to the measured, successful samples that have a TPOT (two or
// more output tokens). It returns an error, and no fit, with fewer than 3 such samples,
// with fewer than two distinct depths, and when the fitted time per step at depth 0 is
// not positive (no decode rate can be given).
func FitDecode(samples []bench.Sample) (*DecodeFit, error) {
	l, err := fitSamples(samples, func(s *bench.Sample) (x, y float64, ok bool) {
		if s.TPOTNs == nil {
			return 0, 0, false
		}
		return float64(s.PromptTokens) + float64(s.OutputTokens)/2, float64(*s.TPOTNs), true
	}, "depth", "context depths (vary the prompt or output length)")
	if err != nil {
		return nil, fmt.Errorf("decode fit: %w", err)
	}
	if !(l.alpha > 0) {
		return nil, fmt.Errorf("decode fit: time per token at depth 0 fitted as %.3g ns over %d samples: no decode rate can be fitted", l.alpha, l.n)
	}
	return &DecodeFit{N: l.n, StepNs: l.alpha, NsPerContextToken: l.beta, DecodePerSAtZero: 1e9 / l.alpha,
		R2: l.r2, DepthMin: l.xMin, DepthMax: l.xMax}, nil
}

// line is a least-squares line y = alpha + beta·x through n points whose x lie in
// [xMin, xMax], with its coefficient of determination r2.
type line struct {
	n                           int
	alpha, beta, r2, xMin, xMax float64
}

// fitSamples fits a line (fitLine) to the points that point gives for the measured,
// successful samples; point says ok = false for a sample that has no point.
func fitSamples(samples []bench.Sample, point func(*bench.Sample) (x, y float64, ok bool), xName, need string) (line, error) {
	var xs, ys []float64
	for i := range samples {
		s := &samples[i]
		if s.Phase != bench.PhaseMeasured || !s.OK {
			continue
		}
		if x, y, ok := point(s); ok {
			xs, ys = append(xs, x), append(ys, y)
		}
	}
	alpha, beta, r2, err := fitLine(xs, ys, xName, need)
	if err != nil {
		return line{}, err
	}
	return line{n: len(xs), alpha: alpha, beta: beta, r2: r2, xMin: slices.Min(xs), xMax: slices.Max(xs)}, nil
}

// fitLine is y = alpha + beta·x by stat.LinearRegression, with its R². xName and need
// name the x values in the error for fewer than two distinct ones. R² is 1 when every y is
// the same (the line then passes through every point; stat.RSquared gives 0/0).
func fitLine(xs, ys []float64, xName, need string) (alpha, beta, r2 float64, err error) {
	if len(xs) < 3 {
		return 0, 0, 0, fmt.Errorf("%d usable samples; need at least 3", len(xs))
	}
	if lo, hi := slices.Min(xs), slices.Max(xs); lo == hi {
		return 0, 0, 0, fmt.Errorf("all %d usable samples have %s %g: need at least two %s", len(xs), xName, lo, need)
	}
	alpha, beta = stat.LinearRegression(xs, ys, nil, false)
	if math.IsNaN(alpha) || math.IsNaN(beta) || math.IsInf(alpha, 0) || math.IsInf(beta, 0) {
		return 0, 0, 0, errors.New("least squares did not converge to a finite line")
	}
	r2 = stat.RSquared(xs, ys, nil, alpha, beta)
	if math.IsNaN(r2) {
		r2 = 1
	}
	return alpha, beta, r2, nil
}
