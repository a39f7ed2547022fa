package simd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestImplementations checks that every kernel this CPU supports is listed,
// best first, the portable one last, and that the best one was chosen.
func TestImplementations(t *testing.T) {
	var names []string
	for _, im := range Implementations() {
		names = append(names, im.Name)
	}
	if want := expectedImpls(); !slices.Equal(names, want) {
		t.Fatalf("Implementations() = %v, want %v", names, want)
	}
	if Chosen() != names[0] {
		t.Fatalf("Chosen() = %q, want %q", Chosen(), names[0])
	}
	t.Logf("implementations %v, chosen %s", names, Chosen())
}

// TestPairKernels checks every implementation against the portable one over
// many lengths, four alignments of each slice and four magnitudes.
func TestPairKernels(t *testing.T) {
	for _, im := range Implementations() {
		for _, k := range kernels {
			t.Run(k.name+"/"+im.Name, func(t *testing.T) {
				checkPair(t, k, k.pair(im), k.pair(portable))
			})
		}
	}
}

func checkPair(t *testing.T, k kernel, got, want func(a, b []float32) float32) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range testLengths {
		for _, mag := range magnitudes {
			for off := range 4 {
				a := randVec(rng, n, off, mag)
				b := randVec(rng, n, 3-off, mag)
				g, w := got(a, b), want(a, b)
				if sc := k.scale(a, b); !within(g, w, sc, n) {
					t.Fatalf("len %d mag %g offsets %d/%d: got %g, portable %g (scale %g)",
						n, mag, off, 3-off, g, w, sc)
				}
				// A longer b is read only up to len(a).
				if g2 := got(a, append(b, 1e30)); g2 != g {
					t.Fatalf("len %d: longer b changed the result: %g, want %g", n, g2, g)
				}
			}
		}
	}
}

// TestPairSpecialValues checks NaN and infinity propagation.
func TestPairSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, im := range Implementations() {
		for _, k := range kernels {
			for _, n := range []int{1, 7, 8, 9, 33, 129} {
				for _, pos := range []int{0, n / 2, n - 1} {
					a := make([]float32, n)
					b := make([]float32, n)
					for i := range a {
						a[i], b[i] = 1, 0.5
					}
					a[pos] = nan
					if got := k.pair(im)(a, b); !math.IsNaN(float64(got)) {
						t.Errorf("%s/%s len %d NaN at %d: got %g", k.name, im.Name, n, pos, got)
					}
					a[pos] = inf
					if got := k.pair(im)(a, b); !math.IsInf(float64(got), 1) {
						t.Errorf("%s/%s len %d +Inf at %d: got %g", k.name, im.Name, n, pos, got)
					}
				}
			}
		}
	}
}

// batchCounts are the batch sizes every batch kernel is checked at: small
// ones and ones that are not a multiple of the two-vector interleave, and
// from 64 on, batches the avx2 kernels split into four parts read side by
// side, with every remainder (0–3 vectors) after the parts, and parts whose
// length is not a multiple of batchRun (70, 77: a short last run).
var batchCounts = []int{0, 1, 2, 3, 4, 5, 7, 33, 63, 64, 65, 66, 67, 70, 77, 131}

// TestBatchKernels checks every batch kernel against the same
// implementation's pair kernel (bit for bit) and the portable pair kernel
// (within tolerance), on unaligned inputs, with a partial trailing vector
// that must be ignored and out slots past n that must stay untouched.
func TestBatchKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, im := range append(Implementations(), extraImpls()...) {
		for _, k := range kernels {
			t.Run(k.name+"/"+im.Name, func(t *testing.T) {
				for _, dim := range []int{1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 127, 128, 129, 768} {
					for _, n := range batchCounts {
						checkBatch1(t, rng, k, im, dim, n)
					}
				}
			})
		}
	}
}

// TestBatchShortOut checks that an assembly batch kernel given fewer out
// slots than whole vectors scores only as many vectors as out holds (the
// portable one leaves that check to the exported wrappers).
func TestBatchShortOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const dim = 9
	q := randVec(rng, dim, 1, 1)
	for _, im := range append(asmImpls(t), extraImpls()...) {
		for _, k := range kernels {
			for _, n := range []int{1, 2, 5, 64, 67} {
				vecs := randVec(rng, (n+5)*dim, 2, 1)
				out := make([]float32, n)
				k.batch(im)(q, vecs, out)
				for i := range n {
					if want := k.pair(im)(q, vecs[i*dim:(i+1)*dim]); out[i] != want {
						t.Fatalf("%s/%s n %d: out[%d] = %g, pair kernel %g", k.name, im.Name, n, i, out[i], want)
					}
				}
			}
		}
	}
}

