package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// synth refuses a shape or quantization the server cannot load with exit status 2
// and one line naming the valid choices, before anything is written.
func TestSynthRefusesWhatCannotBeServed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		// Not a shape: the line lists every shape, Qwen3 and the MoE included.
		{[]string{"--shape", "qwen3-7b"}, []string{`unknown shape "qwen3-7b"`, "tiny, tiny-moe, qwen2.5-0.5b", "qwen3-0.6b", "qwen3-8b", "qwen3-30b-a3b"}},
		// K-quants and MXFP4 are not written by twins: the line lists those that are.
		{[]string{"--shape", "qwen3-0.6b", "--quant", "Q4_K_M"}, []string{`unknown quantization "Q4_K_M"`, "valid: F16, Q8_0, Q4_0"}},
		{[]string{"--shape", "qwen3-30b-a3b", "--quant", "MXFP4", "--create", "x"}, []string{`unknown quantization "MXFP4"`, "valid: F16, Q8_0, Q4_0"}},
	} {
		dir := t.TempDir()
		out := filepath.Join(dir, "twin.gguf")
		o := runCLI(t, nil, append([]string{"synth", "--out", out}, tc.args...)...)
		if o.code != 2 || strings.Count(o.stderr, "\n") != 1 || o.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and one line", tc.args, o.code, o.stdout, o.stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(o.stderr, w) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, o.stderr, w)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%v: wrote %v", tc.args, entries)
		}
	}
}

// The tiny mixture of experts is written (about 1.3 MB at Q8_0) and reported with its
// tensor and parameter counts: 2 layers × 12 tensors + token_embd, output_norm,
// output; 1,250,176 parameters, 660,352 of them used per token (synth's
// TestQwen3Params derives both).
func TestSynthWritesTinyMoE(t *testing.T) {
	out := filepath.Join(t.TempDir(), "moe.gguf")
	o := runCLI(t, nil, "synth", "--shape", "tiny-moe", "--quant", "Q8_0", "--out", out)
	if o.code != 0 || o.stderr != "" {
		t.Fatalf("exit %d, stderr %q", o.code, o.stderr)
	}
	if want := "tiny-moe Q8_0, 27 tensors, 1250176 parameters (660352 active: 4 of 16 experts per token)"; !strings.Contains(o.stdout, want) {
		t.Errorf("stdout %q lacks %q", o.stdout, want)
	}
	if st, err := os.Stat(out); err != nil || st.Size() < 1<<20 || st.Size() > 2<<20 {
		t.Errorf("file: %v, %v", st, err)
	}
}

// --create against a server that does not answer fails before the twin is written:
// a write of up to tens of GB must not come before finding the server is not there.
func TestSynthCreateUnreachableWritesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tiny.gguf")
	o := runCLI(t, nil, "synth", "--shape", "tiny", "--out", out, "--create", "twin-tiny", "--host", "http://127.0.0.1:9")
	if _, err := os.Stat(out); o.code != 1 || !strings.Contains(o.stderr, "nothing written") || err == nil {
		t.Errorf("exit %d, stderr %q, stat %v: want exit 1, nothing written", o.code, o.stderr, err)
	}
}
