package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// testLengths are the vector lengths every kernel is checked at: every
// length up to 17 and the neighbours of each register and unroll width.
var testLengths = func() []int {
	var ls []int
	for n := 0; n <= 17; n++ {
		ls = append(ls, n)
	}
	return append(ls, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 768, 1536)
}()

// magnitudes scale the random data: tiny, ordinary and large values.
var magnitudes = []float32{1e-6, 1, 1e3, 1e6}

// kernel names one pair kernel of an implementation, with its float64
// reference term (the summand for one pair of elements).
type kernel struct {
	name  string
	pair  func(Impl) func(a, b []float32) float32
	batch func(Impl) func(q, vecs, out []float32)
	term  func(x, y float64) float64
}

var kernels = []kernel{
	{"Dot", func(i Impl) func(a, b []float32) float32 { return i.Dot },
		func(i Impl) func(q, v, o []float32) { return i.DotBatch },
		func(x, y float64) float64 { return x * y }},
	{"L2Squared", func(i Impl) func(a, b []float32) float32 { return i.L2Squared },
		func(i Impl) func(q, v, o []float32) { return i.L2SquaredBatch },
		func(x, y float64) float64 { return (x - y) * (x - y) }},
	{"L1", func(i Impl) func(a, b []float32) float32 { return i.L1 },
		func(i Impl) func(q, v, o []float32) { return i.L1Batch },
		func(x, y float64) float64 { return math.Abs(x - y) }},
}

// scale returns sum |term(a[i], b[i])| in float64: the magnitude a float32
// summation's rounding error is proportional to.
func (k kernel) scale(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(k.term(float64(a[i]), float64(b[i])))
	}
	return s
}

// within reports whether got is within a relative tolerance of want, for a
// sum of len terms whose absolute values sum to scale. The floor covers
// subnormal products, which fused and unfused kernels round differently.
func within(got, want float32, scale float64, n int) bool {
	if math.IsNaN(float64(want)) {
		return math.IsNaN(float64(got))
	}
	tol := 1e-4*scale + float64(n)*2e-45
	return math.Abs(float64(got)-float64(want)) <= tol
}

// randVec returns n seeded random floats in [-mag, mag), placed at offset off
// of a fresh slice so that the result is not 32-byte aligned when off > 0.
func randVec(rng *rand.Rand, n, off int, mag float32) []float32 {
	buf := make([]float32, n+off)
	v := buf[off:]
	for i := range v {
		v[i] = (rng.Float32()*2 - 1) * mag
	}
	return v
}

// asmImpls returns every implementation but the portable one.
func asmImpls(t testing.TB) []Impl {
	impls := Implementations()
	if last := impls[len(impls)-1]; last.Name != "go" {
		t.Fatalf("last implementation is %q, want the portable one", last.Name)
	}
	return impls[:len(impls)-1]
}
