package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Conversations (docs/metrics.md, Conversations): a user holds a conversation of turns,
// sending turn k with the whole history before it, the model's own replies included,
// and waits Options.ThinkTime between a reply and its next turn. Users run in the load
// models of load.go: in a closed loop each of --concurrency users starts a new
// conversation when its last one ends; in an open loop conversations arrive at --rate
// and --concurrency caps how many are held at once. A conversation is the unit drive
// paces; each of its turns is one request, one sample, and --runs counts turns.

// MaxTurns bounds --turns: a conversation longer than this is a soak test, not a
// workload.
const MaxTurns = 1000

// TurnsAll asks for every turn of each conversation of Options.Conversations (a
// dataset's, --turns all).
const TurnsAll = -1

// validateConversations checks the options of a conversation run: the turns asked, the
// think time, the options they do not combine with, a context that holds the last
// turn's history, and conversations that all have a turn.
func (o Options) validateConversations() error {
	if o.Turns == 0 {
		switch {
		case o.ThinkTime != 0:
			return fmt.Errorf("--think-time %v applies to conversations: give --turns too", o.ThinkTime)
		case len(o.Conversations) > 0 && o.Dataset == nil:
			return errors.New("conversations given without --turns (a number, or all)")
		}
		return nil
	}
	switch {
	case o.Turns != TurnsAll && (o.Turns < 1 || o.Turns > MaxTurns):
		return fmt.Errorf("--turns %d: must be in 1..%d (or all, with a dataset)", o.Turns, MaxTurns)
	case o.ThinkTime < 0:
		return fmt.Errorf("--think-time %v: must not be negative", o.ThinkTime)
	case len(o.PromptTokensSweep) > 1:
		return errors.New("--turns with several --prompt-tokens: a conversation's prompt grows turn by turn; sweep prompt length in another run")
	case o.RunsAuto:
		return errors.New("--turns with --runs auto: a conversation's turns differ by design, so no one median settles; give --runs N")
	case len(o.Trace) > 0 || o.TraceFile != "":
		return errors.New("--turns with --trace: a trace replays its own requests; run conversations in another run")
	}
	// The last synthetic turn carries every turn's prompt and reply before it.
	if o.Turns > 0 && len(o.Conversations) == 0 && o.NumCtx < o.Turns*(o.PromptTokens+o.MaxTokens) {
		return fmt.Errorf("--num-ctx %d cannot hold %d turns of --prompt-tokens + --max-tokens (%d tokens): the server would cut the history; raise --num-ctx or lower --turns",
			o.NumCtx, o.Turns, o.Turns*(o.PromptTokens+o.MaxTokens))
	}
	for i, c := range o.Conversations {
		if len(c.Turns) == 0 {
			name := fmt.Sprintf("conversation %d", i+1)
			if c.ID != "" {
				name = fmt.Sprintf("conversation %q (%d)", c.ID, i+1)
			}
			return fmt.Errorf("%s has no turn: a conversation needs at least one user message", name)
		}
	}
	// --turns 1 asks for single turns; more, with records of one human turn each, would
	// run a conversation workload that never sends a later turn, silently.
	if len(o.Conversations) > 0 && o.Turns != 1 && !slices.ContainsFunc(o.Conversations, func(c Conversation) bool { return len(c.Turns) > 1 }) {
		turns := strconv.Itoa(o.Turns)
		if o.Turns == TurnsAll {
			turns = "all"
		}
		return fmt.Errorf("--turns %s: every record of the dataset has one human turn, so no conversation has a later turn to send; give a dataset with multi-turn records, or leave --turns out", turns)
	}
	return nil
}

// Conversation returns synthetic conversation index of turns turns: each turn a user
// message of Words words drawn as Prompt draws them (seeded by the workload's seed, the
// conversation and the turn, so every run with the seed holds the same conversations),
// with no system message. The driver adds the conversation's nonce.
func (w *Workload) Conversation(index, turns int) Conversation {
	c := Conversation{ID: fmt.Sprintf("synthetic-%d", index), Turns: make([]Turn, turns)}
	for k := range c.Turns {
		rng := rand.New(rand.NewPCG(uint64(w.seed)^0x6a09e667f3bcc908, uint64(index)<<16^uint64(k)))
		var b strings.Builder
		b.Grow(w.Words*7 + len(instruction))
		writeWords(&b, rng, w.Words)
		b.WriteString(instruction)
		c.Turns[k] = Turn{User: b.String()}
	}
	return c
}

