package engine

import (
	"math"
	"testing"
)

// TestQueryRelevanceFeedback checks the naive strategy against a hand
// computation. Target [1, 0]; examples [0, 1] scored 0.9 and [1, 0]
// scored 0.1 make one pair of confidence 0.8, so with a = b = c = 1 a
// point v scores v·t + 0.8·(v·p − v·n) = 0.2·x + 0.8·y (Dot): 1 [1, 0]
// 0.2, 2 [0.99, 0.141] 0.3108, 3 [0.6, 0.8] 0.76, 4 [0, 1] 0.8. With b = 2
// the weight is 0.64: 0.36·x + 0.64·y puts 3 (0.728) before 4 (0.64).
func TestQueryRelevanceFeedback(t *testing.T) {
	c := nearDuplicateFixture(t)
	fb := func(b float32, items ...FeedbackItem) *QueryExpr {
		return &QueryExpr{Kind: QueryRelevanceFeedback, Feedback: RelevanceFeedbackInput{
			Target: VectorInput{Vector: []float32{1, 0}}, Feedback: items, Naive: NaiveFeedback{A: 1, B: b, C: 1}}}
	}
	up := FeedbackItem{Example: VectorInput{Vector: []float32{0, 1}}, Score: 0.9}
	down := FeedbackItem{Example: VectorInput{Vector: []float32{1, 0}}, Score: 0.1}
	pts, err := c.Query(ctxb, QueryRequest{Query: fb(1, down, up)})
	wantIDs(t, "b=1", pts, err, 4, 3, 2, 1)
	for i, w := range []float64{0.8, 0.76, 0.3108, 0.2} {
		if math.Abs(float64(pts[i].Score)-w) > 1e-5 {
			t.Fatalf("point %v scored %v, want %v", pts[i].ID, pts[i].Score, w)
		}
	}
	pts, err = c.Query(ctxb, QueryRequest{Query: fb(2, up, down)})
	wantIDs(t, "b=2", pts, err, 3, 4, 2, 1)
	// A middle example of three is not paired: the result is unchanged.
	mid := FeedbackItem{Example: VectorInput{Vector: []float32{1, 0}}, Score: 0.5}
	pts, err = c.Query(ctxb, QueryRequest{Query: fb(1, up, mid, down)})
	wantIDs(t, "three examples", pts, err, 4, 3, 2, 1)
	// One example makes no pair: the target similarity alone (a = 1).
	pts, err = c.Query(ctxb, QueryRequest{Query: fb(1, up), Limit: intp(2)})
	wantIDs(t, "one example", pts, err, 1, 2)
	// Examples by id are left out of the results.
	pts, err = c.Query(ctxb, QueryRequest{Query: fb(1, up, FeedbackItem{Example: VectorInput{ID: ptrID(1)}, Score: 0.1})})
	wantIDs(t, "by id", pts, err, 4, 3, 2)
	pts, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: nearest(1, 0), Limit: intp(2)}}, Query: fb(1, down, up)})
	wantIDs(t, "rescoring prefetches", pts, err, 2, 1)
	_, err = c.Query(ctxb, QueryRequest{Query: fb(-1, up, down)})
	wantErr(t, "negative b", err, ErrInvalid, "strategy.naive.b")
}
