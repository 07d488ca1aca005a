package bench

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

// convOptions is a small conversation run against the fake "twin".
func convOptions(turns, runs int) Options {
	opts := DefaultOptions()
	opts.Model = "twin"
	opts.Runs, opts.Warmup, opts.SkipColdLoad = runs, 1, true
	opts.PromptTokens, opts.MaxTokens = 40, 4
	opts.Turns = turns
	return opts
}

// messagesOf returns the messages of a recorded /api/chat body as role and content.
func messagesOf(body map[string]any) (roles, contents []string) {
	for _, m := range body["messages"].([]any) {
		mm := m.(map[string]any)
		roles = append(roles, mm["role"].(string))
		contents = append(contents, mm["content"].(string))
	}
	return roles, contents
}

// A conversation sends turn k with the whole history before it: the same system
// message (the conversation's nonce), every earlier user turn and the model's own
// replies as the server streamed them. --runs 6 with --turns 3 is two whole
// conversations, one after the other (sequential).
func TestConversationSendsHistory(t *testing.T) {
	f, o := newFake(t, fakeollama.Config{Tokens: 4, Gap: time.Millisecond, TemplateTokens: 10})
	res, err := Run(context.Background(), o, convOptions(3, 6), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Samples) != 6 {
		t.Fatalf("%d samples, want 2 conversations × 3 turns", len(res.Samples))
	}
	bodies := f.Bodies[len(f.Bodies)-6:] // after the calibrating request and the warm-up
	systems := map[string]bool{}
	for i, s := range res.Samples {
		wantConv, wantTurn := i/3+1, i%3+1
		if !s.OK || s.Index != i || s.Conversation != wantConv || s.Turn != wantTurn {
			t.Fatalf("sample %d: ok %v index %d conversation %d turn %d, want index %d conversation %d turn %d (%s)",
				i, s.OK, s.Index, s.Conversation, s.Turn, i, wantConv, wantTurn, s.Error)
		}
		roles, contents := messagesOf(bodies[i])
		// turn k: system, then k user messages with k−1 replies between them.
		if len(roles) != 2*wantTurn || roles[0] != "system" || roles[len(roles)-1] != "user" {
			t.Fatalf("turn %d sent roles %v", wantTurn, roles)
		}
		for j := 2; j < len(roles); j += 2 {
			// The fake streams " tok" per token: 4 tokens of reply.
			if roles[j] != "assistant" || contents[j] != strings.Repeat(" tok", 4) {
				t.Errorf("turn %d message %d: %s %q, want the reply streamed before", wantTurn, j, roles[j], contents[j])
			}
		}
		if !strings.HasPrefix(contents[0], "Conversation "+s.Nonce) {
			t.Errorf("turn %d system %q does not start with its nonce %s", wantTurn, contents[0], s.Nonce)
		}
		systems[contents[0]] = true
		if wantTurn == 1 {
			if s.HistoryTokens != 0 || s.NewPromptTokens != s.PromptTokens {
				t.Errorf("first turn: history %d new %d prompt %d, want no history and all new", s.HistoryTokens, s.NewPromptTokens, s.PromptTokens)
			}
			continue
		}
		prev := res.Samples[i-1]
		// The fake counts one token per word of every message plus 10: the previous
		// prompt and its 4-token reply are the history, the new user message is new.
		if s.HistoryTokens != prev.PromptTokens+prev.OutputTokens || s.NewPromptTokens != len(strings.Fields(contents[len(contents)-1])) {
			t.Errorf("turn %d: history %d new %d; previous prompt %d output %d, new message %d words",
				wantTurn, s.HistoryTokens, s.NewPromptTokens, prev.PromptTokens, prev.OutputTokens, len(strings.Fields(contents[len(contents)-1])))
		}
		if s.PromptTokens <= prev.PromptTokens || s.NewPrefillPerS == nil {
			t.Errorf("turn %d: prompt %d after %d, new-token prefill %v", wantTurn, s.PromptTokens, prev.PromptTokens, s.NewPrefillPerS)
		}
	}
	if len(systems) != 2 {
		t.Errorf("%d distinct system messages, want one per conversation", len(systems))
	}
}

