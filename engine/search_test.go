package engine

import (
	"container/heap"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// TestNegativeDistanceThresholdMatchesNothing: for Euclid and Manhattan
// score_threshold is a largest distance, and distances are never negative.
func TestNegativeDistanceThresholdMatchesNothing(t *testing.T) {
	for _, d := range []point.Distance{point.Euclid, point.Manhattan} {
		t.Run(d.String(), func(t *testing.T) {
			st := openTest(t, t.TempDir(), nil)
			defer st.Close()
			c := mustCreate(t, st, "c", simpleReq(2, d))
			mustUpsert(t, c,
				PointStruct{ID: point.NumID(1), Vector: Vectors{"": {0, 0}}},
				PointStruct{ID: point.NumID(2), Vector: Vectors{"": {1, 0}}},
				PointStruct{ID: point.NumID(3), Vector: Vectors{"": {3, 0}}})
			for _, tc := range []struct {
				thr  float32
				want int
			}{{-2, 0}, {-0.5, 0}, {0, 1}, {2, 2}} {
				thr := tc.thr
				res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: []float32{0, 0}}, Limit: 10, ScoreThreshold: &thr})
				if err != nil {
					t.Fatal(err)
				}
				if len(res) != tc.want {
					t.Fatalf("score_threshold %v: %s, want %d results", thr, jsonOf(res), tc.want)
				}
			}
		})
	}
}

// TestSelectiveUnindexedFilterSearchesExactly: a filter on an unindexed key
// matching 1% of a graph segment (fewer points than full_scan_threshold)
// is searched exactly, so it returns the full limit, equal to brute force.
func TestSelectiveUnindexedFilterSearchesExactly(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	const dim, n = 16, 3000
	req := simpleReq(dim, point.Euclid)
	// 1 kB = 16 vectors of dimension 16: graphs from 320 points, exact
	// search below 160 matching points (10 kB, Qdrant's minimum).
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(20)}
	req.HnswConfig = &HnswConfigDiff{FullScanThreshold: intp(10), M: intp(4), EfConstruct: intp(16)}
	c := mustCreate(t, st, "c", req)
	r := rand.New(rand.NewPCG(11, 12))
	vecs := make([][]float32, n)
	var pts []PointStruct
	for i := range n {
		vecs[i] = randVec(r, dim)
		pts = append(pts, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": vecs[i]},
			Payload: payload.Payload{"g": float64(i % 100)}})
	}
	mustUpsert(t, c, pts...)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(c.shards[0].segs) != 1 || len(c.shards[0].segs[0].graphs) != 1 {
		t.Fatalf("want one segment with a graph, info %s", jsonOf(c.Info()))
	}
	f := filter(t, `{"must":[{"key":"g","match":{"value":7}}]}`)
	for qi := range 5 {
		q := randVec(r, dim)
		var want []int
		for i := 7; i < n; i += 100 {
			want = append(want, i)
		}
		sort.Slice(want, func(a, b int) bool {
			return refScore(point.Euclid, q, vecs[want[a]]) < refScore(point.Euclid, q, vecs[want[b]])
		})
		want = want[:10]
		res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 10, Filter: f, Params: &SearchParams{HnswEf: intp(10)}})
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, p := range res {
			got = append(got, int(p.ID.Num()))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("query %d: got %v, want brute force %v", qi, got, want)
		}
	}
}

// refTopK is the heap topK used to be (container/heap), to check that the
// hand-written sift-up and sift-down keep the same items in the same order.
type refTopK struct{ items []scored }

func (t *refTopK) Len() int           { return len(t.items) }
func (t *refTopK) Less(i, j int) bool { return t.items[i].key < t.items[j].key }
func (t *refTopK) Swap(i, j int)      { t.items[i], t.items[j] = t.items[j], t.items[i] }
func (t *refTopK) Push(x any)         { t.items = append(t.items, x.(scored)) }
func (t *refTopK) Pop() any {
	x := t.items[len(t.items)-1]
	t.items = t.items[:len(t.items)-1]
	return x
}

