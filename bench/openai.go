package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// DefaultAPIKeyEnv is the environment variable that holds the API key of an
// OpenAI-compatible server by default (sent as "Authorization: Bearer <key>").
const DefaultAPIKeyEnv = "YARDSTICK_API_KEY"

// OpenAI drives a server through the OpenAI-compatible chat completions API
// (POST /v1/chat/completions, streamed as server-sent events), as served by vLLM,
// llama.cpp's llama-server (tools/server), Ollama's /v1 and others. The API cannot
// load or unload models and does not describe them, so OpenAI is not a ModelManager.
type OpenAI struct {
	base  *url.URL // as the user gave it
	root  *url.URL // the server root: base without a final /v1
	api   *url.URL // root + /v1
	chat  string   // the chat completions URL, built once
	key   string
	hc    *http.Client
	scrub Scrubber // the key and base's user and password, out of everything the server says
}

// NewOpenAI returns a backend for the server at base, its root URL
// (http://127.0.0.1:8080); a base whose path already ends in /v1 is taken as the API
// prefix itself, not given a second one. apiKey, when not empty, is sent as a bearer
// token with every request. The HTTP client has the Ollama backend's settings (no
// proxy, no compression) but keeps up to 1024 idle connections per host, so that many
// concurrent streams reuse connections instead of dialing inside their TTFT.
func NewOpenAI(base *url.URL, apiKey string) *OpenAI {
	root := *base
	root.Path = strings.TrimSuffix(strings.TrimRight(root.Path, "/"), "/v1")
	root.RawPath = ""
	v1 := root.JoinPath("v1")
	return &OpenAI{
		base:  base,
		root:  &root,
		api:   v1,
		chat:  v1.JoinPath("chat", "completions").String(),
		key:   apiKey,
		hc:    newHTTPClient(MaxInFlight),
		scrub: NewScrubber(base, apiKey),
	}
}

// Name returns "openai".
func (o *OpenAI) Name() string { return "openai" }

// URL returns the server's base URL as given to NewOpenAI.
func (o *OpenAI) URL() *url.URL { return o.base }

// maxMetaBytes bounds the body of a metadata answer: /version, /props and /v1/models
// here, every answer the Ollama backend's official client reads (boundedBodies).
const maxMetaBytes = 16 << 20

// Version returns the server's version. The OpenAI API has none, so it asks what
// servers add: vLLM's GET /version ({"version": "…"}, vllm/entrypoints/openai/
// api_server.py), then llama.cpp's GET /props (its "build_info", tools/server), then
// Ollama's GET /api/version ({"version": "…"}, api/types.go, for its /v1). When none
// answers usefully the version is "" and no error. It then lists the
// models (GET /v1/models) to confirm the server speaks the API and accepts the key.
// Errors: an unreachable server, one that does not answer /v1/models, a missing or
// wrong API key (HTTP 401, naming YARDSTICK_API_KEY).
func (o *OpenAI) Version(ctx context.Context) (version string, err error) {
	defer func() { version, err = o.scrub.Meta(version), o.scrub.Err(err) }()
	version, err = o.versionAt(ctx, "version", "version")
	if err != nil {
		return "", err
	}
	if version == "" {
		if version, err = o.versionAt(ctx, "props", "build_info"); err != nil {
			return "", err
		}
	}
	if version == "" {
		if version, err = o.versionAt(ctx, "api/version", "version"); err != nil {
			return "", err
		}
	}
	if _, err := o.models(ctx); err != nil {
		return "", err
	}
	return version, nil
}

// versionAt GETs the root's path and returns the string field of the JSON object it
// answers, on one line of at most 100 bytes; "" when the answer is not 200 or has no
// such string. The error is only for a server that cannot be reached.
func (o *OpenAI) versionAt(ctx context.Context, path, field string) (string, error) {
	status, body, err := o.get(ctx, o.root.JoinPath(path))
	if err != nil {
		return "", o.unreachable(ctx, "/"+path, err)
	}
	var obj map[string]json.RawMessage
	var v string
	if status == http.StatusOK && json.Unmarshal(body, &obj) == nil && json.Unmarshal(obj[field], &v) == nil {
		return OneLine(v, 100), nil
	}
	return "", nil
}