// A user waits --think-time after each reply: turn k+1 is scheduled at turn k's done
// plus the think time and sent no earlier.
func TestConversationThinkTime(t *testing.T) {
	const think = 60 * time.Millisecond
	_, o := newFake(t, fakeollama.Config{Tokens: 3, Gap: time.Millisecond})
	opts := convOptions(2, 2)
	opts.ThinkTime = think
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Samples) != 2 {
		t.Fatalf("%d samples", len(res.Samples))
	}
	a, b := res.Samples[0], res.Samples[1]
	done := a.SentAtNs + *a.E2ENs
	if b.ScheduledAtNs != done+int64(think) || b.SentAtNs < b.ScheduledAtNs || b.QueueDelayNs != b.SentAtNs-b.ScheduledAtNs {
		t.Errorf("turn 2 scheduled %d sent %d queue %d; turn 1 done at %d, think %v", b.ScheduledAtNs, b.SentAtNs, b.QueueDelayNs, done, think)
	}
}

// In a closed loop of 2 users each holds its own conversations: the turns of one
// conversation never overlap (turn k+1 is sent after turn k is done), and --runs 8 of
// 2-turn conversations is 4 of them.
func TestConversationUsersInClosedLoop(t *testing.T) {
	_, o := newFake(t, fakeollama.Config{Tokens: 3, Gap: 2 * time.Millisecond})
	opts := convOptions(2, 8)
	opts.Concurrency = []int{2}
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := map[int]Sample{}
	convs := map[int]int{}
	for _, s := range res.Samples {
		convs[s.Conversation]++
		if p, ok := last[s.Conversation]; ok && s.SentAtNs < p.SentAtNs+*p.E2ENs {
			t.Errorf("conversation %d turn %d sent before turn %d ended", s.Conversation, s.Turn, p.Turn)
		}
		last[s.Conversation] = s
	}
	if len(res.Samples) != 8 || len(convs) != 4 {
		t.Errorf("%d samples in %d conversations, want 8 in 4", len(res.Samples), len(convs))
	}
}

// --runs counts turns and sends whole conversations: the fewest that hold --runs turns.
func TestConversationsFor(t *testing.T) {
	r := &runner{opts: Options{Turns: 3}}
	for _, c := range []struct{ turns, convs, held int }{
		{1, 1, 3}, // one turn asked still sends a whole conversation
		{6, 2, 6}, // a multiple: exact
		{7, 3, 9}, // one more turn needs one more conversation
	} {
		if n, h := r.conversationsFor(0, c.turns); n != c.convs || h != c.held {
			t.Errorf("%d turns of 3-turn conversations: %d conversations holding %d, want %d holding %d", c.turns, n, h, c.convs, c.held)
		}
	}
	// A dataset's conversations of 1, 4 and 2 turns, cut to --turns 3: 1, 3, 2, 1, ...
	r = &runner{opts: Options{Turns: 3, Conversations: []Conversation{
		{Turns: make([]Turn, 1)}, {Turns: make([]Turn, 4)}, {Turns: make([]Turn, 2)}}}}
	if n, h := r.conversationsFor(0, 5); n != 3 || h != 6 {
		t.Errorf("dataset: %d conversations holding %d, want 3 holding 1+3+2 = 6", n, h)
	}
}

