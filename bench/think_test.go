package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/internal/fakeopenai"
)

// The thinking stream of both fakes: TTFT, 6 thinking tokens 2 ms apart, a 200 ms
// pause, then 10 answer tokens 2 ms apart.
const (
	thinkTTFT   = 20 * time.Millisecond
	thinkGap    = 2 * time.Millisecond
	thinkPause  = 200 * time.Millisecond
	thinkTokens = 6
	answerToks  = 10
)

// checkThinking holds a sample of the thinking stream to what the schedule allows.
// The pause is slept by the server between the last thinking chunk and the first
// answer chunk, so the client cannot see the answer sooner: TTFA − TTFT ≥ the pause
// and the thinking span ≥ the pause. The answer's figures start at the first answer
// chunk: had the pause leaked into them, answer_tpot_ns would be at least
// pause / (answer tokens − 1) = 22.2 ms and the answer rate at most 45 tokens/s; the
// schedule gives 2 ms and 500 tokens/s. TPOT over the whole output still holds the
// pause: at least pause / 15 = 13.3 ms.
func checkThinking(t *testing.T, s Sample) {
	t.Helper()
	if !s.OK {
		t.Fatalf("sample failed: %s %s", s.ErrorKind, s.Error)
	}
	if s.ThinkingChunks != thinkTokens || s.AnswerChunks != answerToks || s.TextChunks != thinkTokens+answerToks || s.OutputTokens != thinkTokens+answerToks {
		t.Fatalf("thinking chunks %d, answer chunks %d, text chunks %d, output %d; want 6, 10, 16, 16",
			s.ThinkingChunks, s.AnswerChunks, s.TextChunks, s.OutputTokens)
	}
	if s.ThinkingBytes != thinkTokens*len(" hm") || s.AnswerBytes != answerToks*len(" tok") || s.OutputBytes != s.ThinkingBytes+s.AnswerBytes {
		t.Errorf("bytes: thinking %d answer %d output %d; want 18, 40, 58", s.ThinkingBytes, s.AnswerBytes, s.OutputBytes)
	}
	if s.TTFTNs == nil || s.TTFANs == nil || s.ThinkingNs == nil {
		t.Fatalf("ttft %v ttfa %v thinking %v: want all three", pv(s.TTFTNs), pv(s.TTFANs), pv(s.ThinkingNs))
	}
	ttft, ttfa := time.Duration(*s.TTFTNs), time.Duration(*s.TTFANs)
	if ttft < thinkTTFT || ttfa-ttft < thinkPause {
		t.Errorf("TTFT %v, TTFA %v: want TTFT ≥ %v and TTFA − TTFT ≥ the %v pause", ttft, ttfa, thinkTTFT, thinkPause)
	}
	// The first text chunk thought: the span from it to the first answer is TTFA − TTFT.
	if *s.ThinkingNs != *s.TTFANs-*s.TTFTNs || time.Duration(*s.ThinkingNs) < thinkPause {
		t.Errorf("thinking_ns %d, want ttfa − ttft = %d and ≥ %v", *s.ThinkingNs, *s.TTFANs-*s.TTFTNs, thinkPause)
	}
	if s.AnswerTPOTNs == nil || time.Duration(*s.AnswerTPOTNs) >= thinkPause/(answerToks-1) {
		t.Errorf("answer_tpot_ns %v, want < %v: the pause leaked into the answer", pv(s.AnswerTPOTNs), thinkPause/(answerToks-1))
	}
	if s.AnswerGenPerS == nil || *s.AnswerGenPerS <= float64(answerToks-1)/thinkPause.Seconds() {
		t.Errorf("answer_gen_per_s %v, want > 45 tokens/s", pv(s.AnswerGenPerS))
	}
	if s.TPOTNs == nil || time.Duration(*s.TPOTNs) < thinkPause/(thinkTokens+answerToks-1) {
		t.Errorf("tpot_ns %v, want ≥ %v: TPOT spans the thinking and the pause", pv(s.TPOTNs), thinkPause/(thinkTokens+answerToks-1))
	}
	// itl_ns is every gap between text chunks, the pause included (docs/metrics.md):
	// the gaps up to the first answer chunk add up to TTFA − TTFT, which holds the
	// pause. (No single gap need hold all of it: a chunk read late under load shortens
	// the gap after it by as much as it lengthens its own.)
	if len(s.ITLNs) != s.TextChunks-1 {
		t.Fatalf("itl_ns %v: want %d gaps", s.ITLNs, s.TextChunks-1)
	}
	var upToAnswer int64
	for _, g := range s.ITLNs[:thinkTokens] {
		upToAnswer += g
	}
	if upToAnswer != *s.TTFANs-*s.TTFTNs || time.Duration(upToAnswer) < thinkPause {
		t.Errorf("itl_ns %v: the first %d gaps add up to %d, want ttfa − ttft = %d, ≥ the %v pause", s.ITLNs, thinkTokens, upToAnswer, *s.TTFANs-*s.TTFTNs, thinkPause)
	}
}

