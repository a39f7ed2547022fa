package engine

import (
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestQueryMMR checks MMR re-ranking against a hand computation. Query
// [1, 0] over 1 [1, 0], 2 [0.99, 0.141] (a near duplicate of 1),
// 3 [0.6, 0.8], 4 [0, 1] (Dot): relevance 1, 0.99, 0.6, 0. With
// diversity 0.7 (λ 0.3), after 1: 2 scores 0.3·0.99 − 0.7·0.99 = −0.396,
// 3 0.3·0.6 − 0.7·0.6 = −0.24, 4 0 − 0 = 0, so 4; then 2 −0.396 and 3
// 0.18 − 0.7·max(0.6, 0.8) = −0.38, so 3. Points keep their search scores.
func TestQueryMMR(t *testing.T) {
	c := nearDuplicateFixture(t)
	f32 := func(v float32) *float32 { return &v }
	mmr := func(div *float32, cands *int) *QueryExpr {
		q := nearest(1, 0)
		q.MMR = &MMR{Diversity: div, CandidatesLimit: cands}
		return q
	}
	pts, err := c.Query(ctxb, QueryRequest{Query: nearest(1, 0), Limit: intp(3)})
	wantIDs(t, "plain", pts, err, 1, 2, 3)
	pts, err = c.Query(ctxb, QueryRequest{Query: mmr(f32(0.7), intp(4)), Limit: intp(3)})
	wantIDs(t, "diversity 0.7", pts, err, 1, 4, 3)
	if pts[1].Score != 0 || pts[2].Score != 0.6 || pts[0].Vector != nil {
		t.Fatalf("scores and selectors: %+v", pts)
	}
	pts, err = c.Query(ctxb, QueryRequest{Query: mmr(f32(0.7), intp(4)), Limit: intp(2), Offset: intp(1), WithVector: &WithVector{Enable: true}})
	wantIDs(t, "offset", pts, err, 4, 3)
	if pts[0].Vector[""] == nil {
		t.Fatalf("with_vector: %+v", pts)
	}
	pts, err = c.Query(ctxb, QueryRequest{Query: mmr(f32(0), nil), Limit: intp(3)})
	wantIDs(t, "diversity 0", pts, err, 1, 2, 3)
	// Without candidates_limit the candidates are the limit's nearest:
	// 1, 2, 3; after 1, 3 (−0.24) beats 2 (−0.396).
	pts, err = c.Query(ctxb, QueryRequest{Query: mmr(f32(0.7), nil), Limit: intp(3)})
	wantIDs(t, "candidates = limit", pts, err, 1, 3, 2)
	pts, err = c.Query(ctxb, QueryRequest{Query: mmr(f32(0.7), intp(2)), Limit: intp(3)})
	wantIDs(t, "candidates_limit", pts, err, 1, 2)
	// Default diversity 0.5 (λ 0.5), candidates 1, 3, 4 (2 filtered out):
	// after 1, 3 scores 0.3 − 0.3 = 0, 4 0 − 0 = 0; the earlier (3) wins.
	// With diversity 0.7, 4 (0) beats 3 (−0.24).
	not2 := filter(t, `{"must_not":[{"has_id":[2]}]}`)
	pts, err = c.Query(ctxb, QueryRequest{Query: mmr(nil, intp(3)), Limit: intp(2), Filter: not2})
	wantIDs(t, "default diversity", pts, err, 1, 3)
	pts, err = c.Query(ctxb, QueryRequest{Query: mmr(f32(0.7), intp(3)), Limit: intp(2), Filter: not2})
	wantIDs(t, "diversity 0.7 without 2", pts, err, 1, 4)
	pts, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: mmr(f32(0.7), intp(4)), Limit: intp(2)}}, Query: &QueryExpr{Kind: QueryFusion, Fusion: FusionRRF}})
	wantIDs(t, "in a prefetch", pts, err, 1, 4)
	_, err = c.Query(ctxb, QueryRequest{Query: mmr(f32(1.5), nil)})
	wantErr(t, "diversity", err, ErrInvalid, "diversity")
	_, err = c.Query(ctxb, QueryRequest{Query: mmr(nil, intp(MaxMMRCandidates+1))})
	wantErr(t, "candidates_limit", err, ErrInvalid, "candidates_limit")
}

// nearDuplicateFixture is a collection "m" (2 dims, Dot) of 1 [1, 0],
// 2 [0.99, 0.141] (a near duplicate of 1), 3 [0.6, 0.8] and 4 [0, 1], the
// points of the MMR and relevance feedback hand computations.
func nearDuplicateFixture(t *testing.T) *Collection {
	t.Helper()
	st, _ := queryFixture(t, Options{})
	c := mustCreate(t, st, "m", simpleReq(2, point.Dot))
	for id, v := range map[uint64][]float32{1: {1, 0}, 2: {0.99, 0.141}, 3: {0.6, 0.8}, 4: {0, 1}} {
		mustUpsert(t, c, PointStruct{ID: point.NumID(id), Vector: Vectors{"": v}})
	}
	return c
}