// Conversation options that cannot run are refused, one line each, before anything is
// sent.
func TestConversationOptionsRefused(t *testing.T) {
	base := convOptions(3, 6)
	checkRefused(t, base, []refusal{
		{"no turn", func(o *Options) {
			o.Conversations = []Conversation{{ID: "a", Turns: []Turn{{User: "hi"}}}, {ID: "b"}}
		}, `conversation "b" (2) has no turn`},
		{"too many turns", func(o *Options) { o.Turns = MaxTurns + 1 }, "--turns 1001: must be in 1..1000"},
		{"negative turns", func(o *Options) { o.Turns = -2 }, "--turns -2"},
		{"think time alone", func(o *Options) { o.Turns, o.ThinkTime = 0, time.Second }, "--think-time 1s applies to conversations"},
		{"negative think time", func(o *Options) { o.ThinkTime = -time.Second }, "--think-time -1s: must not be negative"},
		{"history beyond num_ctx", func(o *Options) { o.NumCtx = 100 }, "--num-ctx 100 cannot hold 3 turns"},
		{"with a sweep", func(o *Options) { o.PromptTokens, o.PromptTokensSweep = 40, []int{40, 80} }, "--turns with several --prompt-tokens"},
		{"with runs auto", func(o *Options) { o.RunsAuto = true }, "--turns with --runs auto"},
		// Records of one turn each: a 3-turn run sent only first turns, unflagged.
		{"single-turn records", func(o *Options) {
			o.Conversations = []Conversation{{ID: "a", Turns: []Turn{{User: "hi"}}}, {ID: "b", Turns: []Turn{{User: "yo"}}}}
		}, "--turns 3: every record of the dataset has one human turn"},
		{"single-turn records, all", func(o *Options) {
			o.Turns, o.Conversations = TurnsAll, []Conversation{{ID: "a", Turns: []Turn{{User: "hi"}}}}
		}, "--turns all: every record of the dataset has one human turn"},
	})
}

// Synthetic conversations are the same for the same seed, and their turns differ.
func TestSyntheticConversationDeterministic(t *testing.T) {
	a, b := NewWorkload(7, "run-a", 30), NewWorkload(7, "run-b", 30)
	ca, cb := a.Conversation(2, 3), b.Conversation(2, 3)
	for k := range ca.Turns {
		if ca.Turns[k] != cb.Turns[k] {
			t.Errorf("turn %d differs between runs of one seed", k)
		}
		if n := len(strings.Fields(ca.Turns[k].User)); n != 30+len(strings.Fields(instruction)) {
			t.Errorf("turn %d has %d words, want 30 and the instruction", k, n)
		}
	}
	if ca.Turns[0] == ca.Turns[1] || ca.Turns[0] == a.Conversation(3, 3).Turns[0] {
		t.Error("turns or conversations repeat each other")
	}
	if conversationNonce("r", 1) == conversationNonce("r", 2) || conversationNonce("r", 1) == conversationNonce("s", 1) {
		t.Error("conversation nonces repeat")
	}
}

// In an open loop new conversations arrive at --rate: first turns are due 1/rate apart
// (the pacer's schedule), and each conversation's later turn follows its own reply.
func TestConversationsArriveAtRate(t *testing.T) {
	_, o := newFake(t, fakeollama.Config{Tokens: 3, Gap: time.Millisecond})
	opts := convOptions(2, 6)
	opts.RatePerS, opts.Concurrency = []float64{20}, []int{0}
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	var firsts []int64
	for _, s := range res.Samples {
		if s.Turn == 1 {
			firsts = append(firsts, s.ScheduledAtNs)
		}
	}
	if len(res.Samples) != 6 || len(firsts) != 3 {
		t.Fatalf("%d samples, %d conversations", len(res.Samples), len(firsts))
	}
	slices.Sort(firsts)
	for i := 1; i < len(firsts); i++ {
		// ConstantPacer at 20/s: 50 ms apart, exactly (the schedule, not the sends).
		if d := time.Duration(firsts[i] - firsts[i-1]); d != 50*time.Millisecond {
			t.Errorf("conversations %d and %d due %v apart, want 50ms", i, i+1, d)
		}
	}
}