// conversationNonce is conversation ci's unique prefix in run runID: 12 hex digits of
// SHA-256(runID, "conversation", ci). It goes first in the system message, so that no
// two conversations share more than the template's opening tokens while each one's
// turns share their whole history.
func conversationNonce(runID string, ci int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s/conversation/%d", runID, ci))
	return hex.EncodeToString(h[:6])
}

// conversation returns the run's conversation ci (from 0): the ci-th of
// Options.Conversations, round again when they run out, else a synthetic one of the
// run's prompt length; cut to Options.Turns turns unless that is TurnsAll.
func (r *runner) conversation(ci int) Conversation {
	o := r.opts
	if len(o.Conversations) == 0 {
		return r.work.Conversation(ci, o.Turns)
	}
	c := o.Conversations[ci%len(o.Conversations)]
	if o.Turns > 0 && len(c.Turns) > o.Turns {
		c.Turns = c.Turns[:o.Turns]
	}
	return c
}

// turnsOf is the number of turns conversation ci holds, without building it.
func (r *runner) turnsOf(ci int) int {
	o := r.opts
	if len(o.Conversations) == 0 {
		return o.Turns
	}
	n := len(o.Conversations[ci%len(o.Conversations)].Turns)
	if o.Turns > 0 {
		n = min(n, o.Turns)
	}
	return n
}

// conversationsFor returns how many whole conversations, taken in order from first,
// hold at least turns turns, and the turns they hold: --runs N sends whole
// conversations until N turns are reached.
func (r *runner) conversationsFor(first, turns int) (conversations, held int) {
	for held < turns {
		held += r.turnsOf(first + conversations)
		conversations++
	}
	return conversations, held
}

// halted reports whether server t's load of the level is to stop: the run was
// interrupted or stopped, or t failed too often.
func (r *runner) halted(t int) bool {
	select {
	case <-r.ctx.Done():
		return true
	case <-r.halts[t]:
		return true
	default:
		return false
	}
}

// pause waits d (a user's think time) unless server t's load stops first; it returns
// false when it stopped.
func (r *runner) pause(t int, d time.Duration) bool {
	if d <= 0 {
		return !r.halted(t)
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return !r.halted(t)
	case <-r.ctx.Done():
		return false
	case <-r.halts[t]:
		return false
	}
}

// converse holds the run's next conversation with server t as one user: turn k is sent
// with the system message (the conversation's nonce, then its own system text), every
// earlier turn and the model's replies to them, each turn one measured sample handed
// to emit. The first turn is due at j's time (the open loop's schedule; sent at once in
// a closed loop); each later one ThinkTime after the reply before it, and that is its
// scheduled time. The conversation ends early when a turn fails (there is no reply to
// carry on), when the run or server t's load stops, or, measured by --duration, when
// the level's time is over.
func (r *runner) converse(t int, j job, emit func(Sample)) {
	o := r.opts
	ci := int(r.convNext.Add(1) - 1)
	c := r.conversation(ci)
	nonce := conversationNonce(r.res.RunID, ci)
	system := "Conversation " + nonce + "."
	if c.System != "" {
		system += "\n\n" + c.System
	}
	msgs := make([]Message, 1, 1+2*len(c.Turns))
	msgs[0] = Message{Role: "system", Content: system}
	scheduled := j.scheduledNs
	var prev *Sample
	for k, turn := range c.Turns {
		if k > 0 {
			if !r.pause(t, o.ThinkTime) {
				return
			}
			scheduled = prev.SentAtNs + *prev.E2ENs + int64(o.ThinkTime)
		}
		if r.halted(t) || (o.Duration > 0 && time.Since(r.levelStart) >= o.Duration) {
			return
		}
		msgs = append(msgs, Message{Role: "user", Content: turn.User})
		maxTokens := o.MaxTokens
		if turn.MaxTokens > 0 {
			maxTokens = turn.MaxTokens
		}
		var reply strings.Builder
		req := r.baseRequest()
		req.Messages, req.Reply, req.MaxTokens = msgs, &reply, maxTokens
		s := Sample{Phase: PhaseMeasured, Target: t, Nonce: nonce, PromptWords: len(strings.Fields(turn.User)),
			ScheduledAtNs: scheduled, Conversation: ci + 1, ConversationID: c.ID, Turn: k + 1}
		if maxTokens != o.MaxTokens {
			s.MaxTokensAsked = maxTokens
		}
		r.sendMeasured(t, req, &s)
		turnFigures(&s, prev)
		emit(s)
		if !s.OK {
			return
		}
		msgs = append(msgs, Message{Role: "assistant", Content: reply.String()})
		prev = &s
	}
}

