// Package fakeollama is a test server that speaks the parts of Ollama's HTTP API that
// yardstick uses (/api/version, /api/show, /api/tags, /api/ps, streaming /api/chat),
// with exactly controlled timing and faults. It is for tests on loopback only.
package fakeollama

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/yardstick-dev/yardstick/internal/jsonhttp"
	"github.com/yardstick-dev/yardstick/synth"
)

// Fault selects how /api/chat misbehaves.
type Fault string

const (
	FaultNone       Fault = ""
	FaultNoDone     Fault = "no_done"      // stream text chunks, then end without done
	FaultErrorLine  Fault = "error_line"   // stream some chunks, then an {"error":...} line
	FaultHTTP500    Fault = "http_500"     // answer 500 with a JSON error
	FaultHTTP500Raw Fault = "http_500_raw" // answer 500 with an empty body
	FaultBadJSON    Fault = "bad_json"     // a chunk that is not JSON
	FaultStall      Fault = "stall"        // one chunk, then silence for Config.Stall
	FaultAfterDone  Fault = "after_done"   // a text chunk after the done chunk
	FaultNegative   Fault = "negative"     // a done chunk with eval_count −7
	FaultHTTP503    Fault = "http_503"     // answer 503 with a JSON error, as Ollama does when its queue is full
	FaultHangup     Fault = "hangup"       // close the connection without answering
	FaultStallFirst Fault = "stall_first"  // silence for Config.Stall before the first chunk
	FaultGarbage    Fault = "garbage"      // a complete line that is not JSON at all
	// FaultSplitUTF8 sends text chunks holding "héllo €" and writes each line to the
	// connection in two flushes split inside the three bytes of "€": the client must
	// join them, count the text and report no error.
	FaultSplitUTF8 Fault = "split_utf8"
	// FaultReload reports load_duration Config.ReloadLoad (default 2 s) on the faulted
	// requests, as a server that reloaded the model in between does.
	FaultReload Fault = "reload"
)

// SplitUTF8Text is the text of each chunk under FaultSplitUTF8: 9 bytes of UTF-8.
const SplitUTF8Text = "héllo €"

// ClosedURL returns the URL of a loopback port that refuses connections: it was
// listened on and closed again.
func ClosedURL() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	u := "http://" + l.Addr().String()
	return u, l.Close()
}

