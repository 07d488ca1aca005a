package bench

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/internal/fakeopenai"
)

func newFakeOpenAI(t *testing.T, cfg fakeopenai.Config, key string) (*fakeopenai.Server, *OpenAI) {
	t.Helper()
	if cfg.Models == nil {
		cfg.Models = []string{"twin"}
	}
	f := fakeopenai.New(cfg)
	t.Cleanup(f.Close)
	u, err := url.Parse(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	return f, NewOpenAI(u, key)
}

func streamOpenAI(t *testing.T, o *OpenAI, req Request) Sample {
	t.Helper()
	if req.Model == "" {
		req.Model = "twin"
	}
	if req.System == "" {
		req.System, req.User = "Request x.", "one two three"
	}
	var s Sample
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o.Stream(ctx, time.Now(), req, &s)
	return s
}

// memOpenAI is an OpenAI backend whose every request gets status and body, in memory.
func memOpenAI(status int, body string) *OpenAI {
	u, _ := url.Parse("http://127.0.0.1:1")
	o := NewOpenAI(u, "")
	o.hc = &http.Client{Transport: bodyTransport{status, []byte(body)}}
	return o
}

// 30 tokens, 3 to a chunk: output tokens come from usage alone, ITL is per chunk
// (9 gaps between 10 text chunks), tokens_per_chunk says 3, and TPOT spreads e2e − ttft
// over the 29 tokens after the first. The request is the one the API reference
// describes, with usage asked for and no Authorization header when there is no key.
func TestOpenAISeveralTokensPerChunk(t *testing.T) {
	f, o := newFakeOpenAI(t, fakeopenai.Config{Tokens: 30, TokensPerChunk: 3, TTFT: 20 * time.Millisecond, Gap: 2 * time.Millisecond}, "")
	s := streamOpenAI(t, o, Request{MaxTokens: 30, Seed: 7, Temperature: 0.5})
	if !s.OK {
		t.Fatalf("sample failed: %s %s", s.ErrorKind, s.Error)
	}
	if s.OutputTokens != 30 || s.TextChunks != 10 || s.TokensPerChunk == nil || *s.TokensPerChunk != 3 || len(s.ITLNs) != 9 {
		t.Fatalf("output=%d text_chunks=%d tokens_per_chunk=%v itl=%d; want 30, 10, 3, 9", s.OutputTokens, s.TextChunks, s.TokensPerChunk, len(s.ITLNs))
	}
	// role-only + 10 text + finish_reason + usage; [DONE] is no chunk.
	if s.Chunks != 13 {
		t.Errorf("chunks = %d, want 13", s.Chunks)
	}
	if s.TPOTNs == nil || *s.TPOTNs != (*s.E2ENs-*s.TTFTNs)/29 {
		t.Errorf("tpot = %v, want (e2e %d − ttft %d) / 29", s.TPOTNs, *s.E2ENs, *s.TTFTNs)
	}
	if s.ClientGenPerS == nil || *s.E2ENs <= *s.TTFTNs {
		t.Errorf("client_gen_per_s = %v, e2e %d, ttft %d: want a rate and e2e > ttft", s.ClientGenPerS, *s.E2ENs, *s.TTFTNs)
	}
	if s.OutputBytes != 30*len(" tok") || s.PromptTokens != 2+3+10 || s.DoneReason != "length" || s.StoppedEarly {
		t.Errorf("output_bytes=%d prompt_tokens=%d done_reason=%q stopped_early=%v; want 120, 15, length, false",
			s.OutputBytes, s.PromptTokens, s.DoneReason, s.StoppedEarly)
	}
	if s.ServerGenPerS != nil || s.ServerPrefillPerS != nil || s.ServerEvalNs != 0 || s.OverheadNs != nil {
		t.Errorf("server figures without server timings: gen %v prefill %v eval %d overhead %v", s.ServerGenPerS, s.ServerPrefillPerS, s.ServerEvalNs, s.OverheadNs)
	}
	if s.HTTPStatus != 200 || s.SentAtNs <= 0 || s.ScheduledAtNs != s.SentAtNs || s.QueueDelayNs != 0 {
		t.Errorf("status %d sent %d scheduled %d queue %d", s.HTTPStatus, s.SentAtNs, s.ScheduledAtNs, s.QueueDelayNs)
	}
	chats := f.Chats()
	if len(chats) != 1 {
		t.Fatalf("%d chat requests, want 1", len(chats))
	}
	b := chats[0].Body
	opts, _ := b["stream_options"].(map[string]any)
	msgs, _ := b["messages"].([]any)
	if b["model"] != "twin" || b["stream"] != true || opts["include_usage"] != true || b["max_tokens"] != 30.0 ||
		b["max_completion_tokens"] != 30.0 || b["seed"] != 7.0 || b["temperature"] != 0.5 || len(msgs) != 2 {
		t.Errorf("request body %v", b)
	}
	for i, role := range []string{"system", "user"} {
		if m, _ := msgs[i].(map[string]any); m["role"] != role {
			t.Errorf("message %d is %v, want role %s", i, msgs[i], role)
		}
	}
	if chats[0].Authorization != "" {
		t.Errorf("Authorization %q sent without a key", chats[0].Authorization)
	}
}

// The fake sends a role-only chunk at once and the first text TTFT later: TTFT counts
// from the text. A first-token timeout shorter than the fake's TTFT fires though the
// role chunk came before it (the role chunk would otherwise have stopped the timer and
// the request succeeded).
func TestOpenAIRoleChunkIsNotFirstToken(t *testing.T) {
	const ttft = 200 * time.Millisecond
	_, o := newFakeOpenAI(t, fakeopenai.Config{Tokens: 3, TTFT: ttft}, "")
	s := streamOpenAI(t, o, Request{MaxTokens: 3})
	if !s.OK {
		t.Fatalf("sample failed: %s %s", s.ErrorKind, s.Error)
	}
	if got, _ := s.TTFT(); got < ttft {
		t.Errorf("TTFT = %v, want ≥ %v: the role-only chunk counted", got, ttft)
	}
	if s.TextChunks != 3 || s.Chunks != 6 {
		t.Errorf("text_chunks=%d chunks=%d, want 3 and 6 (role, 3 text, finish, usage)", s.TextChunks, s.Chunks)
	}

	s = streamOpenAI(t, o, Request{MaxTokens: 3, FirstTokenTimeout: 50 * time.Millisecond})
	if s.OK || s.ErrorKind != ErrTimeout || !strings.Contains(s.Error, "no first token") {
		t.Errorf("kind %q (%s), want a first-token timeout after the role chunk", s.ErrorKind, s.Error)
	}
}

// usagelessServer is an OpenAI-compatible server that ignores stream_options, as LM
// Studio does (its issue #713): a role-only chunk, one chunk per word of text with
// "usage": null, a finish_reason chunk, then [DONE], and never a usage chunk. words of
// "" are chunks without text (a keep-alive), which count as chunks but not tokens.
func usagelessServer(t *testing.T, words []string, finish string) *OpenAI {
	t.Helper()
	chunk := func(delta map[string]any, finish any) string {
		b, err := json.Marshal(map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "twin",
			"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}, "usage": nil})
		if err != nil {
			t.Fatal(err)
		}
		return "data: " + string(b) + "\n\n"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		var b strings.Builder
		b.WriteString(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
		for _, word := range words {
			b.WriteString(chunk(map[string]any{"content": word}, nil))
		}
		b.WriteString(chunk(map[string]any{}, finish))
		b.WriteString("data: [DONE]\n\n")
		_, _ = io.WriteString(w, b.String())
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return NewOpenAI(u, "")
}

// A stream that reaches [DONE] with text but no usage chunk is a success whose output
// is counted from its text chunks (one chunk, one token) and marked tokens_estimated;
// its prompt stays uncounted, and the figures built on the count follow it.
func TestOpenAIWithoutUsageEstimatesFromChunks(t *testing.T) {
	cases := []struct {
		name   string
		words  []string
		finish string
		// want: the text chunks (words that are not "") are the output tokens.
		wantTokens, wantChunks int
		wantEarly              bool
	}{
		// 5 words of text: 5 tokens; role, 5 text and finish chunks are 7 chunks.
		{"five text chunks, cut at max_tokens", []string{"a", " b", " c", " d", " e"}, "length", 5, 7, false},
		// A chunk with "" content carries no text: 3 tokens of 5 content chunks, and
		// "stop" before --max-tokens 5 stopped early.
		{"empty chunks are not tokens", []string{"a", "", " b", "", " c"}, "stop", 3, 7, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := usagelessServer(t, tc.words, tc.finish)
			s := streamOpenAI(t, o, Request{MaxTokens: 5})
			if !s.OK || !s.TokensEstimated {
				t.Fatalf("ok=%v estimated=%v (%s %s), want an estimated success", s.OK, s.TokensEstimated, s.ErrorKind, s.Error)
			}
			if s.OutputTokens != tc.wantTokens || s.TextChunks != tc.wantTokens || s.Chunks != tc.wantChunks {
				t.Errorf("output %d text_chunks %d chunks %d, want %d, %d, %d", s.OutputTokens, s.TextChunks, s.Chunks, tc.wantTokens, tc.wantTokens, tc.wantChunks)
			}
			if s.PromptTokens != 0 || s.CachedPromptTokens != nil {
				t.Errorf("prompt %d cached %v: the server counted no prompt, none may be invented", s.PromptTokens, pv(s.CachedPromptTokens))
			}
			// tokens_per_chunk would be 1 by construction: it says nothing and is absent.
			if s.TokensPerChunk != nil {
				t.Errorf("tokens_per_chunk %v, want absent for an estimate", *s.TokensPerChunk)
			}
			if s.TTFTNs == nil || s.E2ENs == nil || s.TPOTNs == nil || *s.TPOTNs != (*s.E2ENs-*s.TTFTNs)/int64(tc.wantTokens-1) {
				t.Errorf("ttft %v e2e %v tpot %v, want tpot = (e2e − ttft) / %d", s.TTFTNs, s.E2ENs, s.TPOTNs, tc.wantTokens-1)
			}
			if s.StoppedEarly != tc.wantEarly || s.DoneReason != tc.finish {
				t.Errorf("stopped_early %v done_reason %q, want %v %q", s.StoppedEarly, s.DoneReason, tc.wantEarly, tc.finish)
			}
		})
	}
}

// A usage-less stream with no text at all has nothing to count: a failure, not an
// estimate of 0; a sample whose server sent usage is never marked estimated.
func TestOpenAIWithoutUsageOrText(t *testing.T) {
	s := streamOpenAI(t, usagelessServer(t, nil, "stop"), Request{MaxTokens: 5})
	if s.OK || s.ErrorKind != ErrDecode || !strings.Contains(s.Error, "no usage") || s.TokensEstimated {
		t.Errorf("ok=%v kind=%q error=%q estimated=%v, want a decode failure naming the missing usage", s.OK, s.ErrorKind, s.Error, s.TokensEstimated)
	}
	_, o := newFakeOpenAI(t, fakeopenai.Config{Tokens: 4}, "")
	if s := streamOpenAI(t, o, Request{MaxTokens: 4}); !s.OK || s.TokensEstimated || s.OutputTokens != 4 {
		t.Errorf("with usage: ok=%v estimated=%v output %d, want the server's 4, not estimated", s.OK, s.TokensEstimated, s.OutputTokens)
	}
}

func TestOpenAIFaultsAreFailedSamples(t *testing.T) {
	cases := []struct {
		name   string
		fault  fakeopenai.Fault
		model  string
		kind   ErrorKind
		msg    string
		status int
	}{
		{"no done and no usage", fakeopenai.FaultNoDone, "twin", ErrNoDone, "without [DONE] and without usage after 7 chunks", 200},
		{"HTTP 500", fakeopenai.FaultHTTP500, "twin", ErrHTTPStatus, "HTTP 500: " + fakeopenai.ErrorMessage, 500},
		{"error line", fakeopenai.FaultErrorLine, "twin", ErrStream, fakeopenai.ErrorMessage, 200},
		{"bad JSON", fakeopenai.FaultBadJSON, "twin", ErrDecode, "malformed chunk, not JSON", 200},
		{"data after DONE", fakeopenai.FaultAfterDone, "twin", ErrStream, "after [DONE]", 200},
		{"unknown model", fakeopenai.FaultNone, "nope", ErrHTTPStatus, "HTTP 404: The model `nope` does not exist.", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, o := newFakeOpenAI(t, fakeopenai.Config{Tokens: 6, Fault: tc.fault}, "")
			s := streamOpenAI(t, o, Request{Model: tc.model, MaxTokens: 6})
			if s.OK || s.ErrorKind != tc.kind || !strings.Contains(s.Error, tc.msg) {
				t.Fatalf("ok=%v kind=%q error=%q, want %q containing %q", s.OK, s.ErrorKind, s.Error, tc.kind, tc.msg)
			}
			if s.HTTPStatus != tc.status {
				t.Errorf("http_status = %d, want %d", s.HTTPStatus, tc.status)
			}
			if s.E2ENs != nil || s.TTFTNs != nil || s.TPOTNs != nil || s.ITLNs == nil || len(s.ITLNs) != 0 {
				t.Errorf("failed sample carries timings: e2e=%v ttft=%v itl=%v", s.E2ENs, s.TTFTNs, s.ITLNs)
			}
		})
	}
}

// A server that sends usage and then ends without [DONE] completed the request: E2E is
// the end of the stream.
func TestOpenAIUsageWithoutDone(t *testing.T) {
	_, o := newFakeOpenAI(t, fakeopenai.Config{Tokens: 4, OmitDone: true}, "")
	s := streamOpenAI(t, o, Request{MaxTokens: 8})
	if !s.OK || s.OutputTokens != 4 || s.E2ENs == nil || *s.E2ENs < *s.TTFTNs {
		t.Fatalf("ok=%v (%s) output=%d e2e=%v ttft=%v; want a success with e2e ≥ ttft", s.OK, s.Error, s.OutputTokens, s.E2ENs, s.TTFTNs)
	}
	if s.DoneReason != "stop" || !s.StoppedEarly {
		t.Errorf("done_reason %q stopped_early %v, want stop/true (4 of 8 tokens)", s.DoneReason, s.StoppedEarly)
	}
}

// The key goes as a bearer token; without it, or with a wrong one, the server's 401
// is a failure that names YARDSTICK_API_KEY and never shows the key.
func TestOpenAIAPIKey(t *testing.T) {
	const key = "sk-right-key"
	for _, tc := range []struct {
		name, key, want string
	}{
		{"no key", "", "none was given: set YARDSTICK_API_KEY"},
		{"wrong key", "sk-wrong-key", "refused: check YARDSTICK_API_KEY"},
		{"right key", key, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, o := newFakeOpenAI(t, fakeopenai.Config{Tokens: 2, RequireKey: key}, tc.key)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, derr := o.Describe(ctx, "twin", "f16")
			s := streamOpenAI(t, o, Request{MaxTokens: 2})
			if tc.want == "" {
				if derr != nil || !s.OK {
					t.Fatalf("describe: %v; stream: %s %s", derr, s.ErrorKind, s.Error)
				}
				if got := f.Chats()[0].Authorization; got != "Bearer "+key {
					t.Errorf("Authorization = %q, want the bearer key", got)
				}
				return
			}
			if derr == nil || !strings.Contains(derr.Error(), "HTTP 401") || !strings.Contains(derr.Error(), tc.want) {
				t.Errorf("describe error %v, want HTTP 401 and %q", derr, tc.want)
			}
			if s.OK || s.ErrorKind != ErrHTTPStatus || s.HTTPStatus != 401 || !strings.Contains(s.Error, "HTTP 401: Invalid API Key") || !strings.Contains(s.Error, tc.want) {
				t.Errorf("stream kind %q status %d error %q, want HTTP 401 with %q", s.ErrorKind, s.HTTPStatus, s.Error, tc.want)
			}
			for _, msg := range []string{s.Error, derr.Error()} {
				if tc.key != "" && strings.Contains(msg, tc.key) {
					t.Errorf("error shows the key: %s", msg)
				}
			}
		})
	}
}

// The base URL is the server root; one ending in /v1 (with or without a slash) is not
// given a second /v1, and /version is still asked at the root. The fake answers 404
// on any other path.
func TestOpenAIBasePath(t *testing.T) {
	f, _ := newFakeOpenAI(t, fakeopenai.Config{Tokens: 2, Version: "0.11.0"}, "")
	for _, base := range []string{f.URL, f.URL + "/", f.URL + "/v1", f.URL + "/v1/"} {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		o := NewOpenAI(u, "")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := o.Version(ctx)
		cancel()
		if err != nil || v != "0.11.0" {
			t.Errorf("base %s: version %q, %v; want 0.11.0", base, v, err)
		}
		if s := streamOpenAI(t, o, Request{MaxTokens: 2}); !s.OK {
			t.Errorf("base %s: stream failed: %s %s", base, s.ErrorKind, s.Error)
		}
		if o.URL() != u || o.Name() != "openai" {
			t.Errorf("base %s: URL %v name %q", base, o.URL(), o.Name())
		}
	}
}

func TestOpenAIVersion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		cfg  fakeopenai.Config
		want string
	}{
		{"vLLM /version", fakeopenai.Config{Version: "0.11.0", BuildInfo: "b1-x"}, "0.11.0"},
		{"llama.cpp /props", fakeopenai.Config{BuildInfo: "b6500-1a2b3c4d"}, "b6500-1a2b3c4d"},
		{"neither", fakeopenai.Config{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, o := newFakeOpenAI(t, tc.cfg, "")
			if v, err := o.Version(ctx); err != nil || v != tc.want {
				t.Errorf("version %q, %v; want %q", v, err, tc.want)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		closed, err := fakeollama.ClosedURL()
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(closed)
		if _, err := NewOpenAI(u, "").Version(ctx); err == nil || !strings.Contains(err.Error(), "cannot reach the server at "+closed) {
			t.Errorf("error %v, want cannot reach", err)
		}
	})
	t.Run("not an OpenAI server", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		u, _ := url.Parse(srv.URL)
		if _, err := NewOpenAI(u, "").Version(ctx); err == nil || !strings.Contains(err.Error(), "GET /v1/models with HTTP 404") {
			t.Errorf("error %v, want the /v1/models 404", err)
		}
	})
	t.Run("key required", func(t *testing.T) {
		_, o := newFakeOpenAI(t, fakeopenai.Config{Version: "0.11.0", RequireKey: "k"}, "")
		if _, err := o.Version(ctx); err == nil || !strings.Contains(err.Error(), "YARDSTICK_API_KEY") {
			t.Errorf("error %v, want one naming YARDSTICK_API_KEY", err)
		}
	})
}

