package synth

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ollama/ollama/fs/ggml"
)

func tiny(t *testing.T) Shape {
	t.Helper()
	s, err := LookupShape("tiny")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLookupShape(t *testing.T) {
	for _, name := range []string{"tiny", "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b", "qwen2.5-7b", "QWEN2.5-0.5B"} {
		s, err := LookupShape(name)
		if err != nil {
			t.Fatalf("LookupShape(%q): %v", name, err)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if s.Source == "" {
			t.Errorf("%s: no source", name)
		}
	}
	_, err := LookupShape("llama-7b")
	if err == nil || !strings.Contains(err.Error(), "qwen2.5-0.5b") || !strings.Contains(err.Error(), "tiny") {
		t.Errorf("unknown shape error should list the valid names, got %v", err)
	}
}

func TestParseQuant(t *testing.T) {
	for in, want := range map[string]Quant{"Q8_0": Q8_0, "q8_0": Q8_0, "q4_0": Q4_0, "f16": F16, " F16 ": F16} {
		got, err := ParseQuant(in)
		if err != nil || got != want {
			t.Errorf("ParseQuant(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseQuant("Q4_K_M")
	if err == nil || !strings.Contains(err.Error(), "Q8_0") || !strings.Contains(err.Error(), "Q4_0") || !strings.Contains(err.Error(), "F16") {
		t.Errorf("unknown quant error should list the valid names, got %v", err)
	}
	// general.file_type numbers: llama.h LLAMA_FTYPE_MOSTLY_F16 = 1, _Q4_0 = 2, _Q8_0 = 7.
	for q, want := range map[Quant]uint32{F16: 1, Q4_0: 2, Q8_0: 7} {
		if got := uint32(q.FileType()); got != want {
			t.Errorf("%s.FileType() = %d, want %d", q, got, want)
		}
	}
}

// TestBlockSizes checks the bytes per block against ggml-common.h (block_q8_0 =
// 2 + 32, block_q4_0 = 2 + 16, block_q6_K = 128 + 64 + 16 + 2) and against
// Ollama's own table in fs/ggml.
func TestBlockSizes(t *testing.T) {
	for _, c := range []struct {
		typ         TensorType
		block, size uint64
	}{
		{TensorTypeF32, 1, 4}, {TensorTypeF16, 1, 2}, {TensorTypeQ8_0, 32, 34}, {TensorTypeQ4_0, 32, 18}, {TensorTypeQ6_K, 256, 210},
	} {
		if c.typ.BlockSize() != c.block || c.typ.TypeSize() != c.size {
			t.Errorf("%s: block %d size %d, want %d %d", c.typ, c.typ.BlockSize(), c.typ.TypeSize(), c.block, c.size)
		}
		g := ggml.TensorType(c.typ)
		if g.BlockSize() != c.block || g.TypeSize() != c.size {
			t.Errorf("%s: fs/ggml says block %d size %d", c.typ, g.BlockSize(), g.TypeSize())
		}
	}
}

// TestShapeTable checks tensor counts and parameter counts of every shape
// without writing files.
func TestShapeTable(t *testing.T) {
	cases := []struct {
		name    string
		tensors int
		params  uint64
		// model card figures (huggingface.co/Qwen/<model>-Instruct README):
		// total and non-embedding parameters in units of 0.01B. The cards are
		// not rounded consistently (7B: 7,615,616,512 is given as 7.61B, 3B:
		// 3,085,938,688 as 3.09B), so ±0.01B is accepted.
		cardTotal, cardNonEmb uint64
	}{
		// tiny: 2 layers × 12 tensors + token_embd + output_norm
		{"tiny", 26, 427136, 0, 0},
		// 0.5B: "Number of Parameters: 0.49B; Number of Paramaters (Non-Embedding): 0.36B"
		{"qwen2.5-0.5b", 24*12 + 2, 494032768, 49, 36},
		// 1.5B: "1.54B; 1.31B"
		{"qwen2.5-1.5b", 28*12 + 2, 1543714304, 154, 131},
		// 3B: "3.09B; 2.77B"
		{"qwen2.5-3b", 36*12 + 2, 3085938688, 309, 277},
		// 7B: "7.61B; 6.53B", untied: output.weight too
		{"qwen2.5-7b", 28*12 + 3, 7615616512, 761, 653},
	}
	for _, c := range cases {
		s, err := LookupShape(c.name)
		if err != nil {
			t.Fatal(err)
		}
		ts := s.Tensors(Q8_0)
		if len(ts) != c.tensors {
			t.Errorf("%s: %d tensors, want %d", c.name, len(ts), c.tensors)
		}
		if p := s.Params(); p != c.params {
			t.Errorf("%s: %d params, want %d", c.name, p, c.params)
		}
		if c.cardTotal > 0 {
			round := func(n uint64) uint64 { return (n + 5e6) / 1e7 }
			near := func(a, b uint64) bool { return a+1 >= b && b+1 >= a }
			if got := round(s.Params()); !near(got, c.cardTotal) {
				t.Errorf("%s: %d params rounds to %d×0.01B, model card says %d", c.name, s.Params(), got, c.cardTotal)
			}
			if got := round(s.Params() - s.EmbeddingParams()); !near(got, c.cardNonEmb) {
				t.Errorf("%s: %d non-embedding params rounds to %d×0.01B, model card says %d", c.name, s.Params()-s.EmbeddingParams(), got, c.cardNonEmb)
			}
		}
		_, hasOutput := find(ts, "output.weight")
		if hasOutput == s.TiedEmbeddings {
			t.Errorf("%s: output.weight present = %v with tied embeddings = %v", c.name, hasOutput, s.TiedEmbeddings)
		}
	}

	// Exact shapes of one layer of Qwen2.5-7B (config.json: hidden 3584,
	// intermediate 18944, 28 heads, 4 KV heads → head dim 128, KV dim 512).
	s, _ := LookupShape("qwen2.5-7b")
	ts := s.Tensors(Q4_0)
	want := map[string][]uint64{
		"token_embd.weight":         {3584, 152064},
		"output.weight":             {3584, 152064},
		"output_norm.weight":        {3584},
		"blk.27.attn_q.weight":      {3584, 3584},
		"blk.27.attn_q.bias":        {3584},
		"blk.27.attn_k.weight":      {3584, 512},
		"blk.27.attn_k.bias":        {512},
		"blk.27.attn_v.weight":      {3584, 512},
		"blk.27.attn_output.weight": {3584, 3584},
		"blk.27.ffn_gate.weight":    {3584, 18944},
		"blk.27.ffn_up.weight":      {3584, 18944},
		"blk.27.ffn_down.weight":    {18944, 3584},
		"blk.27.ffn_norm.weight":    {3584},
		"blk.27.attn_norm.weight":   {3584},
	}
	for name, shape := range want {
		ti, ok := find(ts, name)
		if !ok {
			t.Errorf("7b: no %s", name)
			continue
		}
		if !equal(ti.Shape, shape) {
			t.Errorf("7b: %s shape %v, want %v", name, ti.Shape, shape)
		}
	}
	// Q4_0 file: output at Q6_K (3584 % 256 == 0), weights Q4_0, 1-D at F32.
	for name, typ := range map[string]TensorType{"output.weight": TensorTypeQ6_K, "token_embd.weight": TensorTypeQ4_0, "blk.0.ffn_up.weight": TensorTypeQ4_0, "blk.0.attn_q.bias": TensorTypeF32} {
		if ti, _ := find(ts, name); ti.Type != typ {
			t.Errorf("7b Q4_0: %s is %s, want %s", name, ti.Type, typ)
		}
	}
	// 0.5B Q4_0: tied embeddings take the output type, Q6_K → Q8_0 fallback as 896 % 256 != 0.
	s05, _ := LookupShape("qwen2.5-0.5b")
	if ti, _ := find(s05.Tensors(Q4_0), "token_embd.weight"); ti.Type != TensorTypeQ8_0 {
		t.Errorf("0.5b Q4_0 token_embd is %s, want Q8_0", ti.Type)
	}
	s15, _ := LookupShape("qwen2.5-1.5b")
	if ti, _ := find(s15.Tensors(Q4_0), "token_embd.weight"); ti.Type != TensorTypeQ6_K {
		t.Errorf("1.5b Q4_0 token_embd is %s, want Q6_K", ti.Type)
	}
}

// TestDataBytes checks tensor data sizes by the block sizes: Q8_0 34 bytes per
// 32 weights, Q4_0 18 per 32, F16 2 per weight, F32 4 (1-D tensors and a mixture
// of experts' router, ffn_gate_inp, which no quantizer touches).
func TestDataBytes(t *testing.T) {
	for _, s := range Shapes() {
		var oneD, twoD, outWeights uint64
		for _, ti := range s.Tensors(F16) {
			switch {
			case len(ti.Shape) == 1 || strings.HasSuffix(ti.Name, ".ffn_gate_inp.weight"):
				oneD += ti.Elements()
			case ti.Name == "output.weight" || (s.TiedEmbeddings && ti.Name == "token_embd.weight"):
				outWeights += ti.Elements()
			default:
				twoD += ti.Elements()
			}
		}
		if got, want := s.DataBytes(F16), 4*oneD+2*(twoD+outWeights); got != want {
			t.Errorf("%s F16: %d bytes, want %d", s.Name, got, want)
		}
		if got, want := s.DataBytes(Q8_0), 4*oneD+(twoD+outWeights)/32*34; got != want {
			t.Errorf("%s Q8_0: %d bytes, want %d", s.Name, got, want)
		}
		outQ4 := outWeights / 256 * 210
		if s.EmbeddingLength%256 != 0 {
			outQ4 = outWeights / 32 * 34
		}
		if got, want := s.DataBytes(Q4_0), 4*oneD+twoD/32*18+outQ4; got != want {
			t.Errorf("%s Q4_0: %d bytes, want %d", s.Name, got, want)
		}
	}
	// One figure by hand: Qwen2.5-0.5B at Q8_0 is 494,032,768 weights of which
	// 1-D (F32): 24×(2 norms×896 + q bias 896 + k, v bias 2×128) + 896 = 71,552
	// → 286,208 bytes; the rest 493,961,216 / 32 × 34 = 524,833,792 bytes;
	// 525,120,000 in all.
	s, _ := LookupShape("qwen2.5-0.5b")
	if got := s.DataBytes(Q8_0); got != 525120000 {
		t.Errorf("0.5b Q8_0 data %d bytes, want 525120000", got)
	}
}

func TestWriteReadBack(t *testing.T) {
	dir := t.TempDir()
	for _, q := range Quants() {
		spec := Spec{Shape: tiny(t), Quant: q, Seed: 7}
		path := filepath.Join(dir, "tiny-"+string(q)+".gguf")
		info, err := WriteFile(path, spec)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.SizeBytes != st.Size() || info.Path != path || info.Shape != "tiny" || info.Quant != q ||
			info.Tensors != len(spec.Shape.Tensors(q)) || info.Params != spec.Shape.Params() {
			t.Errorf("%s: info %+v, file %d bytes", q, info, st.Size())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != len(Quants()[:indexOf(q)+1]) {
			t.Errorf("temporary files left behind: %v", entries)
		}

		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		g, err := ggml.Decode(f, -1)
		f.Close()
		if err != nil {
			t.Fatalf("%s: decode: %v", q, err)
		}
		kv := g.KV()
		if kv.Architecture() != "qwen2" || kv.BlockCount() != 2 || kv.EmbeddingLength() != 128 ||
			kv.Uint("attention.head_count") != 4 || kv.Uint("attention.head_count_kv") != 2 ||
			kv.Uint("feed_forward_length") != 256 || kv.ContextLength() != 32768 ||
			kv.Float("rope.freq_base") != 1e6 || kv.Float("attention.layer_norm_rms_epsilon") != 1e-6 {
			t.Errorf("%s: hyperparameters wrong: %v", q, kv)
		}
		if kv.FileType() != q.FileType() || kv.ParameterCount() != spec.Shape.Params() {
			t.Errorf("%s: file type %v params %d", q, kv.FileType(), kv.ParameterCount())
		}
		if !kv.Bool(KeySynthetic) || kv.String(KeyShape) != "tiny" || kv.String(KeyQuant) != string(q) ||
			kv.String(KeySeed) != "7" || !strings.Contains(kv.String("general.name"), "random weights") {
			t.Errorf("%s: twin marks missing: %v", q, kv)
		}
		if n := len(kv.Strings("tokenizer.ggml.tokens")); n != 1024 {
			t.Errorf("%s: %d tokens, want 1024", q, n)
		}
		if kv.String("tokenizer.ggml.model") != "gpt2" || kv.String("tokenizer.ggml.pre") != "qwen2" ||
			kv.Uint("tokenizer.ggml.eos_token_id") != uint32(spec.Shape.FirstSpecialID+2) {
			t.Errorf("%s: tokenizer keys wrong", q)
		}

		want := spec.Shape.Tensors(q)
		got := g.Tensors().Items()
		if len(got) != len(want) {
			t.Fatalf("%s: %d tensors, want %d", q, len(got), len(want))
		}
		var dataEnd uint64
		for i, w := range want {
			if got[i].Name != w.Name || !equal(got[i].Shape, w.Shape) || got[i].Kind != uint32(w.Type) || got[i].Size() != w.Bytes() {
				t.Errorf("%s: tensor %d = %s %v %d, want %s %v %s", q, i, got[i].Name, got[i].Shape, got[i].Kind, w.Name, w.Shape, w.Type)
			}
			dataEnd = max(dataEnd, got[i].Offset+got[i].Size())
		}
		if want := int64(g.Tensors().Offset + dataEnd); st.Size() != want {
			t.Errorf("%s: file %d bytes, header+data end at %d", q, st.Size(), want)
		}
		checkValues(t, path, g, q)
	}
}

// checkValues reads back a few tensors and checks the weights are small and the
// norms are 1.
func checkValues(t *testing.T, path string, g *ggml.GGML, q Quant) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	base := g.Tensors().Offset
	for _, ti := range g.Tensors().Items() {
		data := raw[base+ti.Offset : base+ti.Offset+ti.Size()]
		switch {
		case strings.HasSuffix(ti.Name, "_norm.weight"):
			for i := 0; i < len(data); i += 4 {
				if !bytes.Equal(data[i:i+4], []byte{0, 0, 0x80, 0x3f}) {
					t.Fatalf("%s: %s[%d] is not 1.0", q, ti.Name, i/4)
				}
			}
		case TensorType(ti.Kind) == TensorTypeF16:
			var sum, sq float64
			n := len(data) / 2
			for i := 0; i < len(data); i += 2 {
				v := float64(f16ToFloat32(uint16(data[i]) | uint16(data[i+1])<<8))
				sum += v
				sq += v * v
			}
			mean, std := sum/float64(n), math.Sqrt(sq/float64(n))
			if mean > 0.005 || mean < -0.005 || std < 0.015 || std > 0.025 {
				t.Errorf("%s: %s mean %g std %g, want ≈ 0 and %g", q, ti.Name, mean, std, WeightStd)
			}
		case TensorType(ti.Kind) == TensorTypeQ8_0:
			for i := 0; i < len(data); i += 34 {
				d := f16ToFloat32(uint16(data[i]) | uint16(data[i+1])<<8)
				if d <= 0 || d > 0.001 {
					t.Fatalf("%s: %s block %d scale %g", q, ti.Name, i/34, d)
				}
			}
		case TensorType(ti.Kind) == TensorTypeQ4_0:
			for i := 0; i < len(data); i += 18 {
				d := f16ToFloat32(uint16(data[i]) | uint16(data[i+1])<<8)
				if d <= 0 || d > 0.01 {
					t.Fatalf("%s: %s block %d scale %g", q, ti.Name, i/18, d)
				}
			}
		}
	}
}

// TestQ6K checks the layout of generated Q6_K blocks (ql[128] qh[64] scales[16]
// d): scales in 4…7, d positive and small, so values d*scale*(q-32) stay near
// WeightStd.
func TestQ6K(t *testing.T) {
	w := &weights{info: TensorInfo{Name: "output.weight", Shape: []uint64{512, 8}, Type: TensorTypeQ6_K}, seed: 1}
	var buf bytes.Buffer
	n, err := w.WriteTo(&buf)
	if err != nil || n != 16*210 || buf.Len() != 16*210 {
		t.Fatalf("wrote %d (%d) bytes, %v; want %d", n, buf.Len(), err, 16*210)
	}
	b := buf.Bytes()
	for i := 0; i < len(b); i += 210 {
		for _, sc := range b[i+192 : i+208] {
			if sc < 4 || sc > 7 {
				t.Fatalf("block %d: scale %d", i/210, sc)
			}
		}
		d := f16ToFloat32(uint16(b[i+208]) | uint16(b[i+209])<<8)
		if d <= 0 || d > 0.0005 {
			t.Fatalf("block %d: d %g", i/210, d)
		}
	}
}

func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, seed uint64) []byte {
		path := filepath.Join(dir, name)
		if _, err := WriteFile(path, Spec{Shape: tiny(t), Quant: Q8_0, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := write("a.gguf", 42), write("b.gguf", 42), write("c.gguf", 43)
	if !bytes.Equal(a, b) {
		t.Error("same seed, different bytes")
	}
	if bytes.Equal(a, c) || len(a) != len(c) {
		t.Errorf("different seeds: equal %v, sizes %d %d", bytes.Equal(a, c), len(a), len(c))
	}
	// overwrite in place (atomic rename over an existing file)
	if got := write("a.gguf", 43); !bytes.Equal(got, c) {
		t.Error("rewriting with seed 43 did not give the seed-43 bytes")
	}
}

func TestWriteErrors(t *testing.T) {
	if _, err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "dir.gguf"), Spec{Shape: tiny(t), Quant: Q8_0}); err == nil {
		t.Error("want an error for a missing directory")
	}
	if _, err := WriteFile(filepath.Join(t.TempDir(), "x.gguf"), Spec{Shape: tiny(t), Quant: "Q5_K"}); err == nil {
		t.Error("want an error for an unknown quant")
	}
	bad := tiny(t)
	bad.HeadCount = 3
	if _, err := WriteFile(filepath.Join(t.TempDir(), "x.gguf"), Spec{Shape: bad, Quant: Q8_0}); err == nil {
		t.Error("want an error for heads not dividing the embedding")
	}
}

// TestVocab checks the tokenizer with Ollama's own Go BPE implementation, the one
// its qwen2 model uses (model/models/qwen2/model.go), with the same
// pre-tokenizer.
func TestVocab(t *testing.T) {
	for _, name := range []string{"tiny", "qwen2.5-0.5b"} {
		s, _ := LookupShape(name)
		v, err := BuildVocab(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Tokens) != s.VocabSize || len(v.Types) != s.VocabSize {
			t.Fatalf("%s: %d tokens %d types, want %d", name, len(v.Tokens), len(v.Types), s.VocabSize)
		}
		seen := map[string]bool{}
		for i, tok := range v.Tokens {
			if seen[tok] {
				t.Fatalf("%s: token %q twice", name, tok)
			}
			seen[tok] = true
			if tok == "" {
				t.Fatalf("%s: empty token %d", name, i)
			}
		}
		for _, m := range v.Merges {
			l, r, ok := strings.Cut(m, " ")
			if !ok || !seen[l] || !seen[r] || !seen[l+r] {
				t.Fatalf("%s: merge %q has a piece not in the vocabulary", name, m)
			}
		}
		for id, text := range map[int]string{s.FirstSpecialID: "<|endoftext|>", s.FirstSpecialID + 1: "<|im_start|>", s.FirstSpecialID + 2: "<|im_end|>"} {
			if v.Tokens[id] != text || v.Types[id] != tokenControl {
				t.Errorf("%s: token %d = %q type %d, want %q control", name, id, v.Tokens[id], v.Types[id], text)
			}
		}
		if name == "qwen2.5-0.5b" && (v.Tokens[151643] != "<|endoftext|>" || v.Tokens[151645] != "<|im_end|>" || v.Tokens[151664] != "<|file_sep|>" || v.Tokens[151665] != "[PAD151665]") {
			t.Errorf("0.5b: special ids differ from Qwen2.5's")
		}

		// Encode words with rank-ordered BPE, as llama.cpp and Ollama do on each
		// pre-tokenized piece, and decode back through the byte-level table.
		ranks := map[string]int{}
		for r, m := range v.Merges {
			ranks[m] = r
		}
		ids := map[string]int{}
		for id, tok := range v.Tokens {
			ids[tok] = id
		}
		for _, w := range []string{" the", " model", " explain", "Please", " how", " people", " work", ",", " xylophone", " Ünïcödé"} {
			pieces := bpeEncode(byteLevel(w), ranks)
			var back strings.Builder
			for _, p := range pieces {
				if _, ok := ids[p]; !ok {
					t.Fatalf("%s: piece %q of %q is not a token", name, p, w)
				}
				back.WriteString(p)
			}
			if got := unByteLevel(back.String()); got != w {
				t.Errorf("%s: %q decodes back to %q", name, w, got)
			}
			if name == "qwen2.5-0.5b" && len(pieces) != 1 && !strings.ContainsAny(w, "xÜ") {
				t.Errorf("%s: common word %q is %d tokens %q, want 1", name, w, len(pieces), pieces)
			}
		}
		// fillers and merged tokens decode to printable ASCII
		for id := 256; id < s.FirstSpecialID; id += 97 {
			if out := unByteLevel(v.Tokens[id]); !isPrintableASCII(out) {
				t.Fatalf("%s: token %d %q decodes to %q", name, id, v.Tokens[id], out)
			}
		}
	}
}

// bpeEncode applies the lowest-ranked merge until none applies.
func bpeEncode(s string, ranks map[string]int) []string {
	parts := splitRunes(s)
	for {
		best, at := -1, -1
		for i := 0; i+1 < len(parts); i++ {
			if r, ok := ranks[parts[i]+" "+parts[i+1]]; ok && (best < 0 || r < best) {
				best, at = r, i
			}
		}
		if at < 0 {
			return parts
		}
		parts = append(parts[:at], append([]string{parts[at] + parts[at+1]}, parts[at+2:]...)...)
	}
}

// unByteLevel maps byte-level symbols back to bytes.
func unByteLevel(s string) string {
	_, table := gpt2Bytes()
	rev := map[rune]byte{}
	for b, sym := range table {
		rev[[]rune(sym)[0]] = byte(b)
	}
	var out []byte
	for _, r := range s {
		out = append(out, rev[r])
	}
	return string(out)
}

func TestFloat16(t *testing.T) {
	for f, want := range map[float32]uint16{0: 0, 1: 0x3c00, -2: 0xc000, 65504: 0x7bff, 1e9: 0x7c00, 6.103515625e-05: 0x0400, 5.960464477539063e-08: 0x0001} {
		if got := float32ToF16(f); got != want {
			t.Errorf("f16(%g) = %#04x, want %#04x", f, got, want)
		}
	}
	for _, f := range []float32{0.02, -0.0004, 0.000271, 3.3e-5, 1234.5} {
		back := f16ToFloat32(float32ToF16(f))
		if rel := math.Abs(float64(back-f) / float64(f)); rel > 2e-3 {
			t.Errorf("f16 round trip %g → %g", f, back)
		}
	}
}

func TestMarksFromModelInfo(t *testing.T) {
	m, ok := MarksFromModelInfo(map[string]any{KeySynthetic: true, KeyShape: "tiny", KeyQuant: "Q8_0", KeySeed: "42"})
	if !ok || m != (Marks{"tiny", "Q8_0", "42"}) {
		t.Errorf("got %+v %v", m, ok)
	}
	if _, ok := MarksFromModelInfo(map[string]any{"general.architecture": "qwen2"}); ok {
		t.Error("a real model read as a twin")
	}
}

func find(ts []TensorInfo, name string) (TensorInfo, bool) {
	for _, t := range ts {
		if t.Name == name {
			return t, true
		}
	}
	return TensorInfo{}, false
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func indexOf(q Quant) int {
	for i, x := range Quants() {
		if x == q {
			return i
		}
	}
	return -1
}

func isPrintableASCII(s string) bool {
	for _, r := range s {
		if r < ' ' || r > '~' {
			return false
		}
	}
	return s != ""
}

// f16ToFloat32 converts IEEE 754 half precision to float32 (the inverse of float32ToF16, for checking written data).
func f16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0:
		if man == 0 {
			return math.Float32frombits(sign)
		}
		v := float32(man) / 1024 * float32(math.Pow(2, -14))
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	}
	return math.Float32frombits(sign | (exp-15+127)<<23 | man<<13)
}
