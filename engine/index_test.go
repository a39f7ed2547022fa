package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// TestFieldIndex creates a payload index on a collection with sealed
// segments, checks the optimizer rebuilds them with it, that filters agree
// with and without the index, and that the definition survives a reopen.
func TestFieldIndex(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	defer func() { st.Close() }()
	c := mustCreate(t, st, "c", simpleReq(4, point.Dot))
	r := rand.New(rand.NewPCG(5, 6))
	for batch := range 3 {
		var pts []PointStruct
		for i := range 50 {
			id := uint64(batch*50 + i)
			pts = append(pts, PointStruct{ID: point.NumID(id), Vector: Vectors{"": randVec(r, 4)},
				Payload: pl(t, fmt.Sprintf(`{"city":%q,"n":%d}`, []string{"Paris", "Rome", "Oslo"}[id%3], id))})
		}
		mustUpsert(t, c, pts...)
		if batch < 2 {
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := filter(t, `{"must":[{"key":"city","match":{"value":"Rome"}},{"key":"n","range":{"lt":100}}]}`)
	before := mustCount(t, c, f)
	schema, err := payload.ParseFieldSchema([]byte(`"keyword"`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFieldIndex(ctxb, "city", schema, true); err != nil {
		t.Fatal(err)
	}
	for _, h := range c.shards[0].segs {
		if h.index("city") == nil {
			t.Fatalf("segment %s has no city index after wait", h.name)
		}
	}
	if after := mustCount(t, c, f); after != before || before != 33 {
		t.Fatalf("count with index %d, without %d, want 33", after, before)
	}
	res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: []float32{1, 1, 1, 1}}, Limit: 100, Filter: f})
	if err != nil || len(res) != 33 {
		t.Fatalf("filtered search: %d results, %v", len(res), err)
	}
	info := c.Info()
	if pi, ok := info.PayloadSchema["city"]; !ok || pi.DataType != payload.TypeKeyword || pi.Points != 150 {
		t.Fatalf("payload_schema = %s", jsonOf(info.PayloadSchema))
	}
	st.Close()
	st = openTest(t, dir, nil)
	c, _ = st.Collection("c")
	if _, ok := c.Info().PayloadSchema["city"]; !ok {
		t.Fatalf("index definition lost on reopen")
	}
	if _, err := c.DeleteFieldIndex(ctxb, "city", true); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, c, f); n != 33 {
		t.Fatalf("count after dropping index = %d", n)
	}
	// Re-create the key with another type: every segment is rebuilt.
	for _, spec := range []string{`"integer"`, `"keyword"`} {
		schema, _ := payload.ParseFieldSchema([]byte(spec))
		if _, err := c.CreateFieldIndex(ctxb, "city", schema, true); err != nil {
			t.Fatal(err)
		}
		for _, h := range c.shards[0].segs {
			if ix := h.index("city"); ix == nil || ix.Schema().Type != schema.Type {
				t.Fatalf("segment %s: index %v, want %s", h.name, ix, spec)
			}
		}
		if n := mustCount(t, c, f); n != 33 {
			t.Fatalf("count with %s index = %d", spec, n)
		}
	}
}

// TestGraphSegments checks that a segment reaching the indexing threshold
// gets an HNSW graph, that search through it finds the exact neighbours on
// small data, and that the graph is reopened, not rebuilt.
func TestGraphSegments(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	defer func() { st.Close() }()
	req := simpleReq(16, point.Euclid)
	// 1 kB = 16 vectors of dimension 16: seal and index from 16 points.
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(20)}
	c := mustCreate(t, st, "c", req)
	r := rand.New(rand.NewPCG(7, 8))
	var pts []PointStruct
	for i := range 600 {
		pts = append(pts, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": randVec(r, 16)}})
	}
	mustUpsert(t, c, pts...)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	info := c.Info()
	if info.IndexedVectorsCount != 600 || info.Status != StatusGreen {
		t.Fatalf("info = %s", jsonOf(info))
	}
	q := randVec(r, 16)
	exact, _ := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 10, Params: &SearchParams{Exact: true}})
	approx, _ := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 10, Params: &SearchParams{HnswEf: intp(128)}})
	hits := 0
	for _, a := range approx {
		for _, e := range exact {
			if a.ID == e.ID {
				hits++
			}
		}
	}
	if hits < 9 {
		t.Fatalf("graph recall %d/10: exact %s approx %s", hits, jsonOf(exact), jsonOf(approx))
	}
	st.Close()
	st = openTest(t, dir, nil)
	c, _ = st.Collection("c")
	if n := len(c.shards[0].segs[0].graphs); n != 1 {
		t.Fatalf("graphs after reopen = %d", n)
	}
}
