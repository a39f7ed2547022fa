package simd

import "math"

// Kernels for the two narrow element types a dense vector may be stored in,
// as Qdrant's `datatype`: float16 (IEEE 754 binary16, held as its uint16
// bits) and uint8. Both operands have the stored type: Qdrant converts the
// query into the storage type before scoring (f16 rounded to nearest,
// u8 truncated), so these kernels never mix a float32 query with narrow
// stored values.
//
// float16 elements are widened to float32 (exactly) and multiplied and
// summed in float32, like the float32 kernels; cosine on float16 is the dot
// product of vectors normalised before they were narrowed. uint8 sums are
// exact integers (uint32): exact for every length up to 66,051 (255² ×
// 66,051 < 2³²), beyond Qdrant's 65,536-dimension limit; cosine on uint8
// is not normalised into uint8 but computed from the three integer sums by
// CosineU8.

// F16FromFloat32 returns the binary16 bits nearest to f (ties to even).
// Magnitudes that round above 65504 become an infinity of f's sign, NaN
// stays a (quiet) NaN, and values below half the smallest subnormal
// (2⁻²⁵) become a signed zero.
func F16FromFloat32(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 31 {
		return sign | 0x7c00
	}
	if e <= 0 {
		shift := uint(14 - e)
		if shift > 24 {
			return sign
		}
		m := mant | 0x800000
		r := m >> shift
		rem := m & (1<<shift - 1)
		if half := uint32(1) << (shift - 1); rem > half || rem == half && r&1 == 1 {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	if rem := mant & 0x1fff; rem > 0x1000 || rem == 0x1000 && r&1 == 1 {
		r++
	}
	if r >= 0x7c00 {
		return sign | 0x7c00
	}
	return sign | uint16(r)
}

// U8FromFloat32 converts f to uint8 as Qdrant converts a vector component
// for `datatype: uint8` (Rust's `f as u8`): the fraction is dropped
// (rounding toward zero), values below 0 and NaN become 0, values above
// 255 become 255.
func U8FromFloat32(f float32) uint8 {
	switch {
	case !(f > 0):
		return 0
	case f >= 255:
		return 255
	}
	return uint8(f)
}

// F16ToFloat32 returns the float32 value of the binary16 bits h (exact).
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0:
		v := float32(mant) * 0x1p-24
		if sign != 0 {
			v = -v
		}
		return v
	case 31:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// DotF16 returns the dot product of the float16 vectors a and b, computed
// in float32. It reads len(a) elements of each and panics when b is
// shorter than a.
func DotF16(a, b []uint16) float32 {
	if len(b) < len(a) {
		panic(errLength)
	}
	return chosen.DotF16(a, b[:len(a)])
}

// L2SquaredF16 returns the squared Euclidean distance of the float16
// vectors a and b, computed in float32. It panics when b is shorter than a.
func L2SquaredF16(a, b []uint16) float32 {
	if len(b) < len(a) {
		panic(errLength)
	}
	return chosen.L2SquaredF16(a, b[:len(a)])
}

// DotU8 returns the exact dot product of the uint8 vectors a and b (modulo
// 2³² beyond 66,051 elements). It panics when b is shorter than a.
func DotU8(a, b []uint8) uint32 {
	if len(b) < len(a) {
		panic(errLength)
	}
	return chosen.DotU8(a, b[:len(a)])
}

// L2SquaredU8 returns the exact squared Euclidean distance of the uint8
// vectors a and b. It panics when b is shorter than a.
func L2SquaredU8(a, b []uint8) uint32 {
	if len(b) < len(a) {
		panic(errLength)
	}
	return chosen.L2SquaredU8(a, b[:len(a)])
}

// CosineU8 returns Qdrant's cosine similarity of two uint8 vectors:
// dot / sqrt(|a|² · |b|²) with the three integer sums converted to float32,
// and 0 when either vector is all zeros. It panics when b is shorter than a.
func CosineU8(a, b []uint8) float32 {
	return CosineU8Norms(DotU8(a, b), DotU8(a, a), DotU8(b, b))
}

// CosineU8Norms is CosineU8 from its integer sums, for callers that keep the
// squared norms of stored vectors: dot = DotU8(a, b), na = DotU8(a, a),
// nb = DotU8(b, b).
func CosineU8Norms(dot, na, nb uint32) float32 {
	if na == 0 || nb == 0 {
		return 0
	}
	return float32(dot) / float32(math.Sqrt(float64(float32(na)*float32(nb))))
}

// dotF16Go is the portable float16 dot product.
func dotF16Go(a, b []uint16) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += F16ToFloat32(a[i]) * F16ToFloat32(b[i])
		s1 += F16ToFloat32(a[i+1]) * F16ToFloat32(b[i+1])
		s2 += F16ToFloat32(a[i+2]) * F16ToFloat32(b[i+2])
		s3 += F16ToFloat32(a[i+3]) * F16ToFloat32(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += F16ToFloat32(a[i]) * F16ToFloat32(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// l2F16Go is the portable float16 squared Euclidean distance.
func l2F16Go(a, b []uint16) float32 {
	b = b[:len(a)]
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(a); i += 2 {
		d0 := F16ToFloat32(a[i]) - F16ToFloat32(b[i])
		d1 := F16ToFloat32(a[i+1]) - F16ToFloat32(b[i+1])
		s0 += d0 * d0
		s1 += d1 * d1
	}
	for ; i < len(a); i++ {
		d := F16ToFloat32(a[i]) - F16ToFloat32(b[i])
		s0 += d * d
	}
	return s0 + s1
}

// dotU8Go is the portable uint8 dot product.
func dotU8Go(a, b []uint8) uint32 {
	b = b[:len(a)]
	var s uint32
	for i, x := range a {
		s += uint32(x) * uint32(b[i])
	}
	return s
}

// l2U8Go is the portable uint8 squared Euclidean distance.
func l2U8Go(a, b []uint8) uint32 {
	b = b[:len(a)]
	var s uint32
	for i, x := range a {
		d := int32(x) - int32(b[i])
		s += uint32(d * d)
	}
	return s
}

// withTailF16 returns a float16 kernel that runs bulk on the longest prefix
// whose length is a multiple of block (a power of two) and the portable
// kernel tail on the rest.
func withTailF16(bulk, tail func(a, b []uint16) float32, block int) func(a, b []uint16) float32 {
	return func(a, b []uint16) float32 {
		b = b[:len(a)]
		n := len(a) &^ (block - 1)
		var s float32
		if n > 0 {
			s = bulk(a[:n], b[:n])
		}
		if n < len(a) {
			s += tail(a[n:], b[n:])
		}
		return s
	}
}

// withTailU8 is withTailF16 for the uint8 kernels.
func withTailU8(bulk, tail func(a, b []uint8) uint32, block int) func(a, b []uint8) uint32 {
	return func(a, b []uint8) uint32 {
		b = b[:len(a)]
		n := len(a) &^ (block - 1)
		var s uint32
		if n > 0 {
			s = bulk(a[:n], b[:n])
		}
		if n < len(a) {
			s += tail(a[n:], b[n:])
		}
		return s
	}
}

// F16Encode writes F16FromFloat32(src[i]) into dst[i] for every element of
// src and panics when dst is shorter than src.
func F16Encode(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		dst[i] = F16FromFloat32(f)
	}
}

// F16Decode writes F16ToFloat32(src[i]) into dst[i] for every element of
// src and panics when dst is shorter than src.
func F16Decode(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = F16ToFloat32(h)
	}
}

// U8Encode writes U8FromFloat32(src[i]) into dst[i] for every element of
// src and panics when dst is shorter than src.
func U8Encode(dst []uint8, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		dst[i] = U8FromFloat32(f)
	}
}
