package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/version"

	"github.com/yardstick-dev/yardstick/profiles"
)

// Ollama drives an Ollama server through its official Go client
// (github.com/ollama/ollama/api, v0.24.0).
type Ollama struct {
	base   *url.URL
	client *api.Client
	hc     *http.Client // the client's own HTTP client, for streamed requests
	scrub  Scrubber     // the user and password of base, out of everything the server says
}

// NewOllama returns a backend for the server at base (see ParseHost). The HTTP client
// uses no proxy, so requests go to the target and nowhere else.
func NewOllama(base *url.URL) *Ollama {
	hc := newHTTPClient(MaxInFlight)
	// The official client reads whole answers into memory: its own client shares the
	// connections but stops reading past maxMetaBytes.
	meta := *hc
	meta.Transport = boundedBodies{hc.Transport, maxMetaBytes}
	return &Ollama{base: base, client: api.NewClient(base, &meta), hc: hc, scrub: NewScrubber(base, "")}
}

// ErrAnswerTooLarge is wrapped by the error of a metadata request whose answer is
// larger than maxMetaBytes: no metadata answer is that large, and reading it whole
// would let the server grow this process without bound.
var ErrAnswerTooLarge = errors.New("answer too large")

// boundedBodies is a RoundTripper whose response bodies fail with ErrAnswerTooLarge
// after limit bytes.
type boundedBodies struct {
	rt    http.RoundTripper
	limit int64
}

func (b boundedBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.rt.RoundTrip(r)
	if err == nil {
		resp.Body = &boundedBody{ReadCloser: resp.Body, left: b.limit, limit: b.limit}
	}
	return resp, err
}

type boundedBody struct {
	io.ReadCloser
	left, limit int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, fmt.Errorf("the server's answer is larger than %d bytes: %w", b.limit, ErrAnswerTooLarge)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		n-- // the byte past the limit is not handed on
		err = fmt.Errorf("the server's answer is larger than %d bytes: %w", b.limit, ErrAnswerTooLarge)
	}
	return n, err
}

