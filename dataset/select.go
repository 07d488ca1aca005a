package dataset

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
)

// Selection is what a run takes of a dataset: the conversations it sends, in the
// order it sends them, and how many records it left out and why.
type Selection struct {
	Conversations []bench.Conversation
	// SkippedTooLong counts the records whose first turn's estimated prompt tokens plus
	// output tokens exceed the context (--num-ctx); SkippedFiltered those outside the
	// prompt length filters; Unused those the limit left out.
	SkippedTooLong, SkippedFiltered, Unused int
	// TurnsCut counts the turns left off the ends of conversations (SelectOptions.Turns)
	// because the history up to them would not fit the context.
	TurnsCut int
}

// SelectOptions say which records a run takes.
type SelectOptions struct {
	// Seed orders the records (a PCG stream of it): the same seed takes the same
	// records in the same order.
	Seed int64
	// Limit, when positive, is the most records taken.
	Limit int
	// MinPromptTokens and MaxPromptTokens, when positive, bound the first turn's
	// estimated prompt tokens (EstimateTokens of the system message and the turn).
	MinPromptTokens, MaxPromptTokens int
	// NumCtx is the context the server is asked for; MaxTokens the run's output cap,
	// used for a turn that sets none or for every turn when MaxTokensSet (--max-tokens
	// given on the command line).
	NumCtx, MaxTokens int
	MaxTokensSet      bool
	// Turns is how many turns of each conversation the run sends (bench.Options.Turns:
	// 0 the first alone, bench.TurnsAll every one). A conversation is cut after its
	// last turn whose whole history fits NumCtx: the system message, every user turn
	// and every reply up to its output cap (EstimateTokens), so the server never
	// truncates a history it was sent.
	Turns int
}

// PromptTokensEstimate is the estimated prompt tokens of c's first turn: its system
// message and first user message (EstimateTokens); the chat template's own tokens are
// not counted.
func PromptTokensEstimate(c bench.Conversation) int {
	n := EstimateTokens(c.Turns[0].User)
	if c.System != "" {
		n += EstimateTokens(c.System)
	}
	return n
}

// Select takes the records of convs a run sends: those whose first turn fits the
// context and the length filters, shuffled by the seed, at most Limit of them. With
// MaxTokensSet every turn's MaxTokens becomes MaxTokens. Errors: no record is left
// (one line saying how many were left out and why).
func Select(convs []bench.Conversation, o SelectOptions) (Selection, error) {
	var sel Selection
	kept := make([]bench.Conversation, 0, len(convs))
	for _, c := range convs {
		if len(c.Turns) == 0 {
			continue
		}
		if o.MaxTokensSet {
			turns := make([]bench.Turn, len(c.Turns))
			for i, t := range c.Turns {
				turns[i] = bench.Turn{User: t.User, MaxTokens: o.MaxTokens}
			}
			c.Turns = turns
		}
		est := PromptTokensEstimate(c)
		out := c.Turns[0].MaxTokens
		if out == 0 {
			out = o.MaxTokens
		}
		switch {
		case o.NumCtx > 0 && est+out > o.NumCtx:
			sel.SkippedTooLong++
		case o.MinPromptTokens > 0 && est < o.MinPromptTokens, o.MaxPromptTokens > 0 && est > o.MaxPromptTokens:
			sel.SkippedFiltered++
		default:
			if o.Turns != 0 && o.NumCtx > 0 {
				var cut int
				c, cut = fitTurns(c, o)
				sel.TurnsCut += cut
			}
			kept = append(kept, c)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x6461746173657473)) // "datasets"
	rng.Shuffle(len(kept), func(i, j int) { kept[i], kept[j] = kept[j], kept[i] })
	if o.Limit > 0 && len(kept) > o.Limit {
		sel.Unused = len(kept) - o.Limit
		kept = kept[:o.Limit]
	}
	sel.Conversations = kept
	if len(kept) == 0 {
		var why []string
		if sel.SkippedTooLong > 0 {
			why = append(why, fmt.Sprintf("%d need more than --num-ctx %d tokens (estimated prompt + output)", sel.SkippedTooLong, o.NumCtx))
		}
		if sel.SkippedFiltered > 0 {
			why = append(why, fmt.Sprintf("%d are outside the prompt length filters", sel.SkippedFiltered))
		}
		return sel, fmt.Errorf("no record of the dataset can be sent: %s", strings.Join(why, "; "))
	}
	return sel, nil
}

// fitTurns returns c cut to the turns a run sends (o.Turns; bench.TurnsAll all of them)
// and, of those, the ones whose history fits o.NumCtx: the system message, the user
// turns so far, each turn's output cap (its own, else o.MaxTokens). The first turn
// always stays (Select has checked it fits). cut is how many of the turns the run
// would send were left off for the context.
func fitTurns(c bench.Conversation, o SelectOptions) (_ bench.Conversation, cut int) {
	n := len(c.Turns)
	if o.Turns > 0 && o.Turns < n {
		n = o.Turns
	}
	used := 0
	if c.System != "" {
		used = EstimateTokens(c.System)
	}
	fit := n
	for k := 0; k < n; k++ {
		out := c.Turns[k].MaxTokens
		if out == 0 {
			out = o.MaxTokens
		}
		used += EstimateTokens(c.Turns[k].User) + out
		if k > 0 && used > o.NumCtx {
			fit = k
			break
		}
	}
	c.Turns = c.Turns[:fit:fit]
	return c, n - fit
}
