package bench

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// Backend is a model server API a run can drive. Ollama's native API (/api/chat) and
// the OpenAI-compatible chat completions API (/v1/chat/completions) implement it.
type Backend interface {
	// Name is the backend's name as --backend spells it: "ollama" or "openai".
	Name() string
	// URL is the server's base URL (credentials included; Redact before recording).
	URL() *url.URL
	// Version returns the server's version, or "" when the API has no way to say.
	// An unreachable server gives an error that says so.
	Version(ctx context.Context) (string, error)
	// Describe asks the server about model. A model the server does not serve gives an
	// error saying so; what the API does not say is left zero in ModelInfo.
	Describe(ctx context.Context, model, kvCacheType string) (ModelInfo, error)
	// Stream sends req and measures it into s; see Ollama.Stream for the contract.
	// It never returns an error: a failed request is a failed sample.
	Stream(ctx context.Context, began time.Time, req Request, s *Sample)
}

// Message is one chat message of a Request: Role is "system", "user" or "assistant"
// (the roles of Ollama's api.Message and of OpenAI's chat completions).
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ModelManager is what a backend offers beyond Backend when it can load and unload
// models and list the loaded ones (Ollama's /api/generate keep_alive 0 and /api/ps).
// Without it a run measures no cold load and no /api/ps memory.
type ModelManager interface {
	Unload(ctx context.Context, model, digest string, timeout time.Duration) (wasLoaded bool, err error)
	Running(ctx context.Context, model, digest string) (*api.ProcessModelResponse, error)
}

var (
	_ Backend      = (*Ollama)(nil)
	_ ModelManager = (*Ollama)(nil)
)

// Conversation is one dialogue of a workload (a dataset's record, a synthetic
// multi-turn user): an optional system message and the user's turns. A single-prompt
// record is a conversation of one turn. Turn k is sent with the whole history before
// it: the system message, every earlier user turn and the model's own replies to them
// (Request.Reply).
type Conversation struct {
	// ID names the conversation in the run file: the dataset's id, else its position.
	ID     string
	System string
	Turns  []Turn
}

// Turn is one user message of a Conversation and the output length asked for it.
type Turn struct {
	User string
	// MaxTokens is this turn's num_predict / max_tokens: from the dataset (a JSONL
	// max_tokens, or the length of a ShareGPT reply as vLLM's bench serve sets it), 0 for
	// the run's --max-tokens. --max-tokens given on the command line overrides it.
	MaxTokens int
}

// SameModelName compares model names as servers resolve them: case aside, and a
// missing tag is ":latest" (Ollama's rule, types/model/name.go in v0.24.0: defaultTag
// and Name.EqualFold; "qwen3" is "qwen3:latest", "qwen3:0.6b" is not "qwen3").
func SameModelName(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToLower(s)
		if i := strings.LastIndex(s, "/"); !strings.Contains(s[i+1:], ":") {
			s += ":latest"
		}
		return s
	}
	return norm(a) == norm(b)
}
