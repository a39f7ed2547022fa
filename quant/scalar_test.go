package quant

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
)

func randBlock(rng *rand.Rand, n, dim int, normalise bool) []float32 {
	b := make([]float32, n*dim)
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	if normalise {
		for i := range n {
			simd.Normalize(b[i*dim : (i+1)*dim])
		}
	}
	return b
}

func build(t *testing.T, d point.Distance, block []float32, n, dim int, q float64) *Scalar {
	t.Helper()
	lo, hi := Bounds(block, dim, n, nil, q)
	f, err := Build(Params{Distance: d, Dim: dim, Quantile: float32(q), Lo: lo, Hi: hi}, block, n)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(f, n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func exactKey(d point.Distance, a, b []float32) float32 {
	switch d {
	case point.Euclid:
		return -simd.L2Squared(a, b)
	case point.Manhattan:
		return -simd.L1(a, b)
	}
	return simd.Dot(a, b)
}

// TestScalarErrorBound checks every estimate against the exact score with
// the whole range quantised (quantile 1, nothing clamped): per component the
// reconstruction error is at most alpha/2, so
//
//	dot:  |est - exact| <= alpha/2·(|x|₁ + |y|₁) + dim·alpha²/4
//	L2:   |est - exact| <= 2·alpha·|x-y|₁ + dim·alpha² (|d'| <= |d| + alpha)
//	L1:   |est - exact| <= dim·alpha
func TestScalarErrorBound(t *testing.T) {
	const n, dim = 300, 67
	rng := rand.New(rand.NewPCG(1, 15))
	for _, d := range []point.Distance{point.Cosine, point.Dot, point.Euclid, point.Manhattan} {
		block := randBlock(rng, n, dim, d == point.Cosine)
		s := build(t, d, block, n, dim, 1)
		var qq Query
		for qi := range 20 {
			q := block[qi*dim : (qi+1)*dim]
			s.EncodeQuery(&qq, q)
			for off := range n {
				v := block[off*dim : (off+1)*dim]
				est, exact := s.Key(&qq, uint32(off)), exactKey(d, q, v)
				var bound float64
				a := float64(s.alpha)
				switch d {
				case point.Euclid:
					var l1 float64
					for i := range q {
						l1 += math.Abs(float64(q[i] - v[i]))
					}
					bound = 2*a*l1 + dim*a*a
				case point.Manhattan:
					bound = dim * a
				default:
					var l1 float64
					for i := range q {
						l1 += math.Abs(float64(q[i])) + math.Abs(float64(v[i]))
					}
					bound = a/2*l1 + dim*a*a/4
				}
				if err := math.Abs(float64(est - exact)); err > bound*1.0001+1e-5 {
					t.Fatalf("%v q %d off %d: estimate %g, exact %g, error %g > bound %g", d, qi, off, est, exact, err, bound)
				}
			}
		}
	}
}

// TestScalarRecall checks the recall floor the engine relies on: 5,000 ×
// 64-d Gaussian vectors (seed 1), 50 queries, quantile 0.99; the
// limit·oversampling best by the int8 estimate, rescored exactly, must hold
// at least 95% of the exact top 10 with oversampling 2 (and 85% without).
func TestScalarRecall(t *testing.T) {
	const n, dim, k, queries = 5000, 64, 10, 50
	rng := rand.New(rand.NewPCG(1, 1))
	for _, d := range []point.Distance{point.Cosine, point.Euclid, point.Dot} {
		block := randBlock(rng, n, dim, d == point.Cosine)
		s := build(t, d, block, n, dim, 0.99)
		qs := randBlock(rng, queries, dim, d == point.Cosine)
		for _, c := range []struct {
			over  int
			floor float64
		}{{1, 0.85}, {2, 0.95}} {
			hits := 0
			var qq Query
			for qi := range queries {
				q := qs[qi*dim : (qi+1)*dim]
				exact := topBy(n, k, func(i int) float32 { return exactKey(d, q, block[i*dim:(i+1)*dim]) })
				s.EncodeQuery(&qq, q)
				cands := topBy(n, k*c.over, func(i int) float32 { return s.Key(&qq, uint32(i)) })
				res := rescore(cands, k, func(i int) float32 { return exactKey(d, q, block[i*dim:(i+1)*dim]) })
				for _, id := range res {
					if slices.Contains(exact, id) {
						hits++
					}
				}
			}
			recall := float64(hits) / (queries * k)
			t.Logf("%v oversampling %d: recall@10 %.3f", d, c.over, recall)
			if recall < c.floor {
				t.Errorf("%v oversampling %d: recall@10 %.3f < %.2f", d, c.over, recall, c.floor)
			}
		}
	}
}

func topBy(n, k int, key func(i int) float32) []int {
	ids := make([]int, n)
	keys := make([]float32, n)
	for i := range ids {
		ids[i], keys[i] = i, key(i)
	}
	slices.SortStableFunc(ids, func(a, b int) int { return -cmpF(keys[a], keys[b]) })
	return ids[:k]
}

func rescore(cands []int, k int, key func(i int) float32) []int {
	c := slices.Clone(cands)
	slices.SortStableFunc(c, func(a, b int) int { return -cmpF(key(a), key(b)) })
	return c[:min(k, len(c))]
}

func cmpF(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestParseRejects checks that Parse refuses every damaged file.
func TestParseRejects(t *testing.T) {
	const n, dim = 10, 5
	block := randBlock(rand.New(rand.NewPCG(3, 3)), n, dim, false)
	lo, hi := Bounds(block, dim, n, nil, 0.99)
	good, err := Build(Params{Distance: point.Dot, Dim: dim, Quantile: 0.99, Lo: lo, Hi: hi}, block, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(good, n); err != nil {
		t.Fatalf("good file: %v", err)
	}
	bad := map[string]func([]byte) []byte{
		"magic":     func(b []byte) []byte { b[0] ^= 1; return b },
		"version":   func(b []byte) []byte { b[8] = 2; return b },
		"distance":  func(b []byte) []byte { b[12] = 9; return b },
		"dim":       func(b []byte) []byte { b[16] = 0; return b },
		"count":     func(b []byte) []byte { b[24]++; return b },
		"truncated": func(b []byte) []byte { return b[:len(b)-1] },
		"code":      func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"corr":      func(b []byte) []byte { b[headerSize] ^= 1; return b },
		"short":     func(b []byte) []byte { return b[:20] },
	}
	for name, damage := range bad {
		if _, err := Parse(damage(slices.Clone(good)), n); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Parse = %v, want ErrCorrupt", name, err)
		}
		// ParseUnverified skips only the body's checksum: every header,
		// size and bound damage is still refused; a flipped code or
		// correction byte (caught by the sums a restore checks first) is not.
		_, err := ParseUnverified(damage(slices.Clone(good)), n)
		if body := name == "code" || name == "corr"; body != (err == nil) {
			t.Errorf("%s: ParseUnverified = %v", name, err)
		} else if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: ParseUnverified = %v, want ErrCorrupt", name, err)
		}
	}
	if _, err := Parse(good, n+1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("other count: Parse = %v, want ErrCorrupt", err)
	}
	if _, err := ParseUnverified(good, n+1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("other count: ParseUnverified = %v, want ErrCorrupt", err)
	}
}

// TestBoundsQuantile checks the symmetric quantile and that constant data
// gives codes 0 that decode exactly.
func TestBoundsQuantile(t *testing.T) {
	block := make([]float32, 1000)
	for i := range block {
		block[i] = float32(i)
	}
	lo, hi := Bounds(block, 10, 100, nil, 0.9)
	if lo != 49 || hi != 950 {
		t.Fatalf("Bounds(0.9) = %g, %g, want 49, 950", lo, hi)
	}
	if lo, hi := Bounds(block, 10, 100, func(i int) bool { return i < 50 }, 1); lo != 0 || hi != 499 {
		t.Fatalf("Bounds(has) = %g, %g", lo, hi)
	}
	c := []float32{2, 2, 2, 2}
	s := build(t, point.Dot, c, 1, 4, 1)
	var qq Query
	s.EncodeQuery(&qq, c)
	if got := s.Key(&qq, 0); got != 16 {
		t.Fatalf("constant data: dot %g, want 16", got)
	}
}

// TestDistsMatchKey: the batch distances a graph walk uses are exactly the
// negated single-vector keys, bit for bit, for every distance, over a
// neighbour list with repeats and the first and last vectors.
func TestDistsMatchKey(t *testing.T) {
	const n, dim = 200, 97
	rng := rand.New(rand.NewPCG(3, 15))
	for _, d := range []point.Distance{point.Cosine, point.Dot, point.Euclid, point.Manhattan} {
		block := randBlock(rng, n, dim, d == point.Cosine)
		s := build(t, d, block, n, dim, 0.99)
		var qq Query
		for qi := range 5 {
			s.EncodeQuery(&qq, randBlock(rng, 1, dim, d == point.Cosine))
			ids := []uint32{0, n - 1, 7, 7, uint32(qi * 31), 150}
			out := make([]float32, len(ids))
			s.Dists(&qq, ids, out)
			for j, id := range ids {
				if w := -s.Key(&qq, id); math.Float32bits(out[j]) != math.Float32bits(w) {
					t.Fatalf("%v query %d offset %d: Dists %v, -Key %v", d, qi, id, out[j], w)
				}
			}
		}
	}
}
