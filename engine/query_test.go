package engine

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/point"
)

// queryFixture is a Dot collection "c" of five 2-d points (payload
// {"n": id}) and a collection "src" whose named vector "img" holds
// [0, 1] for point 3 and point 7.
func queryFixture(t *testing.T, opts Options) (*Storage, *Collection) {
	t.Helper()
	opts.Dir, opts.Logger, opts.DisableBackground = t.TempDir(), quietLogger(), true
	st, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	c := mustCreate(t, st, "c", simpleReq(2, point.Dot))
	vecs := map[uint64][]float32{1: {1, 0}, 2: {0.8, 0.6}, 3: {0, 1}, 4: {-1, 0}, 5: {0.6, -0.8}}
	for id := uint64(1); id <= 5; id++ {
		mustUpsert(t, c, PointStruct{ID: point.NumID(id), Vector: Vectors{"": vecs[id]}, Payload: pl(t, `{"n":`+point.NumID(id).String()+`}`)})
	}
	src := mustCreate(t, st, "src", CreateCollection{Vectors: VectorsConfig{"img": {Size: 2, Distance: point.Dot}}})
	mustUpsert(t, src,
		PointStruct{ID: point.NumID(3), Vector: Vectors{"img": {0, 1}}},
		PointStruct{ID: point.NumID(7), Vector: Vectors{"img": {0, 1}}})
	return st, c
}

func nearest(v ...float32) *QueryExpr {
	return &QueryExpr{Kind: QueryNearest, Nearest: VectorInput{Vector: v}}
}

func nearestID(id uint64) *QueryExpr {
	pid := point.NumID(id)
	return &QueryExpr{Kind: QueryNearest, Nearest: VectorInput{ID: &pid}}
}

func idsOf(pts []ScoredPoint) []uint64 {
	out := make([]uint64, len(pts))
	for i, p := range pts {
		out[i] = p.ID.Num()
	}
	return out
}

func wantIDs(t *testing.T, what string, pts []ScoredPoint, err error, want ...uint64) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got := idsOf(pts); jsonOf(got) != jsonOf(want) {
		t.Fatalf("%s: ids %v, want %v", what, got, want)
	}
}

func wantErr(t *testing.T, what string, err, kind error, text string) {
	t.Helper()
	if !errors.Is(err, kind) || !strings.Contains(err.Error(), text) {
		t.Fatalf("%s: error %v, want kind %v containing %q", what, err, kind, text)
	}
}

// TestQueryPrefetchFusion runs the query API in the engine: two
// prefetches fused with RRF (k = 2, ties by id), the top-level selectors
// filling the fused points, and a rescore that only sees the prefetches'
// union.
func TestQueryPrefetchFusion(t *testing.T) {
	_, c := queryFixture(t, Options{})
	two, three := 2, 3
	req := QueryRequest{
		Prefetch: []QueryRequest{
			{Query: nearest(1, 0), Limit: &three}, // 1, 2, 5
			{Query: nearest(0, 1), Limit: &two},   // 3, 2
		},
		Query:       &QueryExpr{Kind: QueryFusion, Fusion: FusionRRF},
		WithPayload: &WithPayload{Enable: true},
	}
	pts, err := c.Query(ctxb, req)
	wantIDs(t, "rrf", pts, err, 2, 1, 3, 5)
	for i, want := range []float32{1.0/3 + 1.0/3, 0.5, 0.5, 0.25} {
		if math.Abs(float64(pts[i].Score-want)) > 1e-6 {
			t.Fatalf("rrf score of %v: %v, want %v", pts[i].ID, pts[i].Score, want)
		}
	}
	if jsonOf(pts[0].Payload) != `{"n":2}` || pts[0].Vector != nil {
		t.Fatalf("selectors on fused points: payload %s vector %v", jsonOf(pts[0].Payload), pts[0].Vector)
	}
	// Offset and threshold apply to the fused list.
	one, thr := 1, float32(0.4)
	req.Offset, req.ScoreThreshold, req.WithPayload = &one, &thr, nil
	pts, err = c.Query(ctxb, req)
	wantIDs(t, "rrf offset threshold", pts, err, 1, 3)
	if pts[0].Payload != nil {
		t.Fatalf("payload without with_payload: %s", jsonOf(pts[0].Payload))
	}

	// Rescore: point 3 is the best match for [0, 1] but not a candidate.
	pts, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: nearest(1, 0), Limit: &three}}, Query: nearest(0, 1)})
	wantIDs(t, "rescore", pts, err, 2, 1, 5)
	// One prefetch without a query is refused, as Qdrant does.
	_, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: nearest(1, 0), Limit: &three}}, Limit: &two})
	wantErr(t, "pass-through", err, ErrBadRequest, "A query is needed to merge the prefetches")
	// The parent's filter applies to the prefetches.
	pts, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{Query: nearest(1, 0), Limit: &two}}, Query: &QueryExpr{Kind: QueryFusion, Fusion: FusionRRF},
		Filter: filter(t, `{"must_not":[{"has_id":[1]}]}`)})
	wantIDs(t, "parent filter", pts, err, 2, 5)
}