// A dataset's conversations (as the ShareGPT loader gives them) are held in order with
// every turn (--turns all): the conversation's own system text follows the nonce, a
// turn's own output cap is sent as num_predict and recorded, and the dataset's id is
// on the samples.
func TestDatasetConversations(t *testing.T) {
	f, o := newFake(t, fakeollama.Config{Tokens: 8, Gap: time.Millisecond})
	opts := convOptions(TurnsAll, 3)
	opts.Conversations = []Conversation{
		{ID: "chat-a", System: "Be brief.", Turns: []Turn{{User: "one two", MaxTokens: 5}, {User: "three"}}},
		{ID: "chat-b", Turns: []Turn{{User: "four five six", MaxTokens: 2}}},
	}
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Samples) != 3 {
		t.Fatalf("%d samples, want the 2 + 1 turns", len(res.Samples))
	}
	// Turn caps 5, then the run's --max-tokens 4, then 2: the fake stops at num_predict.
	for i, want := range []struct {
		id            string
		turn, out, mt int
	}{{"chat-a", 1, 5, 5}, {"chat-a", 2, 4, 0}, {"chat-b", 1, 2, 2}} {
		s := res.Samples[i]
		if s.ConversationID != want.id || s.Turn != want.turn || s.OutputTokens != want.out || s.MaxTokensAsked != want.mt {
			t.Errorf("sample %d: %s turn %d output %d asked %d, want %+v", i, s.ConversationID, s.Turn, s.OutputTokens, s.MaxTokensAsked, want)
		}
	}
	_, contents := messagesOf(f.Bodies[len(f.Bodies)-3])
	if !strings.HasPrefix(contents[0], "Conversation ") || !strings.HasSuffix(contents[0], ".\n\nBe brief.") || contents[1] != "one two" {
		t.Errorf("first turn sent %q", contents)
	}
}

// history_tokens counts what the previous turn sent back: its prompt and the tokens of
// its reply as kept in the history. Request.Reply keeps the answer alone, so a turn
// that thought carries only its answer tokens; counting its thinking made
// history_tokens too large by the thinking and new_prompt_tokens too small (0 once the
// thinking outgrew the new message), and a cached count judged against it a miss.
func TestTurnFiguresLeaveThinkingOut(t *testing.T) {
	for _, c := range []struct {
		name        string
		prev        Sample
		wantHistory int
	}{
		// No thinking: the whole output is the reply sent back: 100 + 20.
		{"answer only", Sample{OK: true, PromptTokens: 100, OutputTokens: 20}, 120},
		// The server counted 15 of 20 as reasoning and 5 answer tokens came: 100 + 5.
		{"thought, then answered", Sample{OK: true, PromptTokens: 100, OutputTokens: 20, ThinkingTokens: ptr(15),
			ThinkingChunks: 15, AnswerChunks: 5, TextChunks: 20, AnswerTokens: ptr(5)}, 105},
		// Only thinking streamed: the reply sent back is empty, so only the prompt.
		{"thinking only", Sample{OK: true, PromptTokens: 100, OutputTokens: 20, ThinkingTokens: ptr(20),
			ThinkingChunks: 20, TextChunks: 20}, 100},
		// Ollama has no thinking count: thinking chunks came and answer_tokens is
		// the chunk-share estimate, 8.
		{"thought on Ollama", Sample{OK: true, PromptTokens: 100, OutputTokens: 20, ThinkingChunks: 12, AnswerChunks: 8,
			TextChunks: 20, AnswerTokens: ptr(8), AnswerTokensEstimated: true}, 108},
	} {
		s := Sample{OK: true, PromptTokens: 150}
		turnFigures(&s, &c.prev)
		if s.HistoryTokens != c.wantHistory || s.NewPromptTokens != 150-c.wantHistory {
			t.Errorf("%s: history %d new %d, want %d and %d", c.name, s.HistoryTokens, s.NewPromptTokens, c.wantHistory, 150-c.wantHistory)
		}
	}
}

// refusal is an edit of valid options that Validate must refuse with a line holding want.
type refusal struct {
	name string
	edit func(*Options)
	want string
}

// checkRefused holds Validate to each refusal: one line holding its want, while base
// itself is valid.
func checkRefused(t *testing.T, base Options, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		o := base
		c.edit(&o)
		err := o.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line containing %q", c.name, err, c.want)
		}
	}
	if err := base.Validate(); err != nil {
		t.Errorf("the base options are refused: %v", err)
	}
}
