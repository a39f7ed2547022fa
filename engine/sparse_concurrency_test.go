package engine

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestSparseConcurrent runs sparse writers, IDF searches, retrievals and
// the background worker (seals every few points, merges) together; run it
// with -race. At the end every point's stored sparse vector is its last
// write.
func TestSparseConcurrent(t *testing.T) {
	st, err := Open(Options{Dir: t.TempDir(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := sparseReq()
	req.ShardNumber = intp(2)
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(1), DefaultSegmentNumber: intp(2)}
	c := mustCreate(t, st, "c", req)
	const writers, rounds, perWriter = 2, 40, 30
	var wg sync.WaitGroup
	final := make([]map[uint64]point.SparseVector, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 21))
			last := map[uint64]point.SparseVector{}
			for i := range rounds {
				var pts []PointStruct
				for range 8 {
					id := uint64(w*perWriter) + r.Uint64N(perWriter)
					v := randSparse(r)
					last[id] = v.Sorted()
					pts = append(pts, PointStruct{ID: point.NumID(id), Sparse: SparseVectors{"t": v}})
				}
				if _, err := c.Upsert(ctxb, pts, i%2 == 0); err != nil {
					t.Error(err)
					return
				}
			}
			final[w] = last
		}()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		r := rand.New(rand.NewPCG(99, 1))
		for {
			select {
			case <-stop:
				return
			default:
			}
			q := randSparse(r)
			if _, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Name: "t", Sparse: &q}, Limit: 5,
				WithVector: &WithVector{Enable: true}}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, last := range final {
		for id, v := range last {
			recs, err := c.Get(ctxb, []point.ID{point.NumID(id)}, WithPayload{}, WithVector{Enable: true})
			if err != nil || len(recs) != 1 {
				t.Fatalf("get %d: %v %v", id, recs, err)
			}
			if jsonOf(recs[0].Sparse["t"]) != jsonOf(v) {
				t.Fatalf("point %d: %s, want %s", id, jsonOf(recs[0].Sparse["t"]), jsonOf(v))
			}
		}
	}
}
