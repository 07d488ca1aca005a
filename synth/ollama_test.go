package synth

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// TestOllamaRoundTrip writes twins, creates them in a real Ollama and chats with
// them. It runs only when YARDSTICK_TEST_OLLAMA_HOST names a server (e.g.
// http://127.0.0.1:11601, as scripts/ollama.sh start prints); the shapes are
// "tiny" at each quantization and "tiny-moe" at Q8_0 unless
// YARDSTICK_TEST_SYNTH_SHAPES lists others (comma-separated shape:quant pairs,
// e.g. "tiny:Q8_0,qwen2.5-0.5b:Q8_0").
func TestOllamaRoundTrip(t *testing.T) {
	host := os.Getenv("YARDSTICK_TEST_OLLAMA_HOST")
	if host == "" {
		t.Skip("YARDSTICK_TEST_OLLAMA_HOST not set: no Ollama to test against")
	}
	base, err := url.Parse(host)
	if err != nil {
		t.Fatal(err)
	}
	client := api.NewClient(base, http.DefaultClient)
	pairs := "tiny:Q8_0,tiny:Q4_0,tiny:F16,tiny-moe:Q8_0"
	if v := os.Getenv("YARDSTICK_TEST_SYNTH_SHAPES"); v != "" {
		pairs = v
	}
	dir := t.TempDir()
	for _, pair := range strings.Split(pairs, ",") {
		name, qs, _ := strings.Cut(strings.TrimSpace(pair), ":")
		shape, err := LookupShape(name)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParseQuant(qs)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name+"-"+string(q), func(t *testing.T) {
			roundTrip(t, client, dir, Spec{Shape: shape, Quant: q, Seed: 42})
		})
	}
}

func roundTrip(t *testing.T, client *api.Client, dir string, spec Spec) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	path := filepath.Join(dir, spec.Shape.Name+"-"+string(spec.Quant)+".gguf")
	start := time.Now()
	info, err := WriteFile(path, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d bytes, %d tensors, %d params in %v", path, info.SizeBytes, info.Tensors, info.Params, time.Since(start).Round(time.Millisecond))

	model := "yardstick-twin-test:" + strings.ToLower(strings.ReplaceAll(spec.Shape.Name+"-"+string(spec.Quant), ".", "-"))
	start = time.Now()
	var steps []string
	if err := Create(ctx, client, model, path, spec, func(s string) { steps = append(steps, s) }); err != nil {
		t.Fatalf("create: %v (steps %q)", err, steps)
	}
	t.Logf("created %s in %v: %q", model, time.Since(start).Round(time.Millisecond), steps)
	defer func() {
		// unload (keep_alive 0), then remove the model
		client.Generate(context.Background(), &api.GenerateRequest{Model: model, KeepAlive: &api.Duration{}}, func(api.GenerateResponse) error { return nil })
		client.Delete(context.Background(), &api.DeleteRequest{Model: model})
	}()

	show, err := client.Show(ctx, &api.ShowRequest{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	marks, ok := MarksFromModelInfo(show.ModelInfo)
	if !ok || marks.Shape != spec.Shape.Name || marks.Quant != string(spec.Quant) || marks.Seed != "42" {
		t.Errorf("marks in /api/show model_info: %+v %v; model_info %v", marks, ok, show.ModelInfo)
	}
	if show.Details.Family != spec.Shape.Arch || show.Details.QuantizationLevel != string(spec.Quant) {
		t.Errorf("details: %+v", show.Details)
	}
	if pc, _ := show.ModelInfo["general.parameter_count"].(float64); uint64(pc) != spec.Shape.Params() {
		t.Errorf("general.parameter_count %v, want %d", show.ModelInfo["general.parameter_count"], spec.Shape.Params())
	}
	t.Logf("show: details %+v, marks %+v", show.Details, marks)

	think := api.ThinkValue{Value: false}
	stream := true
	req := &api.ChatRequest{
		Model:    model,
		Messages: []api.Message{{Role: "user", Content: "Please explain how a benchmark measures the speed of a model."}},
		Stream:   &stream,
		Think:    &think,
		Options:  map[string]any{"temperature": 0.8, "seed": 42, "num_predict": 32, "num_ctx": 2048},
	}
	for run := range 2 { // the first run loads the model; the second is warm
		var chunks int
		var text strings.Builder
		var last api.ChatResponse
		start = time.Now()
		err = client.Chat(ctx, req, func(r api.ChatResponse) error {
			chunks++
			text.WriteString(r.Message.Content)
			last = r
			return nil
		})
		if err != nil {
			t.Fatalf("chat: %v", err)
		}
		if !last.Done || last.EvalCount <= 0 || chunks < 2 {
			t.Fatalf("stream ended without done or tokens: done=%v eval_count=%d chunks=%d", last.Done, last.EvalCount, chunks)
		}
		rate := float64(last.EvalCount) / last.EvalDuration.Seconds()
		t.Logf("run %d: %d chunks in %v, done_reason %q, prompt_eval_count %d, eval_count %d, eval %v → %.1f tokens/s, load %v; text %q",
			run, chunks, time.Since(start).Round(time.Millisecond), last.DoneReason, last.PromptEvalCount, last.EvalCount,
			last.EvalDuration, rate, last.LoadDuration, truncate(text.String(), 120))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
