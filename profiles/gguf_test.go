package profiles

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

// ggufBytes builds a GGUF v3 header: kvs are (key, uint32 value) pairs, plus a
// string array of vocab entries, and tensors of the given shapes in F16 (type 1).
func ggufBytes(kvs map[string]uint32, vocab int, tensors map[string][]uint64) []byte {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	s := func(x string) { w(uint64(len(x))); b.WriteString(x) }
	b.WriteString("GGUF")
	w(uint32(3))
	w(uint64(len(tensors)))
	w(uint64(len(kvs) + 2))
	s("general.architecture")
	w(uint32(ggufString))
	s("qwen2")
	for k, v := range kvs {
		s(k)
		w(uint32(ggufUint32))
		w(v)
	}
	s("tokenizer.ggml.tokens")
	w(uint32(ggufArray))
	w(uint32(ggufString))
	w(uint64(vocab))
	for i := 0; i < vocab; i++ {
		s("t")
	}
	for name, shape := range tensors {
		s(name)
		w(uint32(len(shape)))
		for _, d := range shape {
			w(d)
		}
		w(uint32(1))
		w(uint64(0))
	}
	return b.Bytes()
}

func TestReadGGUFHeader(t *testing.T) {
	data := ggufBytes(map[string]uint32{"qwen2.block_count": 2}, 5, map[string][]uint64{"token_embd.weight": {64, 5}})
	h, err := ReadGGUFHeader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// The uint32 2 comes back as /api/show's JSON number; the 5 strings as a length.
	if h.Info["qwen2.block_count"] != float64(2) || h.Info["general.architecture"] != "qwen2" || h.ArrayLengths["tokenizer.ggml.tokens"] != 5 {
		t.Errorf("info %v, arrays %v", h.Info, h.ArrayLengths)
	}
	if len(h.Tensors) != 1 || h.Tensors[0].Type != "F16" || h.Tensors[0].Shape[1] != 5 {
		t.Errorf("tensors %+v", h.Tensors)
	}
}

// TestReadGGUFHeaderRefusesCraftedCounts: counts and lengths past what the file
// holds are errors before anything of their size is allocated.
func TestReadGGUFHeaderRefusesCraftedCounts(t *testing.T) {
	good := ggufBytes(map[string]uint32{"qwen2.block_count": 2}, 3, map[string][]uint64{"a.weight": {32, 2}})
	cases := map[string]struct {
		mutate func([]byte) []byte
		want   string
	}{
		"magic":        {func(b []byte) []byte { b[0] = 'X'; return b }, "not a GGUF"},
		"version":      {func(b []byte) []byte { b[4] = 9; return b }, "version 9"},
		"tensor count": {func(b []byte) []byte { binary.LittleEndian.PutUint64(b[8:], 1<<40); return b }, "tensors"},
		"kv count":     {func(b []byte) []byte { binary.LittleEndian.PutUint64(b[16:], 1<<62); return b }, "metadata pairs"},
		"key length":   {func(b []byte) []byte { binary.LittleEndian.PutUint64(b[24:], 1<<60); return b }, "string of"},
		"truncated":    {func(b []byte) []byte { return b[:len(b)-5] }, "left"},
	}
	for name, tc := range cases {
		d := tc.mutate(append([]byte(nil), good...))
		_, err := ReadGGUFHeader(bytes.NewReader(d), int64(len(d)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}

// FuzzPlanGGUF: the header reader `yardstick plan --gguf` uses returns a header or
// an error for any bytes, never panics, and never reads past the size it is given.
func FuzzPlanGGUF(f *testing.F) {
	f.Add(ggufBytes(map[string]uint32{"qwen2.block_count": 2}, 3, map[string][]uint64{"a.weight": {32, 2}}))
	f.Add([]byte("GGUF\x03\x00\x00\x00"))
	if b, err := os.ReadFile("testdata/tiny.gguf"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadGGUFHeader(bytes.NewReader(data), int64(len(data)))
		if err == nil {
			for _, ts := range h.Tensors {
				if len(ts.Shape) == 0 || len(ts.Shape) > maxGGUFDims {
					t.Fatalf("tensor %q with %d dimensions accepted", ts.Name, len(ts.Shape))
				}
			}
			if uint64(len(h.Tensors)) > uint64(len(data))/24 {
				t.Fatalf("%d tensors from %d bytes", len(h.Tensors), len(data))
			}
		}
	})
}

// zeros reads as n zero bytes, holding none of them.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// A header of many 1 MiB strings (a sparse file costs nothing on disk) is refused once
// its keys and strings together pass maxGGUFStrings, not read into memory whole: 100
// such pairs would be 100 MiB.
func TestReadGGUFHeaderBoundsStrings(t *testing.T) {
	var parts []io.Reader
	var head bytes.Buffer
	w := func(b *bytes.Buffer, v any) { _ = binary.Write(b, binary.LittleEndian, v) }
	head.WriteString("GGUF")
	w(&head, uint32(3))
	w(&head, uint64(0))   // tensors
	w(&head, uint64(100)) // metadata pairs
	parts = append(parts, &head)
	size := int64(head.Len())
	for i := range 100 {
		var kv bytes.Buffer
		key := fmt.Sprintf("k%03d", i)
		w(&kv, uint64(len(key)))
		kv.WriteString(key)
		w(&kv, uint32(ggufString))
		w(&kv, uint64(maxGGUFString))
		parts = append(parts, &kv, &zeros{n: maxGGUFString})
		size += int64(kv.Len()) + maxGGUFString
	}
	_, err := ReadGGUFHeader(io.MultiReader(parts...), size)
	if err == nil || !strings.Contains(err.Error(), "keys and strings pass") {
		t.Errorf("error %v, want the strings bound", err)
	}
}