// newHTTPClient returns the HTTP client of a backend: no proxy (requests go to the
// target and nowhere else), no redirects followed (errRedirect), no compression, at
// most maxIdlePerHost idle connections kept for reuse. Backends keep MaxInFlight, so a level of any --concurrency reuses
// its connections instead of dialing inside TTFT (net/http's default keeps 2).
func newHTTPClient(maxIdlePerHost int) *http.Client {
	return &http.Client{CheckRedirect: refuseRedirect, Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: maxIdlePerHost,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

// ErrRedirect is wrapped by the error of every request the server answered with a
// redirect. Backends follow none: the run records one server (target.host) and
// measures that server, and Go's client would forward the Authorization header to
// another port or scheme of the same host name.
var ErrRedirect = errors.New("redirects are not followed")

func refuseRedirect(req *http.Request, via []*http.Request) error {
	return fmt.Errorf("the server redirected to %s: %w; give --host the address that serves the API itself", Redact(req.URL.String()), ErrRedirect)
}

// Name returns "ollama".
func (o *Ollama) Name() string { return "ollama" }

// URL returns the server's base URL.
func (o *Ollama) URL() *url.URL { return o.base }

// Client returns the underlying Ollama API client.
func (o *Ollama) Client() *api.Client { return o.client }

// Version returns the server's version (/api/version). An unreachable server gives an
// error that names the host.
func (o *Ollama) Version(ctx context.Context) (version string, err error) {
	defer func() { version, err = o.scrub.Meta(version), o.scrub.Err(err) }()
	v, err := o.client.Version(ctx)
	var se api.StatusError
	switch {
	case errors.As(err, &se):
		return "", fmt.Errorf("the server at %s answered /api/version with HTTP %d: %s (is it Ollama?)", Redact(o.base.String()), se.StatusCode, se.ErrorMessage)
	case errors.Is(err, context.DeadlineExceeded):
		return "", fmt.Errorf("the server at %s did not answer /api/version within %v", Redact(o.base.String()), MetadataTimeout)
	case err != nil:
		return "", fmt.Errorf("cannot reach Ollama at %s: %w (is a server running there? pass --host or set OLLAMA_HOST)", Redact(o.base.String()), rootCause(err))
	case strings.TrimSpace(v) == "":
		return "", fmt.Errorf("the server at %s reported no version on /api/version (is it Ollama?)", Redact(o.base.String()))
	}
	return v, nil
}

// ModelInfo is what the server says about the model it serves (/api/show and
// /api/tags). Numeric fields are 0 when the server does not report them.
type ModelInfo struct {
	Name              string   `json:"name"`
	Digest            string   `json:"digest,omitempty"`
	Format            string   `json:"format,omitempty"`
	Family            string   `json:"family,omitempty"`
	Families          []string `json:"families,omitempty"`
	Architecture      string   `json:"architecture,omitempty"`
	ParameterSize     string   `json:"parameter_size,omitempty"`
	ParameterCount    uint64   `json:"parameter_count,omitempty"`
	QuantizationLevel string   `json:"quantization_level,omitempty"`
	// ContextLength is the model's trained context (<arch>.context_length), tokens.
	ContextLength uint64 `json:"context_length,omitempty"`
	// ExpertCount and ExpertUsedCount are set for mixtures of experts.
	ExpertCount     uint64 `json:"expert_count,omitempty"`
	ExpertUsedCount uint64 `json:"expert_used_count,omitempty"`
	// EmbeddingLength is the hidden size (<arch>.embedding_length); VocabSize the
	// tokens of the vocabulary (<arch>.vocab_size, else the second dimension of
	// token_embd.weight). Both size the compute buffers of the memory prediction; 0
	// when the server did not say.
	EmbeddingLength uint64 `json:"embedding_length,omitempty"`
	VocabSize       uint64 `json:"vocab_size,omitempty"`
	// HeadCount is the query heads (<arch>.attention.head_count), which size the
	// attention scores of a server without flash attention; 0 when not said.
	HeadCount     uint64   `json:"head_count,omitempty"`
	FileSizeBytes int64    `json:"file_size_bytes,omitempty"`
	Capabilities  []string `json:"capabilities,omitempty"`
	// Cost is what a token costs this model, from its tensors (for the roofline); nil
	// with CostError set when the server did not describe them.
	Cost      *profiles.ModelCost `json:"cost,omitempty"`
	CostError string              `json:"cost_error,omitempty"`
	// Synthetic is set when the model is a yardstick shape twin with random weights:
	// its speed and memory are those of the real shape, its text is noise.
	Synthetic *Synthetic `json:"synthetic,omitempty"`
}

// Synthetic marks a shape twin, read from the general.yardstick.* keys that
// `yardstick synth` writes into the GGUF.
type Synthetic struct {
	Weights string `json:"weights"` // always "random"
	Shape   string `json:"shape"`
	Quant   string `json:"quant"`
	Seed    string `json:"seed,omitempty"`
}

// Describe asks the server about model. A model the server does not have gives an
// error saying so. kvCacheType (a key of profiles.KVCacheBytesPerElement) sizes the KV
// cache in the model's cost.
func (o *Ollama) Describe(ctx context.Context, model, kvCacheType string) (info ModelInfo, err error) {
	defer func() { info, err = o.scrub.ModelInfo(info), o.scrub.Err(err) }()
	show, err := o.client.Show(ctx, &api.ShowRequest{Model: model})
	if err != nil {
		var se api.StatusError
		if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
			return ModelInfo{}, fmt.Errorf("model %q not found on %s (pull it with `ollama pull %s`, or create a shape twin with `yardstick synth --create`)",
				model, Redact(o.base.String()), model)
		}
		return ModelInfo{}, fmt.Errorf("asking %s about model %q: %w", Redact(o.base.String()), model, rootCause(err))
	}
	mi := ModelInfo{
		Name:              model,
		Format:            show.Details.Format,
		Family:            show.Details.Family,
		Families:          show.Details.Families,
		ParameterSize:     show.Details.ParameterSize,
		QuantizationLevel: show.Details.QuantizationLevel,
	}
	for _, c := range show.Capabilities {
		mi.Capabilities = append(mi.Capabilities, string(c))
	}
	kv := show.ModelInfo
	mi.Architecture = kvString(kv, "general.architecture")
	mi.ParameterCount = kvUint(kv, "general.parameter_count")
	if a := mi.Architecture; a != "" {
		mi.ContextLength = kvUint(kv, a+".context_length")
		mi.ExpertCount = kvUint(kv, a+".expert_count")
		mi.ExpertUsedCount = kvUint(kv, a+".expert_used_count")
		mi.EmbeddingLength = kvUint(kv, a+".embedding_length")
		mi.VocabSize = kvUint(kv, a+".vocab_size")
		mi.HeadCount = kvUint(kv, a+".attention.head_count")
	}
	if mi.VocabSize == 0 {
		for _, t := range show.Tensors {
			if t.Name == "token_embd.weight" && len(t.Shape) == 2 {
				mi.VocabSize = t.Shape[1] // ggml order: [n_embd, n_vocab]
			}
		}
	}
	if b, ok := kv["general.yardstick.synthetic"].(bool); ok && b {
		mi.Synthetic = &Synthetic{
			Weights: "random",
			Shape:   kvString(kv, "general.yardstick.shape"),
			Quant:   kvString(kv, "general.yardstick.quant"),
			Seed:    fmt.Sprint(kv["general.yardstick.seed"]),
		}
		if mi.Synthetic.Seed == "<nil>" {
			mi.Synthetic.Seed = ""
		}
	}
	tensors := make([]profiles.Tensor, 0, len(show.Tensors))
	for _, t := range show.Tensors {
		tensors = append(tensors, profiles.Tensor{Name: t.Name, Type: t.Type, Shape: t.Shape})
	}
	if c, err := profiles.ComputeModelCost(tensors, kv, kvCacheType); err == nil {
		mi.Cost = &c
	} else {
		mi.CostError = err.Error()
	}
	// The digest and file size are only in the model list.
	if list, err := o.client.List(ctx); err == nil {
		for _, m := range list.Models {
			if sameModel(m.Name, model) || sameModel(m.Model, model) {
				mi.Digest, mi.FileSizeBytes = m.Digest, m.Size
				break
			}
		}
	}
	return mi, nil
}

// sameModel compares model names the way Ollama resolves them: a missing tag is
// ":latest".
func sameModel(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToLower(s)
		s = strings.TrimPrefix(s, "registry.ollama.ai/")
		s = strings.TrimPrefix(s, "library/")
		if i := strings.LastIndex(s, "/"); !strings.Contains(s[i+1:], ":") {
			s += ":latest"
		}
		return s
	}
	return norm(a) == norm(b)
}

