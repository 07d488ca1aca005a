package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// promptWords is the vocabulary of synthetic prompts: common English words that BPE
// tokenizers of open models (Qwen2.5's among them) encode as one token each with their
// leading space, so a prompt of n words is close to n tokens before calibration.
var promptWords = strings.Fields(`the of and to in is was for on that with as by at from
his her it an were are which this be or has had not first one their its new after
who they have two been other when time during there into school more year city may
world about over years many team people then state most three some would where such
only these later name number film made than between under known both year part game
while work water house light music river road small large great early house story
place world point group day night power field open line sound window paper city
garden table river stone market station village forest island bridge mountain valley
letter picture morning evening summer winter spring autumn friend family language
history science nature animal machine engine number system report answer question`)

// instruction ends every prompt so a real model has a reason to keep generating.
const instruction = "\n\nWrite a long, detailed story that uses all of the words above."

// Workload generates the deterministic synthetic prompts of a run: request i of a run
// with seed s always gets the same words; only its nonce, which keeps the server's
// prompt cache from matching one request's prompt against another's, differs between
// runs. Nonces go first (in the system message) so no prefix longer than the chat
// template's own opening tokens is shared between requests.
type Workload struct {
	seed  int64
	runID string
	// Words is the number of words in each prompt body; calibrated from the server's
	// prompt_eval_count by Calibrate.
	Words int
	// PrefixWords is the shared prefix's word count in a --prefix-tokens run
	// (Prefixed), calibrated with Words; 0 otherwise.
	PrefixWords int

	lastWords, lastTokens int
}

// NewWorkload returns a workload of prompts of about targetTokens tokens; runID makes
// the nonces unique to this run.
func NewWorkload(seed int64, runID string, targetTokens int) *Workload {
	return &Workload{seed: seed, runID: runID, Words: max(1, targetTokens)}
}

// Prompt returns the system and user messages of request index (any integer; the
// cold and warm-up requests use negative indices so measured requests are numbered
// from 0 and are the same text whatever the warm-up count).
func (w *Workload) Prompt(index int) (system, user string) {
	rng := rand.New(rand.NewPCG(uint64(w.seed), uint64(int64(index))^0x9e3779b97f4a7c15))
	var b strings.Builder
	b.Grow(w.Words*7 + len(instruction))
	writeWords(&b, rng, w.Words)
	b.WriteString(instruction)
	return "Request " + w.Nonce(index) + ".", b.String()
}

// writeWords appends n words of promptWords drawn by rng to b, separated by spaces:
// the text of every synthetic prompt, shared prefix, conversation turn and trace block.
func writeWords(b *strings.Builder, rng *rand.Rand, n int) {
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(promptWords[rng.IntN(len(promptWords))])
	}
}

// Nonce is the unique prefix of request index in this run: 12 hex digits of
// SHA-256(runID, index).
func (w *Workload) Nonce(index int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", w.runID, index))
	return hex.EncodeToString(h[:6])
}

// Retarget aims Words at a new targetTokens from one observation (words counted as
// promptTokens), proportionally and without Calibrate's bound on the step, for the
// first request of a prompt-length sweep's next level: 256 to 1024 tokens is a 4× step
// that Calibrate would take in two. The observation is kept for Calibrate's next line.
// It returns the new word count (≥ 1).
func (w *Workload) Retarget(words, promptTokens, targetTokens int) int {
	if words <= 0 || promptTokens <= 0 {
		return w.Words
	}
	w.lastWords, w.lastTokens = words, promptTokens
	w.Words = max(1, int(float64(words)*float64(targetTokens)/float64(promptTokens)+0.5))
	return w.Words
}

// Calibrate records that a prompt of words words was counted by the server as
// promptTokens tokens and re-aims Words at targetTokens. The server's count includes
// the chat template and the nonce, so the model is tokens = words·r + overhead. With
// one observation, or two whose word counts are within 20% of each other (their
// difference is then mostly tokenizer noise between random words, and a line through
// them extrapolates wildly), the step is proportional (tokens/words); with two that
// are further apart it is the line through them when its slope is plausible (between
// half and all of the observed tokens per word: the template adds tokens, it never
// removes them), else proportional again. Each step is bounded to halving or
// doubling the word count. It returns the new word count (≥ 1).
func (w *Workload) Calibrate(words, promptTokens, targetTokens int) int {
	if words <= 0 || promptTokens <= 0 {
		return w.Words
	}
	next := float64(words) * float64(targetTokens) / float64(promptTokens)
	if lw := w.lastWords; lw > 0 && math.Abs(float64(words-lw)) >= 0.2*float64(max(words, lw)) {
		r := float64(promptTokens-w.lastTokens) / float64(words-lw)
		// Two points a few hundred words apart still carry ±15 tokens of noise from
		// which random words were drawn: a slope far from the observed tokens per word
		// is that noise, not the tokenizer, and the line is not used.
		ratio := float64(promptTokens) / float64(words)
		if r >= 0.5*ratio && r <= ratio {
			overhead := float64(promptTokens) - r*float64(words)
			next = (float64(targetTokens) - overhead) / r
		}
	}
	next = max(float64(words)/2, min(float64(words)*2, next))
	w.lastWords, w.lastTokens = words, promptTokens
	w.Words = max(1, int(next+0.5))
	return w.Words
}
