package hnsw

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
)

// clustered returns n seeded Gaussian-cluster vectors of dimension dim
// (unit length for Cosine).
func clustered(n, dim, clusters int, seed uint64, dist point.Distance) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	centers := make([]float32, clusters*dim)
	for i := range centers {
		centers[i] = float32(rng.NormFloat64() * 3)
	}
	out := make([]float32, n*dim)
	for i := range n {
		c := rng.IntN(clusters)
		v := out[i*dim : (i+1)*dim]
		for j := range v {
			v[j] = centers[c*dim+j] + float32(rng.NormFloat64())
		}
		if dist == point.Cosine {
			simd.Normalize(v)
		}
	}
	return out
}

// bruteForce returns the ids of the k accepted vectors closest to q.
func bruteForce(vecs []float32, dim int, dist point.Distance, q []float32, k int, accept func(uint32) bool) []uint32 {
	kd, _ := kindOf(dist)
	type pair struct {
		d  float32
		id uint32
	}
	var all []pair
	for i := 0; i < len(vecs)/dim; i++ {
		if accept != nil && !accept(uint32(i)) {
			continue
		}
		all = append(all, pair{distance(kd, q, vecs[i*dim:(i+1)*dim]), uint32(i)})
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].d != all[b].d {
			return all[a].d < all[b].d
		}
		return all[a].id < all[b].id
	})
	ids := make([]uint32, 0, k)
	for i := 0; i < k && i < len(all); i++ {
		ids = append(ids, all[i].id)
	}
	return ids
}

// recallOf returns the fraction of truth found in got.
func recallOf(got []Neighbor, truth []uint32) float64 {
	if len(truth) == 0 {
		return 1
	}
	set := map[uint32]bool{}
	for _, t := range truth {
		set[t] = true
	}
	hit := 0
	for _, g := range got {
		if set[g.ID] {
			hit++
		}
	}
	return float64(hit) / float64(len(truth))
}

// meanRecall searches every query and returns the mean recall@k; it also
// checks that results are sorted and accepted.
func meanRecall(t *testing.T, g *Graph, vecs, queries []float32, dim, k, ef int, accept func(uint32) bool) float64 {
	t.Helper()
	s := NewSearcher()
	var out []Neighbor
	total := 0.0
	nq := len(queries) / dim
	for i := range nq {
		q := queries[i*dim : (i+1)*dim]
		out = g.Search(s, q, k, ef, accept, out[:0])
		for j, r := range out {
			if accept != nil && !accept(r.ID) {
				t.Fatalf("query %d: result %d not accepted", i, r.ID)
			}
			if j > 0 && out[j-1].Dist > r.Dist {
				t.Fatalf("query %d: results not sorted: %v", i, out)
			}
		}
		truth := bruteForce(vecs, dim, g.dist, q, k, accept)
		if len(out) != len(truth) {
			t.Fatalf("query %d: %d results, want %d", i, len(out), len(truth))
		}
		total += recallOf(out, truth)
	}
	return total / float64(nq)
}
