package hnsw

import (
	"context"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestSearchFuncMatchesSearch: with the graph's own distance as dist,
// SearchFunc and SearchBatch return what Search returns, with and without a
// filter.
func TestSearchFuncMatchesSearch(t *testing.T) {
	const n, dim = 2000, 16
	for _, d := range []point.Distance{point.Cosine, point.Euclid, point.Dot, point.Manhattan} {
		vecs := clustered(n, dim, 10, 1, d)
		g, err := Build(context.Background(), vecs, dim, d, nil, nil, Params{M: 8, EfConstruct: 50, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		qs := clustered(20, dim, 10, 2, d)
		s := NewSearcher()
		for _, accept := range []func(uint32) bool{nil, func(i uint32) bool { return i%3 == 0 }} {
			for qi := range 20 {
				q := qs[qi*dim : (qi+1)*dim]
				want := g.Search(s, q, 10, 40, accept, nil)
				got := g.SearchFunc(s, func(i uint32) float32 { return distance(g.kind, q, g.vec(i)) }, 10, 40, accept, nil)
				if !slices.Equal(got, want) {
					t.Fatalf("%v query %d filtered %v: SearchFunc %v, Search %v", d, qi, accept != nil, got, want)
				}
				batch := g.SearchBatch(s, func(ids []uint32, ds []float32) {
					for j, id := range ids {
						ds[j] = distance(g.kind, q, g.vec(id))
					}
				}, 10, 40, accept, nil)
				if !slices.Equal(batch, want) {
					t.Fatalf("%v query %d filtered %v: SearchBatch %v, Search %v", d, qi, accept != nil, batch, want)
				}
			}
		}
		_ = g.Close()
	}
}
