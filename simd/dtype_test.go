package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestF16RoundTrip checks that every binary16 value survives widening to
// float32 and narrowing back (NaNs stay NaNs), and that widening agrees
// with the value the bits denote.
func TestF16RoundTrip(t *testing.T) {
	for h := range 1 << 16 {
		f := F16ToFloat32(uint16(h))
		exp, mant := h>>10&0x1f, h&0x3ff
		var want float64
		switch exp {
		case 0:
			want = float64(mant) * 0x1p-24
		case 31:
			want = math.Inf(1)
			if mant != 0 {
				want = math.NaN()
			}
		default:
			want = (1 + float64(mant)/1024) * math.Ldexp(1, exp-15)
		}
		if h&0x8000 != 0 {
			want = -want
		}
		if math.IsNaN(want) {
			if !math.IsNaN(float64(f)) || !math.IsNaN(float64(F16ToFloat32(F16FromFloat32(f)))) {
				t.Fatalf("%#04x: NaN lost: %g", h, f)
			}
			continue
		}
		if float64(f) != want || math.Signbit(float64(f)) != math.Signbit(want) {
			t.Fatalf("F16ToFloat32(%#04x) = %g, want %g", h, f, want)
		}
		if back := F16FromFloat32(f); back != uint16(h) {
			t.Fatalf("F16FromFloat32(%g) = %#04x, want %#04x", f, back, h)
		}
	}
}