// Config sets the server's behaviour. Durations are slept on the server between
// writes (each chunk is flushed immediately), so the client sees them plus loopback
// and scheduling delay.
type Config struct {
	Version string
	// Models the server knows; others get 404 from /api/show and /api/chat.
	Models []string
	// TTFT is the delay from receiving the request to the first text chunk.
	TTFT time.Duration
	// PrefillPerS, when positive, adds prompt_eval_count / PrefillPerS seconds to
	// TTFT, as a server whose prefill runs at that rate: TTFT = TTFT + n / PrefillPerS.
	PrefillPerS float64
	// Gap is the delay between consecutive text chunks.
	Gap time.Duration
	// Tokens is the number of output tokens (eval_count) per request; a request's
	// num_predict lowers it.
	Tokens int
	// TokensPerChunk groups tokens into chunks (default 1).
	TokensPerChunk int
	// PromptTokensPerWord scales prompt_eval_count from the words of the user message,
	// plus TemplateTokens (defaults 1 and 10).
	PromptTokensPerWord float64
	TemplateTokens      int
	// PromptEval and Load are reported in the done chunk as prompt_eval_duration and
	// load_duration. PromptEval 0 reports the time from the request to the first
	// chunk; Load 0 reports 0 (FaultReload overrides it). eval_duration and
	// total_duration are always measured (but see ReportedStep).
	PromptEval, Load time.Duration
	DoneReason       string
	// Fault applies to requests number FaultFrom and after (0-based, counting
	// /api/chat generation requests), until FaultUntil (exclusive, 0 = forever).
	Fault                 Fault
	FaultFrom, FaultUntil int
	// ReportedStep, when set, replaces the measured eval_duration in the done chunk by
	// (eval_count − 1) × ReportedStep(n) for generation request n, so decode rates
	// follow a schedule the test chooses.
	ReportedStep func(n int) time.Duration
	// Stall is how long FaultStall stays silent after its first chunk, and
	// FaultStallFirst before it.
	Stall time.Duration
	// ReloadLoad is the load_duration FaultReload reports (default 2 s).
	ReloadLoad time.Duration
	// Synthetic adds the general.yardstick.* marks of a shape twin to /api/show.
	Synthetic bool
	// ThinkingTokens makes the model a thinking one ("thinking" in its capabilities):
	// a request that does not send think false first streams this many tokens of
	// message.thinking (TokensPerChunk to a chunk, Gap apart), then ThinkPause instead
	// of a Gap, then the answer's Tokens as message.content. eval_count counts both, as
	// Ollama's does; num_predict caps the sum, thinking first. With ThinkingTokens 0 a
	// request whose think is true or a level is answered 400 "\"<model>\" does not
	// support thinking", as Ollama v0.24.0 answers (server/routes.go ChatHandler).
	ThinkingTokens int
	ThinkPause     time.Duration
	// CachedPromptTokens, when set, is reported in the done chunk as
	// prompt_eval_cached_count, as Ollama does from v0.33.3 on; nil sends none, as
	// older versions.
	CachedPromptTokens *int
	// CacheSlots, when positive, models Ollama's prompt cache (runner/ollamarunner
	// cache.go, v0.24.0): that many slots, each holding the messages of the last request
	// it served and its reply, and serving one request at a time (a request waits for a
	// free one, as Ollama's runner waits for a free sequence). A request takes the free
	// slot whose messages match the most of its own from the start (whole messages), the
	// least recently used among equals;
	// the matched messages' tokens are cached, and prompt_eval_duration is then exactly
	// the uncached tokens / PrefillPerS (which must be set), prompt_eval_count still the
	// whole prompt, as Ollama counts it.
	CacheSlots int
}

// Server is a running fake.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	cfg      Config
	requests int
	loaded   map[string]bool
	// Bodies records the decoded /api/chat requests.
	Bodies   []map[string]any
	slots    []cacheSlot
	slotFree *sync.Cond // signalled when a slot is given back
}

// cacheSlot is one slot of the modelled prompt cache: the messages it holds ("role:
// content"), the words of each, and when it was last used.
type cacheSlot struct {
	msgs  []string
	words []int
	used  int
	busy  bool
}

// takeSlot waits for a free slot (s.mu held, released while waiting), takes the best
// one for msgs (with their words) as request n, and returns the words cached in it and
// the slot's index. freeSlot gives it back.
func (s *Server) takeSlot(msgs []string, words []int, n int) (cachedWords, slot int) {
	for {
		free := false
		for _, sl := range s.slots {
			free = free || !sl.busy
		}
		if free {
			break
		}
		s.slotFree.Wait()
	}
	best, bestMatch := -1, -1
	for i, sl := range s.slots {
		if sl.busy {
			continue
		}
		m := 0
		for m < len(sl.msgs) && m < len(msgs) && sl.msgs[m] == msgs[m] {
			m++
		}
		if m > bestMatch || (m == bestMatch && sl.used < s.slots[best].used) {
			best, bestMatch = i, m
		}
	}
	for _, w := range words[:bestMatch] {
		cachedWords += w
	}
	s.slots[best].used, s.slots[best].busy = n+1, true
	return cachedWords, best
}

// freeSlot gives slot i back (s.mu not held).
func (s *Server) freeSlot(i int) {
	s.mu.Lock()
	s.slots[i].busy = false
	s.mu.Unlock()
	s.slotFree.Broadcast()
}

