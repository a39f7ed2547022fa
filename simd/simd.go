package simd

import (
	"errors"
	"math"
)

// Impl is one implementation of the kernels, for tests and benchmarks.
type Impl struct {
	// Name is a short name: "avx512", "avx2", "neon" or "go".
	Name      string
	Dot       func(a, b []float32) float32
	L2Squared func(a, b []float32) float32
	L1        func(a, b []float32) float32
	// DotBatch, L2SquaredBatch and L1Batch write one score per vector of
	// len(q) floats in vecs into out[i].
	DotBatch       func(q, vecs, out []float32)
	L2SquaredBatch func(q, vecs, out []float32)
	L1Batch        func(q, vecs, out []float32)
	// DotF16 and L2SquaredF16 score two float16 vectors (binary16 bits) of
	// equal length; DotU8 and L2SquaredU8 two uint8 vectors (dtype.go).
	DotF16       func(a, b []uint16) float32
	L2SquaredF16 func(a, b []uint16) float32
	DotU8        func(a, b []uint8) uint32
	L2SquaredU8  func(a, b []uint8) uint32
}

// portable is the pure Go implementation, always available.
var portable = Impl{
	Name:           "go",
	Dot:            dotGo,
	L2Squared:      l2Go,
	L1:             l1Go,
	DotBatch:       func(q, v, o []float32) { batchGo(dotGo, q, v, o) },
	L2SquaredBatch: func(q, v, o []float32) { batchGo(l2Go, q, v, o) },
	L1Batch:        func(q, v, o []float32) { batchGo(l1Go, q, v, o) },
	DotF16:         dotF16Go,
	L2SquaredF16:   l2F16Go,
	DotU8:          dotU8Go,
	L2SquaredU8:    l2U8Go,
}

// chosen is the implementation in use, set once at package initialisation.
var chosen = best()

// Implementations lists every implementation this CPU can run, best first;
// the portable one is always last.
func Implementations() []Impl { return append(available(), portable) }

// Portable returns the pure Go implementation.
func Portable() Impl { return portable }

// Chosen returns the name of the implementation in use.
func Chosen() string { return chosen.Name }

func best() Impl {
	if a := available(); len(a) > 0 {
		return a[0]
	}
	return portable
}

// Dot returns the dot product of a and b. It reads len(a) floats of each
// and panics when b is shorter than a.
func Dot(a, b []float32) float32 {
	if len(b) < len(a) {
		panic(errLength)
	}
	return chosen.Dot(a, b)
}

// L2Squared returns the squared Euclidean distance of a and b. It reads
// len(a) floats of each and panics when b is shorter than a.
func L2Squared(a, b []float32) float32 {
	if len(b) < len(a) {
		panic(errLength)
	}
	return chosen.L2Squared(a, b)
}

// L1 returns the Manhattan distance of a and b. It reads len(a) floats of
// each and panics when b is shorter than a.
func L1(a, b []float32) float32 {
	if len(b) < len(a) {
		panic(errLength)
	}
	return chosen.L1(a, b)
}

// DotBatch writes into out[i] the dot product of q with the i-th len(q)-long
// vector of vecs (a partial vector at the end of vecs is ignored). It
// allocates nothing and panics when out has fewer than len(vecs)/len(q)
// elements.
func DotBatch(q, vecs, out []float32) {
	checkBatch(q, vecs, out)
	chosen.DotBatch(q, vecs, out)
}

// L2SquaredBatch writes into out[i] the squared Euclidean distance of q to the
// i-th len(q)-long vector of vecs. It allocates nothing and panics when out
// has fewer than len(vecs)/len(q) elements.
func L2SquaredBatch(q, vecs, out []float32) {
	checkBatch(q, vecs, out)
	chosen.L2SquaredBatch(q, vecs, out)
}

// L1Batch writes into out[i] the Manhattan distance of q to the i-th
// len(q)-long vector of vecs. It allocates nothing and panics when out has
// fewer than len(vecs)/len(q) elements.
func L1Batch(q, vecs, out []float32) {
	checkBatch(q, vecs, out)
	chosen.L1Batch(q, vecs, out)
}

// errLength is the panic value of a kernel called with too short a slice.
var errLength = errors.New("simd: vector lengths differ")

// checkBatch panics when out cannot hold one score per whole vector of vecs.
func checkBatch(q, vecs, out []float32) {
	if len(q) > 0 && len(vecs) >= (len(out)+1)*len(q) {
		panic(errLength)
	}
}

// Normalize scales v in place to unit Euclidean length and reports whether it
// could: a zero vector (or one holding a NaN or an infinity) is left
// unchanged and Normalize returns false. Vectors whose squared norm
// overflows or underflows float32 are normalised through float64.
func Normalize(v []float32) bool {
	n := float64(Dot(v, v))
	if !(n >= 0x1p-100 && n <= math.MaxFloat32) {
		n = 0
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if n == 0 || math.IsInf(n, 0) || math.IsNaN(n) {
			return false
		}
	}
	inv := 1 / math.Sqrt(n)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return true
}