// TestTopKMatchesContainerHeap: with many tied keys, topK keeps exactly the
// items container/heap kept, in the same heap order (ties at the boundary
// resolve the same way).
func TestTopKMatchesContainerHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for round := range 200 {
		k := 1 + r.IntN(12)
		got := topK{k: k}
		ref := &refTopK{}
		for i := range 1 + r.IntN(200) {
			key := float32(r.IntN(8)) // few distinct keys: many ties
			got.add(key, i)
			if len(ref.items) < k {
				heap.Push(ref, scored{key, i})
			} else if key > ref.items[0].key {
				ref.items[0] = scored{key, i}
				heap.Fix(ref, 0)
			}
		}
		if !slices.Equal(got.items, ref.items) {
			t.Fatalf("round %d (k %d): got %v, want %v", round, k, got.items, ref.items)
		}
	}
}

// refFinish is finishSearch as it was before candidates were pooled: rank
// by key then id (stable), keep each id's first highest version.
func refFinish(cands []candidate, offset, limit int) []candidate {
	best := map[point.ID]uint64{}
	for _, c := range cands {
		best[c.id] = max(best[c.id], c.version)
	}
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.key != b.key {
			if a.key > b.key {
				return -1
			}
			return 1
		}
		return point.Compare(a.id, b.id)
	})
	out := []candidate{}
	seen := map[point.ID]bool{}
	for _, c := range cands {
		if c.version != best[c.id] || seen[c.id] {
			continue
		}
		seen[c.id] = true
		if offset > 0 {
			offset--
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, c)
	}
	return out
}

// TestFinishSearchMatchesReference: over random candidates from several
// parts, with repeated ids, versions and keys, finishSearch returns what the
// map-based merge returned (ids, versions, scores, order), for any offset
// and limit. off tells the copies apart.
func TestFinishSearchMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	p := &searchPlan{dist: point.Dot}
	for round := range 500 {
		n := r.IntN(40)
		cands := make([]candidate, n)
		for i := range cands {
			cands[i] = candidate{key: float32(r.IntN(6)), version: uint64(r.IntN(3)),
				id: point.NumID(uint64(r.IntN(15))), off: uint32(i)}
		}
		offset, limit := r.IntN(5), 1+r.IntN(12)
		want := refFinish(slices.Clone(cands), offset, limit)
		sc := &searchScratch{cands: slices.Clone(cands), parts: 2}
		got := finishSearch(sc, p, offset, limit)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d results, want %d", round, len(got), len(want))
		}
		// The kept copy must be the same one: rerun on the ranked list of
		// candidates to compare their offsets.
		sc = &searchScratch{cands: slices.Clone(cands), parts: 2}
		kept := dedupeCandidates(sc.cands)
		offs := map[point.ID]uint32{}
		for _, c := range kept {
			offs[c.id] = c.off
		}
		for i, w := range want {
			g := got[i]
			if g.ID != w.id || g.Version != w.version || g.Score != w.key || offs[w.id] != w.off {
				t.Fatalf("round %d result %d: %v v%d %v (copy %d), want %v v%d %v (copy %d)",
					round, i, g.ID, g.Version, g.Score, offs[g.ID], w.id, w.version, w.key, w.off)
			}
		}
	}
}