// New starts a fake on 127.0.0.1. Close it with Close.
func New(cfg Config) *Server {
	if cfg.Version == "" {
		cfg.Version = "0.17.4"
	}
	if cfg.TokensPerChunk <= 0 {
		cfg.TokensPerChunk = 1
	}
	if cfg.PromptTokensPerWord == 0 {
		cfg.PromptTokensPerWord = 1
	}
	if cfg.TemplateTokens == 0 {
		cfg.TemplateTokens = 10
	}
	if cfg.DoneReason == "" {
		cfg.DoneReason = "length"
	}
	s := &Server{cfg: cfg, loaded: map[string]bool{}, slots: make([]cacheSlot, max(0, cfg.CacheSlots))}
	s.slotFree = sync.NewCond(&s.mu)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.Write(w, 200, map[string]any{"version": cfg.Version})
	})
	mux.HandleFunc("POST /api/show", s.show)
	mux.HandleFunc("GET /api/tags", s.tags)
	mux.HandleFunc("GET /api/ps", s.ps)
	mux.HandleFunc("POST /api/chat", s.chat)
	s.Server = httptest.NewServer(mux)
	return s
}

// Requests returns how many generation requests /api/chat has received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *Server) known(name string) bool {
	for _, m := range s.cfg.Models {
		if m == name || m+":latest" == name || m == name+":latest" {
			return true
		}
	}
	return false
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	name := jsonhttp.ShowName(r)
	if !s.known(name) {
		jsonhttp.ModelNotFound(w, name)
		return
	}
	// The tensors and hyperparameters of synth's Qwen2.5-0.5B shape at Q8_0, as a
	// real Ollama lists them for that twin.
	shape, _ := synth.LookupShape("qwen2.5-0.5b")
	info := map[string]any{
		"general.architecture":          "qwen2",
		"general.parameter_count":       494032768,
		"qwen2.context_length":          32768,
		"qwen2.block_count":             shape.BlockCount,
		"qwen2.embedding_length":        shape.EmbeddingLength,
		"qwen2.attention.head_count":    shape.HeadCount,
		"qwen2.attention.head_count_kv": shape.HeadCountKV,
	}
	var tensors []map[string]any
	for _, t := range shape.Tensors(synth.Q8_0) {
		tensors = append(tensors, map[string]any{"name": t.Name, "type": t.Type.String(), "shape": t.Shape})
	}
	if s.cfg.Synthetic {
		info["general.yardstick.synthetic"] = true
		info["general.yardstick.shape"] = "qwen2.5-0.5b"
		info["general.yardstick.quant"] = "Q8_0"
		info["general.yardstick.seed"] = 1
	}
	jsonhttp.Write(w, 200, map[string]any{
		"details": map[string]any{"format": "gguf", "family": "qwen2", "families": []string{"qwen2"},
			"parameter_size": "494.03M", "quantization_level": "Q8_0"},
		"model_info":   info,
		"tensors":      tensors,
		"capabilities": s.capabilities(),
	})
}

