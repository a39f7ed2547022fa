package engine

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestPrefetchWhileWriting: Prefetch maps the graphs and vectors of a
// reopened collection's sealed segments (the graphs mapped from their
// files) while writes and flushes go on, and changes no answer.
func TestPrefetchWhileWriting(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	req := simpleReq(16, point.Cosine)
	// 1 kB = 16 vectors of dimension 16: segments get graphs from 20 kB.
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(20)}
	c := mustCreate(t, st, "c", req)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		mustUpsert(t, c, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": randVec(r, 16)}})
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openTest(t, dir, nil)
	defer st.Close()
	c, err := st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	mapped := 0
	for _, s := range c.shards {
		s.mu.RLock()
		for _, h := range s.segs {
			for _, g := range h.graphs {
				if g.Mapped() {
					mapped++
				}
			}
		}
		s.mu.RUnlock()
	}
	if mapped == 0 {
		t.Fatal("no graph mapped from its file: the graph prefetch is not exercised")
	}
	q := randVec(r, 16)
	before, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prefetch(); err != nil {
		t.Fatal(err)
	}
	after, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d results after the prefetch, %d before", len(after), len(before))
	}
	for i := range before {
		if before[i].ID != after[i].ID {
			t.Fatalf("result %d: %v after the prefetch, %v before", i, after[i].ID, before[i].ID)
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := rand.New(rand.NewPCG(3, 4))
		for i := range 200 {
			mustUpsert(t, c, PointStruct{ID: point.NumID(uint64(10000 + i)), Vector: Vectors{"": randVec(w, 16)}})
		}
		if err := c.Flush(); err != nil {
			t.Error(err)
		}
	}()
	for range 3 {
		if err := c.Prefetch(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
