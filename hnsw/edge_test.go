package hnsw

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

func TestSmallAndEmptyGraphs(t *testing.T) {
	vecs := clustered(5, 4, 2, 14, point.Euclid)
	for _, tc := range []struct {
		name    string
		vecs    []float32
		include func(uint32) bool
		want    int
	}{
		{"no points", nil, nil, 0},
		{"all excluded", vecs, func(uint32) bool { return false }, 0},
		{"one point", vecs[:4], nil, 1},
		{"one included", vecs, func(i uint32) bool { return i == 3 }, 1},
		{"five points", vecs, nil, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Build(context.Background(), tc.vecs, 4, point.Euclid, tc.include, nil, Params{})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "g.hnsw")
			if err := g.WriteFile(vfs.OS, path); err != nil {
				t.Fatal(err)
			}
			og, err := Open(path, tc.vecs, 4, point.Euclid)
			if err != nil {
				t.Fatal(err)
			}
			defer og.Close()
			if err := og.WriteFile(vfs.OS, path+".copy"); err != nil {
				t.Fatalf("rewrite opened graph: %v", err)
			}
			for _, gr := range []*Graph{g, og} {
				res := gr.Search(NewSearcher(), vecs[:4], 10, 10, nil, nil)
				if len(res) != tc.want {
					t.Fatalf("%d results, want %d", len(res), tc.want)
				}
				if gr.Indexed() != tc.want {
					t.Fatalf("Indexed() = %d, want %d", gr.Indexed(), tc.want)
				}
			}
		})
	}
}

func TestSearchEdgeCases(t *testing.T) {
	g, vecs, _, _ := smallGraph(t, point.Euclid)
	s := NewSearcher()
	q := vecs[:testDim]
	if res := g.Search(s, q, 0, 10, nil, nil); len(res) != 0 {
		t.Fatalf("k=0 gave %d results", len(res))
	}
	res := g.Search(s, q, 5, 1, nil, nil) // ef below k is raised to k
	if len(res) != 5 || res[0].ID != 0 || res[0].Dist != 0 {
		t.Fatalf("self query: %v", res)
	}
	prefix := []Neighbor{{ID: 7, Dist: -1}}
	res = g.Search(s, q, 3, 16, nil, prefix)
	if len(res) != 4 || res[0] != prefix[0] || res[1].ID != 0 {
		t.Fatalf("Search did not append to out: %v", res)
	}
	if res := g.Search(s, q, 10, 64, func(uint32) bool { return false }, nil); len(res) != 0 {
		t.Fatalf("reject-all filter gave %d results", len(res))
	}
	defer func() {
		if recover() == nil {
			t.Fatal("wrong query dimension did not panic")
		}
	}()
	g.Search(s, q[:3], 10, 64, nil, nil)
}

func TestBuildRejectsBadInput(t *testing.T) {
	vecs := clustered(10, 4, 2, 15, point.Euclid)
	ctx := context.Background()
	for name, f := range map[string]func() error{
		"dim":      func() error { _, err := Build(ctx, vecs, 3, point.Euclid, nil, nil, Params{}); return err },
		"zero dim": func() error { _, err := Build(ctx, vecs, 0, point.Euclid, nil, nil, Params{}); return err },
		"distance": func() error { _, err := Build(ctx, vecs, 4, point.Distance(0), nil, nil, Params{}); return err },
		"m":        func() error { _, err := Build(ctx, vecs, 4, point.Euclid, nil, nil, Params{M: -1}); return err },
		"group": func() error {
			_, err := Build(ctx, vecs, 4, point.Euclid, nil, [][]uint32{{1, 10}}, Params{})
			return err
		},
	} {
		if err := f(); !errors.Is(err, ErrParams) {
			t.Errorf("%s: Build = %v, want ErrParams", name, err)
		}
	}
}

func TestBuildCancelled(t *testing.T) {
	vecs := clustered(2000, 8, 4, 16, point.Euclid)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g, err := Build(context.Background(), vecs[:80], 8, point.Euclid, nil, nil, Params{})
	if err != nil {
		t.Fatal(err)
	}
	_ = g.Close()
	if err := g.WriteFile(vfs.OS, filepath.Join(t.TempDir(), "g")); !errors.Is(err, ErrClosed) {
		t.Fatalf("WriteFile after Close = %v, want ErrClosed", err)
	}
	if res := g.Search(NewSearcher(), vecs[:8], 3, 10, nil, nil); len(res) != 0 {
		t.Fatalf("Search after Close returned %v", res)
	}
	for _, threads := range []int{1, 2} {
		if _, err := Build(ctx, vecs, 8, point.Euclid, nil, nil, Params{Threads: threads}); !errors.Is(err, context.Canceled) {
			t.Fatalf("threads=%d: Build = %v, want context.Canceled", threads, err)
		}
	}
}

func TestSearchAllocatesNothing(t *testing.T) {
	g, vecs, queries, val := smallGraph(t, point.Cosine)
	_ = vecs
	s := NewSearcher()
	out := make([]Neighbor, 0, 10)
	accept := func(i uint32) bool { return val[i] == 1 }
	g.Search(s, queries[:testDim], 10, 64, accept, out[:0]) // grow the buffers
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		q := queries[(i%testQ)*testDim : (i%testQ+1)*testDim]
		out = g.Search(s, q, 10, 64, nil, out[:0])
		out = g.Search(s, q, 10, 64, accept, out[:0])
		i++
	})
	if allocs != 0 {
		t.Fatalf("Search allocates %.1f times per query", allocs)
	}
}

// TestBuildM1 builds a graph with m = 1, which Qdrant accepts (one link per
// node on the upper layers, two on layer 0, levels drawn as for m = 2):
// the build succeeds, the file reopens and a search answers.
func TestBuildM1(t *testing.T) {
	const n, dim = 300, 4
	vecs := clustered(n, dim, 3, 21, point.Euclid)
	g, err := Build(context.Background(), vecs, dim, point.Euclid, nil, nil, Params{M: 1, EfConstruct: 8, Seed: 1, Threads: 1})
	if err != nil {
		t.Fatalf("Build m=1: %v", err)
	}
	path := filepath.Join(t.TempDir(), "g.hnsw")
	if err := g.WriteFile(vfs.OS, path); err != nil {
		t.Fatal(err)
	}
	og, err := Open(path, vecs, dim, point.Euclid)
	if err != nil {
		t.Fatalf("Open m=1 graph: %v", err)
	}
	defer og.Close()
	if og.Indexed() != n {
		t.Fatalf("Indexed() = %d, want %d", og.Indexed(), n)
	}
	// Two links per node on layer 0 leave a sparse graph (as in Qdrant):
	// the search finds the entry point's neighbourhood, closest first.
	res := og.Search(NewSearcher(), vecs[:dim], 10, 64, nil, nil)
	if len(res) == 0 {
		t.Fatal("search of an m=1 graph found nothing")
	}
	for i := 1; i < len(res); i++ {
		if res[i-1].Dist > res[i].Dist {
			t.Fatalf("results not sorted: %v", res)
		}
	}
}
