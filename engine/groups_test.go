package engine

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// groupsFixture is a 3-d collection of 300 points whose "doc" payload is
// an integer, a string, an array of them (with repeats), a float or bool
// (no group), or missing; the first two thirds are sealed in two segments.
func groupsFixture(t *testing.T, d point.Distance) (*Storage, *Collection, map[uint64][]float32, map[uint64]any) {
	t.Helper()
	st := openTest(t, t.TempDir(), nil)
	t.Cleanup(func() { _ = st.Close() })
	c := mustCreate(t, st, "c", simpleReq(3, d))
	r := rand.New(rand.NewPCG(3, 16))
	vecs, docs := map[uint64][]float32{}, map[uint64]any{}
	const n = 300
	for id := uint64(1); id <= n; id++ {
		vecs[id] = randVec(r, 3)
		var doc any
		switch r.IntN(7) {
		case 0, 1:
			doc = r.IntN(12)
		case 2:
			doc = fmt.Sprintf("s%d", r.IntN(12))
		case 3:
			doc = []any{fmt.Sprintf("s%d", r.IntN(12)), r.IntN(12), fmt.Sprintf("s%d", r.IntN(12))}
		case 4:
			doc = []any{"dup", "dup"}
		case 5:
			doc = []any{1.5, true}[r.IntN(2)]
		}
		p := `{}`
		if doc != nil {
			docs[id] = doc
			p = `{"doc":` + jsonOf(doc) + `,"n":` + jsonOf(id) + `}`
		}
		mustUpsert(t, c, PointStruct{ID: point.NumID(id), Vector: Vectors{"": vecs[id]}, Payload: pl(t, p)})
		if id == n/3 || id == 2*n/3 {
			if err := c.Flush(); err != nil {
				t.Fatalf("Flush: %v", err)
			}
		}
	}
	return st, c, vecs, docs
}

// refGroups groups the ranked ids by their docs as Qdrant defines it.
// With arrays only (group_by "doc[]"), scalar values are not visited.
func refGroups(ranked []refHit, docs map[uint64]any, size, limit int, arraysOnly bool) string {
	var order []string
	hits := map[string][]uint64{}
	for _, h := range ranked {
		vals, ok := docs[h.id].([]any)
		if !ok && arraysOnly {
			continue
		}
		if !ok {
			vals = []any{docs[h.id]}
		}
		var keys []string
		good := true
		for _, v := range vals {
			switch v.(type) {
			case int, string:
				if k := jsonOf(v); !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			default:
				good = false
			}
		}
		if !good {
			continue
		}
		for _, k := range keys {
			if hits[k] == nil {
				order = append(order, k)
			}
			if len(hits[k]) < size {
				hits[k] = append(hits[k], h.id)
			}
		}
	}
	var b strings.Builder
	for _, k := range order[:min(limit, len(order))] {
		fmt.Fprintf(&b, "%s:%v ", k, hits[k])
	}
	return b.String()
}

func groupsText(res GroupsResult) string {
	var b strings.Builder
	for _, g := range res.Groups {
		ids := make([]uint64, len(g.Hits))
		for i, h := range g.Hits {
			ids[i] = h.ID.Num()
		}
		fmt.Fprintf(&b, "%s:%v ", jsonOf(g.ID), ids)
	}
	return b.String()
}

// TestGroupsBruteForce checks search, recommend and query groups against
// grouping every point ranked by brute force, across sealed segments and
// the head: arrays join each distinct value's group once, points with a
// float or bool value or no value join none, groups rank by their best
// hit, and the rounds reach groups whose hits rank far down.
func TestGroupsBruteForce(t *testing.T) {
	for _, d := range []point.Distance{point.Dot, point.Euclid} {
		_, c, vecs, docs := groupsFixture(t, d)
		q := []float32{0.3, -0.7, 0.2}
		ranked := bruteForce(vecs, d, func(uint64) bool { return true }, func(v []float32) float64 { return refSim(d, q, v) }, len(vecs))
		for _, g := range []GroupRequest{{GroupBy: "doc", GroupSize: 3, Limit: 5}, {GroupBy: "doc", GroupSize: 1, Limit: 30}, {GroupBy: "doc", GroupSize: 40, Limit: 2}, {GroupBy: "doc[]", GroupSize: 2, Limit: 4}} {
			what := fmt.Sprintf("%s %+v", d, g)
			want := refGroups(ranked, docs, g.GroupSize, g.Limit, strings.HasSuffix(g.GroupBy, "[]"))
			res, err := c.SearchGroups(ctxb, SearchRequest{Vector: NamedVector{Vector: q}}, g)
			if err != nil || groupsText(res) != want {
				t.Fatalf("%s search groups:\n got %s %v\nwant %s", what, groupsText(res), err, want)
			}
			res, err = c.QueryGroups(ctxb, QueryRequest{Query: nearest(q...)}, g)
			if err != nil || groupsText(res) != want {
				t.Fatalf("%s query groups:\n got %s %v\nwant %s", what, groupsText(res), err, want)
			}
			// A prefetch of 60 rescored: its limit times the group limit
			// (at least 300) reaches every point, so the grouping is the same.
			if 60*g.Limit >= len(vecs) {
				res, err = c.QueryGroups(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: nearest(q...), Limit: intp(60)}}, Query: nearest(q...)}, g)
				if err != nil || groupsText(res) != want {
					t.Fatalf("%s prefetched query groups:\n got %s %v\nwant %s", what, groupsText(res), err, want)
				}
			}
		}
		// Recommend groups: the average of one positive is the vector itself,
		// and the example is left out.
		g := GroupRequest{GroupBy: "doc", GroupSize: 2, Limit: 6}
		ranked = bruteForce(vecs, d, func(id uint64) bool { return id != 9 }, func(v []float32) float64 { return refSim(d, vecs[9], v) }, len(vecs))
		res, err := c.RecommendGroups(ctxb, RecommendRequest{Positive: []VectorInput{{ID: ptrID(9)}}}, g)
		if want := refGroups(ranked, docs, 2, 6, false); err != nil || groupsText(res) != want {
			t.Fatalf("%s recommend groups:\n got %s %v\nwant %s", d, groupsText(res), err, want)
		}
	}
}