// Ollama streams message.thinking, then message.content; eval_count counts both, so
// the answer's tokens are estimated: 16 tokens × 10 answer chunks / 16 text chunks.
func TestOllamaThinkingApartFromAnswering(t *testing.T) {
	f, o := newFake(t, fakeollama.Config{TTFT: thinkTTFT, Gap: thinkGap, ThinkPause: thinkPause, ThinkingTokens: thinkTokens, Tokens: answerToks})
	var s Sample
	o.Stream(context.Background(), time.Now(), Request{Model: "twin", User: "one two", MaxTokens: 64, NumCtx: 512, Think: ThinkOn}, &s)
	checkThinking(t, s)
	if s.AnswerTokens == nil || *s.AnswerTokens != answerToks || !s.AnswerTokensEstimated || s.ThinkingTokens != nil {
		t.Errorf("answer_tokens %v estimated %v thinking_tokens %v; want 10, estimated, none", pv(s.AnswerTokens), s.AnswerTokensEstimated, pv(s.ThinkingTokens))
	}
	if got := f.Bodies[0]["think"]; got != true {
		t.Errorf("think sent %v, want true", got)
	}
}

// The OpenAI backend reads vLLM's delta.reasoning and takes the answer's tokens from
// the server's split, completion_tokens − reasoning_tokens: not an estimate. A level
// is sent as reasoning_effort, with enable_thinking on.
func TestOpenAIThinkingApartFromAnswering(t *testing.T) {
	f, o := newFakeOpenAI(t, fakeopenai.Config{Models: []string{"twin"}, TTFT: thinkTTFT, Gap: thinkGap, ThinkPause: thinkPause,
		ThinkingTokens: thinkTokens, Tokens: answerToks, ReasoningField: "reasoning", ReportReasoningTokens: true}, "")
	s := streamOpenAI(t, o, Request{MaxTokens: 64, Think: ThinkHigh})
	checkThinking(t, s)
	if s.AnswerTokens == nil || *s.AnswerTokens != answerToks || s.AnswerTokensEstimated || s.ThinkingTokens == nil || *s.ThinkingTokens != thinkTokens {
		t.Errorf("answer_tokens %v estimated %v thinking_tokens %v; want 10 from the server, 6", pv(s.AnswerTokens), s.AnswerTokensEstimated, pv(s.ThinkingTokens))
	}
	b := f.Chats()[0].Body
	kw, _ := b["chat_template_kwargs"].(map[string]any)
	if b["reasoning_effort"] != "high" || kw["enable_thinking"] != true {
		t.Errorf("reasoning_effort %v, chat_template_kwargs %v; want high and enable_thinking true", b["reasoning_effort"], b["chat_template_kwargs"])
	}
}

