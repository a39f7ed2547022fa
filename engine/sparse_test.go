package engine

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// sparseRef is the brute-force reference of a sparse collection: every
// live point's sparse vectors (sorted) and group payload.
type sparseRef struct {
	vecs  map[uint64]map[string]point.SparseVector
	group map[uint64]int
}

func sparseReq() CreateCollection {
	idf := ModifierIDF
	return CreateCollection{
		Vectors:          VectorsConfig{"d": {Size: 2, Distance: point.Dot}},
		SparseVectors:    SparseVectorsConfig{"s": {}, "t": {Modifier: &idf}},
		OptimizersConfig: &OptimizersConfigDiff{DefaultSegmentNumber: intp(1)},
	}
}

// randSparse returns an unsorted sparse vector of up to 8 indices below 40.
func randSparse(r *rand.Rand) point.SparseVector {
	n := r.IntN(9)
	seen := map[uint32]bool{}
	var v point.SparseVector
	for len(v.Indices) < n {
		i := uint32(r.IntN(40))
		if seen[i] {
			continue
		}
		seen[i] = true
		v.Indices = append(v.Indices, i)
		v.Values = append(v.Values, float32(r.IntN(2001)-1000)/100)
	}
	return v
}

// upsertSparse writes n random points with ids below 200 into c and ref.
func upsertSparse(t *testing.T, c *Collection, ref *sparseRef, r *rand.Rand, n int) {
	t.Helper()
	var pts []PointStruct
	for range n {
		id := r.Uint64N(200)
		g := r.IntN(3)
		p := PointStruct{ID: point.NumID(id), Vector: Vectors{"d": {1, 0}}, Sparse: SparseVectors{},
			Payload: payload.Payload{"g": float64(g)}}
		sv := map[string]point.SparseVector{}
		for _, name := range []string{"s", "t"} {
			if r.IntN(5) > 0 {
				v := randSparse(r)
				p.Sparse[name] = v
				sv[name] = v.Sorted()
			}
		}
		pts = append(pts, p)
		ref.vecs[id], ref.group[id] = sv, g
	}
	mustUpsert(t, c, pts...)
}

