package simd

import (
	"math"
	"strings"
	"testing"
)

// fuzzVec decodes data into floats: each byte is a signed integer scaled by
// 2^exp, so lengths, alignments and magnitudes vary while sums stay finite
// unless exp is extreme (checked by the caller through the scale).
func fuzzVec(data []byte, off uint8, exp int8) []float32 {
	buf := make([]float32, len(data)+int(off%4))
	v := buf[off%4:]
	s := float32(math.Ldexp(1, int(exp)%64))
	for i, c := range data {
		v[i] = float32(int8(c)) * s
	}
	return v
}

// fuzzPair compares every implementation's pair kernel with the portable one.
func fuzzPair(f *testing.F, k kernel) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(0), uint8(1), int8(0))
	f.Add(make([]byte, 66), uint8(1), uint8(2), int8(-20))
	f.Add([]byte("the quick brown fox jumps over the lazy dog, twice over"), uint8(3), uint8(0), int8(30))
	f.Fuzz(func(t *testing.T, data []byte, offA, offB uint8, exp int8) {
		n := len(data) / 2
		a := fuzzVec(data[:n], offA, exp)
		b := fuzzVec(data[n:2*n], offB, exp)
		sc := k.scale(a, b)
		want := k.pair(portable)(a, b)
		for _, im := range Implementations() {
			got := k.pair(im)(a, b)
			if sc < 1e37 && !within(got, want, sc, n) {
				t.Fatalf("%s/%s len %d: got %g, portable %g (scale %g)", k.name, im.Name, n, got, want, sc)
			}
		}
	})
}

// fuzzBatch compares every implementation's batch kernel with the portable
// pair kernel applied vector by vector.
func fuzzBatch(f *testing.F, k kernel) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7}, uint8(3), uint8(1), int8(0))
	f.Add(make([]byte, 200), uint8(17), uint8(2), int8(-10))
	f.Add([]byte("the quick brown fox jumps over the lazy dog, twice over"), uint8(9), uint8(0), int8(12))
	f.Add([]byte(strings.Repeat("four parts read side by side, ", 24)), uint8(2), uint8(1), int8(3)) // 239 vectors of 3
	f.Fuzz(func(t *testing.T, data []byte, dim, off uint8, exp int8) {
		d := int(dim)%40 + 1
		if len(data) < d {
			return
		}
		q := fuzzVec(data[:d], 0, exp)
		vecs := fuzzVec(data[d:], off, exp)
		n := len(vecs) / d
		out := make([]float32, n)
		for _, im := range append(Implementations(), extraImpls()...) {
			k.batch(im)(q, vecs, out)
			for i := range n {
				v := vecs[i*d : (i+1)*d]
				want, sc := k.pair(portable)(q, v), k.scale(q, v)
				if sc < 1e37 && !within(out[i], want, sc, d) {
					t.Fatalf("%s/%s dim %d: out[%d] = %g, portable %g", k.name, im.Name, d, i, out[i], want)
				}
			}
		}
	})
}

func FuzzDot(f *testing.F)            { fuzzPair(f, kernels[0]) }
func FuzzL2Squared(f *testing.F)      { fuzzPair(f, kernels[1]) }
func FuzzL1(f *testing.F)             { fuzzPair(f, kernels[2]) }
func FuzzDotBatch(f *testing.F)       { fuzzBatch(f, kernels[0]) }
func FuzzL2SquaredBatch(f *testing.F) { fuzzBatch(f, kernels[1]) }
func FuzzL1Batch(f *testing.F)        { fuzzBatch(f, kernels[2]) }
