package synth

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/ollama/ollama/api"
)

func TestZZMeasure(t *testing.T) {
	if os.Getenv("ZZ_MEASURE") == "" {
		t.Skip()
	}
	base, _ := url.Parse("http://127.0.0.1:11601")
	c := api.NewClient(base, http.DefaultClient)
	ctx := context.Background()
	s, _ := LookupShape("qwen2.5-0.5b")
	spec := Spec{s, Q8_0, 42}
	path := filepath.Join(t.TempDir(), "m.gguf")
	info, err := WriteFile(path, spec)
	if err != nil { t.Fatal(err) }
	t.Logf("file %d bytes", info.SizeBytes)
	if err := Create(ctx, c, "zz-twin-05b", path, spec, nil); err != nil { t.Fatal(err) }
	think := api.ThinkValue{Value: false}
	for _, np := range []int{32, 32, 32, 128, 128} {
		for _, seed := range []int{42, 7} {
			var last api.ChatResponse
			err := c.Chat(ctx, &api.ChatRequest{Model: "zz-twin-05b", Think: &think,
				Messages: []api.Message{{Role: "user", Content: "Please explain how a benchmark measures the speed of a model."}},
				Options: map[string]any{"temperature": 0.8, "seed": seed, "num_predict": np, "num_ctx": 2048}},
				func(r api.ChatResponse) error { last = r; return nil })
			if err != nil { t.Fatal(err) }
			t.Logf("np %d seed %d done %v eval_count %d eval %v -> %.1f tok/s; prompt %d in %v", np, seed, last.Done, last.EvalCount, last.EvalDuration, float64(last.EvalCount)/last.EvalDuration.Seconds(), last.PromptEvalCount, last.PromptEvalDuration)
		}
	}
	c.Generate(ctx, &api.GenerateRequest{Model: "zz-twin-05b", KeepAlive: &api.Duration{}}, func(api.GenerateResponse) error { return nil })
	c.Delete(ctx, &api.DeleteRequest{Model: "zz-twin-05b"})
}