// Describe checks that the server serves model (GET /v1/models): a model id that is
// listed, compared exactly or by Ollama's rule that a missing tag is ":latest" ("m"
// is "m:latest"). The API says nothing else about a model, so the ModelInfo has its
// name and, when the server's root is Ollama's (whose /v1 is this API), the model's
// identity as Ollama's own API gives it (ollamaIdentity); CostError says why there is
// no cost (and so no roofline). kvCacheType is not used. Errors: the model is not
// listed (the error lists what is), and those of Version's model listing.
func (o *OpenAI) Describe(ctx context.Context, model, kvCacheType string) (info ModelInfo, err error) {
	defer func() { info, err = o.scrub.ModelInfo(info), o.scrub.Err(err) }()
	ids, err := o.models(ctx)
	if err != nil {
		return ModelInfo{}, err
	}
	for _, id := range ids {
		if sameTaggedModel(id, model) {
			info = o.ollamaIdentity(ctx, model)
			info.CostError = "the OpenAI-compatible API does not describe the model's tensors"
			return info, nil
		}
	}
	const show = 20
	served := "none"
	if len(ids) > 0 {
		served = strings.Join(ids[:min(len(ids), show)], ", ")
		if len(ids) > show {
			served += fmt.Sprintf(" and %d more", len(ids)-show)
		}
	}
	return ModelInfo{}, fmt.Errorf("the server at %s does not serve model %q (it serves: %s)", Redact(o.base.String()), model, served)
}

// ollamaIdentity returns model's identity when the server's root is Ollama's: the
// architecture, parameter count and size, quantization, family, format, digest and
// shape-twin marker that Ollama's POST /api/show and GET /api/tags give (Ollama.Describe),
// so that compare can tell the same model served natively and through /v1 (README,
// "Comparing runs and CI gates"). Only the identity is kept: the tensors' cost and
// the trained context stay the native backend's, since nothing of the request that
// /v1 serves (its num_ctx, its options) is what Ollama's own API would send. Any other
// server (a 404, an answer that is not Ollama's, no architecture) gives the name alone
// and no error: the identity is a bonus of the one server that can say it. The
// requests carry the API key, as every request to this server does (a proxy in front
// of Ollama guards /api as it guards /v1), and what they answer passes o's scrubber.
func (o *OpenAI) ollamaIdentity(ctx context.Context, model string) ModelInfo {
	meta := *o.hc
	meta.Transport = bearer{boundedBodies{o.hc.Transport, maxMetaBytes}, o.key}
	native := &Ollama{base: o.root, client: api.NewClient(o.root, &meta), hc: o.hc, scrub: o.scrub}
	full, err := native.Describe(ctx, model, "")
	if err != nil || full.Architecture == "" {
		return ModelInfo{Name: model}
	}
	return ModelInfo{
		Name: model, Digest: full.Digest, Format: full.Format, Family: full.Family, Families: full.Families,
		Architecture: full.Architecture, ParameterSize: full.ParameterSize, ParameterCount: full.ParameterCount,
		QuantizationLevel: full.QuantizationLevel, Synthetic: full.Synthetic,
	}
}

