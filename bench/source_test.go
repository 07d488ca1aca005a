package bench

import (
	"context"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

// messagesOf returns the system and user messages of an /api/chat body.
func systemAndUserOf(t *testing.T, body map[string]any) (system, user string) {
	t.Helper()
	for _, m := range body["messages"].([]any) {
		mm := m.(map[string]any)
		switch mm["role"] {
		case "system":
			system = mm["content"].(string)
		case "user":
			user = mm["content"].(string)
		}
	}
	return system, user
}

// A dataset run sends each record's first turn, in the selection's order, with the
// nonce first in the system message and the record's own system message after it,
// and asks each turn's output length (else --max-tokens).
func TestRunSendsDatasetRecords(t *testing.T) {
	f, o := newFake(t, fakeollama.Config{Tokens: 64})
	convs := []Conversation{
		{ID: "a", Turns: []Turn{{User: "first prompt", MaxTokens: 5}, {User: "second turn, not sent"}}},
		{ID: "b", System: "be brief", Turns: []Turn{{User: "another prompt"}}},
	}
	opts := DefaultOptions()
	opts.Model = "twin"
	opts.Runs, opts.Warmup, opts.MaxTokens = 4, 1, 7
	opts.Conversations = convs
	opts.Dataset = &DatasetInfo{Path: "d.jsonl", Format: "jsonl", Records: 2, Selected: 2}
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	bodies := f.Bodies[len(f.Bodies)-4:] // the measured requests, after the cold and warm-up ones
	for i, s := range res.Samples {
		c := convs[i%2] // request i sends record i mod 2
		if s.ConversationID != c.ID || s.PromptWords != 0 {
			t.Errorf("sample %d: record %q words %d, want %q and 0", i, s.ConversationID, s.PromptWords, c.ID)
		}
		system, user := systemAndUserOf(t, bodies[i])
		want := "Request " + s.Nonce + "."
		if c.System != "" {
			want += "\n\n" + c.System
		}
		if system != want || user != c.Turns[0].User {
			t.Errorf("sample %d sent system %q user %q; want %q and %q", i, system, user, want, c.Turns[0].User)
		}
		// Record a asks 5 tokens; b none, so --max-tokens 7.
		wantMax := map[string]float64{"a": 5, "b": 7}[c.ID]
		if got := bodies[i]["options"].(map[string]any)["num_predict"]; got != wantMax {
			t.Errorf("sample %d: num_predict %v, want %v", i, got, wantMax)
		}
		// The sample records a length of the record's own, not the run's.
		if own := map[string]int{"a": 5, "b": 0}[c.ID]; s.MaxTokensAsked != own {
			t.Errorf("sample %d: max_tokens %d, want %d", i, s.MaxTokensAsked, own)
		}
		// The fake generates 64 tokens capped by num_predict: no early stop.
		if s.StoppedEarly {
			t.Errorf("sample %d flagged stopped_early at its own cap", i)
		}
	}
}

// With --prefix-tokens, measured requests of one group share their system message
// (the prefix) exactly and carry their nonce first in the user message; cold and
// warm-up requests get prefixes of their own, of the same length.
func TestRunSendsSharedPrefixes(t *testing.T) {
	f, o := newFake(t, fakeollama.Config{Tokens: 4})
	opts := DefaultOptions()
	opts.Model = "twin"
	opts.Runs, opts.Warmup, opts.MaxTokens = 12, 2, 4
	opts.PromptTokens, opts.PrefixTokens, opts.PrefixGroups = 120, 60, 3
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	prefixes := map[int]string{}
	bodies := f.Bodies[len(f.Bodies)-12:]
	for i, s := range res.Samples {
		if s.PrefixGroup == nil || *s.PrefixGroup < 0 || *s.PrefixGroup >= 3 {
			t.Fatalf("sample %d: prefix group %v", i, s.PrefixGroup)
		}
		system, user := systemAndUserOf(t, bodies[i])
		if n := len(strings.Fields(system)); s.PrefixWords < 1 || n != s.PrefixWords+3 { // "Shared context TAG." and the words
			t.Errorf("sample %d: prefix of %d words, recorded %d + 3", i, n, s.PrefixWords)
		}
		if !strings.HasPrefix(user, "Request "+s.Nonce+".\n\n") {
			t.Errorf("sample %d: user message does not start with its nonce: %.40q", i, user)
		}
		g := *s.PrefixGroup
		if p, ok := prefixes[g]; ok && p != system {
			t.Errorf("group %d sent two prefixes", g)
		}
		prefixes[g] = system
	}
	if len(prefixes) < 2 {
		t.Errorf("12 requests drew %d of 3 groups", len(prefixes))
	}
	for i, body := range f.Bodies[:len(f.Bodies)-12] {
		system, _ := systemAndUserOf(t, body)
		for g, p := range prefixes {
			if system == p {
				t.Errorf("cold or warm-up request %d sent group %d's prefix", i, g)
			}
		}
		if len(strings.Fields(system)) < 4 {
			t.Errorf("cold or warm-up request %d: no prefix: %q", i, system)
		}
	}
	for _, s := range append(res.Warmup, res.Cold.Sample) {
		if s.PrefixGroup != nil {
			t.Errorf("a %s request has prefix group %d", s.Phase, *s.PrefixGroup)
		}
	}
}

func TestWorkloadOptionsValidate(t *testing.T) {
	ok := func(f func(*Options)) Options {
		o := DefaultOptions()
		o.Model = "m"
		f(&o)
		return o
	}
	tests := []struct {
		name string
		opts Options
		want string // "" for valid
	}{
		{"prefix", ok(func(o *Options) { o.PrefixTokens, o.PrefixGroups = 128, 4 }), ""},
		{"prefix as long as the prompt", ok(func(o *Options) { o.PrefixTokens = 256 }), "--prefix-tokens 256: must be less than --prompt-tokens 256"},
		{"groups without prefix", ok(func(o *Options) { o.PrefixGroups = 2 }), "--prefix-groups needs --prefix-tokens"},
		{"too many groups", ok(func(o *Options) { o.PrefixTokens, o.PrefixGroups = 8, MaxPrefixGroups+1 }), "--prefix-groups 4097: must be in 1..4096"},
		{"dataset without records", ok(func(o *Options) { o.Dataset = &DatasetInfo{} }), "--dataset: no record to send"},
		{"dataset and prefix", ok(func(o *Options) {
			o.Dataset, o.Conversations, o.PrefixTokens = &DatasetInfo{}, []Conversation{{Turns: []Turn{{User: "x"}}}}, 8
		}), "--prefix-tokens with --dataset"},
		{"ignore eos on ollama", ok(func(o *Options) { o.IgnoreEOS = true }), "--ignore-eos, --min-tokens and --extra-body are sent to OpenAI-compatible servers"},
		{"openai fixed output", ok(func(o *Options) {
			o.Backend, o.IgnoreEOS, o.MinTokens, o.ExtraBody = "openai", true, 128, json.RawMessage(`{"top_k": 20}`)
		}), ""},
		{"min tokens above max", ok(func(o *Options) { o.Backend, o.MinTokens = "openai", 129 }), "--min-tokens 129: must be in 0..--max-tokens 128"},
		{"extra body not an object", ok(func(o *Options) { o.Backend, o.ExtraBody = "openai", json.RawMessage(`[1]`) }), "--extra-body: must be a JSON object"},
		{"extra body null", ok(func(o *Options) { o.Backend, o.ExtraBody = "openai", json.RawMessage(`null`) }), "--extra-body: must be a JSON object"},
		{"extra body sets max_tokens", ok(func(o *Options) { o.Backend, o.ExtraBody = "openai", json.RawMessage(`{"max_tokens": 9}`) }), "--extra-body: \"max_tokens\" is a field yardstick sets itself"},
		// --think sends chat_template_kwargs (and reasoning_effort for a level): the
		// extra field was dropped while the run file recorded it as sent.
		{"extra template kwargs with think", ok(func(o *Options) {
			o.Backend, o.Think, o.ThinkSet, o.ExtraBody = "openai", ThinkOn, true, json.RawMessage(`{"chat_template_kwargs": {"x": 1}}`)
		}), "--extra-body: \"chat_template_kwargs\" is sent by --think"},
		{"extra effort with think level", ok(func(o *Options) {
			o.Backend, o.Think, o.ThinkSet, o.ExtraBody = "openai", ThinkHigh, true, json.RawMessage(`{"reasoning_effort": "low"}`)
		}), "--extra-body: \"reasoning_effort\" is sent by --think high"},
		// Without --think neither is sent, and --think on sends no effort: theirs go.
		{"extra template kwargs without think", ok(func(o *Options) {
			o.Backend, o.ExtraBody = "openai", json.RawMessage(`{"chat_template_kwargs": {"x": 1}}`)
		}), ""},
		{"extra effort with think on", ok(func(o *Options) {
			o.Backend, o.Think, o.ThinkSet, o.ExtraBody = "openai", ThinkOn, true, json.RawMessage(`{"reasoning_effort": "low"}`)
		}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// The OpenAI backend sends ignore_eos and min_tokens only when asked, and adds the
// fields of --extra-body to the body without replacing its own.
func TestOpenAIFixedOutputFields(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:1")
	o := NewOpenAI(u, "")
	body := func(req Request) map[string]any {
		t.Helper()
		hr, err := o.chatRequest(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(hr.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	plain := body(Request{Model: "m", MaxTokens: 16})
	for _, k := range []string{"ignore_eos", "min_tokens", "top_k"} {
		if _, ok := plain[k]; ok {
			t.Errorf("%s sent without being asked", k)
		}
	}
	fixed := body(Request{Model: "m", MaxTokens: 16, IgnoreEOS: true, MinTokens: 16, ExtraBody: json.RawMessage(`{"top_k": 20, "model": "other"}`)})
	if fixed["ignore_eos"] != true || fixed["min_tokens"] != float64(16) || fixed["top_k"] != float64(20) || fixed["model"] != "m" {
		t.Errorf("body %v", fixed)
	}
}

// A prefixed prompt is calibrated as one: with a tokenizer of 1.4 tokens a word and 20
// tokens of template, 640 tokens are 443 words (1.4 × 443 + 20 = 640.2), of which the
// prefix keeps 512/640: 354 words, about 496 tokens.
func TestCalibratePrefixed(t *testing.T) {
	w := NewWorkload(1, "r", 640-512)
	w.PrefixWords = 512
	count := func(words, prefix int) int { return int(1.4*float64(words+prefix) + 20 + 0.5) }
	for i := 0; i < 6; i++ {
		w.calibratePrefixed(w.Words, w.PrefixWords, count(w.Words, w.PrefixWords), 512, 640)
	}
	if total := w.Words + w.PrefixWords; total < 441 || total > 445 {
		t.Errorf("%d + %d words, want 443 ± 2", w.Words, w.PrefixWords)
	}
	if w.PrefixWords < 352 || w.PrefixWords > 356 {
		t.Errorf("prefix %d words, want 354 ± 2", w.PrefixWords)
	}
}
