// Package fakeopenai is a test server that speaks the parts of the OpenAI-compatible
// API that yardstick uses (GET /v1/models, streaming POST /v1/chat/completions as
// server-sent events), plus vLLM's GET /version and llama.cpp's GET /props, with
// exactly controlled timing and faults. It is for tests on loopback only.
package fakeopenai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/yardstick-dev/yardstick/internal/jsonhttp"
)

// Fault selects how /v1/chat/completions misbehaves.
type Fault string

const (
	FaultNone      Fault = ""
	FaultNoUsage   Fault = "no_usage"   // everything but the usage chunk, then [DONE]
	FaultNoDone    Fault = "no_done"    // text chunks, then the end: no usage, no [DONE]
	FaultHTTP500   Fault = "http_500"   // answer 500 with an OpenAI error body
	FaultErrorLine Fault = "error_line" // text chunks, then a data line {"error": {…}}
	FaultBadJSON   Fault = "bad_json"   // text chunks, then a data line that is not JSON
	FaultAfterDone Fault = "after_done" // a text chunk after [DONE]
)

// ErrorMessage is the message of FaultHTTP500 and FaultErrorLine.
const ErrorMessage = "the model runner crashed"

// Config sets the server's behaviour. Durations are slept on the server between
// writes (each chunk is flushed at once), so the client sees them plus loopback and
// scheduling delay.
type Config struct {
	// Models are the ids /v1/models lists; other models get 404.
	Models []string
	// Version is /version's answer (vLLM); empty gives 404.
	Version string
	// BuildInfo is /props's build_info (llama.cpp); empty gives 404.
	BuildInfo string
	// TTFT is the delay from the request to the first text chunk. A role-only chunk,
	// as OpenAI sends first, goes out at once, before it.
	TTFT time.Duration
	// Gap is the delay between consecutive text chunks.
	Gap time.Duration
	// Tokens is the number of output tokens (usage.completion_tokens); a request's
	// max_tokens lowers it, and finish_reason is "length" when it does or equals it,
	// "stop" otherwise.
	Tokens int
	// TokensPerChunk is the number of tokens, each one word " tok", in a text chunk
	// (default 1); the last chunk holds what remains.
	TokensPerChunk int
	// PromptTokens is usage.prompt_tokens; 0 counts the words of the messages plus 10.
	PromptTokens int
	// IncludeTimings adds llama.cpp's timings object to the last chunk: prompt_ms from
	// the request to the first text chunk, predicted_ms from it to the last text chunk,
	// both measured.
	IncludeTimings bool
	// OmitDone ends a stream after its usage chunk without data: [DONE].
	OmitDone bool
	// RequireKey, when set, makes /v1/ answer 401 unless the request carries
	// "Authorization: Bearer <RequireKey>".
	RequireKey string
	// Fault applies to every chat request.
	Fault Fault
	// ThinkingTokens makes the model a thinking one: unless the request sends
	// chat_template_kwargs.enable_thinking false, it first streams this many tokens of
	// thinking text in ReasoningField (TokensPerChunk to a chunk, Gap apart), then
	// ThinkPause instead of a Gap, then Tokens of content. completion_tokens counts
	// both; max_tokens caps the sum, thinking first.
	ThinkingTokens int
	ThinkPause     time.Duration
	// ReasoningField names the delta field of thinking text: "reasoning_content"
	// (llama.cpp, older vLLM; the default) or "reasoning" (vLLM).
	ReasoningField string
	// ReportReasoningTokens adds usage.completion_tokens_details.reasoning_tokens.
	ReportReasoningTokens bool
	// CachedPromptTokens, when set, is usage.prompt_tokens_details.cached_tokens.
	CachedPromptTokens *int
	// RejectReasoningEffort answers a request with reasoning_effort 400, as the OpenAI
	// API answers it for a model without reasoning.
	RejectReasoningEffort bool
}

// ReasoningEffortError is the message of RejectReasoningEffort's 400.
const ReasoningEffortError = "Unsupported parameter: 'reasoning_effort' is not supported with this model."

// Chat is a chat request as received.
type Chat struct {
	Body          map[string]any
	Authorization string
}

// Server is a running fake.
type Server struct {
	*httptest.Server
	cfg   Config
	mu    sync.Mutex
	chats []Chat
}

// New starts a fake on 127.0.0.1. Close it with Close.
func New(cfg Config) *Server {
	if cfg.TokensPerChunk <= 0 {
		cfg.TokensPerChunk = 1
	}
	s := &Server{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Version == "" {
			http.NotFound(w, r)
			return
		}
		jsonhttp.Write(w, 200, map[string]any{"version": cfg.Version})
	})
	mux.HandleFunc("GET /props", func(w http.ResponseWriter, r *http.Request) {
		if cfg.BuildInfo == "" {
			http.NotFound(w, r)
			return
		}
		jsonhttp.Write(w, 200, map[string]any{"build_info": cfg.BuildInfo, "total_slots": 1})
	})
	mux.HandleFunc("GET /v1/models", s.authorized(s.models))
	mux.HandleFunc("POST /v1/chat/completions", s.authorized(s.chat))
	s.Server = httptest.NewServer(mux)
	return s
}

// Chats returns the chat requests received so far.
func (s *Server) Chats() []Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Chat(nil), s.chats...)
}

// apiError writes an error in the OpenAI API's shape (as llama.cpp's server does).
func apiError(w http.ResponseWriter, code int, typ, msg string) {
	jsonhttp.Write(w, code, map[string]any{"error": map[string]any{"code": code, "message": msg, "type": typ}})
}