// bearer is a RoundTripper that sends key, when not empty, as a bearer token.
type bearer struct {
	rt  http.RoundTripper
	key string
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.key == "" {
		return b.rt.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.rt.RoundTrip(r)
}

// sameTaggedModel compares model ids exactly, or as Ollama resolves names: a missing
// tag is ":latest".
func sameTaggedModel(a, b string) bool {
	return a == b || a == b+":latest" || a+":latest" == b
}

// models returns the ids the server lists on GET /v1/models (OpenAI API reference,
// "List models": {"object": "list", "data": [{"id": …}, …]}).
func (o *OpenAI) models(ctx context.Context) ([]string, error) {
	u := o.api.JoinPath("models")
	path := "/" + strings.TrimPrefix(u.Path, "/")
	status, body, err := o.get(ctx, u)
	if err != nil {
		return nil, o.unreachable(ctx, path, err)
	}
	if status != http.StatusOK {
		return nil, o.statusError(path, status, body)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("the server at %s answered GET %s with something that is not a model list (%s): is it an OpenAI-compatible server?",
			Redact(o.base.String()), path, OneLine(string(body), 120))
	}
	ids := make([]string, 0, len(list.Data))
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	return ids, nil
}

// get sends GET u with the API key and returns the status and at most maxMetaBytes of
// the body. Only a failed request is an error.
func (o *OpenAI) get(ctx context.Context, u *url.URL) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	o.authorize(req)
	resp, err := o.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	// The same bound as the Ollama backend's metadata client: an answer past it is an
	// error that says so (ErrAnswerTooLarge), not a cut that fails to decode.
	body, err := io.ReadAll(&boundedBody{ReadCloser: resp.Body, left: maxMetaBytes, limit: maxMetaBytes})
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, body, nil
}

func (o *OpenAI) authorize(req *http.Request) {
	if o.key != "" {
		req.Header.Set("Authorization", "Bearer "+o.key)
	}
}

// unreachable says that the server did not answer GET path.
func (o *OpenAI) unreachable(ctx context.Context, path string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the server at %s did not answer GET %s within %v", Redact(o.base.String()), path, MetadataTimeout)
	}
	return fmt.Errorf("cannot reach the server at %s: %w (is a server running there? pass --host)", Redact(o.base.String()), rootCause(err))
}

// statusError describes an error status of a metadata request; 401 says what to do
// about the API key.
func (o *OpenAI) statusError(path string, status int, body []byte) error {
	msg := errorText(body)
	if msg == "" {
		msg = http.StatusText(status)
	}
	if status == http.StatusUnauthorized {
		return fmt.Errorf("the server at %s answered GET %s with HTTP 401 (%s): %s", Redact(o.base.String()), path, msg, o.keyHint())
	}
	return fmt.Errorf("the server at %s answered GET %s with HTTP %d (%s): is it an OpenAI-compatible server?", Redact(o.base.String()), path, status, msg)
}

// keyHint says what to do about a 401. The key came from YARDSTICK_API_KEY or the
// variable --api-key-env named, which NewOpenAI is not told.
func (o *OpenAI) keyHint() string {
	if o.key == "" {
		return "the server wants an API key and none was given: set " + DefaultAPIKeyEnv + " (or the variable --api-key-env names)"
	}
	return "the API key was refused: check " + DefaultAPIKeyEnv + " (or the variable --api-key-env names)"
}

// errorText returns the message of an error body, one line and at most 300 bytes: the
// OpenAI API's {"error": {"message": …}} (also llama.cpp's and newer vLLM's), older
// vLLM's {"object": "error", "message": …}, {"error": "…"}, FastAPI's {"detail": "…"},
// or else the body's text. An empty body gives "".
func errorText(body []byte) string {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	text := string(body)
	if json.Unmarshal(body, &e) == nil {
		var s string
		var obj struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(e.Error, &s) == nil && s != "":
			text = s
		case json.Unmarshal(e.Error, &obj) == nil && obj.Message != "":
			text = obj.Message
		case e.Message != "":
			text = e.Message
		case json.Unmarshal(e.Detail, &s) == nil && s != "":
			text = s
		}
	}
	return OneLine(text, 300)
}

