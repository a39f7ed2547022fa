package engine

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestConcurrentReadWrite runs writers, searchers, scrolls and the
// background worker (seals, merges, vacuums) together; run it with -race.
// Each writer owns a disjoint id range and checks its own last writes.
func TestConcurrentReadWrite(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(Options{Dir: dir, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := simpleReq(8, point.Cosine)
	req.ShardNumber = intp(2)
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(4), DefaultSegmentNumber: intp(2),
		VacuumMinVectorNumber: intp(100)}
	c := mustCreate(t, st, "c", req)
	const writers, rounds, perWriter = 3, 60, 40
	var wg sync.WaitGroup
	final := make([]map[uint64]int, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			last := map[uint64]int{}
			for i := range rounds {
				var pts []PointStruct
				for range 10 {
					id := uint64(w*perWriter) + r.Uint64N(perWriter)
					last[id] = i
					pts = append(pts, PointStruct{ID: point.NumID(id), Vector: Vectors{"": randVec(r, 8)},
						Payload: map[string]any{"w": w, "i": i}})
				}
				if _, err := c.Upsert(ctxb, pts, i%2 == 0); err != nil {
					t.Error(err)
					return
				}
				if i%7 == 3 {
					id := uint64(w*perWriter) + r.Uint64N(perWriter)
					delete(last, id)
					if _, err := c.Delete(ctxb, PointsSelector{Points: []point.ID{point.NumID(id)}}, false); err != nil {
						t.Error(err)
						return
					}
				}
			}
			final[w] = last
		}()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for g := range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			r := rand.New(rand.NewPCG(uint64(g), 10))
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: randVec(r, 8)}, Limit: 5,
					WithPayload: &WithPayload{Enable: true}})
				if err != nil {
					t.Error(err)
					return
				}
				seen := map[point.ID]bool{}
				for _, p := range res {
					if seen[p.ID] {
						t.Errorf("duplicate %v in search results", p.ID)
					}
					seen[p.ID] = true
				}
				if _, err := c.Scroll(ctxb, ScrollRequest{Limit: 20}); err != nil {
					t.Error(err)
				}
				_ = c.Info()
			}
		}()
	}
	readers.Add(1)
	go func() { // snapshots: pin, capture into a stage, unpin
		defer readers.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p, err := c.Pin()
			if err != nil {
				t.Errorf("pin %d: %v", i, err)
				return
			}
			err = stagePin(p, filepath.Join(t.TempDir(), "stage"), "")
			p.Release()
			if err != nil {
				t.Errorf("stage %d: %v", i, err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	check := func(when string) {
		for w, last := range final {
			for id, i := range last {
				recs, _ := c.Get(ctxb, []point.ID{point.NumID(id)}, WithPayload{Enable: true}, WithVector{})
				if len(recs) != 1 || fmt.Sprint(recs[0].Payload["i"]) != fmt.Sprint(i) {
					t.Fatalf("%s: writer %d point %d = %s, want i=%d", when, w, id, jsonOf(recs), i)
				}
			}
		}
		total := 0
		for _, last := range final {
			total += len(last)
		}
		if n := mustCount(t, c, nil); n != total {
			t.Fatalf("%s: count %d, want %d", when, n, total)
		}
	}
	check("live")
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	check("flushed")
	st.Close()
	st = openTest(t, dir, nil)
	c, _ = st.Collection("c")
	check("reopened")
}