func TestOpenAIDescribe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, o := newFakeOpenAI(t, fakeopenai.Config{Models: []string{"twin", "qwen:latest", "org/Model-7B"}}, "")
	for _, model := range []string{"twin", "twin:latest", "qwen", "qwen:latest", "org/Model-7B"} {
		mi, err := o.Describe(ctx, model, "f16")
		if err != nil || mi.Name != model || mi.Cost != nil || mi.CostError == "" || mi.ParameterCount != 0 || mi.Digest != "" {
			t.Errorf("%s: %+v, %v; want only the name and why there is no cost", model, mi, err)
		}
	}
	for _, model := range []string{"nope", "org/model-7b", "qwen:7b"} {
		_, err := o.Describe(ctx, model, "f16")
		want := `does not serve model "` + model + `" (it serves: twin, qwen:latest, org/Model-7B)`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", model, err, want)
		}
	}
}

// llama.cpp's timings give the server's prefill and decode spans; predicted_ms spans
// completion_tokens − 1 steps, so 5 tokens over 40 ms decode at 100 tokens/s.
func TestOpenAILlamaCppTimings(t *testing.T) {
	body := "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"a b\"}}]}\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\" c d e\"},\"finish_reason\":\"length\"}]}\n\n" +
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}," +
		"\"timings\":{\"cache_n\":0,\"prompt_n\":12,\"prompt_ms\":24.5,\"predicted_n\":5,\"predicted_ms\":40,\"predicted_per_second\":125}}\n\n" +
		"data: [DONE]\n\n"
	var s Sample
	memOpenAI(200, body).Stream(context.Background(), time.Now(), Request{Model: "m", MaxTokens: 5}, &s)
	if !s.OK {
		t.Fatalf("sample failed: %s %s", s.ErrorKind, s.Error)
	}
	if s.ServerPromptEvalNs != 24_500_000 || s.ServerEvalNs != 40_000_000 {
		t.Errorf("server prompt %d eval %d ns, want 24500000 and 40000000", s.ServerPromptEvalNs, s.ServerEvalNs)
	}
	if s.ServerGenPerS == nil || math.Abs(*s.ServerGenPerS-100) > 1e-9 || s.ServerPrefillPerS == nil || math.Abs(*s.ServerPrefillPerS-12/0.0245) > 1e-6 {
		t.Errorf("server_gen_per_s %v prefill %v, want 100 and %v", s.ServerGenPerS, s.ServerPrefillPerS, 12/0.0245)
	}
	if s.OutputTokens != 5 || s.TextChunks != 2 || *s.TokensPerChunk != 2.5 || s.LoadNs != 0 || s.ServerTotalNs != 0 || s.OverheadNs != nil {
		t.Errorf("output %d text chunks %d tokens/chunk %v load %d total %d overhead %v", s.OutputTokens, s.TextChunks, *s.TokensPerChunk, s.LoadNs, s.ServerTotalNs, s.OverheadNs)
	}

	// The fake measures its timings on its own clock around the sleeps it does: the
	// prompt span holds the TTFT and the decode span the 4 gaps between 5 chunks.
	const ttft, gap = 20 * time.Millisecond, 5 * time.Millisecond
	_, o := newFakeOpenAI(t, fakeopenai.Config{Tokens: 5, TTFT: ttft, Gap: gap, IncludeTimings: true}, "")
	s = streamOpenAI(t, o, Request{MaxTokens: 5})
	if !s.OK || s.ServerPromptEvalNs < int64(ttft) || s.ServerEvalNs < int64(4*gap) || s.ServerGenPerS == nil || s.ServerPrefillPerS == nil {
		t.Errorf("ok %v (%s): server prompt %d eval %d gen %v prefill %v; want ≥ %v, ≥ %v and both rates",
			s.OK, s.Error, s.ServerPromptEvalNs, s.ServerEvalNs, s.ServerGenPerS, s.ServerPrefillPerS, ttft, 4*gap)
	}
}

