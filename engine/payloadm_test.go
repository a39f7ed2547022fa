package engine

import (
	"math/rand/v2"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// TestPayloadM: hnsw_config.payload_m sets the payload-aware links the
// graph gets for the groups of an indexed field (Qdrant's payload_m):
// unset means m, 0 none, n that many; the collection's and a vector's own.
func TestPayloadM(t *testing.T) {
	for _, tc := range []struct {
		name   string
		set    func(*CreateCollection)
		groupM int
	}{
		{"unset", func(*CreateCollection) {}, DefaultHnswM},
		{"5", func(r *CreateCollection) { r.HnswConfig.PayloadM = intp(5) }, 5},
		{"0", func(r *CreateCollection) { r.HnswConfig.PayloadM = intp(0) }, 0},
		{"vector 7", func(r *CreateCollection) {
			vp := r.Vectors[""]
			vp.HnswConfig = &HnswConfigDiff{PayloadM: intp(7)}
			r.Vectors[""] = vp
		}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openTest(t, t.TempDir(), nil)
			defer st.Close()
			const dim = 64 // 1 kB = 4 vectors: groups of at least 40 points get links
			req := simpleReq(dim, point.Euclid)
			req.HnswConfig = &HnswConfigDiff{FullScanThreshold: intp(10)}
			req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(20)}
			tc.set(&req)
			c := mustCreate(t, st, "c", req)
			if _, err := c.CreateFieldIndex(ctxb, "tenant", payload.FieldSchema{Type: payload.TypeKeyword}, true); err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 4))
			var pts []PointStruct
			for i := range 300 {
				pts = append(pts, PointStruct{ID: point.NumID(uint64(i + 1)), Vector: Vectors{"": randVec(r, dim)},
					Payload: payload.Payload{"tenant": []string{"a", "b", "c", "d"}[i%4]}})
			}
			mustUpsert(t, c, pts...)
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
			segs := c.shards[0].segs
			if len(segs) != 1 || segs[0].graphs[""] == nil {
				t.Fatalf("want one segment with a graph, info %s", jsonOf(c.Info()))
			}
			if got := segs[0].graphs[""].GroupM(); got != tc.groupM {
				t.Fatalf("graph has %d payload links per node, want %d", got, tc.groupM)
			}
		})
	}
}
