package segment

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
)

// lowerIsCloser64 is NarrowDistances' convention in float64 over stored
// values widened exactly.
func lowerIsCloser64(dist point.Distance, a, b []float32) float64 {
	var dot, na, nb, l2, l1 float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
		l2 += (x - y) * (x - y)
		l1 += math.Abs(x - y)
	}
	switch dist {
	case point.Euclid:
		return l2
	case point.Manhattan:
		return l1
	case point.Cosine:
		if na == 0 || nb == 0 {
			return 0
		}
		return -dot / math.Sqrt(na*nb)
	}
	return -dot
}

func TestNarrowDistancesAgainstFloat64(t *testing.T) {
	const n, dim = 120, 19
	rng := rand.New(rand.NewPCG(14, 7))
	for _, dt := range []Datatype{Float16, Uint8} {
		for _, dist := range []point.Distance{point.Cosine, point.Euclid, point.Dot, point.Manhattan} {
			spec := VectorSpec{Name: "v", Dim: dim, Distance: dist, Datatype: dt}
			recs := genRecords(rng, n, []VectorSpec{spec}, 0.1)
			prep := func(v []float32) {
				for j := range v {
					if dt == Uint8 {
						v[j] = v[j]*140 + 120 // some saturate at 0 or 255
					} else {
						v[j] *= 3
					}
				}
				if dt == Float16 && dist == point.Cosine {
					simd.Normalize(v)
				}
			}
			for _, r := range recs {
				if v := r.Vectors["v"]; v != nil {
					prep(v)
				}
			}
			s := openTestSegment(t, writeTestSegment(t, recs, WriteOptions{Vectors: []VectorSpec{spec}}))
			pair, query, ok := s.NarrowDistances("v")
			if !ok {
				t.Fatalf("%s %v: no narrow distances", dt, dist)
			}
			q := make([]float32, dim)
			for j := range q {
				q[j] = rng.Float32()*2 - 1
			}
			prep(q)
			// The query as the stored type holds it.
			qs := append([]float32(nil), q...)
			dt.Round(qs)
			qd := query(q)
			for x := range uint32(n) {
				ref := dist
				if dt == Float16 && dist == point.Cosine {
					// Normalised before narrowing: scored by the dot
					// product of the stored values, as Qdrant does.
					ref = point.Dot
				}
				check := func(what string, got float32, a, b []float32) {
					want := lowerIsCloser64(ref, a, b)
					if math.Abs(float64(got)-want) > 1e-5*math.Max(1, math.Abs(want)) {
						t.Fatalf("%s %v %s: %v, float64 %v", dt, dist, what, got, want)
					}
				}
				vx := s.Vector("v", x)
				if vx == nil {
					vx = make([]float32, dim) // absent: zeros in the block
				}
				check("query", qd(x), qs, vx)
				y := (x*7 + 3) % n
				vy := s.Vector("v", y)
				if vy == nil {
					vy = make([]float32, dim)
				}
				check("pair", pair(x, y), vx, vy)
			}
		}
	}
	s := openTestSegment(t, writeTestSegment(t, nil, WriteOptions{Vectors: testSpecs}))
	if _, _, ok := s.NarrowDistances(""); ok {
		t.Fatal("NarrowDistances of a float32 vector")
	}
	if _, _, ok := s.NarrowDistances("nope"); ok {
		t.Fatal("NarrowDistances of an unknown vector")
	}
}