// TestQueryForms covers the queries without prefetches: a scroll without
// a query, nearest by vector and by id (the point itself left out), and
// lookup_from (the example is looked up elsewhere, so not left out).
func TestQueryForms(t *testing.T) {
	_, c := queryFixture(t, Options{})
	two, one := 2, 1
	pts, err := c.Query(ctxb, QueryRequest{Limit: &two, Offset: &one})
	wantIDs(t, "scroll", pts, err, 2, 3)
	pts, err = c.Query(ctxb, QueryRequest{Query: nearest(1, 0), Limit: &two})
	wantIDs(t, "nearest vector", pts, err, 1, 2)
	pts, err = c.Query(ctxb, QueryRequest{Query: nearestID(1), Limit: &two})
	wantIDs(t, "nearest id", pts, err, 2, 5)
	pts, err = c.Query(ctxb, QueryRequest{Query: nearestID(3), Limit: &two, LookupFrom: &LookupLocation{Collection: "src", Vector: "img"}})
	wantIDs(t, "lookup_from", pts, err, 3, 2)
	rec := &QueryExpr{Kind: QueryRecommend, Recommend: RecommendInput{Positive: []VectorInput{{ID: ptrID(1)}}}}
	pts, err = c.Query(ctxb, QueryRequest{Query: rec, Limit: &two})
	wantIDs(t, "recommend query", pts, err, 2, 5)
}

func ptrID(n uint64) *point.ID { id := point.NumID(n); return &id }

// TestQueryErrors checks the query API's refusals, with their kinds and
// Qdrant's messages, and that an error names the prefetch it came from.
func TestQueryErrors(t *testing.T) {
	_, c := queryFixture(t, Options{})
	zero := 0
	fusion := &QueryExpr{Kind: QueryFusion, Fusion: FusionDBSF}
	_, err := c.Query(ctxb, QueryRequest{Query: fusion})
	wantErr(t, "fusion alone", err, ErrBadRequest, "Bad request: fusion needs prefetch queries to combine")
	_, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{}, {}}})
	wantErr(t, "prefetches without query", err, ErrBadRequest, "Bad request: A query is needed to merge the prefetches. Can't have prefetches without defining a query.")
	_, err = c.Query(ctxb, QueryRequest{Prefetch: []QueryRequest{{}, {Limit: &zero}}, Query: fusion})
	wantErr(t, "bad prefetch", err, ErrInvalid, "prefetch[1]: Validation error: limit: value 0 invalid")
	_, err = c.Query(ctxb, QueryRequest{Query: nearestID(9)})
	wantErr(t, "missing point", err, ErrPointNotFound, "Not found: No point with id 9 found")
	_, err = c.Query(ctxb, QueryRequest{Query: nearestID(3), LookupFrom: &LookupLocation{Collection: "nope"}})
	wantErr(t, "missing lookup collection", err, ErrNotFound, "Collection `nope` doesn't exist")
	// Qdrant's query API averages the positives without the recommend
	// routes' check first.
	noPos := &QueryExpr{Kind: QueryRecommend, Recommend: RecommendInput{Negative: []VectorInput{{ID: ptrID(1)}}}}
	_, err = c.Query(ctxb, QueryRequest{Query: noPos})
	wantErr(t, "recommend without positives", err, ErrBadRequest, "Wrong input: Validation failed: Positive vectors should not be empty with `average` strategy")
}

