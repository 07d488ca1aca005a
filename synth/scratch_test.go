package synth

import (
	"os"
	"testing"
	"time"

	"github.com/ollama/ollama/fs/ggml"
)

func TestScratch(t *testing.T) {
	for _, s := range Shapes() {
		t0 := time.Now()
		v, err := BuildVocab(s)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s vocab %d merges %d in %v params %d data Q8 %d Q4 %d", s.Name, len(v.Tokens), len(v.Merges), time.Since(t0), s.Params(), s.DataBytes(Q8_0), s.DataBytes(Q4_0))
		t.Logf("sample: %q", v.Tokens[256:300])
		t.Logf("fillers: %q", v.Tokens[s.FirstSpecialID-6:s.FirstSpecialID+3])
	}
	sh, _ := LookupShape("tiny")
	t0 := time.Now()
	info, err := WriteFile("/tmp/synthcheck/tiny.gguf", Spec{sh, Q8_0, 1})
	t.Logf("%+v %v %v", info, err, time.Since(t0))
	f, _ := os.Open(info.Path)
	g, err := ggml.Decode(f, -1)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range g.KV() {
		if k[:9] != "tokenizer" {
			t.Logf("%s = %v (%T)", k, v, v)
		}
	}
}