// TestF16Rounding checks narrowing at the edges: overflow to infinity,
// ties to even, subnormals and underflow to zero.
func TestF16Rounding(t *testing.T) {
	cases := []struct {
		f    float32
		want uint16
	}{
		{65504, 0x7bff}, {65519.99, 0x7bff}, {65520, 0x7c00}, {1e6, 0x7c00},
		{-65520, 0xfc00}, {float32(math.Inf(-1)), 0xfc00}, {math.MaxFloat32, 0x7c00},
		{1 + 0x1p-11, 0x3c00}, {1 + 3*0x1p-11, 0x3c02}, {1 + 0x1p-11 + 0x1p-20, 0x3c01},
		{0x1p-24, 0x0001}, {0x1p-25, 0x0000}, {1.5 * 0x1p-25, 0x0001}, {3 * 0x1p-25, 0x0002},
		{0x1p-14, 0x0400}, {0x1p-14 - 0x1p-26, 0x0400}, {1e-10, 0}, {-1e-10, 0x8000},
		{0x1p-126, 0}, {float32(math.Copysign(0, -1)), 0x8000}, {65472 + 16, 0x7bfe},
	}
	for _, c := range cases {
		if got := F16FromFloat32(c.f); got != c.want {
			t.Errorf("F16FromFloat32(%g) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
	// Random floats round to the nearer neighbour.
	rng := rand.New(rand.NewPCG(21, 22))
	for range 100000 {
		f := math.Float32frombits(rng.Uint32())
		if math.IsNaN(float64(f)) || math.Abs(float64(f)) > 65504 {
			continue
		}
		h := F16FromFloat32(f)
		got := math.Abs(float64(F16ToFloat32(h)) - float64(f))
		for _, n := range []uint16{h - 1, h + 1} {
			if n&0x7fff >= 0x7c00 || n>>15 != h>>15 {
				continue
			}
			if d := math.Abs(float64(F16ToFloat32(n)) - float64(f)); d < got {
				t.Fatalf("F16FromFloat32(%g) = %#04x, but %#04x is nearer", f, h, n)
			}
		}
	}
}

// randF16 returns n float16 values of floats in [-mag, mag) at offset off.
func randF16(rng *rand.Rand, n, off int, mag float32) []uint16 {
	v := make([]uint16, n+off)[off:]
	for i := range v {
		v[i] = F16FromFloat32((rng.Float32()*2 - 1) * mag)
	}
	return v
}

// refF16 computes a float16 kernel in float64, with its error scale.
func refF16(a, b []uint16, l2 bool) (sum, scale float64) {
	for i := range a {
		x, y := float64(F16ToFloat32(a[i])), float64(F16ToFloat32(b[i]))
		term := x * y
		if l2 {
			term = (x - y) * (x - y)
		}
		sum += term
		scale += math.Abs(term)
	}
	return sum, scale
}

// f16Lengths are testLengths plus the neighbours of the 64-element step.
var f16Lengths = append(append([]int(nil), testLengths...), 47, 48, 49, 95, 96, 97, 1000)

// TestF16Kernels checks every implementation's float16 kernels against the
// portable ones and a float64 reference over awkward lengths, unaligned
// slices and magnitudes up to the largest finite float16.
func TestF16Kernels(t *testing.T) {
	for _, im := range Implementations() {
		for _, l2 := range []bool{false, true} {
			name, got := "Dot", im.DotF16
			want := portable.DotF16
			if l2 {
				name, got, want = "L2Squared", im.L2SquaredF16, portable.L2SquaredF16
			}
			t.Run(name+"/"+im.Name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(23, 24))
				for _, n := range f16Lengths {
					for _, mag := range []float32{1e-6, 1, 100, 65504} {
						for off := range 4 {
							a, b := randF16(rng, n, off, mag), randF16(rng, n, 3-off, mag)
							g, w := got(a, b), want(a, b)
							ref, sc := refF16(a, b, l2)
							if !within(g, w, sc, n) || !within(g, float32(ref), sc, n) {
								t.Fatalf("len %d mag %g: got %g, portable %g, float64 %g", n, mag, g, w, ref)
							}
							if g2 := got(a, append(b, 0x7bff)); g2 != g {
								t.Fatalf("len %d: a longer b changed the result: %g, want %g", n, g2, g)
							}
						}
					}
				}
			})
		}
	}
}

// TestF16Special checks infinities and NaNs in any lane, and that the
// largest float16 values square without overflowing float32.
func TestF16Special(t *testing.T) {
	inf, nan, max := F16FromFloat32(float32(math.Inf(1))), uint16(0x7e00), uint16(0x7bff)
	for _, im := range Implementations() {
		for _, n := range []int{1, 7, 8, 9, 16, 17, 33, 64, 65, 129} {
			for _, pos := range []int{0, n / 2, n - 1} {
				a, b := make([]uint16, n), make([]uint16, n)
				for i := range a {
					a[i], b[i] = max, max
				}
				wantL2 := float32(0)
				if got := im.L2SquaredF16(a, b); got != wantL2 {
					t.Errorf("%s len %d: L2 of equal maxima = %g", im.Name, n, got)
				}
				wantDot := float32(n) * 65504 * 65504
				if got := im.DotF16(a, b); math.Abs(float64(got-wantDot)) > 1e-6*float64(wantDot) {
					t.Errorf("%s len %d: Dot of maxima = %g, want %g", im.Name, n, got, wantDot)
				}
				a[pos] = nan
				if got := im.DotF16(a, b); !math.IsNaN(float64(got)) {
					t.Errorf("%s len %d NaN at %d: Dot %g", im.Name, n, pos, got)
				}
				if got := im.L2SquaredF16(a, b); !math.IsNaN(float64(got)) {
					t.Errorf("%s len %d NaN at %d: L2 %g", im.Name, n, pos, got)
				}
				a[pos] = inf
				if got := im.DotF16(a, b); !math.IsInf(float64(got), 1) {
					t.Errorf("%s len %d +Inf at %d: Dot %g", im.Name, n, pos, got)
				}
			}
		}
	}
}

// randU8 returns n random bytes at offset off of a fresh slice.
func randU8(rng *rand.Rand, n, off int) []uint8 {
	v := make([]uint8, n+off)[off:]
	for i := range v {
		v[i] = uint8(rng.Uint32())
	}
	return v
}

// refU8 computes the uint8 dot product and squared distance in float64.
func refU8(a, b []uint8) (dot, l2 float64) {
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		l2 += (x - y) * (x - y)
	}
	return dot, l2
}