// TestQueryPrefetchBound checks Options.MaxQueryPrefetches: the whole
// tree counts, and a batch counts all its queries together.
func TestQueryPrefetchBound(t *testing.T) {
	_, c := queryFixture(t, Options{MaxQueryPrefetches: 2})
	fusion := &QueryExpr{Kind: QueryFusion, Fusion: FusionRRF}
	two := QueryRequest{Prefetch: []QueryRequest{{}, {}}, Query: fusion}
	if _, err := c.Query(ctxb, two); err != nil {
		t.Fatalf("2 prefetches: %v", err)
	}
	nested := QueryRequest{Prefetch: []QueryRequest{{Prefetch: []QueryRequest{{}, {}}, Query: fusion}}}
	_, err := c.Query(ctxb, nested)
	wantErr(t, "nested", err, ErrBadRequest, "Bad request: Limit exceeded: the request has more than 2 prefetch queries")
	_, err = c.QueryBatch(ctxb, []QueryRequest{two, two})
	wantErr(t, "batch", err, ErrBadRequest, "more than 2 prefetch queries")
	_, d := queryFixture(t, Options{})
	if d.maxPrefetches() != DefaultMaxQueryPrefetches {
		t.Fatalf("default bound %d", d.maxPrefetches())
	}
}

// TestQueryPrefetchDepthBound checks MaxPrefetchDepth in the engine, so
// every transport refuses what REST's body scan refuses: a chain of
// MaxPrefetchDepth nested prefetches is served, one more level is refused
// (in a batch too) with PrefetchDepthError's text.
func TestQueryPrefetchDepthBound(t *testing.T) {
	_, c := queryFixture(t, Options{})
	// Every level that has a prefetch merges it (Qdrant refuses
	// prefetches without a query).
	fusion := &QueryExpr{Kind: QueryFusion, Fusion: FusionRRF}
	chain := func(depth int) QueryRequest {
		q := QueryRequest{}
		for range depth {
			q = QueryRequest{Prefetch: []QueryRequest{q}, Query: fusion}
		}
		return q
	}
	if _, err := c.Query(ctxb, chain(MaxPrefetchDepth)); err != nil {
		t.Fatalf("%d levels: %v", MaxPrefetchDepth, err)
	}
	want := PrefetchDepthError(MaxPrefetchDepth).Error()
	if want != "Bad request: Limit exceeded: prefetch queries are nested deeper than 64 levels. Help: nest prefetch queries 64 levels deep or less" {
		t.Fatalf("PrefetchDepthError text %q", want)
	}
	_, err := c.Query(ctxb, chain(MaxPrefetchDepth+1))
	wantErr(t, "one level deeper", err, ErrBadRequest, want)
	_, err = c.QueryBatch(ctxb, []QueryRequest{chain(1), chain(MaxPrefetchDepth + 1)})
	wantErr(t, "batch", err, ErrBadRequest, want)
}

