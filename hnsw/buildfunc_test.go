package hnsw

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
	"github.com/cairn-db/cairn/vfs"
)

// TestBuildFuncMatchesBuild checks that BuildFunc over float32 vectors with
// the graph's own distance builds the very graph Build does (one thread,
// same seed), groups included.
func TestBuildFuncMatchesBuild(t *testing.T) {
	const n, dim = 600, 8
	for _, dist := range []point.Distance{point.Euclid, point.Dot, point.Manhattan} {
		vecs := clustered(n, dim, 6, 3, dist)
		k, _ := kindOf(dist)
		pair := func(x, y uint32) float32 {
			return distance(k, vecs[int(x)*dim:][:dim], vecs[int(y)*dim:][:dim])
		}
		groups := [][]uint32{{1, 5, 9, 13, 17, 21, 25, 29}, {2, 4, 6, 8, 10}}
		p := Params{M: 8, EfConstruct: 40, Threads: 1, Seed: 5}
		a, err := Build(context.Background(), vecs, dim, dist, func(i uint32) bool { return i%7 != 3 }, groups, p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := BuildFunc(context.Background(), n, dim, dist, pair, func(i uint32) bool { return i%7 != 3 }, groups, p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.encode(), b.encode()) {
			t.Fatalf("%v: BuildFunc built another graph than Build", dist)
		}
	}
}

// narrowCase is a set of stored narrow vectors and the kernels a graph
// over them measures with.
type narrowCase struct {
	name string
	dist point.Distance
	// pair is the "lower is closer" distance of stored vectors x and y;
	// query that of the stored-type query q from vector i.
	pair  func(x, y uint32) float32
	query func(q int, i uint32) float32
	// exact is the same distance in float64 from the stored values.
	exact func(q int, i uint32) float64
}

func narrowCases(n, nq, dim int) []narrowCase {
	var out []narrowCase
	for _, dist := range []point.Distance{point.Euclid, point.Dot, point.Cosine} {
		base := clustered(n+nq, dim, 8, 11, dist)
		if dist == point.Cosine {
			// As Qdrant: normalised before narrowing to float16.
			for i := range n + nq {
				simd.Normalize(base[i*dim : (i+1)*dim])
			}
		}
		f16 := make([]uint16, len(base))
		simd.F16Encode(f16, base)
		u8src := make([]float32, len(base))
		for i, x := range base {
			u8src[i] = x*20 + 128
		}
		u8 := make([]uint8, len(base))
		simd.U8Encode(u8, u8src)
		h := func(i int) []uint16 { return f16[i*dim : (i+1)*dim] }
		b := func(i int) []uint8 { return u8[i*dim : (i+1)*dim] }
		w16 := func(i int) []float64 {
			v := make([]float64, dim)
			for j, c := range h(i) {
				v[j] = float64(simd.F16ToFloat32(c))
			}
			return v
		}
		w8 := func(i int) []float64 {
			v := make([]float64, dim)
			for j, c := range b(i) {
				v[j] = float64(c)
			}
			return v
		}
		d16 := func(x, y []uint16) float32 {
			if dist == point.Euclid {
				return simd.L2SquaredF16(x, y)
			}
			return -simd.DotF16(x, y)
		}
		d8 := func(x, y []uint8) float32 {
			switch dist {
			case point.Euclid:
				return float32(simd.L2SquaredU8(x, y))
			case point.Cosine:
				return -simd.CosineU8(x, y)
			}
			return -float32(simd.DotU8(x, y))
		}
		out = append(out,
			narrowCase{name: "float16/" + dist.String(), dist: dist,
				pair:  func(x, y uint32) float32 { return d16(h(int(x)), h(int(y))) },
				query: func(q int, i uint32) float32 { return d16(h(n+q), h(int(i))) },
				exact: func(q int, i uint32) float64 { return exact64(dist, w16(n+q), w16(int(i))) }},
			narrowCase{name: "uint8/" + dist.String(), dist: dist,
				pair:  func(x, y uint32) float32 { return d8(b(int(x)), b(int(y))) },
				query: func(q int, i uint32) float32 { return d8(b(n+q), b(int(i))) },
				exact: func(q int, i uint32) float64 { return exact64(dist, w8(n+q), w8(int(i))) }})
	}
	return out
}

// exact64 is the "lower is closer" distance in float64; Cosine is the
// negated cosine similarity (the float16 vectors are unit length already).
func exact64(dist point.Distance, a, b []float64) float64 {
	var dot, na, nb, l2 float64
	for j := range a {
		dot += a[j] * b[j]
		na += a[j] * a[j]
		nb += b[j] * b[j]
		l2 += (a[j] - b[j]) * (a[j] - b[j])
	}
	switch dist {
	case point.Euclid:
		return l2
	case point.Cosine:
		if na == 0 || nb == 0 {
			return 0
		}
		return -dot / math.Sqrt(na*nb)
	}
	return -dot
}

// TestBuildFuncNarrowRecall builds graphs over float16 and uint8 vectors
// with the narrow kernels, writes and reopens them with OpenFunc, and checks
// SearchFunc's recall against a float64 brute force over the stored values,
// with and without a filter.
func TestBuildFuncNarrowRecall(t *testing.T) {
	const n, nq, dim, k = 2000, 30, 24, 10
	dir := t.TempDir()
	for _, c := range narrowCases(n, nq, dim) {
		t.Run(c.name, func(t *testing.T) {
			g, err := BuildFunc(context.Background(), n, dim, c.dist, c.pair, nil, nil, Params{M: 12, EfConstruct: 80, Threads: 2, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, filepath.Base(c.name)+c.name[:1]+".hnsw")
			if err := g.WriteFile(vfs.OS, path); err != nil {
				t.Fatal(err)
			}
			og, err := OpenFunc(path, n, dim, c.dist)
			if err != nil {
				t.Fatal(err)
			}
			defer og.Close()
			if _, err := OpenFunc(path, n-1, dim, c.dist); err == nil {
				t.Fatal("OpenFunc over fewer vectors than the graph has succeeded")
			}
			odd := func(i uint32) bool { return i%3 == 1 }
			for _, accept := range []func(uint32) bool{nil, odd} {
				for _, gr := range []*Graph{g, og} {
					// 0.85: on the uint8 Dot data (all components near 128)
					// Build over the same values widened to float32 also
					// stops at 0.90 with the filter, as maximum inner product
					// search does.
					if r := narrowRecall(t, gr, c, n, nq, k, accept); r < 0.85 {
						t.Fatalf("recall@%d %.3f (filter %v)", k, r, accept != nil)
					}
				}
			}
			defer func() {
				if recover() == nil {
					t.Fatal("Search on a BuildFunc graph did not panic")
				}
			}()
			og.Search(NewSearcher(), make([]float32, dim), k, 50, nil, nil)
		})
	}
}

func narrowRecall(t *testing.T, g *Graph, c narrowCase, n, nq, k int, accept func(uint32) bool) float64 {
	t.Helper()
	s := NewSearcher()
	total := 0.0
	for q := range nq {
		out := g.SearchFunc(s, func(i uint32) float32 { return c.query(q, i) }, k, 128, accept, nil)
		type cand struct {
			d  float64
			id uint32
		}
		var all []cand
		for i := range uint32(n) {
			if accept == nil || accept(i) {
				all = append(all, cand{c.exact(q, i), i})
			}
		}
		sort.Slice(all, func(a, b int) bool { return all[a].d < all[b].d || all[a].d == all[b].d && all[a].id < all[b].id })
		truth := make([]uint32, k)
		for j := range truth {
			truth[j] = all[j].id
		}
		for _, r := range out {
			if accept != nil && !accept(r.ID) {
				t.Fatalf("result %d not accepted", r.ID)
			}
			if math.Abs(float64(r.Dist)-c.exact(q, r.ID)) > 1e-3*math.Max(1, math.Abs(c.exact(q, r.ID))) {
				t.Fatalf("result %d: distance %v, float64 %v", r.ID, r.Dist, c.exact(q, r.ID))
			}
		}
		total += recallOf(out, truth)
	}
	return total / float64(nq)
}