func (s *Server) tags(w http.ResponseWriter, r *http.Request) {
	var models []map[string]any
	for _, m := range s.cfg.Models {
		name := m
		if !strings.Contains(name, ":") {
			name += ":latest"
		}
		models = append(models, map[string]any{"name": name, "model": name, "size": 531000000,
			"digest": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
	}
	jsonhttp.Write(w, 200, map[string]any{"models": models})
}

func (s *Server) ps(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	models := []map[string]any{}
	for m := range s.loaded {
		models = append(models, map[string]any{"name": m, "model": m, "size": 600000000, "size_vram": 0, "context_length": 4096})
	}
	jsonhttp.Write(w, 200, map[string]any{"models": models})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		jsonhttp.Write(w, 400, map[string]any{"error": "bad request: " + err.Error()})
		return
	}
	model, _ := req["model"].(string)
	if !s.known(model) {
		jsonhttp.ModelNotFound(w, model)
		return
	}
	msgs, _ := req["messages"].([]any)
	var keys []string // "role:content" of each message, for the prompt cache
	var msgWords []int
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		role, _ := mm["role"].(string)
		c, _ := mm["content"].(string)
		keys = append(keys, role+":"+c)
		msgWords = append(msgWords, len(strings.Fields(c)))
	}
	if len(msgs) == 0 {
		// keep_alive 0 with no messages unloads (server/routes.go ChatHandler).
		s.mu.Lock()
		delete(s.loaded, model)
		s.mu.Unlock()
		jsonhttp.Write(w, 200, map[string]any{"model": model, "done": true, "done_reason": "unload", "message": map[string]any{"role": "assistant"}})
		return
	}
	s.mu.Lock()
	n := s.requests
	s.requests++
	s.Bodies = append(s.Bodies, req)
	s.loaded[model] = true
	cfg := s.cfg
	cachedWords, slot := 0, -1
	if len(s.slots) > 0 {
		cachedWords, slot = s.takeSlot(keys, msgWords, n)
	}
	s.mu.Unlock()
	if slot >= 0 {
		defer s.freeSlot(slot)
	}
	fault := FaultNone
	if n >= cfg.FaultFrom && (cfg.FaultUntil == 0 || n < cfg.FaultUntil) {
		fault = cfg.Fault
	}
	switch fault {
	case FaultHTTP500:
		jsonhttp.Write(w, 500, map[string]any{"error": "llama runner process has terminated"})
		return
	case FaultHTTP500Raw:
		w.WriteHeader(500)
		return
	case FaultHTTP503:
		jsonhttp.Write(w, 503, map[string]any{"error": "server busy, please try again.  maximum pending requests exceeded"})
		return
	case FaultHangup:
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}

	words := 0
	for _, m := range msgs {
		if mm, ok := m.(map[string]any); ok {
			c, _ := mm["content"].(string)
			words += len(strings.Fields(c))
		}
	}
	promptTokens := int(float64(words)*cfg.PromptTokensPerWord) + cfg.TemplateTokens
	think := req["think"] != nil && req["think"] != false
	if think && cfg.ThinkingTokens == 0 {
		jsonhttp.Write(w, 400, map[string]any{"error": fmt.Sprintf("%q does not support thinking", model)})
		return
	}
	thinking := 0
	if cfg.ThinkingTokens > 0 && req["think"] != false {
		thinking = cfg.ThinkingTokens
	}
	tokens := thinking + cfg.Tokens
	if opts, ok := req["options"].(map[string]any); ok {
		if np, ok := opts["num_predict"].(float64); ok && int(np) < tokens {
			tokens = int(np)
		}
	}
	thinking = min(thinking, tokens)
	answer := tokens - thinking

	start := time.Now()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(200)
	fl := w.(http.Flusher)
	enc := json.NewEncoder(w)
	send := func(v any) {
		_ = enc.Encode(v)
		fl.Flush()
	}
	text := func(k int) string { return strings.Repeat(" tok", k) }
	if fault == FaultSplitUTF8 {
		euro := []byte("€")
		text = func(int) string { return SplitUTF8Text }
		send = func(v any) {
			b, _ := json.Marshal(v)
			b = append(b, '\n')
			if i := bytes.Index(b, euro); i >= 0 {
				_, _ = w.Write(b[:i+1]) // the first byte of three
				fl.Flush()
				time.Sleep(time.Millisecond)
				b = b[i+1:]
			}
			_, _ = w.Write(b)
			fl.Flush()
		}
	}
	if fault == FaultStallFirst {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(cfg.Stall):
		}
	}
	ttft := cfg.TTFT
	computed := promptTokens - int(float64(cachedWords)*cfg.PromptTokensPerWord)
	if cfg.PrefillPerS > 0 {
		ttft += time.Duration(float64(computed) / cfg.PrefillPerS * 1e9)
	}
	var reply strings.Builder // the answer streamed, for the prompt cache
	sleep(ttft)
	firstAt := time.Now()
	thinkChunks := (thinking + cfg.TokensPerChunk - 1) / cfg.TokensPerChunk
	for i := 0; i < thinkChunks; i++ {
		if i > 0 {
			sleep(cfg.Gap)
		}
		k := min(cfg.TokensPerChunk, thinking-i*cfg.TokensPerChunk)
		send(map[string]any{"model": model, "created_at": time.Now().UTC(), "done": false,
			"message": map[string]any{"role": "assistant", "content": "", "thinking": strings.Repeat(" hm", k)}})
	}
	chunks := (answer + cfg.TokensPerChunk - 1) / cfg.TokensPerChunk
	for i := 0; i < chunks; i++ {
		switch {
		case i == 0 && thinkChunks > 0:
			sleep(cfg.ThinkPause)
		case i > 0:
			sleep(cfg.Gap)
		}
		if fault == FaultErrorLine && i == chunks/2 {
			send(map[string]any{"error": "an error was encountered while running the model"})
			return
		}
		if fault == FaultStall && i == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(cfg.Stall):
			}
			return
		}
		if fault == FaultGarbage && i == chunks/2 {
			_, _ = w.Write([]byte("<html>502 Bad Gateway</html>\n"))
			fl.Flush()
			return
		}
		if fault == FaultBadJSON && i == chunks/2 {
			_, _ = w.Write([]byte("{\"model\": \"x\", \"message\": {\n"))
			fl.Flush()
			return
		}
		k := min(cfg.TokensPerChunk, answer-i*cfg.TokensPerChunk)
		reply.WriteString(text(k))
		send(map[string]any{"model": model, "created_at": time.Now().UTC(), "done": false,
			"message": map[string]any{"role": "assistant", "content": text(k)}})
	}
	if slot >= 0 {
		s.mu.Lock()
		s.slots[slot].msgs = append(keys, "assistant:"+reply.String())
		s.slots[slot].words = append(msgWords, len(strings.Fields(reply.String())))
		s.mu.Unlock()
	}
	if fault == FaultNoDone {
		return
	}
	end := time.Now()
	pe := cfg.PromptEval
	switch {
	case slot >= 0:
		pe = time.Duration(float64(computed) / cfg.PrefillPerS * 1e9)
	case pe == 0:
		pe = firstAt.Sub(start)
	}
	evalCount := tokens
	load := cfg.Load
	if fault == FaultReload {
		load = cfg.ReloadLoad
		if load == 0 {
			load = 2 * time.Second
		}
	}
	if fault == FaultNegative {
		evalCount = -7
	}
	defer func() {
		if fault == FaultAfterDone {
			send(map[string]any{"model": model, "done": false, "message": map[string]any{"role": "assistant", "content": " late"}})
		}
	}()
	done := map[string]any{
		"model": model, "created_at": time.Now().UTC(), "done": true, "done_reason": cfg.DoneReason,
		"message":              map[string]any{"role": "assistant", "content": ""},
		"total_duration":       int64(time.Since(start)),
		"load_duration":        int64(load),
		"prompt_eval_count":    promptTokens,
		"prompt_eval_duration": int64(pe),
		"eval_count":           evalCount,
		"eval_duration":        evalDuration(cfg, n, tokens, end.Sub(firstAt)),
	}
	if cfg.CachedPromptTokens != nil {
		done["prompt_eval_cached_count"] = *cfg.CachedPromptTokens
	}
	send(done)
}

// capabilities are /api/show's: completion, and thinking for a thinking model.
func (s *Server) capabilities() []string {
	if s.cfg.ThinkingTokens > 0 {
		return []string{"completion", "thinking"}
	}
	return []string{"completion"}
}

func sleep(d time.Duration) {
	if d > 0 {
		time.Sleep(d)
	}
}

func evalDuration(cfg Config, n, tokens int, measured time.Duration) int64 {
	if cfg.ReportedStep == nil || tokens < 2 {
		return int64(measured)
	}
	return int64(time.Duration(tokens-1) * cfg.ReportedStep(n))
}
