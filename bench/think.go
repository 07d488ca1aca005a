package bench

import (
	"encoding/json"
	"fmt"

	"github.com/ollama/ollama/api"
)

// Think is what a run asks of a thinking model (--think): ThinkOff, ThinkOn, or an
// effort level (ThinkLow, ThinkMedium, ThinkHigh). The zero value is ThinkOff.
//
// On Ollama it is the chat request's think, a bool or a level (api.ThinkValue,
// api/types.go, v0.24.0; Ollama also takes "max", which yardstick does not offer: no
// OpenAI-compatible server shares it). On the OpenAI backend (OpenAI.chatRequest) a
// level is reasoning_effort, and on and off are chat_template_kwargs.enable_thinking,
// the switch of Qwen3's chat template that vLLM, SGLang and llama.cpp's server pass to
// the template (docs/metrics.md "Per request"). A level the model does not take ends
// as the server's error, recorded on the sample (http_status).
type Think string

// The values of Think.
const (
	ThinkOff    Think = "false"
	ThinkOn     Think = "true"
	ThinkLow    Think = "low"
	ThinkMedium Think = "medium"
	ThinkHigh   Think = "high"
)

const thinkChoices = "true, false, low, medium or high"

// ParseThink reads a --think value: true, false, low, medium or high (also 1/0, on/off,
// yes/no for the first two). Anything else is an error naming the choices.
func ParseThink(s string) (Think, error) {
	switch s {
	case "true", "1", "on", "yes":
		return ThinkOn, nil
	case "false", "0", "off", "no":
		return ThinkOff, nil
	case "low", "medium", "high":
		return Think(s), nil
	}
	return "", fmt.Errorf("%q: must be %s", s, thinkChoices)
}

// valid reports whether t is one of the values of Think (the zero value is not).
func (t Think) valid() bool { return t == ThinkOff || t == ThinkOn || t.Level() != "" }

// Enabled reports whether the model is asked to think at all.
func (t Think) Enabled() bool { return t != "" && t != ThinkOff }

// Level returns the effort level ("low", "medium", "high"), or "" for on and off.
func (t Think) Level() string {
	switch t {
	case ThinkLow, ThinkMedium, ThinkHigh:
		return string(t)
	}
	return ""
}

// String returns "false", "true" or the level; the zero value is "false".
func (t Think) String() string {
	if t == "" {
		return string(ThinkOff)
	}
	return string(t)
}

// Set parses a --think value (urfave/cli's Generic).
func (t *Think) Set(s string) error {
	v, err := ParseThink(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalJSON writes off and on as the JSON booleans false and true, as run files and
// journals have always held them (so a workload's hash is unchanged), and a level as
// its name.
func (t Think) MarshalJSON() ([]byte, error) {
	if l := t.Level(); l != "" {
		return json.Marshal(l)
	}
	return json.Marshal(t.Enabled())
}

// UnmarshalJSON reads a boolean (every file before levels) or a level's name.
func (t *Think) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		*t = ThinkOff
		if on {
			*t = ThinkOn
		}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("think: must be true, false or a level, got %s", b)
	}
	v, err := ParseThink(s)
	if err != nil {
		return fmt.Errorf("think %w", err)
	}
	*t = v
	return nil
}

// ollama is t as Ollama's chat request takes it: a bool, or the level's name.
func (t Think) ollama() *api.ThinkValue {
	if l := t.Level(); l != "" {
		return &api.ThinkValue{Value: l}
	}
	return &api.ThinkValue{Value: t.Enabled()}
}
