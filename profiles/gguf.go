package profiles

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ollama/ollama/fs/ggml"
)

// GGUFHeader is what ReadGGUFHeader reads of a GGUF file: the metadata and the
// tensor descriptions, not the tensor data.
type GGUFHeader struct {
	Version uint32
	// Info holds the scalar metadata as /api/show's model_info does: numbers as
	// float64, strings, booleans. Arrays are skipped; ArrayLengths holds their
	// lengths (tokenizer.ggml.tokens: the vocabulary size).
	Info         map[string]any
	ArrayLengths map[string]uint64
	Tensors      []Tensor
}

// GGUF reading limits. A header past them is refused, not read: they bound the
// memory a crafted file can make the reader allocate.
const (
	maxGGUFString  = 1 << 20  // bytes of one key or string value
	maxGGUFStrings = 64 << 20 // bytes of every key and string together (a real header's vocabulary and merges are a few MB)
	maxGGUFKVs     = 1 << 16  // metadata pairs
	maxGGUFTensors = 1 << 20  // tensor descriptions (the largest models have tens of thousands)
	maxGGUFDims    = 4        // GGML_MAX_DIMS (ggml.h)
	maxGGUFNesting = 2        // arrays of arrays
)

// gguf value types, in the GGUF format's order (fs/ggml/gguf.go, Ollama v0.24.0:
// ggufTypeUint8 … ggufTypeFloat64).
const (
	ggufUint8 = iota
	ggufInt8
	ggufUint16
	ggufInt16
	ggufUint32
	ggufInt32
	ggufFloat32
	ggufBool
	ggufString
	ggufArray
	ggufUint64
	ggufInt64
	ggufFloat64
)

var ggufScalarSize = map[uint32]int64{
	ggufUint8: 1, ggufInt8: 1, ggufBool: 1, ggufUint16: 2, ggufInt16: 2,
	ggufUint32: 4, ggufInt32: 4, ggufFloat32: 4, ggufUint64: 8, ggufInt64: 8, ggufFloat64: 8,
}

// ErrNotGGUF is returned for a file that does not start with the GGUF magic.
var ErrNotGGUF = errors.New("not a GGUF file (no GGUF magic)")

type ggufReader struct {
	r    *bufio.Reader
	left int64 // bytes of the file not yet read: every count is checked against it
	// strs counts the bytes of keys and strings read, against maxGGUFStrings: a sparse
	// file of many 1 MiB strings must not make the reader hold gigabytes.
	strs int64
	err  error
}

func (g *ggufReader) fail(format string, a ...any) {
	if g.err == nil {
		g.err = fmt.Errorf(format, a...)
	}
}