// want returns the reference answer: points sharing an index with q
// ordered by score then id, the query weighted by IDF for "t".
func (ref *sparseRef) want(name string, q point.SparseVector, g int, limit int) []ScoredPoint {
	q = q.Sorted()
	if name == "t" {
		n, df := 0, make([]int, len(q.Indices))
		for _, vs := range ref.vecs {
			v, ok := vs[name]
			if !ok {
				continue
			}
			n++
			for i, t := range q.Indices {
				if _, found := slices.BinarySearch(v.Indices, t); found {
					df[i]++
				}
			}
		}
		for i := range q.Values {
			q.Values[i] *= idfWeight(df[i], n)
		}
	}
	var out []ScoredPoint
	for id, vs := range ref.vecs {
		v, ok := vs[name]
		if !ok || (g >= 0 && ref.group[id] != g) {
			continue
		}
		shared := false
		for _, t := range q.Indices {
			if _, found := slices.BinarySearch(v.Indices, t); found {
				shared = true
			}
		}
		if shared {
			out = append(out, ScoredPoint{ID: point.NumID(id), Score: point.SparseDot(q, v)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return point.Compare(out[i].ID, out[j].ID) < 0
	})
	return out[:min(limit, len(out))]
}

// checkSparse compares searches and retrievals with the reference.
func checkSparse(t *testing.T, stage string, c *Collection, ref *sparseRef, r *rand.Rand) {
	t.Helper()
	for k := range 30 {
		name := []string{"s", "t"}[k%2]
		q := randSparse(r)
		g := k%3 - 1 // -1: no filter
		req := SearchRequest{Vector: NamedVector{Name: name, Sparse: &q}, Limit: 7}
		if g >= 0 {
			req.Filter = filter(t, `{"must":[{"key":"g","match":{"value":`+string(rune('0'+g))+`}}]}`)
		}
		got, err := c.Search(ctxb, req)
		if err != nil {
			t.Fatalf("%s: search: %v", stage, err)
		}
		want := ref.want(name, q, g, 7)
		if len(got) != len(want) {
			t.Fatalf("%s: query %d (%s %v, group %d): %d results, want %d", stage, k, name, q, g, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID || got[i].Score != want[i].Score {
				t.Fatalf("%s: query %d result %d = %v %v, want %v %v", stage, k, i, got[i].ID, got[i].Score, want[i].ID, want[i].Score)
			}
		}
	}
	ids := make([]point.ID, 0, 200)
	for id := range uint64(200) {
		ids = append(ids, point.NumID(id))
	}
	recs, err := c.Get(ctxb, ids, WithPayload{}, WithVector{Enable: true})
	if err != nil || len(recs) != len(ref.vecs) {
		t.Fatalf("%s: get: %d records, want %d, %v", stage, len(recs), len(ref.vecs), err)
	}
	for _, rec := range recs {
		id := rec.ID.Num()
		if jsonOf(map[string]point.SparseVector(rec.Sparse)) != jsonOf(ref.vecs[id]) && !(len(rec.Sparse) == 0 && len(ref.vecs[id]) == 0) {
			t.Fatalf("%s: point %d: sparse %s, want %s", stage, id, jsonOf(rec.Sparse), jsonOf(ref.vecs[id]))
		}
	}
}

// TestSparseMatchesBruteForce searches sparse vectors (plain and IDF) with
// and without filters against a map-based reference while the points move
// from the head to sealed segments, through deletions, vector updates, an
// optimizer merge and a restart.
func TestSparseMatchesBruteForce(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	c := mustCreate(t, st, "c", sparseReq())
	r := rand.New(rand.NewPCG(7, 14))
	ref := &sparseRef{vecs: map[uint64]map[string]point.SparseVector{}, group: map[uint64]int{}}
	upsertSparse(t, c, ref, r, 120)
	checkSparse(t, "head", c, ref, r)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	checkSparse(t, "sealed", c, ref, r)
	upsertSparse(t, c, ref, r, 80)
	var del []point.ID
	for id := range ref.vecs {
		if id%7 == 0 {
			del = append(del, point.NumID(id))
			delete(ref.vecs, id)
		}
	}
	if _, err := c.Delete(ctxb, PointsSelector{Points: del}, true); err != nil {
		t.Fatal(err)
	}
	checkSparse(t, "head and segment", c, ref, r)
	// update_vectors and delete_vectors on a sealed point and a head point.
	for id := range ref.vecs {
		v := randSparse(r)
		if _, err := c.UpdateVectors(ctxb, []PointVectors{{ID: point.NumID(id), Sparse: SparseVectors{"s": v}}}, true); err != nil {
			t.Fatal(err)
		}
		ref.vecs[id]["s"] = v.Sorted()
		if _, err := c.DeleteVectors(ctxb, DeleteVectors{Points: []point.ID{point.NumID(id)}, Vector: []string{"t"}}, true); err != nil {
			t.Fatal(err)
		}
		delete(ref.vecs[id], "t")
		break
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := len(c.shards[0].segs); n != 1 {
		t.Fatalf("%d segments after the merge, want 1", n)
	}
	checkSparse(t, "merged", c, ref, r)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openTest(t, dir, nil)
	defer st.Close()
	c, err := st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	checkSparse(t, "restarted", c, ref, r)
	if h := c.shards[0].segs[0]; h.sparse["s"] == nil || h.sparse["t"] == nil {
		t.Fatalf("segment %s: sparse indexes %v", h.dir, h.sparse)
	}
	if _, err := filepath.Glob(filepath.Join(dir, "*")); err != nil {
		t.Fatal(err)
	}
}

// TestSparseBadInput: malformed sparse vectors are refused with Qdrant's
// texts and nothing stored changes.
func TestSparseBadInput(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", sparseReq())
	good := point.SparseVector{Indices: []uint32{1}, Values: []float32{1}}
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Sparse: SparseVectors{"s": good}})
	nan := float32(0)
	nan /= nan
	for _, tc := range []struct {
		v    point.SparseVector
		name string
		want string
	}{
		{point.SparseVector{Indices: []uint32{100, 500}, Values: []float32{0.9, 0.8, 0.5}}, "s",
			"Validation error in JSON body: [points[1].vector.?.values: Validation error: must be the same length as indices [{}]]"},
		{point.SparseVector{Indices: []uint32{100, 500, 100}, Values: []float32{0.9, 0.8, 0.5}}, "s",
			"Validation error in JSON body: [points[1].vector.?.indices: Validation error: must be unique [{}]]"},
		{point.SparseVector{Indices: []uint32{1}, Values: []float32{nan}}, "s", "values: Validation error: must be a finite number"},
		{good, "x", "Not existing vector name error: x"},
		{good, "d", "Conversion between sparse and regular vectors failed"},
	} {
		pts := []PointStruct{{ID: point.NumID(2), Sparse: SparseVectors{"s": good}}, {ID: point.NumID(1), Sparse: SparseVectors{tc.name: tc.v}}}
		_, err := c.Upsert(ctxb, pts, true)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.v, err, tc.want)
		}
	}
	if n := mustCount(t, c, nil); n != 1 {
		t.Fatalf("%d points after refused upserts, want 1", n)
	}
	recs, _ := c.Get(ctxb, []point.ID{point.NumID(1)}, WithPayload{}, WithVector{Enable: true})
	if len(recs) != 1 || jsonOf(recs[0].Sparse) != `{"s":{"indices":[1],"values":[1.0]}}` {
		t.Fatalf("stored point changed: %s", jsonOf(recs))
	}
	// An empty sparse vector is allowed and matches nothing.
	mustUpsert(t, c, PointStruct{ID: point.NumID(3), Sparse: SparseVectors{"s": {}}})
	res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Name: "s", Sparse: &good}, Limit: 5})
	if err != nil || len(res) != 1 || res[0].ID != point.NumID(1) {
		t.Fatalf("search: %v %v", res, err)
	}
	dense := SearchRequest{Vector: NamedVector{Name: "s", Vector: []float32{1, 2}}, Limit: 5}
	if _, err := c.Search(ctxb, dense); err == nil || !strings.Contains(err.Error(), "Conversion between sparse and regular vectors failed") {
		t.Fatalf("dense query on a sparse vector: %v", err)
	}
}