// --think false is sent to both APIs, and a thinking model then answers at once: the
// answer is the whole output, counted by the server, and the answer's figures are
// the request's own.
func TestThinkOffAnswersOnly(t *testing.T) {
	f, o := newFake(t, fakeollama.Config{Gap: thinkGap, ThinkingTokens: thinkTokens, Tokens: answerToks})
	var s Sample
	o.Stream(context.Background(), time.Now(), Request{Model: "twin", User: "x", MaxTokens: 64, NumCtx: 512, Think: ThinkOff}, &s)
	if !s.OK || s.ThinkingChunks != 0 || s.ThinkingNs != nil || s.TTFANs == nil || *s.TTFANs != *s.TTFTNs {
		t.Fatalf("ok %v thinking chunks %d thinking_ns %v ttfa %v ttft %v: want no thinking and ttfa = ttft", s.OK, s.ThinkingChunks, pv(s.ThinkingNs), pv(s.TTFANs), pv(s.TTFTNs))
	}
	if s.AnswerTokens == nil || *s.AnswerTokens != s.OutputTokens || s.AnswerTokensEstimated || *s.AnswerTPOTNs != *s.TPOTNs || *s.AnswerGenPerS != *s.ClientGenPerS {
		t.Errorf("answer_tokens %v estimated %v answer_tpot %v tpot %v: want the request's own figures", pv(s.AnswerTokens), s.AnswerTokensEstimated, pv(s.AnswerTPOTNs), pv(s.TPOTNs))
	}
	if got := f.Bodies[0]["think"]; got != false {
		t.Errorf("think sent %v, want false", got)
	}

	fo, oo := newFakeOpenAI(t, fakeopenai.Config{Models: []string{"twin"}, ThinkingTokens: thinkTokens, Tokens: answerToks}, "")
	s = streamOpenAI(t, oo, Request{MaxTokens: 64, ThinkSet: true})
	b := fo.Chats()[0].Body
	kw, _ := b["chat_template_kwargs"].(map[string]any)
	if _, sent := b["reasoning_effort"]; sent || kw["enable_thinking"] != false || s.ThinkingChunks != 0 || s.AnswerChunks != answerToks {
		t.Errorf("body %v, thinking chunks %d, answer chunks %d: want enable_thinking false, no reasoning_effort, 10 answer chunks", b, s.ThinkingChunks, s.AnswerChunks)
	}

	// Without --think (ThinkSet false) an OpenAI server is sent neither field: a server
	// that refuses unknown fields must not fail a run that never asked for thinking.
	streamOpenAI(t, oo, Request{MaxTokens: 64})
	b = fo.Chats()[1].Body
	_, kwSent := b["chat_template_kwargs"]
	if _, sent := b["reasoning_effort"]; sent || kwSent {
		t.Errorf("body %v: want neither chat_template_kwargs nor reasoning_effort without --think", b)
	}
}

// A request that the cap ends while the model still thinks has no answer: no TTFA,
// thinking span or answer figures, and its TTFT is still the first thinking text.
func TestThinkingCutByTheCap(t *testing.T) {
	_, o := newFake(t, fakeollama.Config{ThinkingTokens: thinkTokens, Tokens: answerToks})
	var s Sample
	o.Stream(context.Background(), time.Now(), Request{Model: "twin", User: "x", MaxTokens: 4, NumCtx: 512, Think: ThinkOn}, &s)
	if !s.OK || s.TTFTNs == nil || s.ThinkingChunks != 4 || s.AnswerChunks != 0 {
		t.Fatalf("ok %v ttft %v thinking %d answer %d: want 4 thinking chunks and a TTFT", s.OK, pv(s.TTFTNs), s.ThinkingChunks, s.AnswerChunks)
	}
	if s.TTFANs != nil || s.ThinkingNs != nil || s.AnswerTokens != nil || s.AnswerTPOTNs != nil || s.AnswerGenPerS != nil {
		t.Errorf("ttfa %v thinking_ns %v answer_tokens %v answer_tpot %v answer rate %v: want none without an answer",
			s.TTFANs, s.ThinkingNs, s.AnswerTokens, s.AnswerTPOTNs, s.AnswerGenPerS)
	}
}

