package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

func TestInfoAndUpdate(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	defer func() { st.Close() }()
	c := mustCreate(t, st, "c", simpleReq(3, point.Manhattan))
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 2, 3}}},
		PointStruct{ID: point.NumID(2), Vector: Vectors{"": {1, 2, 4}}})
	info := c.Info()
	if info.Status != StatusGreen || info.PointsCount != 2 || info.SegmentsCount != 0 {
		t.Fatalf("info = %s", jsonOf(info))
	}
	got := jsonOf(info)
	for _, want := range []string{`"optimizer_status":"ok"`, `"vectors":{"size":3,"distance":"Manhattan"}`,
		`"hnsw_config":{"m":16,"ef_construct":100,"full_scan_threshold":10000`, `"indexing_threshold":10000`,
		`"wal_config":{"wal_capacity_mb":32,"wal_segments_ahead":0}`, `"payload_schema":{}`} {
		if !strings.Contains(got, want) {
			t.Errorf("info lacks %s: %s", want, got)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if info := c.Info(); info.SegmentsCount != 1 || info.PointsCount != 2 {
		t.Fatalf("info after flush = %s", jsonOf(info))
	}
	err := st.UpdateCollection("c", CollectionUpdate{OptimizersConfig: &OptimizersConfigDiff{DefaultSegmentNumber: intp(3)},
		HnswConfig: &HnswConfigDiff{EfConstruct: intp(50)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateCollection("c", CollectionUpdate{HnswConfig: &HnswConfigDiff{EfConstruct: intp(1)}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid update = %v", err)
	}
	if err := st.UpdateCollection("c", CollectionUpdate{Vectors: map[string]VectorParamsDiff{"x": {}}}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("unknown vector update = %v", err)
	}
	st.Close()
	st = openTest(t, dir, nil)
	c, _ = st.Collection("c")
	cfg := c.Config()
	if cfg.OptimizerConfig.DefaultSegmentNumber != 3 || cfg.HnswConfig.EfConstruct != 50 {
		t.Fatalf("config after reopen = %s", jsonOf(cfg))
	}
	res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: []float32{1, 2, 3}}, Limit: 5})
	if err != nil || len(res) != 2 || res[0].Score != 0 || res[1].Score != 1 || res[0].Version == 0 {
		t.Fatalf("manhattan search = %s %v", jsonOf(res), err)
	}
}

func TestVectorsJSON(t *testing.T) {
	var cc CreateCollection
	if err := unmarshalJSONNumber([]byte(`{"vectors":{"size":4,"distance":"Cosine"},"shard_number":2}`), &cc); err != nil {
		t.Fatal(err)
	}
	if cc.Vectors[""].Size != 4 || cc.Vectors[""].Distance != point.Cosine || *cc.ShardNumber != 2 {
		t.Fatalf("single form = %+v", cc)
	}
	if err := unmarshalJSONNumber([]byte(`{"vectors":{"img":{"size":2,"distance":"Dot"},"size":{"size":3,"distance":"Euclid"}}}`), &cc); err != nil {
		t.Fatal(err)
	}
	if len(cc.Vectors) != 2 || cc.Vectors["size"].Size != 3 {
		t.Fatalf("named form = %+v", cc.Vectors)
	}
	var p PointStruct
	if err := unmarshalJSONNumber([]byte(`{"id":18446744073709551615,"vector":{"img":[1,2]},"payload":{"n":12345678901234567890}}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.ID != point.NumID(1<<64-1) || len(p.Vector["img"]) != 2 || jsonOf(p.Payload) != `{"n":12345678901234567890}` {
		t.Fatalf("point = %s", jsonOf(p))
	}
	var w WithPayload
	if err := unmarshalJSONNumber([]byte(`{"exclude":["a"]}`), &w); err != nil || !w.Enable || w.Exclude[0] != "a" {
		t.Fatalf("with_payload = %+v %v", w, err)
	}
	var nv NamedVector
	if err := unmarshalJSONNumber([]byte(`{"name":"img","vector":[1,2]}`), &nv); err != nil || nv.Name != "img" {
		t.Fatalf("named vector = %+v %v", nv, err)
	}
}

func TestClosedCollection(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	c := mustCreate(t, st, "c", simpleReq(2, point.Dot))
	if ok, err := st.DeleteCollection("c"); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if _, err := c.Upsert(ctxb, []PointStruct{{ID: point.NumID(1), Vector: Vectors{"": {1, 1}}}}, true); !errors.Is(err, ErrClosed) {
		t.Fatalf("upsert on a deleted collection: %v", err)
	}
	if ok, err := st.DeleteCollection("c"); ok || err != nil {
		t.Fatalf("second delete: %v %v", ok, err)
	}
	st.Close()
	if err := st.CreateCollection("x", simpleReq(2, point.Dot)); !errors.Is(err, ErrClosed) {
		t.Fatalf("create on closed storage: %v", err)
	}
}

func TestPayloadSelectors(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(2, point.Dot))
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 1}},
		Payload: pl(t, `{"a":{"b":1,"c":2},"d":3,"e":4}`)})
	for _, tc := range []struct {
		w    WithPayload
		want string
	}{
		{WithPayload{Enable: true, Include: []string{"a.b", "d"}}, `{"a":{"b":1},"d":3}`},
		{WithPayload{Enable: true, Exclude: []string{"a", "e"}}, `{"d":3}`},
		{WithPayload{}, `null`},
	} {
		recs, _ := c.Get(ctxb, []point.ID{point.NumID(1)}, tc.w, WithVector{})
		if got := jsonOf(recs[0].Payload); got != tc.want {
			t.Errorf("%+v: got %s, want %s", tc.w, got, tc.want)
		}
	}
}

// TestReaderOutlivesDelete keeps a segment view across DeleteCollection:
// the mapping stays valid until the reader releases it.
func TestReaderOutlivesDelete(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(2, point.Dot))
	mustUpsert(t, c, PointStruct{ID: point.NumID(7), Vector: Vectors{"": {1, 2}}})
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	s := c.shards[0]
	s.mu.RLock()
	view := s.viewLocked()
	s.mu.RUnlock()
	if _, err := st.DeleteCollection("c"); err != nil {
		t.Fatal(err)
	}
	if v := view[0].h.seg.Vector("", 0); len(v) != 2 || v[1] != 2 {
		t.Fatalf("vector after delete = %v", v)
	}
	releaseView(view)
	if n := view[0].h.refs.Load(); n != 0 {
		t.Fatalf("refs = %d", n)
	}
}
