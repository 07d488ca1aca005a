package synth

import (
	"encoding/binary"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"sync"
)

// WeightStd is the standard deviation of the random weights, about what trained
// transformer matrices have and what Qwen2's config.json gives as
// initializer_range (0.02). With it activations stay finite through every layer.
const WeightStd = 0.02

// chunkBytes is how much tensor data one generator produces per write: tensors are
// streamed, never held whole in memory (a 7B F16 twin is about 15 GB).
const chunkBytes = 1 << 20

// weights streams the random data of one tensor. It implements io.WriterTo, which
// ggml.WriteGGUF calls once per tensor (concurrently across tensors). The data
// depends only on the seed and the tensor's name, type and size, so files are
// byte-for-byte reproducible whatever the write order.
type weights struct {
	info TensorInfo
	seed uint64
	ones bool // norm weights: all 1.0 (F32)
}

// newRand returns the tensor's own PCG stream, keyed by the file seed and a hash
// of the tensor name.
func (w *weights) newRand() *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(w.info.Name))
	return rand.New(rand.NewPCG(w.seed, h.Sum64()))
}

// WriteTo writes the tensor's data to dst in chunks of about chunkBytes.
func (w *weights) WriteTo(dst io.Writer) (int64, error) {
	total := w.info.Bytes()
	block := w.info.Type.TypeSize()
	per := max(chunkBytes/block, 1) * block
	buf := make([]byte, min(per, total))
	r := w.newRand()
	var written int64
	for left := total; left > 0; {
		b := buf[:min(uint64(len(buf)), left)]
		w.fill(r, b)
		n, err := dst.Write(b)
		written += int64(n)
		if err != nil {
			return written, err
		}
		left -= uint64(len(b))
	}
	return written, nil
}

// fill fills b (a whole number of blocks) with random blocks of the tensor's type.
func (w *weights) fill(r *rand.Rand, b []byte) {
	switch w.info.Type {
	case TensorTypeF32:
		for i := 0; i+4 <= len(b); i += 4 {
			v := float32(1)
			if !w.ones {
				// F32 tensors other than norms are biases and a mixture of experts'
				// router (ffn_gate_inp): small uniform values, so the router's
				// softmax is near uniform and each token picks its experts at random.
				v = float32((r.Float64()*2 - 1) * WeightStd)
			}
			binary.LittleEndian.PutUint32(b[i:], math.Float32bits(v))
		}
	case TensorTypeF16:
		// F16 weights ~ N(0, WeightStd): four values per 64 random bits through a
		// 65536-entry inverse-CDF table.
		table := normalF16Table()
		for i := 0; i+8 <= len(b); i += 8 {
			u := r.Uint64()
			for k := range 4 {
				binary.LittleEndian.PutUint16(b[i+2*k:], table[uint16(u>>(16*k))])
			}
		}
		if rest := len(b) % 8; rest != 0 {
			u := r.Uint64()
			for i := len(b) - rest; i+2 <= len(b); i += 2 {
				binary.LittleEndian.PutUint16(b[i:], table[uint16(u)])
				u >>= 16
			}
		}
	case TensorTypeQ8_0:
		// block_q8_0 (ggml-common.h): fp16 d, then 32 int8 qs; value = d*q. Random
		// qs are uniform on [-128, 127] (std ≈ 73.9), so d ≈ WeightStd/73.9 with a
		// ±25% spread per block.
		putScaledBlocks(r, b, 34, scaleTable(WeightStd/73.9))
	case TensorTypeQ4_0:
		// block_q4_0: fp16 d, then 16 bytes of two 4-bit q each; value = d*(q-8),
		// uniform on [-8, 7] (std ≈ 4.61), so d ≈ WeightStd/4.61.
		putScaledBlocks(r, b, 18, scaleTable(WeightStd/4.61))
	case TensorTypeQ6_K:
		// block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16],
		// fp16 d; value = d*scale*(q-32) with q uniform on [0, 63] (std ≈ 18.5).
		// Scales are drawn from 4…7 (mean 5.5), so d ≈ WeightStd/(18.5*5.5).
		scales := scaleTable(WeightStd / (18.5 * 5.5))
		for i := 0; i+210 <= len(b); i += 210 {
			putRandom(r, b[i:i+192])
			u := r.Uint64()
			for k := range 16 {
				b[i+192+k] = byte(4 + (u>>(2*k))&3)
			}
			binary.LittleEndian.PutUint16(b[i+208:], scales[byte(u>>32)])
		}
	}
}

// putRandom fills b with random bytes.
// putScaledBlocks fills b with blocks of size bytes, each an fp16 scale drawn from
// scales followed by random quants: the layout of block_q8_0 (34 bytes) and
// block_q4_0 (18 bytes) in ggml-common.h. A partial block at the end is left as is.
func putScaledBlocks(r *rand.Rand, b []byte, size int, scales *[256]uint16) {
	for i := 0; i+size <= len(b); i += size {
		binary.LittleEndian.PutUint16(b[i:], scales[byte(r.Uint64())])
		putRandom(r, b[i+2:i+size])
	}
}

func putRandom(r *rand.Rand, b []byte) {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	if i < len(b) {
		u := r.Uint64()
		for ; i < len(b); i++ {
			b[i] = byte(u)
			u >>= 8
		}
	}
}

var scaleTables sync.Map // float64 → *[256]uint16

// scaleTable returns 256 fp16 block scales spread evenly over base*[0.75, 1.25).
func scaleTable(base float64) *[256]uint16 {
	if t, ok := scaleTables.Load(base); ok {
		return t.(*[256]uint16)
	}
	var t [256]uint16
	for i := range t {
		t[i] = float32ToF16(float32(base * (0.75 + 0.5*float64(i)/256)))
	}
	scaleTables.Store(base, &t)
	return &t
}

// normalF16Table maps 16 random bits to an fp16 sample of N(0, WeightStd) by the
// inverse normal CDF at the midpoint of each of 65536 equal-probability bins.
var normalF16Table = sync.OnceValue(func() *[65536]uint16 {
	var t [65536]uint16
	for i := range t {
		p := (float64(i) + 0.5) / 65536
		t[i] = float32ToF16(float32(WeightStd * math.Sqrt2 * math.Erfinv(2*p-1)))
	}
	return &t
})

// float32ToF16 converts to IEEE 754 half precision, rounding to nearest even,
// with subnormals, infinities and NaN.
func float32ToF16(f float32) uint16 {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int32(bits>>23) & 0xff
	man := bits & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127+15 >= 0x1f: // overflow
		return sign | 0x7c00
	case exp-127+15 <= 0: // subnormal or zero in half precision
		e := exp - 127 + 15
		if e < -10 {
			return sign
		}
		man |= 0x800000
		shift := uint32(14 - e)
		half := man >> shift
		rem := man & (1<<shift - 1)
		mid := uint32(1) << (shift - 1)
		if rem > mid || (rem == mid && half&1 == 1) {
			half++
		}
		return sign | uint16(half)
	default:
		e := uint32(exp - 127 + 15)
		half := e<<10 | man>>13
		rem := man & 0x1fff
		if rem > 0x1000 || (rem == 0x1000 && half&1 == 1) {
			half++ // may carry into the exponent, which is correct rounding
		}
		return sign | uint16(half)
	}
}