// TestSearchResultsAcrossParts: a collection whose points are spread over a
// sealed indexed segment and the head (some overwritten with a new payload
// and vectors in the head, some deleted, some with equal scores in both
// parts) returns, for payload and vector selections and offsets, exactly
// the brute-force ranking (ties by id) with the points' current payloads and
// vectors, as Get reads them.
func TestSearchResultsAcrossParts(t *testing.T) {
	const dim, n = 8, 400
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	req := CreateCollection{Vectors: VectorsConfig{
		"a": {Size: dim, Distance: point.Euclid},
		"b": {Size: 4, Distance: point.Cosine},
	}}
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(1)}
	req.HnswConfig = &HnswConfigDiff{M: intp(8), EfConstruct: intp(64)}
	c := mustCreate(t, st, "c", req)
	r := rand.New(rand.NewPCG(25, 26))
	vecs := map[uint64][]float32{}
	put := func(id uint64, v []float32, tag string) PointStruct {
		vecs[id] = v
		return PointStruct{ID: point.NumID(id), Vector: Vectors{"a": v, "b": randVec(r, 4)},
			Payload: pl(t, `{"tag":"`+tag+`","n":`+strconv.FormatUint(id, 10)+`}`)}
	}
	shared := randVec(r, dim) // equal scores: ids 0..9 in the segment, 500..509 in the head
	var pts []PointStruct
	for i := range uint64(n) {
		v := randVec(r, dim)
		if i < 10 {
			v = shared
		}
		pts = append(pts, put(i, v, "old"))
	}
	mustUpsert(t, c, pts...)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if info := c.Info(); info.IndexedVectorsCount == 0 {
		t.Fatalf("no graph: %s", jsonOf(info))
	}
	pts = pts[:0]
	for i := range uint64(10) {
		pts = append(pts, put(500+i, shared, "head"))
	}
	for i := uint64(10); i < 60; i++ { // overwritten: new vector and payload in the head
		pts = append(pts, put(i, randVec(r, dim), "new"))
	}
	mustUpsert(t, c, pts...)
	var del []point.ID
	for i := uint64(60); i < 80; i++ {
		del = append(del, point.NumID(i))
		delete(vecs, i)
	}
	if _, err := c.Delete(ctxb, PointsSelector{Points: del}, true); err != nil {
		t.Fatal(err)
	}
	q := slices.Clone(shared)
	q[0] += 0.05
	type ranked struct {
		id  uint64
		key float64
	}
	var want []ranked
	for id, v := range vecs {
		var d float64
		for i := range v {
			d += float64(v[i]-q[i]) * float64(v[i]-q[i])
		}
		want = append(want, ranked{id, d})
	}
	sort.Slice(want, func(i, j int) bool {
		if want[i].key != want[j].key {
			return want[i].key < want[j].key
		}
		return want[i].id < want[j].id
	})
	for _, tc := range []struct {
		offset int
		wp     *WithPayload
		wv     *WithVector
	}{
		{0, nil, nil},
		{5, &WithPayload{Enable: true}, &WithVector{Enable: true}},
		{12, &WithPayload{Enable: true, Include: []string{"tag"}}, &WithVector{Enable: true, Names: []string{"b"}}},
		{3, &WithPayload{Enable: true, Exclude: []string{"tag"}}, nil},
	} {
		res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Name: "a", Vector: q}, Limit: 15,
			Offset: tc.offset, WithPayload: tc.wp, WithVector: tc.wv, Params: &SearchParams{Exact: true}})
		if err != nil || len(res) != 15 {
			t.Fatalf("search: %d results, %v", len(res), err)
		}
		ids := make([]point.ID, len(res))
		for i, p := range res {
			ids[i] = p.ID
			if w := want[tc.offset+i]; p.ID != point.NumID(w.id) {
				t.Fatalf("offset %d: result %d = %v, want %d", tc.offset, i, p.ID, w.id)
			}
		}
		recs, err := c.Get(ctxb, ids, withPayloadOr(tc.wp, false), withVectorOr(tc.wv))
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range res {
			if jsonOf(p.Payload) != jsonOf(recs[i].Payload) || jsonOf(p.Vector) != jsonOf(recs[i].Vector) {
				t.Fatalf("offset %d: result %d = %s %s, want %s %s", tc.offset, i,
					jsonOf(p.Payload), jsonOf(p.Vector), jsonOf(recs[i].Payload), jsonOf(recs[i].Vector))
			}
		}
		// The graph agrees on this easy query (same ranking, same data).
		gres, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Name: "a", Vector: q}, Limit: 15,
			Offset: tc.offset, WithPayload: tc.wp, WithVector: tc.wv, Params: &SearchParams{HnswEf: intp(400)}})
		if err != nil || jsonOf(gres) != jsonOf(res) {
			t.Fatalf("graph search differs (%v):\n%s\n%s", err, jsonOf(gres), jsonOf(res))
		}
	}
}
