package engine

import (
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestQueryValidation checks Qdrant's refusals of a query level, at the
// root and in prefetches, before any work: prefetches or a
// score_threshold without a query, a score_threshold on order_by, a
// fusion with using, unknown using, with_vector and lookup_from names.
func TestQueryValidation(t *testing.T) {
	_, c := queryFixture(t, Options{})
	th := float32(0.1)
	rrf := &QueryExpr{Kind: QueryFusion, Fusion: FusionRRF}
	near := []QueryRequest{{Query: nearest(1, 0)}}
	orderBy := &QueryExpr{Kind: QueryOrderBy, OrderBy: &OrderBy{Key: "n"}}
	for _, tc := range []struct {
		what string
		req  QueryRequest
		kind error
		text string
	}{
		{"prefetch without query", QueryRequest{Prefetch: near}, ErrBadRequest,
			"Bad request: A query is needed to merge the prefetches. Can't have prefetches without defining a query."},
		{"nested prefetch without query", QueryRequest{Prefetch: []QueryRequest{{Prefetch: near}}, Query: rrf}, ErrBadRequest,
			"prefetch[0]: Bad request: A query is needed to merge the prefetches."},
		{"threshold without query", QueryRequest{ScoreThreshold: &th}, ErrBadRequest,
			"Bad request: A query is needed to use the score_threshold. Can't have score_threshold without defining a query."},
		{"threshold on order_by", QueryRequest{Query: orderBy, ScoreThreshold: &th}, ErrBadRequest,
			"Bad request: Can't use score_threshold with an order_by query."},
		{"fusion with using", QueryRequest{Prefetch: near, Query: rrf, Using: "x"}, ErrBadRequest,
			"Bad request: Fusion queries cannot be combined with the 'using' field."},
		{"rrf weights", QueryRequest{Prefetch: near, Query: &QueryExpr{Kind: QueryFusion, Fusion: FusionRRF, RRF: RRFParams{Weights: []float32{1, 2}}}}, ErrBadRequest,
			"Number of weights in RRF should match number of pre-fetches: got 2, expected 1"},
		{"unknown using in prefetch", QueryRequest{Prefetch: []QueryRequest{{Query: nearest(1, 0), Using: "x"}}, Query: rrf}, ErrBadRequest,
			"Wrong input: Not existing vector name error: x"},
		{"unknown with_vector", QueryRequest{Query: nearest(1, 0), WithVector: &WithVector{Enable: true, Names: []string{"x"}}}, ErrBadRequest,
			"Wrong input: Not existing vector name error: x"},
		{"unknown with_vector on scroll", QueryRequest{WithVector: &WithVector{Enable: true, Names: []string{"x"}}}, ErrBadRequest,
			"Wrong input: Not existing vector name error: x"},
		{"order_by without key", QueryRequest{Query: &QueryExpr{Kind: QueryOrderBy}}, ErrBadRequest, "order_by needs a key"},
		{"sample not random", QueryRequest{Query: &QueryExpr{Kind: QuerySample, Sample: "x"}}, ErrBadRequest, "unknown variant `x`"},
		{"formula without expression", QueryRequest{Prefetch: near, Query: &QueryExpr{Kind: QueryFormula}}, ErrBadRequest, "formula needs an expression"},
		{"formula node without operand", QueryRequest{Prefetch: near, Query: &QueryExpr{Kind: QueryFormula, Formula: &Formula{Expr: &Expr{Op: opNeg}}}}, ErrBadRequest, "needs 1 operands"},
		{"unknown lookup_from in prefetch", QueryRequest{Prefetch: []QueryRequest{{Query: nearestID(1), LookupFrom: &LookupLocation{Collection: "nope"}}}, Query: rrf}, ErrNotFound,
			"Not found: Collection `nope` doesn't exist!"},
	} {
		_, err := c.Query(ctxb, tc.req)
		wantErr(t, tc.what, err, tc.kind, tc.text)
		_, err = c.QueryBatch(ctxb, []QueryRequest{{Query: nearest(1, 0)}, tc.req})
		wantErr(t, tc.what+" (batch)", err, tc.kind, tc.text)
	}
	// A prefetch without a query and without prefetches is a scroll.
	pts, err := c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Limit: intp(2)}}, Query: rrf})
	wantIDs(t, "scroll prefetch", pts, err, 1, 2)
}

// TestQueryFusionOwnOrder checks that DBSF reads each prefetch's scores
// in the order of that prefetch's own scoring: a custom score (higher
// first) in a Euclid collection, and prefetches on named vectors of
// different distances. One-prefetch fusions keep the prefetch's order.
func TestQueryFusionOwnOrder(t *testing.T) {
	st, _ := queryFixture(t, Options{})
	e := mustCreate(t, st, "e", CreateCollection{Vectors: VectorsConfig{
		"":  {Size: 2, Distance: point.Euclid},
		"d": {Size: 2, Distance: point.Dot},
	}})
	vecs := map[uint64][]float32{1: {0, 0}, 2: {1, 0}, 3: {3, 0}, 4: {6, 0}}
	for id, v := range vecs {
		mustUpsert(t, e, PointStruct{ID: point.NumID(id), Vector: Vectors{"": v, "d": v}})
	}
	dbsf := &QueryExpr{Kind: QueryFusion, Fusion: FusionDBSF}
	best := &QueryExpr{Kind: QueryRecommend, Recommend: RecommendInput{Positive: []VectorInput{{Vector: []float32{0, 0}}}, Strategy: "best_score"}}
	pts, err := e.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: best}}, Query: dbsf})
	wantIDs(t, "custom score in Euclid", pts, err, 1, 2, 3, 4)
	pts, err = e.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: nearest(0, 0)}}, Query: dbsf})
	wantIDs(t, "Euclid", pts, err, 1, 2, 3, 4)
	pts, err = e.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: nearest(1, 0), Using: "d"}}, Query: dbsf})
	wantIDs(t, "Dot vector in a Euclid collection", pts, err, 4, 3, 2, 1)
}