func checkBatch1(t *testing.T, rng *rand.Rand, k kernel, im Impl, dim, n int) {
	const sentinel = -12345
	q := randVec(rng, dim, 1, 10)
	vecs := randVec(rng, n*dim+dim/2, 3, 10)
	out := make([]float32, n+2)
	for i := range out {
		out[i] = sentinel
	}
	k.batch(im)(q, vecs, out)
	for i := range n {
		v := vecs[i*dim : (i+1)*dim]
		if own := k.pair(im)(q, v); out[i] != own {
			t.Fatalf("dim %d n %d: out[%d] = %g, pair kernel %g", dim, n, i, out[i], own)
		}
		if w, sc := k.pair(portable)(q, v), k.scale(q, v); !within(out[i], w, sc, dim) {
			t.Fatalf("dim %d n %d: out[%d] = %g, portable %g", dim, n, i, out[i], w)
		}
	}
	for i := n; i < len(out); i++ {
		if out[i] != sentinel {
			t.Fatalf("dim %d n %d: out[%d] written (%g)", dim, n, i, out[i])
		}
	}
}

// TestBatchEmptyQuery checks that a zero-length query scores nothing.
func TestBatchEmptyQuery(t *testing.T) {
	out := []float32{7}
	for _, im := range append(Implementations(), extraImpls()...) {
		for _, k := range kernels {
			k.batch(im)(nil, []float32{1, 2}, out)
			if out[0] != 7 {
				t.Fatalf("%s/%s wrote %g for an empty query", k.name, im.Name, out[0])
			}
		}
	}
}

// TestExported checks the exported entry points against the chosen
// implementation and their length checks.
func TestExported(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := randVec(rng, 100, 0, 1), randVec(rng, 100, 0, 1)
	if got, want := Dot(a, b), chosen.Dot(a, b); got != want {
		t.Errorf("Dot = %g, want %g", got, want)
	}
	if got, want := L2Squared(a, b), chosen.L2Squared(a, b); got != want {
		t.Errorf("L2Squared = %g, want %g", got, want)
	}
	if got, want := L1(a, b), chosen.L1(a, b); got != want {
		t.Errorf("L1 = %g, want %g", got, want)
	}
	out := make([]float32, 10)
	for _, f := range []func(q, v, o []float32){DotBatch, L2SquaredBatch, L1Batch} {
		f(a[:10], b, out)
		f(a[:10], b[:99], out) // 9 whole vectors and a partial one
	}
	mustPanic(t, "Dot short b", func() { Dot(a, b[:99]) })
	mustPanic(t, "L2Squared short b", func() { L2Squared(a, b[:99]) })
	mustPanic(t, "L1 short b", func() { L1(a, b[:99]) })
	mustPanic(t, "DotBatch short out", func() { DotBatch(a[:10], b, out[:9]) })
	mustPanic(t, "L2SquaredBatch short out", func() { L2SquaredBatch(a[:10], b, out[:9]) })
	mustPanic(t, "L1Batch short out", func() { L1Batch(a[:10], b, out[:9]) })
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}

// TestNormalize checks unit length for ordinary, huge and tiny vectors, and
// that zero and non-finite vectors are refused and left unchanged.
func TestNormalize(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 3, 8, 17, 128, 768} {
		for _, mag := range []float32{1e-30, 1e-6, 1, 1e6, 1e30} {
			v := randVec(rng, n, 1, mag)
			v[0] = mag // never all zero
			if !Normalize(v) {
				t.Fatalf("len %d mag %g: Normalize refused", n, mag)
			}
			var s float64
			for _, x := range v {
				s += float64(x) * float64(x)
			}
			if math.Abs(s-1) > 1e-5 {
				t.Fatalf("len %d mag %g: squared norm %g after Normalize", n, mag, s)
			}
		}
	}
	for _, v := range [][]float32{
		nil,
		{0, 0, 0},
		{1, float32(math.NaN()), 2},
		{1, float32(math.Inf(-1))},
	} {
		before := slices.Clone(v)
		if Normalize(v) {
			t.Fatalf("Normalize(%v) = true", before)
		}
		for i := range v {
			if math.Float32bits(v[i]) != math.Float32bits(before[i]) {
				t.Fatalf("Normalize changed a refused vector: %v → %v", before, v)
			}
		}
	}
}