// TestRecommend checks average_vector (2·avg(pos) − avg(neg), examples
// left out), lookup_from, and the refusals.
func TestRecommend(t *testing.T) {
	_, c := queryFixture(t, Options{})
	three := 3
	pts, err := c.Recommend(ctxb, RecommendRequest{Positive: []VectorInput{{ID: ptrID(1)}}, Negative: []VectorInput{{ID: ptrID(4)}}, Limit: &three})
	wantIDs(t, "recommend", pts, err, 2, 5, 3)
	if math.Abs(float64(pts[0].Score-2.4)) > 1e-5 { // [0.8, 0.6]·[3, 0]
		t.Fatalf("score %v, want 2.4", pts[0].Score)
	}
	pts, err = c.Recommend(ctxb, RecommendRequest{Positive: []VectorInput{{ID: ptrID(3)}}, Limit: &three,
		LookupFrom: &LookupLocation{Collection: "src", Vector: "img"}})
	wantIDs(t, "recommend lookup_from", pts, err, 3, 2, 1)
	pts, err = c.Recommend(ctxb, RecommendRequest{Positive: []VectorInput{{Vector: []float32{0, 1}}}, Strategy: "average_vector", Limit: &three})
	wantIDs(t, "recommend vector", pts, err, 3, 2, 1)

	pos := []VectorInput{{ID: ptrID(1)}}
	for _, tc := range []struct {
		req  RecommendRequest
		kind error
		text string
	}{
		{RecommendRequest{Positive: pos}, ErrBadRequest, "Format error in JSON body: limit: missing field"},
		{RecommendRequest{Positive: pos, Limit: &three, Strategy: "x"}, ErrBadRequest, "Format error in JSON body: strategy: unknown variant `x`"},
		{RecommendRequest{Limit: &three}, ErrBadRequest, "Bad request: At least one positive vector ID required with this strategy"},
		{RecommendRequest{Limit: &three, Strategy: "average_vector", Negative: pos}, ErrBadRequest, "Bad request: At least one positive vector ID required with this strategy"},
		{RecommendRequest{Positive: []VectorInput{{ID: ptrID(8)}}, Limit: &three}, ErrPointNotFound, "No point with id 8 found"},
		{RecommendRequest{Positive: []VectorInput{{ID: ptrID(1)}, {Vector: []float32{1}}}, Limit: &three}, ErrBadRequest, "Wrong input: Vector dimension error: expected dim: 2, got 1"},
		{RecommendRequest{Positive: pos, Limit: &three, LookupFrom: &LookupLocation{Collection: "src", Vector: "other"}}, ErrPointNotFound, "No point with id 1 found"},
		{RecommendRequest{Positive: []VectorInput{{ID: ptrID(3)}}, Limit: &three, LookupFrom: &LookupLocation{Collection: "src", Vector: "other"}}, ErrBadRequest, `Wrong input: point 3 has no vector "other"`},
	} {
		_, err := c.Recommend(ctxb, tc.req)
		wantErr(t, tc.text, err, tc.kind, tc.text)
	}
}

// TestBatches checks the batch semantics shared by every batch: results
// in order, the first failure named by its index, a cancelled context
// stopping the batch.
func TestBatches(t *testing.T) {
	_, c := queryFixture(t, Options{})
	one, zero := 1, 0
	res, err := c.QueryBatch(ctxb, []QueryRequest{{Query: nearest(1, 0), Limit: &one}, {Query: nearest(0, 1), Limit: &one}})
	if err != nil || len(res) != 2 || jsonOf(idsOf(res[0])) != "[1]" || jsonOf(idsOf(res[1])) != "[3]" {
		t.Fatalf("query batch: %v %v", res, err)
	}
	_, err = c.QueryBatch(ctxb, []QueryRequest{{}, {Limit: &zero}})
	wantErr(t, "query batch", err, ErrInvalid, "searches[1]: Validation error: limit")
	recs, err := c.RecommendBatch(ctxb, []RecommendRequest{{Positive: []VectorInput{{ID: ptrID(4)}}, Limit: &one}, {Positive: []VectorInput{{ID: ptrID(1)}}, Limit: &one}})
	if err != nil || jsonOf(idsOf(recs[0])) != "[3]" || jsonOf(idsOf(recs[1])) != "[2]" {
		t.Fatalf("recommend batch: %v %v", recs, err)
	}
	_, err = c.RecommendBatch(ctxb, []RecommendRequest{{Positive: []VectorInput{{ID: ptrID(1)}}, Limit: &one}, {}})
	wantErr(t, "recommend batch", err, ErrBadRequest, "searches[1]: Format error in JSON body: limit: missing field")
	srch, err := c.SearchBatch(ctxb, []SearchRequest{{Vector: NamedVector{Vector: []float32{0, 1}}, Limit: 1}})
	if err != nil || jsonOf(idsOf(srch[0])) != "[3]" {
		t.Fatalf("search batch: %v %v", srch, err)
	}
	ctx, cancel := context.WithCancel(ctxb)
	cancel()
	ran := 0
	_, err = RunBatch(ctx, []int{1, 2}, func(context.Context, *int) (int, error) { ran++; return 0, nil })
	if !errors.Is(err, context.Canceled) || ran != 0 {
		t.Fatalf("cancelled batch: ran %d, %v", ran, err)
	}
}

