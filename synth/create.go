package synth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/ollama/ollama/api"
)

// ChatTemplate is the Go template Ollama uses to turn messages into a Qwen2.5
// prompt (ChatML: <|im_start|>role\n…<|im_end|>), as in Ollama's qwen2.5 library
// model without its tool-calling parts.
const ChatTemplate = `{{- if .Messages }}
{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 -}}
{{- if eq .Role "user" }}<|im_start|>user
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{ .Content }}{{ if not $last }}<|im_end|>
{{ end }}
{{- else if eq .Role "tool" }}<|im_start|>user
<tool_response>
{{ .Content }}
</tool_response><|im_end|>
{{ end }}
{{- if and (ne .Role "assistant") $last }}<|im_start|>assistant
{{ end }}
{{- end }}
{{- else }}
{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{ if .Prompt }}<|im_start|>user
{{ .Prompt }}<|im_end|>
{{ end }}<|im_start|>assistant
{{ end }}{{ .Response }}{{ if .Response }}<|im_end|>{{ end }}`

// Qwen3ChatTemplate is the Go template Ollama uses to turn messages into a Qwen3
// prompt, as in Ollama's qwen3 library models without their tool-calling parts:
// ChatML, with Qwen3's soft switch when the request sets think (" /think" or
// " /no_think" after the last user message, and an empty <think>\n\n</think>
// block opening the answer when think is false), and earlier reasoning shown
// in <think>…</think>. That block inside the range over .Messages is how Ollama
// infers the model's thinking tags (thinking/template.go InferTags), so a twin
// created with it has the "thinking" capability and Ollama v0.24 sets think to
// true when a chat request leaves it unset (server/routes.go ChatHandler).
const Qwen3ChatTemplate = `{{- $lastUserIdx := -1 -}}
{{- range $idx, $msg := .Messages -}}
{{- if eq $msg.Role "user" }}{{ $lastUserIdx = $idx }}{{ end -}}
{{- end }}
{{- if .System }}<|im_start|>system

{{ .System }}<|im_end|>
{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 -}}
{{- if eq .Role "user" }}<|im_start|>user
{{ .Content }}
{{- if and $.IsThinkSet (eq $i $lastUserIdx) }}
   {{- if $.Think -}}
      {{- " "}}/think
   {{- else -}}
      {{- " "}}/no_think
   {{- end -}}
{{- end }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{ if (and $.IsThinkSet (and .Thinking (or $last (gt $i $lastUserIdx)))) -}}
<think>{{ .Thinking }}</think>
{{ end -}}
{{ .Content }}{{ if not $last }}<|im_end|>
{{ end }}
{{- else if eq .Role "tool" }}<|im_start|>user
<tool_response>
{{ .Content }}
</tool_response><|im_end|>
{{ end }}
{{- if and (ne .Role "assistant") $last }}<|im_start|>assistant
{{ if and $.IsThinkSet (not $.Think) -}}
<think>

</think>

{{ end -}}
{{ end }}
{{- end }}`

// TemplateFor returns the chat template a twin of shape s is created with:
// Qwen3ChatTemplate for the Qwen3 tokenizer (architectures qwen3, qwen3moe),
// ChatTemplate otherwise.
func TemplateFor(s Shape) string {
	if s.tokenizer() == TokenizerQwen3 {
		return Qwen3ChatTemplate
	}
	return ChatTemplate
}

// Parameters are the model parameters a twin is created with: ChatML's stop
// strings. Sampling (temperature, seed) is left to each request: twins must be
// run with temperature > 0, as random weights under greedy decoding repeat
// themselves and Ollama v0.17 then ends the stream without a done chunk.
func Parameters() map[string]any {
	return map[string]any{"stop": []string{"<|im_start|>", "<|im_end|>"}}
}

// FileDigest returns the digest Ollama names a blob by: "sha256:" and the
// lowercase hex SHA-256 of the file's bytes.
func FileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("synth: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("synth: hashing %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Create makes the twin at path (written by WriteFile for spec) servable by
// Ollama under the name model: it uploads the file as a blob (c.CreateBlob with
// its sha256 digest), then creates the model from it (c.Create with the file,
// TemplateFor(spec.Shape) and Parameters). progress, if not nil, receives one line per
// step and Ollama's create status messages. spec must be the one given to
// WriteFile; it is used to check that the file is at least as large as that
// twin's tensor data. Creating the same name again replaces the model; an
// unchanged file is not stored twice (blobs are named by digest). Errors come
// from the spec, reading the file, the upload or the create.
func Create(ctx context.Context, c *api.Client, model string, path string, spec Spec, progress func(string)) error {
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	if c == nil {
		return fmt.Errorf("synth: nil Ollama client")
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if need := int64(spec.Shape.DataBytes(spec.Quant)); st.Size() < need {
		return fmt.Errorf("synth: %s is %d bytes, smaller than the %d bytes of tensor data of %s %s",
			path, st.Size(), need, spec.Shape.Name, spec.Quant)
	}

	say("hashing %s (%d bytes)", path, st.Size())
	digest, err := FileDigest(path)
	if err != nil {
		return err
	}

	say("uploading blob %s", digest)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	err = c.CreateBlob(ctx, digest, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("synth: uploading %s to Ollama: %w", path, err)
	}

	say("creating model %s", model)
	req := &api.CreateRequest{
		Model:      model,
		Files:      map[string]string{"model.gguf": digest},
		Template:   TemplateFor(spec.Shape),
		Parameters: Parameters(),
	}
	err = c.Create(ctx, req, func(p api.ProgressResponse) error {
		if p.Status != "" {
			say("%s", p.Status)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("synth: creating model %s in Ollama: %w", model, err)
	}
	return nil
}