// A level the model does not take ends as the server's error, recorded on the sample:
// the OpenAI API's 400 for reasoning_effort, Ollama's 400 for a model that does not
// think.
func TestThinkLevelRefusedIsRecorded(t *testing.T) {
	_, oo := newFakeOpenAI(t, fakeopenai.Config{Models: []string{"twin"}, Tokens: 3, RejectReasoningEffort: true}, "")
	s := streamOpenAI(t, oo, Request{MaxTokens: 3, Think: ThinkLow})
	if s.OK || s.ErrorKind != ErrHTTPStatus || s.HTTPStatus != 400 || !strings.Contains(s.Error, fakeopenai.ReasoningEffortError) {
		t.Errorf("kind %q status %d error %q: want the server's 400", s.ErrorKind, s.HTTPStatus, s.Error)
	}
	_, o := newFake(t, fakeollama.Config{Tokens: 3})
	s = Sample{}
	o.Stream(context.Background(), time.Now(), Request{Model: "twin", User: "x", MaxTokens: 3, NumCtx: 512, Think: ThinkHigh}, &s)
	if s.OK || s.ErrorKind != ErrHTTPStatus || s.HTTPStatus != 400 || !strings.Contains(s.Error, "does not support thinking") {
		t.Errorf("kind %q status %d error %q: want Ollama's 400", s.ErrorKind, s.HTTPStatus, s.Error)
	}
}

// The server's cached prompt count is recorded when it sends one and absent when it
// does not (never 0 for "unknown"); a count above the prompt is a decode failure.
func TestCachedPromptTokens(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cached  *int
		want    *int
		failure ErrorKind
	}{
		{"not reported (Ollama before v0.33.3)", nil, nil, ""},
		{"reported 0 (a miss)", ptr(0), ptr(0), ""},
		{"reported 8 of 15", ptr(8), ptr(8), ""},
		{"more than the prompt's 15", ptr(16), nil, ErrDecode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// "Request x." and "one two three" are 5 words: 15 prompt tokens with the 10 of the template.
			_, o := newFake(t, fakeollama.Config{Tokens: 3, CachedPromptTokens: tc.cached})
			s := stream(t, o, "twin", 3)
			_, oo := newFakeOpenAI(t, fakeopenai.Config{Models: []string{"twin"}, Tokens: 3, PromptTokens: 15, CachedPromptTokens: tc.cached}, "")
			so := streamOpenAI(t, oo, Request{MaxTokens: 3})
			for name, s := range map[string]Sample{"ollama": s, "openai": so} {
				if s.ErrorKind != tc.failure {
					t.Errorf("%s: kind %q (%s), want %q", name, s.ErrorKind, s.Error, tc.failure)
				}
				if tc.failure == "" && ((s.CachedPromptTokens == nil) != (tc.want == nil) || (tc.want != nil && *s.CachedPromptTokens != *tc.want)) {
					t.Errorf("%s: cached_prompt_tokens %v, want %v", name, pv(s.CachedPromptTokens), pv(tc.want))
				}
			}
		})
	}
}

// llama.cpp's timings.cache_n is the cached count when usage has none.
func TestOpenAICacheNFromTimings(t *testing.T) {
	body := `data: {"choices":[{"delta":{"content":"a"}}]}` + "\n\n" +
		`data: {"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":1},"timings":{"cache_n":32,"prompt_n":8,"prompt_ms":1,"predicted_ms":0}}` + "\n\n" + "data: [DONE]\n\n"
	var s Sample
	memOpenAI(200, body).Stream(context.Background(), time.Now(), Request{Model: "m", MaxTokens: 1}, &s)
	if !s.OK || s.CachedPromptTokens == nil || *s.CachedPromptTokens != 32 {
		t.Errorf("ok %v (%s) cached %v, want 32 from timings.cache_n", s.OK, s.Error, pv(s.CachedPromptTokens))
	}
}

// Timing a chunk allocates only at the first text and the first answer: later
// chunks of either kind allocate nothing (ITL's slice grown beforehand, as append
// amortizes it).
func TestChunkAllocatesNothingAfterTheFirstAnswer(t *testing.T) {
	c := streamClock{began: time.Now()}
	s := Sample{ITLNs: make([]int64, 0, 1024)}
	c.chunk(&s, 1, 3, 0)
	c.chunk(&s, 2, 0, 4)
	now := int64(3)
	if n := testing.AllocsPerRun(200, func() {
		c.chunk(&s, now, 2, 0)
		c.chunk(&s, now+1, 0, 2)
		c.chunk(&s, now+2, 0, 0)
		now += 3
	}); n != 0 {
		t.Errorf("%v allocations per three chunks", n)
	}
	if s.ThinkingChunks+s.AnswerChunks != s.TextChunks {
		t.Errorf("thinking %d + answer %d chunks ≠ text chunks %d", s.ThinkingChunks, s.AnswerChunks, s.TextChunks)
	}
}