// What the event stream parser keeps and what it refuses, on streams written by hand.
func TestOpenAISSEParsing(t *testing.T) {
	const (
		role  = `data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`
		usage = `data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}`
	)
	text := func(field, s string) string {
		return `data: {"choices":[{"index":0,"delta":{"` + field + `":"` + s + `"}}]}`
	}
	lines := func(l ...string) string { return strings.Join(l, "\n\n") + "\n\n" }
	cases := []struct {
		name                     string
		status                   int
		body                     string
		kind                     ErrorKind
		msg                      string
		chunks, textChunks, size int
	}{
		{"plain", 200, lines(role, text("content", "ab"), text("content", "c"), usage, "data: [DONE]"), "", "", 4, 2, 3},
		{"CRLF, no space after data:, comments and other fields", 200,
			": keep-alive\r\nevent: message\r\nid: 1\r\nretry: 100\r\n" +
				strings.Replace(text("content", "ab"), "data: ", "data:", 1) + "\r\n\r\n" + text("content", "c") + "\r\n\r\n" + usage + "\r\ndata: [DONE]\r\n",
			"", "", 3, 2, 3},
		{"no blank lines between events", 200, strings.Join([]string{text("content", "ab"), usage, "data: [DONE]"}, "\n"), "", "", 2, 1, 2},
		{"reasoning_content and reasoning are the same text", 200,
			lines(`data: {"choices":[{"delta":{"reasoning_content":"hm","reasoning":"hm"}}]}`, text("reasoning", "ok"), text("content", "x"), usage, "data: [DONE]"),
			"", "", 4, 3, 5},
		{"usage in the finish chunk", 200,
			lines(text("content", "ab"), `data: {"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}}`, "data: [DONE]"),
			"", "", 2, 1, 2},
		{"a line that is no event field", 200, lines(text("content", "a"), `{"choices":[]}`), ErrDecode, "not server-sent events", 0, 0, 0},
		{"an HTML page", 200, "<html>502 Bad Gateway</html>\n", ErrDecode, "not server-sent events", 0, 0, 0},
		{"non-streamed JSON answer", 200, `{"choices":[{"message":{"content":"hi"}}],"usage":{"completion_tokens":1}}`, ErrDecode, "not server-sent events", 0, 0, 0},
		{"old vLLM error object", 200, lines(text("content", "a"), `data: {"object":"error","message":"engine dead","type":"InternalServerError","code":500}`), ErrStream, "engine dead", 0, 0, 0},
		{"error as a string", 200, lines(`data: {"error":"boom"}`), ErrStream, "boom", 0, 0, 0},
		{"empty body", 200, "", ErrNoDone, "after 0 chunks", 0, 0, 0},
		// With text, a missing usage is estimated (TestOpenAIWithoutUsageEstimatesFromChunks).
		{"DONE without usage or text", 200, lines(role, "data: [DONE]"), ErrDecode, "no usage", 0, 0, 0},
		{"usage, then a cut", 200, lines(text("content", "a"), usage), "", "", 2, 1, 1},
		{"llama.cpp error line mid-stream", 200, lines(text("content", "a"), `error: {"code":500,"message":"slot unavailable","type":"server_error"}`), ErrStream, "the server sent an error: slot unavailable", 0, 0, 0},
		{"usage of 0 tokens after text", 200, lines(text("content", "ab"), `data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":0}}`, "data: [DONE]"), ErrDecode, "0 completion tokens after 1 chunks", 0, 0, 0},
		{"tokens in usage but text outside delta", 200, lines(`data: {"choices":[{"index":0,"text":"hi"}]}`, usage, "data: [DONE]"), ErrDecode, "no chunk carried text", 0, 0, 0},
		// JSON of the wrong shape is said to be JSON, with the field encoding/json names
		// (a break-it round found it reported as "not JSON").
		{"a count written as a fraction", 200, lines(text("content", "a"), `data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1.5}}`, "data: [DONE]"), ErrDecode, "JSON of another shape: json: cannot unmarshal number 1.5 into Go struct field chatUsage.usage.completion_tokens", 0, 0, 0},
		{"negative usage", 200, lines(text("content", "a"), `data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":-2}}`, "data: [DONE]"), ErrDecode, "impossible figures", 0, 0, 0},
		{"400 with an OpenAI error", 400, `{"error":{"message":"max_tokens is too large","type":"invalid_request_error","param":"max_tokens","code":null}}`, ErrHTTPStatus, "HTTP 400: max_tokens is too large", 0, 0, 0},
		{"422 from FastAPI", 422, `{"detail":"Field required"}`, ErrHTTPStatus, "HTTP 422: Field required", 0, 0, 0},
		{"503 with plain text over lines", 503, "Service\nUnavailable\n" + strings.Repeat("x", 1000), ErrHTTPStatus, "HTTP 503: Service Unavailable xxx", 0, 0, 0},
		{"500 with an empty body", 500, "", ErrHTTPStatus, "HTTP 500: Internal Server Error", 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s Sample
			memOpenAI(tc.status, tc.body).Stream(context.Background(), time.Now(), Request{Model: "m", MaxTokens: 2}, &s)
			if tc.kind != "" {
				if s.OK || s.ErrorKind != tc.kind || !strings.Contains(s.Error, tc.msg) {
					t.Fatalf("ok=%v kind=%q error=%q, want %q containing %q", s.OK, s.ErrorKind, s.Error, tc.kind, tc.msg)
				}
				if len(s.Error) > 400 || strings.ContainsAny(s.Error, "\r\n") {
					t.Errorf("error not one bounded line (%d bytes): %q", len(s.Error), s.Error)
				}
				return
			}
			if !s.OK {
				t.Fatalf("failed: %s %s", s.ErrorKind, s.Error)
			}
			if s.Chunks != tc.chunks || s.TextChunks != tc.textChunks || s.OutputBytes != tc.size || s.OutputTokens != 2 || s.PromptTokens != 3 {
				t.Errorf("chunks %d text %d bytes %d output %d prompt %d; want %d, %d, %d, 2, 3",
					s.Chunks, s.TextChunks, s.OutputBytes, s.OutputTokens, s.PromptTokens, tc.chunks, tc.textChunks, tc.size)
			}
		})
	}
}

