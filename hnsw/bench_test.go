package hnsw

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/point"
)

const (
	benchN   = 20000
	benchDim = 128
	benchQ   = 500
)

type benchSet struct {
	g       *Graph
	queries []float32
	val     []uint8
}

var (
	benchOnce sync.Map // point.Distance → *benchSet
	benchMu   sync.Mutex
)

// benchGraph builds (once per distance) a 20,000 × 128 clustered graph with
// payload groups.
func benchGraph(b *testing.B, dist point.Distance) *benchSet {
	benchMu.Lock()
	defer benchMu.Unlock()
	if s, ok := benchOnce.Load(dist); ok {
		return s.(*benchSet)
	}
	all := clustered(benchN+benchQ, benchDim, 50, 21, dist)
	val, groups := selectivityGroups(benchN, 21)
	g, err := Build(context.Background(), all[:benchN*benchDim], benchDim, dist, nil, groups, Params{M: 16, EfConstruct: 100, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSet{g: g, queries: all[benchN*benchDim:], val: val}
	benchOnce.Store(dist, s)
	return s
}

func BenchmarkSearch(b *testing.B) {
	for _, dist := range []point.Distance{point.Euclid, point.Cosine} {
		for _, ef := range []int{16, 64, 256} {
			for _, filter := range []string{"none", "10%", "1%"} {
				b.Run(fmt.Sprintf("dist=%v/ef=%d/filter=%s", dist, ef, filter), func(b *testing.B) {
					set := benchGraph(b, dist)
					var accept func(uint32) bool
					switch filter {
					case "10%":
						accept = func(i uint32) bool { return set.val[i] == 1 }
					case "1%":
						accept = func(i uint32) bool { return set.val[i] == 2 }
					}
					s := NewSearcher()
					out := make([]Neighbor, 0, 10)
					i := 0
					b.ReportAllocs()
					for b.Loop() {
						q := set.queries[i*benchDim : (i+1)*benchDim]
						out = set.g.Search(s, q, 10, ef, accept, out[:0])
						i = (i + 1) % benchQ
					}
				})
			}
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	all := clustered(5000, benchDim, 20, 22, point.Euclid)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("n=5000/dim=128/threads=%d", threads), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(all) * 4))
			for b.Loop() {
				if _, err := Build(context.Background(), all, benchDim, point.Euclid, nil, nil, Params{M: 16, EfConstruct: 100, Threads: threads}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