// --think values: run files and journals hold off and on as the booleans they always
// held (so old files load and workload hashes stay), and a level as its name.
func TestThinkValues(t *testing.T) {
	for _, tc := range []struct {
		in   string // the flag's value
		want Think
		json string
	}{
		{"false", ThinkOff, "false"}, {"true", ThinkOn, "true"}, {"on", ThinkOn, "true"}, {"0", ThinkOff, "false"},
		{"low", ThinkLow, `"low"`}, {"medium", ThinkMedium, `"medium"`}, {"high", ThinkHigh, `"high"`},
	} {
		var th Think
		if err := th.Set(tc.in); err != nil || th != tc.want {
			t.Errorf("Set(%q) = %q, %v; want %q", tc.in, th, err, tc.want)
			continue
		}
		b, _ := json.Marshal(th)
		var back Think
		if string(b) != tc.json || json.Unmarshal(b, &back) != nil || back != tc.want {
			t.Errorf("%q encodes as %s (want %s) and reads back as %q", tc.in, b, tc.json, back)
		}
	}
	for _, bad := range []string{"max", "HIGH", "", "2"} {
		var th Think
		if err := th.Set(bad); err == nil || !strings.Contains(err.Error(), "true, false, low, medium or high") {
			t.Errorf("Set(%q) = %v, want an error listing the choices", bad, err)
		}
	}
	var o Options
	if err := json.Unmarshal([]byte(`{"think": true}`), &o); err != nil || o.Think != ThinkOn {
		t.Errorf("an old file's think true reads as %q, %v", o.Think, err)
	}
	if err := json.Unmarshal([]byte(`{"think": "max"}`), &o); err == nil {
		t.Error("think \"max\" was read")
	}
	var zero Think
	if b, _ := json.Marshal(zero); string(b) != "false" || zero.Enabled() {
		t.Errorf("the zero Think encodes as %s, enabled %v; want false, off", b, zero.Enabled())
	}
	opts := DefaultOptions()
	opts.Model, opts.Think = "m", "maybe"
	if err := opts.Validate(); err == nil || !strings.Contains(err.Error(), "--think") {
		t.Errorf("Validate with think %q = %v", opts.Think, err)
	}
}

// pv is *p for a failure message, or "none".
func pv[T any](p *T) any {
	if p == nil {
		return "none"
	}
	return *p
}

// A server's thinking count that leaves fewer answer tokens than answer chunks came is
// not believed (each chunk carries a token at least): the answer is estimated from the
// chunks instead, and says so. 20 output tokens over 20 chunks, 10 of them answer.
func TestAnswerSplitBelowChunksIsEstimated(t *testing.T) {
	for _, tc := range []struct {
		name     string
		thinking int
		want     int
		est      bool
	}{
		{"believable split", 10, 10, false},
		{"split leaves 2 tokens for 10 chunks", 18, 10, true},
		{"every token thinking, yet 10 answer chunks", 20, 10, true},
	} {
		e2e, ttft, ttfa := int64(3e8), int64(1e8), int64(2e8)
		s := Sample{OK: true, E2ENs: &e2e, TTFTNs: &ttft, TTFANs: &ttfa, OutputTokens: 20, TextChunks: 20,
			ThinkingChunks: 10, AnswerChunks: 10, ThinkingTokens: &tc.thinking}
		s.finishAnswer()
		if s.AnswerTokens == nil || *s.AnswerTokens != tc.want || s.AnswerTokensEstimated != tc.est {
			t.Errorf("%s: answer_tokens %v estimated %v, want %d %v", tc.name, pv(s.AnswerTokens), s.AnswerTokensEstimated, tc.want, tc.est)
		}
	}
}
