package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
)

// prompt is what one request sends, as the run's prompt source gives it.
type prompt struct {
	system, user string
	maxTokens    int
	// ownMaxTokens is maxTokens when a dataset record set it, else 0 (Sample.MaxTokens).
	ownMaxTokens int
	nonce        string
	// words is the synthetic body's word count (what calibration learns from); 0 for
	// a dataset's prompt. prefixWords is the shared prefix's.
	words, prefixWords int
	// record is the dataset record sent; group the shared prefix's group, or nil.
	record string
	group  *int
}

// prompt returns request index's content: the synthetic workload's prompt by default,
// a dataset record's first turn with --dataset, the synthetic prompt behind a shared
// prefix with --prefix-tokens. Index is as Workload.Prompt takes it (negative for the
// cold and warm-up requests).
func (r *runner) prompt(index int) prompt {
	opts := r.opts
	if convs := opts.Conversations; len(convs) > 0 {
		return datasetPrompt(convs, r.work.Nonce(index), index, opts.MaxTokens)
	}
	system, user := r.work.Prompt(index)
	p := prompt{system: system, user: user, maxTokens: opts.MaxTokens, nonce: r.work.Nonce(index), words: r.work.Words}
	if opts.PrefixTokens > 0 {
		p.prefixWords = r.work.PrefixWords
		p.system, p.user, p.group = r.work.Prefixed(index, p.prefixWords, max(1, opts.PrefixGroups), user)
	}
	return p
}

// datasetPrompt is request index's turn of a dataset: the first turn of record
// index mod len(convs), its system message after the nonce (docs/metrics.md,
// Datasets: the nonce goes first, so no two requests share more than the chat
// template's opening and every prompt is computed in full), and the turn's output
// length, else maxTokens.
func datasetPrompt(convs []Conversation, nonce string, index, maxTokens int) prompt {
	n := len(convs)
	c := convs[((index%n)+n)%n]
	system := "Request " + nonce + "."
	if c.System != "" {
		system += "\n\n" + c.System
	}
	p := prompt{system: system, user: c.Turns[0].User, maxTokens: maxTokens, nonce: nonce, record: c.ID}
	if own := c.Turns[0].MaxTokens; own > 0 && own != maxTokens {
		p.maxTokens, p.ownMaxTokens = own, own
	}
	return p
}

// Prefixed returns request index's messages behind a shared prefix
// (docs/metrics.md, Shared prefixes): the system message is the prefix, a tag and
// prefixWords words drawn from the run's seed (PrefixWords, calibrated with the body
// so the prefix keeps its share of the prompt's tokens); the user message is the
// request's nonce, then its body. A measured request (index ≥ 0)
// takes one of groups prefixes, drawn from its index and the seed, each tagged with a
// digest of the run id and the group, so no prefix of one run is in the server's
// cache from another. A cold or warm-up request (index < 0) gets a prefix of its own,
// of the same length, tagged with its nonce: it cannot hit, so its prefill is the
// reference a miss is held against. group is nil for those.
func (w *Workload) Prefixed(index, prefixWords, groups int, body string) (system, user string, group *int) {
	tag := w.Nonce(index)
	var g int
	if index >= 0 {
		g = int(rand.New(rand.NewPCG(uint64(w.seed), uint64(index)^0x70726566697865)).IntN(groups)) // "prefixe"
		h := sha256.Sum256(fmt.Appendf(nil, "%s/prefix/%d", w.runID, g))
		tag = hex.EncodeToString(h[:6])
		group = &g
	}
	rng := rand.New(rand.NewPCG(uint64(w.seed), uint64(g)^0x9e3779b97f4a7c15^0x70726566))
	var b strings.Builder
	b.Grow(prefixWords*7 + 32)
	b.WriteString("Shared context " + tag + ".")
	if prefixWords > 0 {
		b.WriteByte(' ')
		writeWords(&b, rng, prefixWords)
	}
	return b.String(), "Request " + w.Nonce(index) + ".\n\n" + body, group
}

// calibratePrefixed aims a prefixed prompt at targetTokens from one observation:
// words body words behind prefixWords prefix words counted as promptTokens. The two
// are calibrated as one prompt (Calibrate on their sum), then split so the prefix
// keeps prefixTokens / targetTokens of the words: the prefix is then about
// prefixTokens tokens whatever the tokenizer makes of a word, up to the chat
// template's share. It sets Words and PrefixWords (each ≥ 1).
func (w *Workload) calibratePrefixed(words, prefixWords, promptTokens, prefixTokens, targetTokens int) {
	if words <= 0 || promptTokens <= 0 {
		return
	}
	w.splitPrefix(w.Calibrate(words+prefixWords, promptTokens, targetTokens), prefixTokens, targetTokens)
}

// splitPrefix splits total words between PrefixWords and Words as prefixTokens is to
// targetTokens, each at least 1.
func (w *Workload) splitPrefix(total, prefixTokens, targetTokens int) {
	w.PrefixWords = max(1, int(float64(total)*float64(prefixTokens)/float64(targetTokens)+0.5))
	w.Words = max(1, total-w.PrefixWords)
}