// A line over the stream reader's bound is a decode failure, not memory without end.
func TestOpenAILineTooLong(t *testing.T) {
	body := `data: {"choices":[{"delta":{"content":"` + strings.Repeat("a", maxLineBytes+128<<10) + `"}}]}` + "\n\n"
	var s Sample
	memOpenAI(200, body).Stream(context.Background(), time.Now(), Request{Model: "m", MaxTokens: 2}, &s)
	if s.OK || s.ErrorKind != ErrDecode || !strings.Contains(s.Error, "longer than") {
		t.Errorf("kind %q (%s), want a decode failure for the long line", s.ErrorKind, s.Error)
	}
}

// FuzzReadSSE: any bytes a server streams back, under any status, end as a successful
// sample consistent with itself or as a failed one with a kind and a one-line message;
// never a panic or a hang. The first byte picks the status.
func FuzzReadSSE(f *testing.F) {
	text := func(s string) string { return `data: {"choices":[{"delta":{"content":"` + s + `"}}]}` + "\n\n" }
	usage := `data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2},"timings":{"prompt_ms":1.5,"predicted_ms":2}}` + "\n\n"
	for _, seed := range []string{
		`data: {"choices":[{"delta":{"role":"assistant"}}]}` + "\n\n" + text("a") + text("b") + usage + "data: [DONE]\n\n",
		text("h\xc3") + text("\xa9llo") + usage + "data: [DONE]\n\n",
		": ping\n\nevent: x\nid: 2\ndata:" + text("a")[6:] + usage,
		text("a") + `data: {"error":{"message":"oops"}}` + "\n\n",
		text("a") + "data: {\"choices\": [\n\n",
		"data: [DONE]\n\n" + text("late"),
		"<html>502 Bad Gateway</html>\n",
		text("a") + "data: [DONE]\r\n\r\n",
		"", "\n\n\r\n", "data:\n\ndata: \n\n",
		// Thinking in both of the fields servers use, then the answer, with the usage's details.
		`data: {"choices":[{"delta":{"reasoning_content":"hm"}}]}` + "\n\n" + `data: {"choices":[{"delta":{"reasoning":"so","reasoning_content":"so"}}]}` + "\n\n" +
			text("a") + `data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}` + "\n\n" + "data: [DONE]\n\n",
		text("a") + `data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"completion_tokens_details":{"reasoning_tokens":9}}}` + "\n\n",
	} {
		f.Add(byte(0), []byte(seed))
	}
	f.Add(byte(1), []byte(`{"error":{"message":"model not found"}}`))
	f.Add(byte(3), []byte(`{"error":"Unauthorized"}`))
	statuses := []int{200, 404, 503, 401, 500}
	f.Fuzz(func(t *testing.T, st byte, body []byte) {
		o := memOpenAI(statuses[int(st)%len(statuses)], string(body))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var s Sample
		o.Stream(ctx, time.Now(), Request{Model: "m", User: "x", MaxTokens: 4}, &s)
		switch {
		case s.TextChunks > s.Chunks:
			t.Fatalf("text chunks %d > chunks %d", s.TextChunks, s.Chunks)
		case s.OK && (s.ErrorKind != "" || s.E2ENs == nil || s.OutputTokens < 0 || s.PromptTokens < 0):
			t.Fatalf("successful sample is inconsistent: %+v", s)
		case s.OK && s.TextChunks > 0 && (s.TTFTNs == nil || *s.TTFTNs > *s.E2ENs || len(s.ITLNs) != s.TextChunks-1):
			t.Fatalf("successful sample's timings are inconsistent: %+v", s)
		case !s.OK && (s.ErrorKind == "" || s.Error == "" || s.E2ENs != nil || s.TTFTNs != nil):
			t.Fatalf("failed sample without a kind and message, or with timings: %+v", s)
		case strings.ContainsAny(s.Error, "\r\n"):
			t.Fatalf("error is not one line: %q", s.Error)
		}
		for _, gap := range s.ITLNs {
			if gap < 0 {
				t.Fatalf("negative ITL: %v", s.ITLNs)
			}
		}
		checkThinkingFigures(t, &s)
	})
}