// TestWithTimeout checks that a passed deadline becomes Qdrant's timeout
// error (ErrTimeout) and a cancelled caller does not.
func TestWithTimeout(t *testing.T) {
	past, stop := context.WithDeadline(ctxb, time.Unix(0, 0))
	defer stop()
	ctx, done, cancel := WithTimeout(past, "Search", 2)
	defer cancel()
	<-ctx.Done()
	err := done(ctx.Err())
	wantErr(t, "deadline", err, ErrTimeout, "Timeout error: Operation 'Search' timed out after 2 seconds")

	gone, leave := context.WithCancel(ctxb)
	leave()
	ctx, done, cancel = WithTimeout(gone, "Query", 5)
	defer cancel()
	if err := done(ctx.Err()); errors.Is(err, ErrTimeout) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	ctx, done, cancel = WithTimeout(ctxb, "Query", MaxTimeoutSeconds+1)
	defer cancel()
	if _, has := ctx.Deadline(); has || done(nil) != nil {
		t.Fatal("a timeout beyond a Duration set a deadline")
	}
}

// TestFuse checks both fusion methods on fixed lists against Qdrant's
// formulas computed by hand: DBSF with the sample deviation, in each
// list's own order, unclamped, 0.5 for a one-point list; RRF with its k
// and weights.
func TestFuse(t *testing.T) {
	sp := func(id uint64, s float32) ScoredPoint { return ScoredPoint{ID: point.NumID(id), Score: s} }
	near := func(what string, got []ScoredPoint, ids string, scores ...float64) {
		t.Helper()
		if jsonOf(idsOf(got)) != ids {
			t.Fatalf("%s: ids %v, want %s", what, idsOf(got), ids)
		}
		for i, s := range scores {
			if math.Abs(float64(got[i].Score)-s) > 1e-5 {
				t.Fatalf("%s: point %d score %v, want %v", what, i, got[i].Score, s)
			}
		}
	}
	lists := [][]ScoredPoint{{sp(1, 1), sp(2, 2), sp(3, 3)}}
	// mean 2, sample σ 1: extremes −1 and 5.
	near("dbsf lower-is-better", Fuse(FusionDBSF, RRFParams{}, lists, []bool{false}), "[1,2,3]", 4.0/6, 0.5, 2.0/6)
	near("dbsf higher-is-better", Fuse(FusionDBSF, RRFParams{}, lists, []bool{true}), "[3,2,1]", 4.0/6, 0.5, 2.0/6)
	near("dbsf one point", Fuse(FusionDBSF, RRFParams{}, [][]ScoredPoint{{sp(4, 7)}}, nil), "[4]", 0.5)
	near("dbsf mixed orders", Fuse(FusionDBSF, RRFParams{}, [][]ScoredPoint{{sp(1, 3), sp(2, 2), sp(3, 1)}, {sp(1, 1), sp(2, 2), sp(3, 3)}}, []bool{true, false}),
		"[1,2,3]", 8.0/6, 1, 4.0/6)
	// 11 zeros and a one: mean 1/12, σ √(1/12); the one lies past mean + 3σ.
	var skew []ScoredPoint
	for i := uint64(1); i <= 11; i++ {
		skew = append(skew, sp(i+1, 0))
	}
	skew = append([]ScoredPoint{sp(1, 1)}, skew...)
	lo, hi := 1.0/12-3*math.Sqrt(1.0/12), 1.0/12+3*math.Sqrt(1.0/12)
	got := Fuse(FusionDBSF, RRFParams{}, [][]ScoredPoint{skew}, []bool{true})
	near("dbsf unclamped", got[:1], "[1]", (1-lo)/(hi-lo))
	rrfLists := [][]ScoredPoint{{sp(1, 9), sp(2, 8)}, {sp(2, 1)}}
	near("rrf", Fuse(FusionRRF, RRFParams{}, rrfLists, nil), "[2,1]", 1.0/3+0.5, 0.5)
	near("rrf k", Fuse(FusionRRF, RRFParams{K: intp(5)}, rrfLists, nil), "[2,1]", 1.0/6+1.0/5, 1.0/5)
	near("rrf weights", Fuse(FusionRRF, RRFParams{Weights: []float32{2, 1}}, rrfLists, nil), "[2,1]", 1, 2.0/3)
	near("rrf weight 0", Fuse(FusionRRF, RRFParams{Weights: []float32{0, 1}}, rrfLists, nil), "[2,1]", 0.5, 0)
}