func (g *ggufReader) bytes(n int64) []byte {
	if g.err != nil {
		return nil
	}
	if n < 0 || n > g.left {
		g.fail("gguf: %d bytes wanted, %d left in the file", n, g.left)
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(g.r, b); err != nil {
		g.fail("gguf: %w", err)
		return nil
	}
	g.left -= n
	return b
}

func (g *ggufReader) skip(n int64) {
	if g.err != nil {
		return
	}
	if n < 0 || n > g.left {
		g.fail("gguf: %d bytes to skip, %d left in the file", n, g.left)
		return
	}
	if _, err := g.r.Discard(int(n)); err != nil {
		g.fail("gguf: %w", err)
		return
	}
	g.left -= n
}

func (g *ggufReader) u32() uint32 {
	b := g.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (g *ggufReader) u64() uint64 {
	b := g.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (g *ggufReader) str() string {
	n := g.u64()
	if n > maxGGUFString {
		g.fail("gguf: a string of %d bytes (more than %d)", n, maxGGUFString)
		return ""
	}
	if g.strs += int64(n); g.strs > maxGGUFStrings {
		g.fail("gguf: the header's keys and strings pass %d bytes", maxGGUFStrings)
		return ""
	}
	return string(g.bytes(int64(n)))
}

// scalar reads one value of a scalar type as /api/show would give it.
func (g *ggufReader) scalar(t uint32) any {
	switch t {
	case ggufString:
		return g.str()
	case ggufBool:
		b := g.bytes(1)
		return b != nil && b[0] != 0
	}
	n, ok := ggufScalarSize[t]
	if !ok {
		g.fail("gguf: unknown value type %d", t)
		return nil
	}
	b := g.bytes(n)
	if b == nil {
		return nil
	}
	switch t {
	case ggufUint8:
		return float64(b[0])
	case ggufInt8:
		return float64(int8(b[0]))
	case ggufUint16:
		return float64(binary.LittleEndian.Uint16(b))
	case ggufInt16:
		return float64(int16(binary.LittleEndian.Uint16(b)))
	case ggufUint32:
		return float64(binary.LittleEndian.Uint32(b))
	case ggufInt32:
		return float64(int32(binary.LittleEndian.Uint32(b)))
	case ggufFloat32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case ggufUint64:
		return float64(binary.LittleEndian.Uint64(b))
	case ggufInt64:
		return float64(int64(binary.LittleEndian.Uint64(b)))
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

// skipArray skips an array's elements and returns its length.
func (g *ggufReader) skipArray(depth int) uint64 {
	t, n := g.u32(), g.u64()
	if g.err != nil {
		return 0
	}
	if n > uint64(g.left) {
		g.fail("gguf: an array of %d elements, more than the %d bytes left", n, g.left)
		return 0
	}
	switch {
	case t == ggufString:
		for i := uint64(0); i < n && g.err == nil; i++ {
			l := g.u64()
			g.skip(int64(min(l, uint64(math.MaxInt64))))
		}
	case t == ggufArray:
		if depth >= maxGGUFNesting {
			g.fail("gguf: arrays nested deeper than %d", maxGGUFNesting)
			return 0
		}
		for i := uint64(0); i < n && g.err == nil; i++ {
			g.skipArray(depth + 1)
		}
	default:
		size, ok := ggufScalarSize[t]
		if !ok {
			g.fail("gguf: unknown array element type %d", t)
			return 0
		}
		if n > uint64(g.left)/uint64(size) {
			g.fail("gguf: an array of %d elements of %d bytes, more than the %d bytes left", n, size, g.left)
			return 0
		}
		g.skip(int64(n) * size)
	}
	return n
}

// ReadGGUFHeader reads the header of a GGUF file of size bytes (versions 2 and
// 3, little-endian, laid out as fs/ggml/gguf.go of Ollama v0.24.0 reads it): the metadata
// key-value pairs and the tensor descriptions (name, dimensions, ggml type). It
// never reads the tensor data. Every count and length is checked against the
// bytes left in the file and against the limits above before anything is
// allocated, so a crafted header gives an error, never a panic or a large
// allocation. (Ollama's own decoder, ggml.Decode, allocates every string at the
// length the file states, readGGUFString in fs/ggml/gguf.go v0.24.0, so a crafted
// length of 2^62 would be allocated: this reader exists for that bound.) Errors:
// ErrNotGGUF, an unsupported version, a truncated or inconsistent header.
func ReadGGUFHeader(r io.Reader, size int64) (GGUFHeader, error) {
	g := &ggufReader{r: bufio.NewReader(r), left: size}
	h := GGUFHeader{Info: map[string]any{}, ArrayLengths: map[string]uint64{}}
	magic := g.bytes(4)
	if g.err != nil || string(magic) != "GGUF" {
		return h, ErrNotGGUF
	}
	h.Version = g.u32()
	if g.err == nil && h.Version != 2 && h.Version != 3 {
		return h, fmt.Errorf("gguf: version %d not supported (2, 3)", h.Version)
	}
	nt, nkv := g.u64(), g.u64()
	switch {
	case g.err != nil:
		return h, g.err
	case nkv > maxGGUFKVs:
		return h, fmt.Errorf("gguf: %d metadata pairs (more than %d)", nkv, maxGGUFKVs)
	case nt > maxGGUFTensors:
		return h, fmt.Errorf("gguf: %d tensors (more than %d)", nt, maxGGUFTensors)
	}
	for i := uint64(0); i < nkv && g.err == nil; i++ {
		key := g.str()
		t := g.u32()
		if g.err != nil {
			break
		}
		if t == ggufArray {
			h.ArrayLengths[key] = g.skipArray(0)
			continue
		}
		if v := g.scalar(t); g.err == nil {
			h.Info[key] = v
		}
	}
	if g.err != nil {
		return h, g.err
	}
	// Each tensor description takes at least 8 + 4 + 4 + 8 bytes.
	if nt > uint64(g.left)/24 {
		return h, fmt.Errorf("gguf: %d tensors cannot fit in the %d bytes left", nt, g.left)
	}
	h.Tensors = make([]Tensor, 0, nt)
	for i := uint64(0); i < nt && g.err == nil; i++ {
		name := g.str()
		nd := g.u32()
		if g.err == nil && (nd == 0 || nd > maxGGUFDims) {
			g.fail("gguf: tensor %q has %d dimensions (1 to %d)", name, nd, maxGGUFDims)
		}
		shape := make([]uint64, 0, maxGGUFDims)
		for d := uint32(0); d < nd && g.err == nil; d++ {
			shape = append(shape, g.u64())
		}
		typ := g.u32()
		g.u64() // offset into the data section
		if g.err != nil {
			break
		}
		tt := ggml.TensorType(typ)
		name2 := tt.String()
		if _, err := ggml.ParseTensorType(name2); err != nil {
			g.fail("gguf: tensor %q has ggml type %d, which Ollama v0.24.0 does not size", name, typ)
			break
		}
		h.Tensors = append(h.Tensors, Tensor{Name: name, Type: name2, Shape: shape})
	}
	return h, g.err
}