// TestRecordVersions: a version 3 record carries sparse vectors; version
// 2 records (no sparse section) written before still decode.
func TestRecordVersions(t *testing.T) {
	sv := point.SparseVector{Indices: []uint32{2, 40000}, Values: []float32{0.25, -1}}
	pts := []pointData{{id: point.NumID(5), vectors: map[string][]float32{"d": {1, 2}},
		sparse: map[string]point.SparseVector{"s": sv, "e": {Indices: []uint32{}, Values: []float32{}}}, payload: []byte(`{"a":1}`)}}
	b := encodePut(pts, 77)
	if b[0] != 3 {
		t.Fatalf("record version %d, want 3", b[0])
	}
	o, err := decodeRecord(b)
	if err != nil || len(o.puts) != 1 || o.ts != 77 {
		t.Fatalf("decode: %v %v", o, err)
	}
	if got := o.puts[0].sparse; jsonOf(got) != `{"e":{"indices":[],"values":[]},"s":{"indices":[2,40000],"values":[0.25,-1.0]}}` {
		t.Fatalf("sparse %s", jsonOf(got))
	}
	// The same point as version 2 wrote it: no sparse count before the payload.
	v2 := []byte{2, kindPut}
	v2 = append(v2, 77, 0, 0, 0, 0, 0, 0, 0, 1)
	v2 = point.NumID(5).AppendBinary(v2)
	v2 = append(v2, 1, 1, 'd', 2)
	v2 = appendFloats(v2, []float32{1, 2})
	v2 = append(v2, 8)
	v2 = append(v2, `{"a":1}`...)
	o, err = decodeRecord(v2)
	if err != nil || len(o.puts) != 1 || o.puts[0].sparse != nil || o.puts[0].vectors["d"][1] != 2 || string(o.puts[0].payload) != `{"a":1}` {
		t.Fatalf("version 2: %+v %v", o, err)
	}
	if ts, ok := RecordTime(v2); !ok || ts.UnixNano() != 77 {
		t.Fatalf("version 2 time: %v %v", ts, ok)
	}
	if ts, ok := RecordTime(b); !ok || ts.UnixNano() != 77 {
		t.Fatalf("version 3 time: %v %v", ts, ok)
	}
}