func (s *Server) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.RequireKey != "" && r.Header.Get("Authorization") != "Bearer "+s.cfg.RequireKey {
			apiError(w, 401, "authentication_error", "Invalid API Key")
			return
		}
		h(w, r)
	}
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	data := []map[string]any{}
	for _, m := range s.cfg.Models {
		data = append(data, map[string]any{"id": m, "object": "model", "created": 1700000000, "owned_by": "fakeopenai"})
	}
	jsonhttp.Write(w, 200, map[string]any{"object": "list", "data": data})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		apiError(w, 400, "invalid_request_error", "bad request: "+err.Error())
		return
	}
	s.mu.Lock()
	s.chats = append(s.chats, Chat{Body: body, Authorization: r.Header.Get("Authorization")})
	s.mu.Unlock()
	cfg := s.cfg
	model, _ := body["model"].(string)
	known := false
	for _, m := range cfg.Models {
		known = known || m == model
	}
	switch {
	case !known:
		apiError(w, 404, "not_found_error", fmt.Sprintf("The model `%s` does not exist.", model))
		return
	case body["stream"] != true:
		apiError(w, 400, "invalid_request_error", "fakeopenai serves streamed requests only")
		return
	case cfg.Fault == FaultHTTP500:
		apiError(w, 500, "server_error", ErrorMessage)
		return
	case cfg.RejectReasoningEffort && body["reasoning_effort"] != nil:
		apiError(w, 400, "invalid_request_error", ReasoningEffortError)
		return
	}
	thinking := 0
	if kw, _ := body["chat_template_kwargs"].(map[string]any); cfg.ThinkingTokens > 0 && kw["enable_thinking"] != false {
		thinking = cfg.ThinkingTokens
	}
	tokens := thinking + cfg.Tokens
	finish := "stop"
	if mt, ok := body["max_tokens"].(float64); ok && int(mt) <= tokens {
		tokens, finish = int(mt), "length"
	}
	thinking = min(thinking, tokens)
	answer := tokens - thinking
	field := cfg.ReasoningField
	if field == "" {
		field = "reasoning_content"
	}
	promptTokens := cfg.PromptTokens
	if promptTokens == 0 {
		msgs, _ := body["messages"].([]any)
		for _, m := range msgs {
			mm, _ := m.(map[string]any)
			c, _ := mm["content"].(string)
			promptTokens += len(strings.Fields(c))
		}
		promptTokens += 10
	}
	opts, _ := body["stream_options"].(map[string]any)
	includeUsage := opts["include_usage"] == true

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(200)
	fl := w.(http.Flusher)
	raw := func(line string) {
		_, _ = fmt.Fprintf(w, "%s\n\n", line)
		fl.Flush()
	}
	chunk := func(extra map[string]any) {
		c := map[string]any{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": start.Unix(), "model": model}
		for k, v := range extra {
			c[k] = v
		}
		b, _ := json.Marshal(c)
		raw("data: " + string(b))
	}
	choice := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}

	raw(": a comment, as servers send to keep a connection alive")
	chunk(choice(map[string]any{"role": "assistant", "content": ""}, nil))
	sleep(cfg.TTFT)
	first := time.Now()
	nt := (thinking + cfg.TokensPerChunk - 1) / cfg.TokensPerChunk
	for i := range nt {
		if i > 0 {
			sleep(cfg.Gap)
		}
		k := min(cfg.TokensPerChunk, thinking-i*cfg.TokensPerChunk)
		chunk(choice(map[string]any{field: strings.Repeat(" hm", k)}, nil))
	}
	n := (answer + cfg.TokensPerChunk - 1) / cfg.TokensPerChunk
	for i := range n {
		switch {
		case i == 0 && nt > 0:
			sleep(cfg.ThinkPause)
		case i > 0:
			sleep(cfg.Gap)
		}
		if i == n/2 {
			switch cfg.Fault {
			case FaultErrorLine:
				raw(`data: {"error":{"code":500,"message":"` + ErrorMessage + `","type":"server_error"}}`)
				return
			case FaultBadJSON:
				raw(`data: {"choices": [{"delta": {"content": "x"`)
				return
			}
		}
		k := min(cfg.TokensPerChunk, answer-i*cfg.TokensPerChunk)
		chunk(choice(map[string]any{"content": strings.Repeat(" tok", k)}, nil))
	}
	lastText := time.Now()
	if cfg.Fault == FaultNoDone {
		return
	}
	var timings map[string]any
	if cfg.IncludeTimings {
		timings = map[string]any{
			"prompt_n": promptTokens, "prompt_ms": ms(first.Sub(start)),
			"predicted_n": tokens, "predicted_ms": ms(lastText.Sub(first)),
		}
	}
	last := choice(map[string]any{}, finish)
	if includeUsage && cfg.Fault != FaultNoUsage {
		chunk(last)
		usage := map[string]any{"prompt_tokens": promptTokens, "completion_tokens": tokens, "total_tokens": promptTokens + tokens}
		if cfg.ReportReasoningTokens {
			usage["completion_tokens_details"] = map[string]any{"reasoning_tokens": thinking}
		}
		if cfg.CachedPromptTokens != nil {
			usage["prompt_tokens_details"] = map[string]any{"cached_tokens": *cfg.CachedPromptTokens}
		}
		last = map[string]any{"choices": []any{}, "usage": usage}
	}
	if timings != nil {
		last["timings"] = timings
	}
	chunk(last)
	if cfg.OmitDone {
		return
	}
	raw("data: [DONE]")
	if cfg.Fault == FaultAfterDone {
		chunk(choice(map[string]any{"content": " late"}, nil))
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func sleep(d time.Duration) {
	if d > 0 {
		time.Sleep(d)
	}
}
