package engine

import (
	"testing"

	"github.com/cairn-db/cairn/payload"
)

// TestQueryOrderBy checks order_by queries: the scroll's order by a
// range-indexed key with each point's order_value and Qdrant's score 1,
// paged by offset, filtered, in a prefetch chain (ordering only the
// prefetched points) and in a batch; without an index, Qdrant's refusal.
func TestQueryOrderBy(t *testing.T) {
	_, c := queryFixture(t, Options{})
	desc := &QueryExpr{Kind: QueryOrderBy, OrderBy: &OrderBy{Key: "n", Direction: "desc"}}
	_, err := c.Query(ctxb, QueryRequest{Query: desc})
	wantErr(t, "no index", err, ErrBadRequest, "No range index for `order_by` key: `n`")
	if _, err := c.CreateFieldIndex(ctxb, "n", payload.FieldSchema{Type: payload.TypeInteger}, true); err != nil {
		t.Fatal(err)
	}
	pts, err := c.Query(ctxb, QueryRequest{Query: desc, Limit: intp(2), Offset: intp(1)})
	wantIDs(t, "desc offset", pts, err, 4, 3)
	if pts[0].Score != 1 || pts[0].OrderValue == nil || pts[0].OrderValue.Value != 4 {
		t.Fatalf("order_by point: %+v", pts[0])
	}
	if b, _ := pts[0].AppendJSON(nil); string(b) != `{"id":4,"version":0,"score":1.0,"payload":null,"vector":null,"order_value":4}` {
		t.Fatalf("order_by point JSON: %s", b)
	}
	asc := &QueryExpr{Kind: QueryOrderBy, OrderBy: &OrderBy{Key: "n"}}
	pts, err = c.Query(ctxb, QueryRequest{Query: asc, Filter: filter(t, `{"must_not":[{"has_id":[1]}]}`), Limit: intp(2)})
	wantIDs(t, "asc filtered", pts, err, 2, 3)
	// Prefetch: the three nearest [1, 0] are 1, 2, 5; order them by n desc.
	pts, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: nearest(1, 0), Limit: intp(3)}}, Query: desc})
	wantIDs(t, "rescored by order_by", pts, err, 5, 2, 1)
	// order_by as a prefetch of a fusion.
	pts, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: desc, Limit: intp(2)}}, Query: &QueryExpr{Kind: QueryFusion, Fusion: FusionRRF}})
	wantIDs(t, "order_by prefetch", pts, err, 5, 4)
	res, err := c.QueryBatch(ctxb, []QueryRequest{{Query: asc, Limit: intp(1)}, {Query: desc, Limit: intp(1)}})
	if err != nil || len(res) != 2 || idsOf(res[0])[0] != 1 || idsOf(res[1])[0] != 5 {
		t.Fatalf("batch: %v %v", res, err)
	}
}

// TestQuerySample checks `sample: random`: a sample without repeats of
// the points matching the filter, all of them when the limit allows,
// reproducible under Options.SampleSeed, from the prefetches' union in a
// chain.
func TestQuerySample(t *testing.T) {
	_, c := queryFixture(t, Options{SampleSeed: 7})
	sample := &QueryExpr{Kind: QuerySample, Sample: SampleRandom}
	pts, err := c.Query(ctxb, QueryRequest{Query: sample, Limit: intp(3), Filter: filter(t, `{"must_not":[{"has_id":[1]}]}`)})
	if err != nil || len(pts) != 3 {
		t.Fatalf("sample: %v %v", pts, err)
	}
	seen := map[uint64]bool{}
	for _, p := range pts {
		if p.ID.Num() == 1 || seen[p.ID.Num()] || p.Score != 1 {
			t.Fatalf("sample point %+v in %v", p, idsOf(pts))
		}
		seen[p.ID.Num()] = true
	}
	again, err := c.Query(ctxb, QueryRequest{Query: sample, Limit: intp(3), Filter: filter(t, `{"must_not":[{"has_id":[1]}]}`)})
	wantIDs(t, "same seed", again, err, idsOf(pts)...)
	all, err := c.Query(ctxb, QueryRequest{Query: sample, Limit: intp(10), WithPayload: &WithPayload{Enable: true}})
	if err != nil || len(all) != 5 || all[0].Payload == nil {
		t.Fatalf("sample of all: %v %v", all, err)
	}
	pts, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: nearest(1, 0), Limit: intp(2)}}, Query: sample})
	if err != nil || len(pts) != 2 || (idsOf(pts)[0] != 1 && idsOf(pts)[0] != 2) || (idsOf(pts)[1] != 1 && idsOf(pts)[1] != 2) {
		t.Fatalf("sample of prefetches: %v %v", pts, err)
	}
}