// TestSparseConfigChecks: sparse vector names and parameters are checked
// at create and PATCH.
func TestSparseConfigChecks(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	bad := "bm25"
	for _, tc := range []struct {
		req  CreateCollection
		want string
	}{
		{CreateCollection{SparseVectors: SparseVectorsConfig{"": {}}}, "a sparse vector must be named"},
		{CreateCollection{SparseVectors: SparseVectorsConfig{"s": {Modifier: &bad}}}, "unknown variant `bm25`"},
		{CreateCollection{Vectors: VectorsConfig{"s": {Size: 2, Distance: point.Dot}}, SparseVectors: SparseVectorsConfig{"s": {}}}, "both a dense and a sparse vector"},
		{CreateCollection{SparseVectors: SparseVectorsConfig{"s": {Index: &SparseIndexParams{FullScanThreshold: intp(-1)}}}}, "full_scan_threshold"},
		{CreateCollection{}, "at least one vector"},
	} {
		if err := st.CreateCollection("c", tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", jsonOf(tc.req.SparseVectors), err, tc.want)
		}
	}
	c := mustCreate(t, st, "c", CreateCollection{SparseVectors: SparseVectorsConfig{"s": {}}})
	idf := ModifierIDF
	if err := c.update(CollectionUpdate{SparseVectors: SparseVectorsConfig{"s": {Modifier: &idf, Index: &SparseIndexParams{OnDisk: new(true)}}}}); err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(c.Config().Params.SparseVectors); got != `{"s":{"index":{"on_disk":true},"modifier":"idf"}}` {
		t.Fatalf("after update: %s", got)
	}
	if err := c.update(CollectionUpdate{SparseVectors: SparseVectorsConfig{"s": {Modifier: &bad}}}); err == nil {
		t.Fatal("bad modifier accepted by an update")
	}
	if got := jsonOf(c.Config().Params.SparseVectors); got != `{"s":{"index":{"on_disk":true},"modifier":"idf"}}` {
		t.Fatalf("a refused update changed the config: %s", got)
	}
}

// TestSparseHasVector: has_vector sees sparse vectors in the head and in
// sealed segments.
func TestSparseHasVector(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", sparseReq())
	v := point.SparseVector{Indices: []uint32{3}, Values: []float32{1}}
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Sparse: SparseVectors{"s": v}},
		PointStruct{ID: point.NumID(2), Vector: Vectors{"d": {1, 1}}})
	f := filter(t, `{"must":[{"has_vector":"s"}]}`)
	if n := mustCount(t, c, f); n != 1 {
		t.Fatalf("head: %d points have s, want 1", n)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, c, PointStruct{ID: point.NumID(3), Sparse: SparseVectors{"s": {}}})
	if n := mustCount(t, c, f); n != 2 {
		t.Fatalf("sealed and head: %d points have s, want 2", n)
	}
}