func sameDigest(a, b string) bool {
	return strings.TrimPrefix(a, "sha256:") == strings.TrimPrefix(b, "sha256:")
}

func kvString(kv map[string]any, k string) string {
	s, _ := kv[k].(string)
	return s
}

// kvUint reads a number from /api/show's model_info, which JSON decodes as float64.
func kvUint(kv map[string]any, k string) uint64 {
	switch v := kv[k].(type) {
	case float64:
		if v > 0 {
			return uint64(v)
		}
	case json.Number:
		n, _ := v.Int64()
		if n > 0 {
			return uint64(n)
		}
	}
	return 0
}

// OtherLoaded returns the names of the models /api/ps lists other than model (matched
// as in Running), sorted.
func (o *Ollama) OtherLoaded(ctx context.Context, model, digest string) (_ []string, err error) {
	defer func() { err = o.scrub.Err(err) }()
	ps, err := o.client.ListRunning(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing running models: %w", rootCause(err))
	}
	var names []string
	for _, m := range ps.Models {
		if sameModel(m.Name, model) || sameModel(m.Model, model) || (digest != "" && sameDigest(m.Digest, digest)) {
			continue
		}
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names, nil
}

// Running returns the server's entry for model in /api/ps, or nil when it is not
// loaded. Models are matched by name or, when digest is not empty, by digest: Ollama
// shares one runner between names of the same blob and lists it under the name that
// loaded it first.
func (o *Ollama) Running(ctx context.Context, model, digest string) (_ *api.ProcessModelResponse, err error) {
	defer func() { err = o.scrub.Err(err) }()
	ps, err := o.client.ListRunning(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing running models: %w", rootCause(err))
	}
	for i := range ps.Models {
		m := &ps.Models[i]
		if sameModel(m.Name, model) || sameModel(m.Model, model) || (digest != "" && sameDigest(m.Digest, digest)) {
			return m, nil
		}
	}
	return nil, nil
}

// Unload asks the server to unload model (matched as in Running) (a chat request with no messages and
// keep_alive 0, server/routes.go ChatHandler, v0.24.0) and waits, polling /api/ps every
// 50 ms for at most timeout, until the model is gone. It returns whether the model was
// loaded before.
func (o *Ollama) Unload(ctx context.Context, model, digest string, timeout time.Duration) (wasLoaded bool, err error) {
	defer func() { err = o.scrub.Err(err) }()
	m, err := o.Running(ctx, model, digest)
	if err != nil {
		return false, err
	}
	if m == nil {
		return false, nil
	}
	stream := false
	req := &api.ChatRequest{Model: model, KeepAlive: &api.Duration{Duration: 0}, Stream: &stream}
	if err := o.client.Chat(ctx, req, func(api.ChatResponse) error { return nil }); err != nil {
		return true, fmt.Errorf("unloading %q: %w", model, rootCause(err))
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		m, err := o.Running(ctx, model, digest)
		if err != nil {
			return true, err
		}
		if m == nil {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return true, fmt.Errorf("model %q still loaded %v after asking the server to unload it", model, timeout)
}

// Request is one chat request as the run builds it.
type Request struct {
	Model string
	// System and User are the request's two messages when Messages is empty: the
	// synthetic workload's system message (its nonce) and prompt.
	System string
	User   string
	// Messages, when non-empty, are the chat messages sent, in order (roles "system",
	// "user", "assistant"), instead of System and User: a dataset's prompt, or a
	// conversation's history and its new turn.
	Messages []Message
	// Reply, when non-nil, receives the answer text (message.content on Ollama,
	// delta.content on OpenAI; never thinking text) as it streams, so a conversation
	// can send it back as the next turn's history. Nil costs nothing per chunk.
	Reply       *strings.Builder
	MaxTokens   int
	Seed        int64
	Temperature float64
	NumCtx      int
	// Think is sent as Ollama's think (a bool, or a level) and mapped on the OpenAI
	// backend (OpenAI.chatRequest).
	Think Think
	// ThinkSet: Think was asked for explicitly (Options.ThinkSet).
	ThinkSet  bool
	KeepAlive time.Duration
	// FirstTokenTimeout, when positive, abandons the request if no chunk of generated
	// text has arrived this long after it was sent.
	FirstTokenTimeout time.Duration
	// IgnoreEOS, MinTokens and ExtraBody are sent by the OpenAI backend only
	// (Options.IgnoreEOS): ignore_eos when true, min_tokens when positive, and
	// ExtraBody's fields (a JSON object) added to the body.
	IgnoreEOS bool
	MinTokens int
	ExtraBody json.RawMessage
}

// errFirstToken cancels a request that passed its first-token timeout.
var errFirstToken = errors.New("first-token timeout")

// userAgent is the official client's User-Agent (api/client.go stream, v0.24.0),
// formatted once.
var userAgent = fmt.Sprintf("ollama/%s (%s %s) Go/%s", version.Version, runtime.GOARCH, runtime.GOOS, runtime.Version())

// Stream sends req and measures it into s. Timestamps are offsets from began on the
// monotonic clock. The request is encoded before the clock starts, so "sent" is the
// moment it is handed to the HTTP client; each chunk is timed by the read of the body
// that brought it (lineReader), before it is scanned or decoded. s.ScheduledAtNs, Index, Phase and Nonce are set by the
// caller; Stream fills the rest and always returns with s.OK or s.ErrorKind set. It
// never returns an error: a failed request is a failed sample.
func (o *Ollama) Stream(ctx context.Context, began time.Time, req Request, s *Sample) {
	streamWire(ctx, began, req, s, o.hc, o.scrub, &ollamaWire{o: o})
}

// ollamaWire reads one /api/chat stream: NDJSON lines, the last with done true and
// the server's metrics (api.Metrics, v0.24.0 api/types.go).
type ollamaWire struct {
	o       *Ollama
	reply   *strings.Builder // Request.Reply
	end     bool
	metrics api.Metrics
	cached  *int // prompt_eval_cached_count of the done chunk, when sent
}

func (w *ollamaWire) request(ctx context.Context, req Request) (*http.Request, error) {
	w.reply = req.Reply
	return w.o.chatRequest(ctx, req)
}

// ollamaMessages is req's messages in api.Message form: Messages when given, else
// System (when not empty) and User.
func ollamaMessages(req Request) []api.Message {
	if len(req.Messages) == 0 {
		return []api.Message{{Role: "system", Content: req.System}, {Role: "user", Content: req.User}}
	}
	out := make([]api.Message, len(req.Messages))
	for i, m := range req.Messages {
		out[i] = api.Message{Role: m.Role, Content: m.Content}
	}
	return out
}

func (w *ollamaWire) read(resp *http.Response, c *streamClock, s *Sample) error {
	fast := func(ch *ollamaChunk, now int64) error {
		if w.end {
			return errAfterDone
		}
		c.chunk(s, now, ch.thinking.n, ch.content.n)
		if w.reply != nil {
			ch.content.appendTo(w.reply)
		}
		return nil
	}
	return readChat(resp, c.began, fast, func(l *chatLine, now int64) error {
		if w.end {
			return errAfterDone
		}
		r := &l.ChatResponse
		c.chunk(s, now, len(r.Message.Thinking), len(r.Message.Content))
		if w.reply != nil {
			w.reply.WriteString(r.Message.Content)
		}
		if r.Done {
			w.end = true
			s.E2ENs = ptr(now - c.sent)
			w.metrics = r.Metrics
			s.DoneReason = r.DoneReason
			w.cached = l.CachedCount.n
		}
		return nil
	})
}

func (w *ollamaWire) done() bool { return w.end }

func (w *ollamaWire) wireError(err error) (ErrorKind, string, bool) {
	if errors.Is(err, errAfterDone) {
		return ErrStream, "the server sent data after the done chunk", true
	}
	return "", "", false
}

func (w *ollamaWire) settle(s *Sample, _ *streamClock) (ErrorKind, string) {
	m := w.metrics
	switch {
	case !w.end:
		return ErrNoDone, fmt.Sprintf("stream ended without a done chunk after %d chunks", s.Chunks)
	case m.EvalCount < 0 || m.PromptEvalCount < 0 || m.EvalDuration < 0 || m.PromptEvalDuration < 0 || m.TotalDuration < 0 || m.LoadDuration < 0:
		return ErrDecode, fmt.Sprintf("the done chunk reports impossible figures (eval_count %d, prompt_eval_count %d: a negative count or duration)",
			m.EvalCount, m.PromptEvalCount)
	case w.cached != nil && (*w.cached < 0 || *w.cached > m.PromptEvalCount):
		return ErrDecode, fmt.Sprintf("the done chunk reports impossible figures (prompt_eval_cached_count %d of prompt_eval_count %d)", *w.cached, m.PromptEvalCount)
	case m.EvalCount > 0 && s.TextChunks == 0:
		// As on the OpenAI backend: tokens counted and none streamed leave no TTFT.
		return ErrDecode, fmt.Sprintf("the done chunk reports %d output tokens (eval_count), but no chunk carried text (message.content or message.thinking): no TTFT can be measured", m.EvalCount)
	}
	s.PromptTokens, s.OutputTokens, s.CachedPromptTokens = m.PromptEvalCount, m.EvalCount, w.cached
	s.ServerPromptEvalNs, s.ServerEvalNs = int64(m.PromptEvalDuration), int64(m.EvalDuration)
	s.LoadNs, s.ServerTotalNs = int64(m.LoadDuration), int64(m.TotalDuration)
	return "", ""
}

// chatRequest encodes req as the official client would (api.ChatRequest to POST
// /api/chat, the same headers; api/client.go stream, v0.24.0). Request signing for
// ollama.com and OLLAMA_AUTH is not done: yardstick measures servers it can reach
// directly, and such a host answers 401, a failed request that says so.
func (o *Ollama) chatRequest(ctx context.Context, req Request) (*http.Request, error) {
	stream := true
	body, err := json.Marshal(&api.ChatRequest{
		Model:     req.Model,
		Messages:  ollamaMessages(req),
		Stream:    &stream,
		KeepAlive: &api.Duration{Duration: req.KeepAlive},
		Think:     req.Think.ollama(),
		Options: map[string]any{
			"num_predict": req.MaxTokens,
			"seed":        req.Seed,
			"temperature": req.Temperature,
			"num_ctx":     req.NumCtx,
		},
	})
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, o.base.JoinPath("/api/chat").String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/x-ndjson")
	hreq.Header.Set("User-Agent", userAgent)
	return hreq, nil
}

// maxLineBytes is the official client's longest line (api/client.go maxBufferSize,
// v0.24.0).
const maxLineBytes = 8 * 1000 * 1000

// chatLine is one line of a /api/chat stream: a chunk, or an error. Only lines the
// chunk scanner defers are decoded into it (the done chunk, errors, anything
// unusual), so a field here costs nothing per text chunk.
type chatLine struct {
	api.ChatResponse
	Error string `json:"error,omitempty"`
	// CachedCount is what the done chunk holds beyond the client library's
	// api.Metrics (v0.24.0): the count of prompt tokens read from the prompt cache,
	// which Ollama sends from v0.33.3 on (api/types.go Metrics,
	// prompt_eval_cached_count, a *int: present when the runner knows it, 0
	// included).
	CachedCount optionalCount `json:"prompt_eval_cached_count"`
}

// optionalCount is a count the wire reads when it is a JSON integer and ignores
// otherwise (nil): a server's extra figure of another type does not fail the chunk
// that carries it.
type optionalCount struct{ n *int }

func (c *optionalCount) UnmarshalJSON(b []byte) error {
	var n *int
	if json.Unmarshal(b, &n) == nil {
		c.n = n
	}
	return nil
}

// Errors of readChat that are not the server's.
var (
	errLineTooLong = fmt.Errorf("a line longer than %d bytes", maxLineBytes)
	errAfterDone   = errors.New("data after the done chunk")
)

// readChat reads an NDJSON /api/chat response and calls fn with each chunk, decoded
// once, and the time it was read (an offset from began: the time of the read that brought it, lineReader). A line of a 200
// stream that the chunk scanner reads (scanOllamaChunk: a chunk before the last, the
// common case) goes to fast instead, undecoded; fn gets the rest (the done chunk,
// errors, anything unusual). It reads what the official client reads (api/client.go
// stream, v0.24.0) but reports what that client swallows: an error status, even with
// an empty body, is a StatusError; a line {"error": …} ends the stream with that
// message; a line that is not JSON is a malformedLine; a broken connection is its
// read error; a line over maxLineBytes is errLineTooLong. A clean end of the body
// returns nil. Lines come through a pooled 64 KiB reader and each is scanned or
// decoded once, where the official client allocates an 8 MB buffer per request and
// decodes every line twice (docs/performance.md).
func readChat(resp *http.Response, began time.Time, fast func(c *ollamaChunk, now int64) error, fn func(l *chatLine, now int64) error) error {
	ok := resp.StatusCode < http.StatusBadRequest
	var oc ollamaChunk
	_, lines, err := eachLine(resp.Body, began, func(line []byte, now int64) error {
		if ok && scanOllamaChunk(line, &oc) {
			return fast(&oc, now)
		}
		return decodeChatLine(resp, line, now, fn)
	})
	switch {
	case !ok && err == errLineTooLong:
		// An error page too long to be one line is still the server's status.
		return StatusError{Code: resp.StatusCode, Status: resp.Status, Message: "(an error body longer than any line read)"}
	case !ok && err == nil && lines == 0:
		return StatusError{Code: resp.StatusCode, Status: resp.Status}
	}
	return err
}

// eachLine reads body through a pooled lineReader and calls fn with each non-empty
// line, without its line end (valid during the call), and the time it was read (an
// offset from began: the time of the read that brought it, lineReader). It returns
// the time of the last read, the count of non-empty lines, and nil at a clean end of
// the body, else errLineTooLong, the body's read error or fn's.
func eachLine(body io.Reader, began time.Time, fn func(line []byte, now int64) error) (end int64, lines int, err error) {
	lr := newLineReader(body, began)
	defer lr.release()
	for {
		line, rerr := readStreamLine(lr.br)
		if rerr == errLineTooLong {
			return lr.at, lines, rerr
		}
		if len(line) > 0 {
			lines++
			if err := fn(line, lr.at); err != nil {
				return lr.at, lines, err
			}
		}
		if rerr == io.EOF {
			return lr.at, lines, nil
		}
		if rerr != nil {
			return lr.at, lines, rerr
		}
	}
}

// decodeChatLine decodes one line of an /api/chat response with encoding/json and
// hands it to fn, or returns the error it is (see readChat).
func decodeChatLine(resp *http.Response, line []byte, now int64, fn func(l *chatLine, now int64) error) error {
	var cl chatLine
	if err := json.Unmarshal(line, &cl); err != nil {
		if resp.StatusCode >= http.StatusBadRequest {
			return StatusError{Code: resp.StatusCode, Status: resp.Status, Message: string(line)}
		}
		return badChunk(line, err)
	}
	switch {
	case resp.StatusCode >= http.StatusBadRequest:
		return StatusError{Code: resp.StatusCode, Status: resp.Status, Message: cl.Error}
	case cl.Error != "":
		return streamError(cl.Error)
	}
	return fn(&cl, now)
}

// readStreamLine returns br's next line without its trailing "\r\n" or "\n", and the
// read error that ended it (io.EOF after a last line without a newline). A line longer
// than maxLineBytes is errLineTooLong. The line is valid until br is read again.
func readStreamLine(br *bufio.Reader) ([]byte, error) {
	var long []byte
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(long)+len(line) > maxLineBytes {
				return nil, errLineTooLong
			}
			long = append(long, line...)
			continue
		}
		if long != nil {
			line = append(long, line...)
		}
		for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
			line = line[:len(line)-1]
		}
		return line, err
	}
}

