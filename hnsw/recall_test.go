package hnsw

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/point"
)

const (
	testN   = 4000
	testDim = 32
	testQ   = 100
)

// fixture is a graph shared by the tests of one distance: 4,000 clustered
// points of dimension 32 with payload groups (10% and 1%), built once on one
// thread. Tests must not close it.
type fixture struct {
	g       *Graph
	vecs    []float32
	queries []float32
	val     []uint8
	groups  [][]uint32
}

var (
	fixtureMu sync.Mutex
	fixtures  = map[point.Distance]*fixture{}
)

func fixtureFor(t testing.TB, dist point.Distance) *fixture {
	t.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if f := fixtures[dist]; f != nil {
		return f
	}
	all := clustered(testN+testQ, testDim, 20, 3, dist)
	f := &fixture{vecs: all[:testN*testDim], queries: all[testN*testDim:]}
	f.val, f.groups = selectivityGroups(testN, 3)
	g, err := Build(context.Background(), f.vecs, testDim, dist, nil, f.groups, Params{M: 16, EfConstruct: 100, Seed: 1, Threads: 1})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	f.g = g
	fixtures[dist] = f
	return f
}

var allDistances = []point.Distance{point.Cosine, point.Euclid, point.Dot, point.Manhattan}

func buildTest(t testing.TB, vecs []float32, dist point.Distance, include func(uint32) bool, groups [][]uint32, threads int) *Graph {
	t.Helper()
	g, err := Build(context.Background(), vecs, testDim, dist, include, groups, Params{M: 16, EfConstruct: 100, Seed: 1, Threads: threads})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(func() { _ = g.Close() })
	return g
}

func TestRecallPerDistance(t *testing.T) {
	for _, dist := range allDistances {
		t.Run(dist.String(), func(t *testing.T) {
			f := fixtureFor(t, dist)
			r := meanRecall(t, f.g, f.vecs, f.queries, testDim, 10, 64, nil)
			t.Logf("%v recall@10 ef=64: %.4f", dist, r)
			if r < 0.95 {
				t.Fatalf("%v recall@10 at ef=64 = %.4f, want >= 0.95", dist, r)
			}
		})
	}
}

func TestRecallParallelBuild(t *testing.T) {
	const n = 2000
	all := clustered(n+testQ, testDim, 20, 2, point.Euclid)
	vecs, queries := all[:n*testDim], all[n*testDim:]
	g := buildTest(t, vecs, point.Euclid, nil, nil, 4)
	r := meanRecall(t, g, vecs, queries, testDim, 10, 64, nil)
	t.Logf("recall@10 ef=64, 4 threads: %.4f", r)
	if r < 0.95 {
		t.Fatalf("recall@10 at ef=64 with 4 threads = %.4f, want >= 0.95", r)
	}
}

// selectivityGroups assigns every point a value: a random half of the
// points get value 0, 10% value 1, 1% value 2, the rest value 3; it returns
// the value of each point and the groups of values 1 and 2 (the ones a
// payload index would hand to Build).
func selectivityGroups(n int, seed uint64) ([]uint8, [][]uint32) {
	rng := rand.New(rand.NewPCG(seed, 11))
	val := make([]uint8, n)
	var groups [2][]uint32
	for i, p := range rng.Perm(n) {
		switch {
		case i < n/2:
			val[p] = 0
		case i < n/2+n/10:
			val[p] = 1
			groups[0] = append(groups[0], uint32(p))
		case i < n/2+n/10+n/100:
			val[p] = 2
			groups[1] = append(groups[1], uint32(p))
		default:
			val[p] = 3
		}
	}
	return val, groups[:]
}

func TestFilteredRecall(t *testing.T) {
	for _, dist := range []point.Distance{point.Euclid, point.Cosine} {
		f := fixtureFor(t, dist)
		for _, tc := range []struct {
			name string
			v    uint8
		}{{"50%", 0}, {"10%", 1}, {"1%", 2}} {
			t.Run(fmt.Sprintf("%v/%s", dist, tc.name), func(t *testing.T) {
				accept := func(i uint32) bool { return f.val[i] == tc.v }
				r := meanRecall(t, f.g, f.vecs, f.queries, testDim, 10, 64, accept)
				t.Logf("filtered %s recall@10 ef=64: %.4f", tc.name, r)
				if r < 0.95 {
					t.Fatalf("filtered %s recall@10 = %.4f, want >= 0.95", tc.name, r)
				}
			})
		}
	}
}

// TestGroupLinksConnectGroup checks that the extra links alone connect the
// small group: from any member, the group's members are reachable through
// links that stay inside the group.
func TestGroupLinksConnectGroup(t *testing.T) {
	f := fixtureFor(t, point.Euclid)
	g, groups := f.g, f.groups
	if g.mx != 16 {
		t.Fatalf("extra link capacity %d, want 16", g.mx)
	}
	small := groups[1]
	in := map[uint32]bool{}
	for _, m := range small {
		in[m] = true
	}
	seen := map[uint32]bool{small[0]: true}
	stack := []uint32{small[0]}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		s := g.layer0[int(x)*g.stride:]
		w := s[0]
		links := append(append([]uint32{}, s[1:1+w&0xffff]...), s[1+g.m0:1+g.m0+int(w>>16)]...)
		for _, y := range links {
			if in[y] && !seen[y] {
				seen[y] = true
				stack = append(stack, y)
			}
		}
	}
	if len(seen) < len(small)*9/10 {
		t.Fatalf("only %d of %d group members reachable inside the group", len(seen), len(small))
	}
}

func TestIncludeExcludesPoints(t *testing.T) {
	const n = 2000
	all := clustered(n+testQ, testDim, 20, 5, point.Euclid)
	vecs, queries := all[:n*testDim], all[n*testDim:]
	include := func(i uint32) bool { return i%3 != 0 }
	g := buildTest(t, vecs, point.Euclid, include, nil, 1)
	if got, want := g.Indexed(), n-(n+2)/3; got != want {
		t.Fatalf("Indexed() = %d, want %d", got, want)
	}
	r := meanRecall(t, g, vecs, queries, testDim, 10, 64, include)
	if r < 0.95 {
		t.Fatalf("recall with excluded points = %.4f", r)
	}
	s := NewSearcher()
	for i := range testQ {
		for _, nb := range g.Search(s, queries[i*testDim:(i+1)*testDim], 10, 64, nil, nil) {
			if !include(nb.ID) {
				t.Fatalf("excluded point %d returned", nb.ID)
			}
		}
	}
}