// TestGroupsByHand checks scores, selectors, with_lookup, filters and the
// refusals on a small collection.
func TestGroupsByHand(t *testing.T) {
	st, c := queryFixture(t, Options{})
	// queryFixture's payloads are {"n": id}; regroup: 1,2 → "a", 3 → "b", 4,5 → 7.
	for id, doc := range map[uint64]string{1: `"a"`, 2: `"a"`, 3: `["b","a"]`, 4: `7`, 5: `7`} {
		mustUpsert(t, c, PointStruct{ID: point.NumID(id), Vector: Vectors{"": map[uint64][]float32{1: {1, 0}, 2: {0.8, 0.6}, 3: {0, 1}, 4: {-1, 0}, 5: {0.6, -0.8}}[id]},
			Payload: pl(t, `{"doc":`+doc+`,"n":`+jsonOf(id)+`}`)})
	}
	lk := mustCreate(t, st, "docs", simpleReq(2, point.Dot))
	mustUpsert(t, lk, PointStruct{ID: point.NumID(7), Vector: Vectors{"": {1, 1}}, Payload: pl(t, `{"title":"seven"}`)})
	g := GroupRequest{GroupBy: "doc", GroupSize: 2, Limit: 3, WithLookup: &WithLookup{Collection: "docs"}}
	res, err := c.SearchGroups(ctxb, SearchRequest{Vector: NamedVector{Vector: []float32{1, 0}}, WithPayload: &WithPayload{Enable: true}}, g)
	if err != nil {
		t.Fatal(err)
	}
	// Ranked by x: 1 (1), 2 (0.8), 5 (0.6), 3 (0), 4 (−1).
	if got := groupsText(res); got != `"a":[1 2] 7:[5 4] "b":[3] ` {
		t.Fatalf("groups %s", got)
	}
	if res.Groups[0].Hits[1].Score != 0.8 || res.Groups[0].Hits[1].Payload["n"] != json.Number("2") {
		t.Fatalf("hit %+v", res.Groups[0].Hits[1])
	}
	if res.Groups[0].Lookup != nil || res.Groups[1].Lookup == nil || res.Groups[1].Lookup.Payload["title"] != "seven" || res.Groups[1].Lookup.Vector != nil {
		t.Fatalf("lookups %+v %+v", res.Groups[0].Lookup, res.Groups[1].Lookup)
	}
	g.WithLookup = &WithLookup{Collection: "docs", WithPayload: &WithPayload{}, WithVectors: &WithVector{Enable: true}}
	res, err = c.QueryGroups(ctxb, QueryRequest{Query: nearest(1, 0), Filter: filter(t, `{"must_not":[{"key":"n","match":{"value":1}}]}`)}, g)
	if err != nil || groupsText(res) != `"a":[2 3] 7:[5 4] "b":[3] ` || res.Groups[0].Hits[0].Payload != nil {
		t.Fatalf("filtered query groups %s %v", groupsText(res), err)
	}
	if l := res.Groups[1].Lookup; l == nil || l.Payload != nil || len(l.Vector[""]) != 2 {
		t.Fatalf("lookup selectors %+v", l)
	}
	for _, tc := range []struct {
		g    GroupRequest
		kind error
		text string
	}{
		{GroupRequest{GroupSize: 1, Limit: 1}, ErrInvalid, "group_by"},
		{GroupRequest{GroupBy: "a[", GroupSize: 1, Limit: 1}, ErrBadRequest, "Format error in JSON body: group_by"},
		{GroupRequest{GroupBy: "doc", Limit: 1}, ErrInvalid, "group_size: value 0 invalid"},
		{GroupRequest{GroupBy: "doc", GroupSize: 1}, ErrInvalid, "limit: value 0 invalid"},
		{GroupRequest{GroupBy: "doc", GroupSize: 1, Limit: 1, WithLookup: &WithLookup{Collection: "nope"}}, ErrNotFound, "Collection `nope` doesn't exist"},
	} {
		_, err := c.SearchGroups(ctxb, SearchRequest{Vector: NamedVector{Vector: []float32{1, 0}}}, tc.g)
		wantErr(t, tc.text, err, tc.kind, tc.text)
	}
	_, err = c.SearchGroups(ctxb, SearchRequest{Vector: NamedVector{Name: "x", Vector: []float32{1, 0}}}, GroupRequest{GroupBy: "doc", GroupSize: 1, Limit: 1})
	wantErr(t, "using", err, ErrBadRequest, "Not existing vector name error: x")
}