// streamError is an error line sent by the server in the middle of a stream.
type streamError string

func (e streamError) Error() string { return string(e) }

// malformedLine is a line of a 200 stream that is not JSON.
type malformedLine []byte

// wrongShape is a line of a 200 stream that is JSON but does not decode into the
// wire's chunk: a field of another type (a count written 1.0, a created_at that is
// not a time). err is encoding/json's, which names the field.
type wrongShape struct {
	line malformedLine
	err  error
}

func (w wrongShape) Error() string { return w.err.Error() + ": " + w.line.Error() }

// badChunk is the error of line, a line of a 200 stream that encoding/json refused
// with err: wrongShape when it is JSON, else malformedLine. It copies what it keeps
// of line (the pooled buffer's).
func badChunk(line []byte, err error) error {
	if json.Valid(line) {
		return wrongShape{malformedLine(clip(line)), err}
	}
	return malformedLine(clip(line))
}

func (m malformedLine) Error() string {
	const show = 120
	if len(m) > show {
		return fmt.Sprintf("%q…", []byte(m[:show]))
	}
	return fmt.Sprintf("%q", []byte(m))
}

// classify maps an error of a streamed request to a kind and one line of text.
func classify(ctx context.Context, err error) (ErrorKind, string) {
	var se StatusError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ErrTimeout, "request timed out"
	case ctx.Err() != nil:
		return ErrCanceled, "run interrupted"
	case errors.As(err, &se):
		return ErrHTTPStatus, se.Error()
	case errors.As(err, new(streamError)):
		return ErrStream, err.Error()
	case errors.As(err, new(malformedLine)):
		return ErrDecode, "malformed chunk, not JSON: " + err.Error()
	case errors.As(err, new(wrongShape)):
		return ErrDecode, "malformed chunk, JSON of another shape: " + err.Error()
	case errors.Is(err, errLineTooLong):
		return ErrDecode, "malformed chunk: " + err.Error()
	}
	// Everything else is the connection: refused, reset, cut short.
	return ErrConnect, rootCause(err).Error()
}

// rootCause strips url.Error's "Post \"http://...\":" wrapper, which repeats the URL.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