// OneLine returns s with its runs of white space made one space, cut to at most n
// bytes (on a character boundary) with "…" when it was longer.
func OneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// chatBody is a chat completions request (OpenAI API reference, "Create chat
// completion"). max_tokens is what vLLM and llama.cpp read; max_completion_tokens is
// its newer name in the OpenAI API. Request.NumCtx and KeepAlive have no equivalent in
// the API and are not sent. Request.Think is sent as two fields (docs/metrics.md "Per
// request"): a level as reasoning_effort (OpenAI API reference; vLLM and Ollama's /v1
// read it, Ollama's as its think level), and on or off as
// chat_template_kwargs.enable_thinking, the variable of Qwen3's chat template that
// vLLM and SGLang pass to the template from chat_template_kwargs, as llama.cpp's
// server does (tools/server, since its extra template kwargs support); a template
// without the variable ignores it. chat_template_kwargs is sent only when thinking was
// asked for (Request.ThinkSet, or on): strict servers refuse fields they do not know.
// Ollama's /v1 reads no chat_template_kwargs: with it, use the ollama backend to turn
// thinking off.
type chatBody struct {
	Model               string            `json:"model"`
	Messages            []chatMessage     `json:"messages"`
	Stream              bool              `json:"stream"`
	StreamOptions       streamOptions     `json:"stream_options"`
	MaxTokens           int               `json:"max_tokens"`
	MaxCompletionTokens int               `json:"max_completion_tokens"`
	Seed                int64             `json:"seed"`
	Temperature         float64           `json:"temperature"`
	ReasoningEffort     string            `json:"reasoning_effort,omitempty"`
	ChatTemplateKwargs  *templateSwitches `json:"chat_template_kwargs,omitempty"`
	// IgnoreEOS and MinTokens fix the output length where the server takes them:
	// ignore_eos (vLLM's and SGLang's sampling parameters, llama.cpp's server) and
	// min_tokens (vLLM, SGLang). Sent only when asked: a strict server refuses fields
	// it does not know.
	IgnoreEOS bool `json:"ignore_eos,omitempty"`
	MinTokens int  `json:"min_tokens,omitempty"`
}