// turnFigures sets a successful turn's history and new-token figures from the turn
// before it (nil on a first turn): history_tokens = the previous prompt_tokens +
// the output tokens its reply carries (carriedTokens: the answer's when it thought), new_prompt_tokens = prompt_tokens − history_tokens (the whole prompt
// on a first turn), new_prefill_per_s = new_prompt_tokens / server_prompt_eval_ns.
// docs/metrics.md, Conversations.
func turnFigures(s, prev *Sample) {
	if !s.OK {
		return
	}
	s.NewPromptTokens = s.PromptTokens
	if prev != nil {
		s.HistoryTokens = prev.PromptTokens + carriedTokens(prev)
		s.NewPromptTokens = s.PromptTokens - s.HistoryTokens
	}
	if s.NewPromptTokens <= 0 {
		// The server counted less than the history: it does not count the whole prompt
		// (or cut it), and no new-token figure can be made.
		s.NewPromptTokens = 0
		return
	}
	if s.ServerPromptEvalNs > 0 {
		s.NewPrefillPerS = ptr(float64(s.NewPromptTokens) / (float64(s.ServerPromptEvalNs) / 1e9))
	}
}

// carriedTokens is how many of prev's output tokens its reply carries into the next
// turn's history: all of them, or when prev thought, only its answer tokens (none when
// no answer came): Request.Reply holds the answer alone, so the thinking is not sent
// back. docs/metrics.md, Conversations.
func carriedTokens(prev *Sample) int {
	if prev.ThinkingChunks == 0 && (prev.ThinkingTokens == nil || *prev.ThinkingTokens == 0) {
		return prev.OutputTokens
	}
	if prev.AnswerTokens == nil {
		return 0
	}
	return *prev.AnswerTokens
}

// baseRequest is a request with the run's options and no messages.
func (r *runner) baseRequest() Request {
	o := r.opts
	return Request{Model: o.Model, MaxTokens: o.MaxTokens, Seed: o.Seed, Temperature: o.Temperature, NumCtx: o.NumCtx,
		Think: o.Think, ThinkSet: o.ThinkSet, KeepAlive: o.KeepAlive, FirstTokenTimeout: o.FirstTokenTimeout}
}

// sendMeasured sends req to server t as the next measured request and measures it into
// s (numbered here), as send does for a synthetic prompt: the request outlives an
// interrupt by --grace, and one abandoned then is marked so.
func (r *runner) sendMeasured(t int, req Request, s *Sample) {
	s.Index = int(r.measuredIndex.Add(1) - 1)
	r.sentMeasured.Add(1)
	r.sendTo(t, req, s)
}

// sendWarmup sends req to server 0 as an uncounted request numbered by the caller.
func (r *runner) sendWarmup(req Request, s *Sample) { r.sendTo(0, req, s) }

// sendTo sends req to server t and measures it into s, outliving an interrupt by
// --grace as send does.
func (r *runner) sendTo(t int, req Request, s *Sample) {
	o := r.opts
	gctx, abandon := context.WithCancelCause(context.WithoutCancel(r.ctx))
	defer abandon(nil)
	stopWatch := context.AfterFunc(r.ctx, func() {
		tm := time.NewTimer(o.Grace)
		defer tm.Stop()
		select {
		case <-tm.C:
			abandon(errGraceOver)
		case <-r.dur.Abandon:
			abandon(errGraceOver)
		case <-gctx.Done():
		}
	})
	defer stopWatch()
	rctx, cancel := context.WithTimeout(gctx, o.RequestTimeout)
	defer cancel()
	r.members[t].b.Stream(rctx, r.began, req, s)
	if s.ErrorKind == ErrCanceled {
		s.Error = fmt.Sprintf("abandoned: the run was interrupted and the request did not finish within --grace %v", o.Grace)
	}
}
