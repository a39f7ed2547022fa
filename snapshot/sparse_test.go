package snapshot

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// sparsePoints makes n points with ids from first carrying only a sparse
// vector "s" (seeded, unsorted indices below 50).
func sparsePoints(r *rand.Rand, first, n int) []engine.PointStruct {
	pts := make([]engine.PointStruct, n)
	for i := range pts {
		seen := map[uint32]bool{}
		var v point.SparseVector
		for range 1 + r.IntN(6) {
			if t := uint32(r.IntN(50)); !seen[t] {
				seen[t] = true
				v.Indices = append(v.Indices, t)
				v.Values = append(v.Values, r.Float32())
			}
		}
		pts[i] = engine.PointStruct{ID: point.NumID(uint64(first + i)), Sparse: engine.SparseVectors{"s": v}}
	}
	return pts
}

// TestSnapshotSparse: a collection snapshot carries the sealed segments'
// sparse indexes (checksummed by the restore's verification) and the
// head's sparse vectors in the WAL; the restored collection answers the
// same sparse searches and retrievals, and a corrupted index is refused.
func TestSnapshotSparse(t *testing.T) {
	e := newEnv(t, nil)
	idf := engine.ModifierIDF
	req := engine.CreateCollection{SparseVectors: engine.SparseVectorsConfig{"s": {Modifier: &idf}}}
	if err := e.st.CreateCollection("c", req); err != nil {
		t.Fatal(err)
	}
	c, err := e.st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	r := seeded(5)
	upsert(t, c, sparsePoints(r, 0, 120))
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	upsert(t, c, sparsePoints(r, 100, 50)) // overwrites sealed points, keeps a head
	colPath, shPath, _ := e.snapshotAll(t, "c")
	if err := e.m.Recover(ctxb, "d", colPath, "", PrioritySnapshot); err != nil {
		t.Fatal(err)
	}
	d, err := e.st.Collection("d")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, c), dump(t, d); a != b || !strings.Contains(a, `"s":{"indices":[`) {
		t.Fatalf("scroll differs:\n%.300s\n%.300s", a, b)
	}
	for k := range 10 {
		q := sparsePoints(seeded(uint64(100+k)), 0, 1)[0].Sparse["s"]
		sreq := engine.SearchRequest{Vector: engine.NamedVector{Name: "s", Sparse: &q}, Limit: 5,
			WithVector: &engine.WithVector{Enable: true}}
		sa, err := c.Search(ctxb, sreq)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := d.Search(ctxb, sreq)
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(sa)
		jb, _ := json.Marshal(sb)
		if string(ja) != string(jb) || len(sa) == 0 {
			t.Fatalf("search differs:\n%s\n%s", ja, jb)
		}
	}
	// A shard snapshot restored over d (whose points then change) gives c's points back.
	upsert(t, d, sparsePoints(seeded(6), 0, 30))
	if err := e.m.RecoverShard(ctxb, "d", 0, shPath, "", PriorityNoSync); err != nil {
		t.Fatal(err)
	}
	if d, err = e.st.Collection("d"); err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, c), dump(t, d); a != b {
		t.Fatalf("after the shard restore:\n%.300s\n%.300s", a, b)
	}
	bad := corruptCopy(t, colPath, filepath.Join(e.dir, "bad.snapshot"), ".spx")
	if err := e.m.Recover(ctxb, "x", bad, "", PrioritySnapshot); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt sparse index: %v, want ErrCorrupt", err)
	}
	if e.st.CollectionExists("x") {
		t.Fatal("a collection was created from a corrupt snapshot")
	}
}