// TestU8Kernels checks every implementation's uint8 kernels, which are
// exact, for equality with the float64 reference over awkward lengths and
// offsets, and with all-0 and all-255 vectors up to 65,536 elements.
func TestU8Kernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	lengths := append(append([]int(nil), f16Lengths...), 4095, 4096, 4097, 65535, 65536)
	for _, im := range Implementations() {
		for _, n := range lengths {
			for off := range 4 {
				a, b := randU8(rng, n, off), randU8(rng, n, 3-off)
				dot, l2 := refU8(a, b)
				if g := im.DotU8(a, b); float64(g) != dot {
					t.Fatalf("%s len %d: DotU8 = %d, want %g", im.Name, n, g, dot)
				}
				if g := im.L2SquaredU8(a, b); float64(g) != l2 {
					t.Fatalf("%s len %d: L2SquaredU8 = %d, want %g", im.Name, n, g, l2)
				}
				if g := im.DotU8(a, append(b, 255)); float64(g) != dot {
					t.Fatalf("%s len %d: a longer b changed DotU8", im.Name, n)
				}
			}
			hi, lo := make([]uint8, n), make([]uint8, n)
			for i := range hi {
				hi[i] = 255
			}
			want := uint32(n) * 255 * 255
			if g := im.DotU8(hi, hi); g != want {
				t.Fatalf("%s len %d: DotU8(255s) = %d, want %d", im.Name, n, g, want)
			}
			if g := im.L2SquaredU8(hi, lo); g != want {
				t.Fatalf("%s len %d: L2SquaredU8(255s, 0s) = %d, want %d", im.Name, n, g, want)
			}
			if g := im.L2SquaredU8(lo, hi); g != want {
				t.Fatalf("%s len %d: L2SquaredU8(0s, 255s) = %d, want %d", im.Name, n, g, want)
			}
		}
	}
}

// TestCosineU8 checks Qdrant's formula: integer sums, float32 division,
// zero for a zero vector.
func TestCosineU8(t *testing.T) {
	a, b := []uint8{1, 2, 3}, []uint8{4, 5, 6}
	want := float32(32) / float32(math.Sqrt(float64(float32(14)*float32(77))))
	if got := CosineU8(a, b); got != want {
		t.Fatalf("CosineU8 = %g, want %g", got, want)
	}
	if got := CosineU8([]uint8{0, 0, 0}, b); got != 0 {
		t.Fatalf("CosineU8 of a zero vector = %g, want 0", got)
	}
	if got := CosineU8(b, b); math.Abs(float64(got)-1) > 1e-7 {
		t.Fatalf("CosineU8(b, b) = %g, want 1", got)
	}
}

// TestDtypeShortB checks that the exported kernels panic on a short b.
func TestDtypeShortB(t *testing.T) {
	for name, f := range map[string]func(){
		"DotF16":       func() { DotF16(make([]uint16, 3), make([]uint16, 2)) },
		"L2SquaredF16": func() { L2SquaredF16(make([]uint16, 3), make([]uint16, 2)) },
		"DotU8":        func() { DotU8(make([]uint8, 3), make([]uint8, 2)) },
		"L2SquaredU8":  func() { L2SquaredU8(make([]uint8, 3), make([]uint8, 2)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with a short b did not panic", name)
				}
			}()
			f()
		}()
	}
}

// TestU8FromFloat32 checks the saturating, truncating conversion.
func TestU8FromFloat32(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		f    float32
		want uint8
	}{
		{0, 0}, {0.99, 0}, {1, 1}, {1.5, 1}, {254.999, 254}, {255, 255}, {255.5, 255},
		{256, 255}, {1e30, 255}, {inf, 255}, {-0.5, 0}, {-1, 0}, {-inf, 0}, {nan, 0}, {127.9, 127},
	} {
		if got := U8FromFloat32(c.f); got != c.want {
			t.Errorf("U8FromFloat32(%g) = %d, want %d", c.f, got, c.want)
		}
	}
}

// TestEncodeDecode checks the slice conversions element by element and
// their panics on a short destination.
func TestEncodeDecode(t *testing.T) {
	src := []float32{0, 1, -2.5, 65504, 7e4, 300, -1, 0.3, float32(math.NaN())}
	h := make([]uint16, len(src))
	F16Encode(h, src)
	f := make([]float32, len(src))
	F16Decode(f, h)
	u := make([]uint8, len(src))
	U8Encode(u, src)
	for i, x := range src {
		if h[i] != F16FromFloat32(x) || u[i] != U8FromFloat32(x) {
			t.Fatalf("element %d (%g): f16 %#04x, u8 %d", i, x, h[i], u[i])
		}
		if g := F16ToFloat32(h[i]); math.Float32bits(f[i]) != math.Float32bits(g) {
			t.Fatalf("element %d: decoded %g, want %g", i, f[i], g)
		}
	}
	for name, fn := range map[string]func(){
		"F16Encode": func() { F16Encode(make([]uint16, 2), src) },
		"F16Decode": func() { F16Decode(make([]float32, 2), h) },
		"U8Encode":  func() { U8Encode(make([]uint8, 2), src) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with a short dst did not panic", name)
				}
			}()
			fn()
		}()
	}
}