// templateSwitches are the chat template variables sent in chat_template_kwargs.
type templateSwitches struct {
	EnableThinking bool `json:"enable_thinking"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// streamOptions.IncludeUsage asks for a last chunk with the token counts (OpenAI API
// reference, stream_options.include_usage): the server's own count of output tokens,
// without which they are estimated from the chunks (Sample.TokensEstimated).
type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// openaiMessages is req's messages: Messages when given, else System and User.
func openaiMessages(req Request) []chatMessage {
	if len(req.Messages) == 0 {
		return []chatMessage{{Role: "system", Content: req.System}, {Role: "user", Content: req.User}}
	}
	out := make([]chatMessage, len(req.Messages))
	for i, m := range req.Messages {
		out[i] = chatMessage(m)
	}
	return out
}

// chatRequest encodes req as a streamed chat completions request.
func (o *OpenAI) chatRequest(ctx context.Context, req Request) (*http.Request, error) {
	var switches *templateSwitches
	if req.ThinkSet || req.Think.Enabled() {
		switches = &templateSwitches{EnableThinking: req.Think.Enabled()}
	}
	body, err := json.Marshal(&chatBody{
		ChatTemplateKwargs:  switches,
		Model:               req.Model,
		Messages:            openaiMessages(req),
		Stream:              true,
		StreamOptions:       streamOptions{IncludeUsage: true},
		MaxTokens:           req.MaxTokens,
		MaxCompletionTokens: req.MaxTokens,
		Seed:                req.Seed,
		Temperature:         req.Temperature,
		ReasoningEffort:     req.Think.Level(),
		IgnoreEOS:           req.IgnoreEOS,
		MinTokens:           req.MinTokens,
	})
	if err != nil {
		return nil, err
	}
	if len(req.ExtraBody) > 0 {
		if body, err = withExtra(body, req.ExtraBody); err != nil {
			return nil, err
		}
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, o.chat, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "text/event-stream")
	o.authorize(hreq)
	return hreq, nil
}

// withExtra adds the fields of extra, a JSON object (--extra-body), to body, a JSON
// object; a field body has already is kept (Options.Validate refuses those yardstick
// sets itself).
func withExtra(body, extra []byte) ([]byte, error) {
	var b, e map[string]json.RawMessage
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(extra, &e); err != nil {
		return nil, fmt.Errorf("--extra-body: %w", err)
	}
	for k, v := range e {
		if _, ok := b[k]; !ok {
			b[k] = v
		}
	}
	return json.Marshal(b)
}

// chatChunk is one chunk of a streamed chat completion (OpenAI API reference, "The
// chat completion chunk object"), with what servers add: reasoning text in
// delta.reasoning_content (llama.cpp, older vLLM) or delta.reasoning (vLLM, which
// fills both with the same text during the rename), llama.cpp's timings, and the
// error objects servers send mid-stream.
type chatChunk struct {
	Choices []struct {
		Delta struct {
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"`
			Reasoning        string `json:"reasoning"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage   *chatUsage   `json:"usage"`
	Timings *chatTimings `json:"timings"`
	// Error is set on an error chunk: {"error": {…}} (OpenAI, llama.cpp, newer vLLM);
	// older vLLM sends {"object": "error", "message": …}.
	Error   json.RawMessage `json:"error"`
	Object  string          `json:"object"`
	Message string          `json:"message"`
}

// chatUsage is the usage chunk's token counts, with the details servers may add
// (OpenAI API reference, "The chat completion object", usage): the prompt tokens read
// from the prompt cache (prompt_tokens_details.cached_tokens; Ollama's /v1 sends it
// from v0.33.3 on) and the completion tokens spent thinking
// (completion_tokens_details.reasoning_tokens).
type chatUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens *int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens *int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

// cached returns usage's cached prompt tokens, or nil when it has none.
func (u *chatUsage) cached() *int {
	if u.PromptTokensDetails == nil {
		return nil
	}
	return u.PromptTokensDetails.CachedTokens
}

// reasoning returns usage's reasoning tokens, or nil when it has none.
func (u *chatUsage) reasoning() *int {
	if u.CompletionTokensDetails == nil {
		return nil
	}
	return u.CompletionTokensDetails.ReasoningTokens
}

// chatTimings is llama.cpp's timings object on the last chunk of a stream
// (tools/server, server-task.cpp result_timings; to_json_oaicompat_chat_stream adds it
// to the last chunk). prompt_ms runs from the start of prompt processing to the first
// sampled token and covers prompt_n tokens, those not served from the prompt cache;
// predicted_ms runs from the first sampled token to the last, so it spans
// predicted_n − 1 decode steps, as Ollama's eval_duration does (predicted_n counts
// the first token; llama.cpp's own predicted_per_second divides by predicted_n and
// so overstates the rate slightly). cache_n, in newer builds, counts the prompt tokens
// taken from the cache. Durations are float milliseconds.
type chatTimings struct {
	CacheN      *int    `json:"cache_n"`
	PromptN     int     `json:"prompt_n"`
	PromptMS    float64 `json:"prompt_ms"`
	PredictedN  int     `json:"predicted_n"`
	PredictedMS float64 `json:"predicted_ms"`
}

// isError returns the message of an error chunk, or false.
func (c *chatChunk) isError() (string, bool) {
	if len(c.Error) > 0 && !bytes.Equal(c.Error, []byte("null")) {
		var s string
		if json.Unmarshal(c.Error, &s) == nil {
			return orNoMessage(s), true
		}
		var obj struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(c.Error, &obj)
		return orNoMessage(obj.Message), true
	}
	if c.Object == "error" {
		return orNoMessage(c.Message), true
	}
	return "", false
}

func orNoMessage(s string) string {
	if s = OneLine(s, 300); s == "" {
		return "an error chunk without a message"
	}
	return s
}

var (
	sseDone        = []byte("[DONE]")
	errAfterSSEEnd = errors.New("data after [DONE]")
)

// notSSE is a line of a 200 response that is not a server-sent event field.
type notSSE []byte

func (n notSSE) Error() string { return malformedLine(n).Error() }

// clip copies at most 121 bytes of b: enough for malformedLine to show 120 and mark
// the cut. The copy outlives the pooled reader's buffer.
func clip(b []byte) []byte { return bytes.Clone(b[:min(len(b), 121)]) }

// Stream sends req as POST /v1/chat/completions with stream and
// stream_options.include_usage and measures it into s, under Ollama.Stream's contract:
// offsets from began on the monotonic clock; the request encoded before "sent"; each
// chunk timed by the read of the body that brought it, before it is decoded; s.OK or
// s.ErrorKind set on return; no error returned.
//
// Chunks are the data lines of a server-sent event stream (OpenAI API reference,
// chat streaming; WHATWG HTML, server-sent events): "data: {…}" is one chunk; blank
// lines, ":" comments and event, id and retry fields are skipped; "data: [DONE]"
// ends the stream and is not a chunk. Each data line is taken alone: servers of this
// API send one JSON object per line, and a line that is not one is a decode error
// rather than joined with the next.
//
// A chunk carries generated text when choices[0].delta has content, reasoning_content
// or reasoning (the last two, the same text in vLLM, count once): TTFT is at the first
// such chunk, so OpenAI's role-only first chunk does not count; ITL is between them.
// PromptTokens and OutputTokens come from the usage chunk (choices [], usage
// {prompt_tokens, completion_tokens}); a stream that reaches [DONE] with text but
// without usage (a server that ignores stream_options) has its output counted as its
// text chunks, one chunk as one token, with Sample.TokensEstimated set and
// PromptTokens left 0 (unknown). DoneReason is finish_reason ("length", "stop"). E2E is when [DONE] is read or, from a server that sends usage and omits
// [DONE], when the stream ends. llama.cpp's timings (see chatTimings) give
// ServerPromptEvalNs and ServerEvalNs; without them the server fields stay 0 and the
// server rates nil. Nothing gives load or total duration.
//
// Failures: HTTP status ≥ 400 is ErrHTTPStatus with the server's message; an error
// chunk is ErrStream, as is data after [DONE]; a line that is not JSON, or not a
// server-sent event field, or longer than 8 MB, is ErrDecode; [DONE] with neither usage nor
// any text is ErrDecode (nothing to count); a stream
// that ends with neither [DONE] nor usage is ErrNoDone; the first-token timeout,
// request timeout, interruption and broken connections are as for Ollama.
func (o *OpenAI) Stream(ctx context.Context, began time.Time, req Request, s *Sample) {
	streamWire(ctx, began, req, s, o.hc, o.scrub, &openaiWire{o: o})
}

// openaiWire reads one /v1/chat/completions stream: server-sent events of chat
// completion chunks, the usage in the last one (stream_options.include_usage), then
// [DONE].
type openaiWire struct {
	o       *OpenAI
	reply   *strings.Builder // Request.Reply
	end     bool             // [DONE] was read
	endNs   int64
	usage   *chatUsage
	timings *chatTimings
}

func (w *openaiWire) request(ctx context.Context, req Request) (*http.Request, error) {
	w.reply = req.Reply
	return w.o.chatRequest(ctx, req)
}

func (w *openaiWire) read(resp *http.Response, c *streamClock, s *Sample) (err error) {
	if resp.StatusCode >= http.StatusBadRequest {
		return w.o.httpStatus(resp)
	}
	w.endNs, err = readSSE(resp.Body, c.began, func(data []byte, now int64) error {
		if w.end {
			return errAfterSSEEnd
		}
		// "[DONE] " with trailing blanks is the end marker too (a server padding its
		// lines): taken as a chunk, it would fail the stream as "not JSON". data is
		// not empty (sseLine); a chunk starts with '{' and is not trimmed.
		if data[0] == '[' && bytes.Equal(bytes.TrimRight(data, " \t"), sseDone) {
			w.end = true
			s.E2ENs = ptr(now - c.sent)
			return nil
		}
		// The common chunk is read by the scanner, undecoded; encoding/json
		// decodes the rest (the usage chunk, errors, anything unusual). Both go on
		// to the same accounting.
		thinking, answer, scanned := w.scanned(data, s)
		if !scanned {
			var err error
			if thinking, answer, err = w.decoded(data, s); err != nil {
				return err
			}
		}
		c.chunk(s, now, thinking, answer)
		return nil
	})
	return err
}

// thinkingBytes is a delta's thinking text: reasoning_content, else reasoning (vLLM
// fills both with the same text during the rename; it counts once).
func thinkingBytes(reasoningContent, reasoning int) int {
	if reasoningContent == 0 {
		return reasoning
	}
	return reasoningContent
}

// decoded reads data with encoding/json (a chunk the scanner defers) and returns what
// scanned returns of a chunk, keeping its usage and timings when it has them; an
// error chunk is a streamError, data that does not decode is badChunk's.
func (w *openaiWire) decoded(data []byte, s *Sample) (thinking, answer int, err error) {
	var ch chatChunk
	if err := json.Unmarshal(data, &ch); err != nil {
		return 0, 0, badChunk(data, err)
	}
	if msg, ok := ch.isError(); ok {
		return 0, 0, streamError(msg)
	}
	if len(ch.Choices) > 0 {
		c0 := &ch.Choices[0]
		thinking = thinkingBytes(len(c0.Delta.ReasoningContent), len(c0.Delta.Reasoning))
		answer = len(c0.Delta.Content)
		if w.reply != nil {
			w.reply.WriteString(c0.Delta.Content)
		}
		if c0.FinishReason != "" {
			s.DoneReason = c0.FinishReason
		}
	}
	if ch.Usage != nil {
		w.usage = ch.Usage
	}
	if ch.Timings != nil {
		w.timings = ch.Timings
	}
	return thinking, answer, nil
}

// scanned reads data with the chunk scanner (scanSSEChunk) and, when it answers,
// returns what the decoding path of read takes from a chunk: choices[0]'s thinking
// and answer bytes, with the answer appended to the reply and finish_reason set on s.
// false defers to encoding/json.
func (w *openaiWire) scanned(data []byte, s *Sample) (thinking, answer int, ok bool) {
	var sc sseChunk
	if !scanSSEChunk(data, &sc) {
		return 0, 0, false
	}
	if sc.choices > 0 {
		thinking = thinkingBytes(sc.reasoningContent.n, sc.reasoning.n)
		answer = sc.content.n
		if w.reply != nil {
			sc.content.appendTo(w.reply)
		}
		if sc.finish.n > 0 {
			s.DoneReason = sc.finish.finishReason()
		}
	}
	return thinking, answer, true
}

func (w *openaiWire) done() bool { return w.end }

func (w *openaiWire) wireError(err error) (ErrorKind, string, bool) {
	switch {
	case errors.Is(err, errAfterSSEEnd):
		return ErrStream, "the server sent data after [DONE]", true
	case errors.As(err, new(notSSE)):
		return ErrDecode, "malformed stream, not server-sent events: " + err.Error(), true
	}
	return "", "", false
}

func (w *openaiWire) settle(s *Sample, c *streamClock) (ErrorKind, string) {
	u, t := w.usage, w.timings
	if u == nil && w.end && s.TextChunks > 0 {
		// A server that ignores stream_options.include_usage (LM Studio, others): the
		// output is counted from the text chunks, one chunk as one token, and the
		// prompt is left uncounted (docs/metrics.md "Per request", tokens_estimated).
		u = &chatUsage{CompletionTokens: s.TextChunks}
		s.TokensEstimated = true
	}
	switch {
	case u == nil && w.end:
		return ErrDecode, "the server sent no usage (stream_options.include_usage) and no text: nothing to count"
	case u == nil:
		return ErrNoDone, fmt.Sprintf("stream ended without [DONE] and without usage after %d chunks", s.Chunks)
	case u.PromptTokens < 0 || u.CompletionTokens < 0 || (t != nil && (t.PromptMS < 0 || t.PredictedMS < 0)):
		return ErrDecode, fmt.Sprintf("the usage chunk reports impossible figures (completion_tokens %d, prompt_tokens %d, or a negative duration)",
			u.CompletionTokens, u.PromptTokens)
	case badPart(u.cached(), u.PromptTokens) || badPart(u.reasoning(), u.CompletionTokens) || (t != nil && badPart(t.CacheN, u.PromptTokens)):
		return ErrDecode, fmt.Sprintf("the usage chunk reports impossible figures (cached or reasoning tokens outside 0..prompt_tokens %d or completion_tokens %d)",
			u.PromptTokens, u.CompletionTokens)
	case u.CompletionTokens == 0 && s.TextChunks > 0:
		return ErrDecode, fmt.Sprintf("the usage chunk reports 0 completion tokens after %d chunks of generated text", s.TextChunks)
	case u.CompletionTokens > 0 && s.TextChunks == 0:
		return ErrDecode, fmt.Sprintf("the usage chunk reports %d completion tokens, but no chunk carried text in choices[0].delta (content, reasoning_content or reasoning): no TTFT can be measured (a /v1/completions-style stream?)", u.CompletionTokens)
	}
	if !w.end {
		s.E2ENs = ptr(w.endNs - c.sent)
	}
	s.PromptTokens, s.OutputTokens = u.PromptTokens, u.CompletionTokens
	s.CachedPromptTokens, s.ThinkingTokens = u.cached(), u.reasoning()
	if s.CachedPromptTokens == nil && t != nil {
		s.CachedPromptTokens = t.CacheN
	}
	if t != nil {
		s.ServerPromptEvalNs = int64(math.Round(t.PromptMS * 1e6))
		s.ServerEvalNs = int64(math.Round(t.PredictedMS * 1e6))
	}
	return "", ""
}

// badPart reports whether part, when reported, is outside 0..whole.
func badPart(part *int, whole int) bool { return part != nil && (*part < 0 || *part > whole) }

// httpStatus turns an error response into a StatusError (so that classify reports
// it as ErrHTTPStatus) with the server's message; 401 says what to do about
// the API key.
func (o *OpenAI) httpStatus(resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := errorText(body)
	if err != nil && msg == "" {
		msg = "reading the error: " + err.Error()
	}
	if resp.StatusCode == http.StatusUnauthorized {
		if msg == "" {
			msg = http.StatusText(http.StatusUnauthorized)
		}
		msg += " (" + o.keyHint() + ")"
	}
	return StatusError{Code: resp.StatusCode, Status: resp.Status, Message: msg}
}

// readSSE reads a server-sent event stream from body and calls fn with the value of
// each data field (after "data:" and one optional space) and the time its line was
// read, an offset from began: the time of the read of body that brought it
// (lineReader). Blank lines and ":" comments are skipped, as are event, id and retry
// fields; any other line is notSSE. Lines come through eachLine, as readChat's,
// bounded by maxLineBytes. It
// returns the time the stream ended, and nil at a clean end of the body or else the
// first error of the body or of fn.
func readSSE(body io.Reader, began time.Time, fn func(data []byte, now int64) error) (int64, error) {
	end, _, err := eachLine(body, began, func(line []byte, now int64) error {
		return sseLine(line, now, fn)
	})
	return end, err
}

// sseLine handles one non-empty line of an event stream.
func sseLine(line []byte, now int64, fn func(data []byte, now int64) error) error {
	if line[0] == ':' {
		return nil
	}
	if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
		v, _ = bytes.CutPrefix(v, []byte(" "))
		if len(v) == 0 {
			return nil
		}
		return fn(v, now)
	}
	name, value, _ := bytes.Cut(line, []byte(":"))
	switch string(name) {
	case "event", "id", "retry", "data":
		return nil
	case "error":
		// llama.cpp's server reports a failure mid-stream as an "error: {…}" line, a
		// field outside the event-stream format (tools/server/utils.hpp
		// server_sent_event "error"): the server's own error, not a malformed stream.
		return streamError("the server sent an error: " + errorText(bytes.TrimSpace(value)))
	}
	return notSSE(clip(line))
}

var _ Backend = (*OpenAI)(nil)