// Ollama's /v1 is this API at an Ollama root: Version is Ollama's, and Describe adds the model's identity from
// Ollama's own /api/show and /api/tags (the fake's Qwen2.5-0.5B twin: qwen2, 494032768
// parameters, Q8_0, its digest, the twin mark), so compare can match it with a native
// run; it keeps no cost (the roofline stays the native backend's). A server without
// Ollama's API gives the name alone.
func TestOpenAIDescribeTakesOllamaIdentity(t *testing.T) {
	native := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Synthetic: true, Version: "0.24.0"})
	defer native.Close()
	v1 := fakeopenai.New(fakeopenai.Config{Models: []string{"twin"}})
	defer v1.Close()
	// One root: /v1/ answered by the OpenAI fake, the rest by the Ollama fake.
	mux := http.NewServeMux()
	for prefix, f := range map[string]string{"/v1/": v1.URL, "/": native.URL} {
		u, err := url.Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle(prefix, httputil.NewSingleHostReverseProxy(u))
	}
	both := httptest.NewServer(mux)
	defer both.Close()
	u, err := url.Parse(both.URL + "/v1")
	if err != nil {
		t.Fatal(err)
	}
	// Its version is Ollama's /api/version, after vLLM's /version and llama.cpp's /props.
	if v, err := NewOpenAI(u, "").Version(context.Background()); err != nil || v != "0.24.0" {
		t.Errorf("version %q, %v; want Ollama's 0.24.0", v, err)
	}
	mi, err := NewOpenAI(u, "").Describe(context.Background(), "twin", "")
	if err != nil {
		t.Fatal(err)
	}
	if mi.Name != "twin" || mi.Architecture != "qwen2" || mi.ParameterCount != 494032768 || mi.QuantizationLevel != "Q8_0" ||
		mi.Family != "qwen2" || !strings.HasPrefix(mi.Digest, "0123456789abcdef") || mi.Synthetic == nil || mi.Synthetic.Shape != "qwen2.5-0.5b" {
		t.Errorf("identity %+v, want the fake Ollama's qwen2 twin", mi)
	}
	if mi.Cost != nil || mi.CostError == "" || mi.ContextLength != 0 {
		t.Errorf("cost %v (%q), context %d: the identity only, no cost or trained context", mi.Cost, mi.CostError, mi.ContextLength)
	}

	// A run asking a fixed output length of Ollama's /v1, which drops ignore_eos and
	// min_tokens, says so; the same run of a server that is not Ollama does not.
	fixed := func(b Backend) *Result {
		opts := DefaultOptions()
		opts.Backend, opts.Model, opts.Runs, opts.Warmup, opts.MaxTokens, opts.PromptTokens = "openai", "twin", 2, 0, 4, 16
		opts.IgnoreEOS = true
		res, err := Run(context.Background(), b, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	dropped := func(res *Result) bool {
		for _, w := range res.Warnings {
			if w.Code == CodeOptionsNotSent && strings.Contains(w.Message, "drops them") {
				return true
			}
		}
		return false
	}
	if res := fixed(NewOpenAI(u, "")); !dropped(res) {
		t.Errorf("--ignore-eos against Ollama's /v1: warnings %v, want one saying it drops ignore_eos", res.Warnings)
	}
	_, alone := newFakeOpenAI(t, fakeopenai.Config{Models: []string{"twin"}}, "")
	if res := fixed(alone); dropped(res) {
		t.Errorf("--ignore-eos against a server that is not Ollama: warnings %v, want none about Ollama", res.Warnings)
	}
	mi, err = alone.Describe(context.Background(), "twin", "")
	if err != nil || mi.Name != "twin" || mi.Architecture != "" || mi.Digest != "" || mi.Synthetic != nil {
		t.Errorf("without Ollama's API: %+v %v, want the name alone", mi, err)
	}
}

// "data: [DONE] " with a trailing blank ends the stream as "[DONE]" does; the server
// here is written for the test.
func TestSSEDoneWithTrailingBlank(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"+
			"data: {\"choices\":[{\"delta\":{\"content\":\" there\"},\"finish_reason\":\"stop\"}]}\n\n"+
			"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n"+
			"data: [DONE] \t\n\n")
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var s Sample
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	NewOpenAI(u, "").Stream(ctx, time.Now(), Request{Model: "m", User: "x", MaxTokens: 8}, &s)
	if !s.OK || s.OutputTokens != 2 || s.E2ENs == nil {
		t.Errorf("ok %v (%s: %s), output tokens %d, e2e %v: want a success ended by the padded [DONE]", s.OK, s.ErrorKind, s.Error, s.OutputTokens, s.E2ENs)
	}
}

// A request that cannot be built (an --extra-body that is not a JSON object, which
// Options.Validate would refuse first) fails before it is sent, as every failure
// ends: ErrStream, the reason in one line, an empty ITL list and no send time.
func TestRequestNotBuilt(t *testing.T) {
	_, o := newFakeOpenAI(t, fakeopenai.Config{Tokens: 3}, "")
	s := streamOpenAI(t, o, Request{MaxTokens: 3, ExtraBody: json.RawMessage(`[1, 2]`)})
	switch {
	case s.OK || s.ErrorKind != ErrStream:
		t.Fatalf("ok %v, kind %q, want a failed sample of kind %q", s.OK, s.ErrorKind, ErrStream)
	case !strings.HasPrefix(s.Error, "building the request: --extra-body: "):
		t.Errorf("error %q, want the reason after 'building the request: --extra-body: '", s.Error)
	case s.ITLNs == nil || len(s.ITLNs) != 0 || s.TTFTNs != nil || s.SentAtNs != 0:
		t.Errorf("itl %v, ttft %v, sent_at %d: a request never sent has no timing", s.ITLNs, pv(s.TTFTNs), s.SentAtNs)
	}
}
