package engine

import (
	"math"
	"testing"

	"github.com/cairn-db/cairn/point"
)

func refDiscover(d point.Distance, target []float32, pos, neg [][]float32) func([]float32) float64 {
	return func(v []float32) float64 {
		rank := 0.0
		for i := range pos {
			p, n := refSim(d, refNorm(d, pos[i]), v), refSim(d, refNorm(d, neg[i]), v)
			if p > n {
				rank++
			} else if p < n {
				rank--
			}
		}
		return rank + scaledSig(refSim(d, refNorm(d, target), v))
	}
}

func refContext(d point.Distance, pos, neg [][]float32) func([]float32) float64 {
	return func(v []float32) float64 {
		loss := 0.0
		for i := range pos {
			diff := refSim(d, refNorm(d, pos[i]), v) - refSim(d, refNorm(d, neg[i]), v) - 1.1920929e-07
			loss += sig(min(diff, 0))
		}
		return loss
	}
}

// TestDiscoverBruteForce checks discover (rank + sigmoid of the target
// similarity) and context (summed pair losses) against brute force over
// sealed segments and the head, for each distance, through the discover
// route's engine call and the query API, with a filter.
func TestDiscoverBruteForce(t *testing.T) {
	for _, d := range []point.Distance{point.Cosine, point.Dot, point.Euclid, point.Manhattan} {
		_, c, vecs := customFixture(t, d, 150)
		raw := []float32{-0.4, 0.2, 0.1, 0.6}
		pos := [][]float32{vecs[3], raw, vecs[140]}
		neg := [][]float32{vecs[60], vecs[90], vecs[5]}
		pairs := []ContextPair{
			{Positive: VectorInput{ID: ptrID(3)}, Negative: VectorInput{ID: ptrID(60)}},
			{Positive: VectorInput{Vector: raw}, Negative: VectorInput{ID: ptrID(90)}},
			{Positive: VectorInput{ID: ptrID(140)}, Negative: VectorInput{ID: ptrID(5)}},
		}
		examples := map[uint64]bool{3: true, 60: true, 90: true, 140: true, 5: true, 77: true}
		keep := func(id uint64) bool { return !examples[id] }
		target := VectorInput{ID: ptrID(77)}
		disc := refDiscover(d, vecs[77], pos, neg)
		what := d.String() + " discover"
		got, err := c.Discover(ctxb, DiscoverRequest{Target: &target, Context: pairs, Limit: intp(10), Using: "v"})
		wantHits(t, what, got, err, bruteForce(vecs, d, keep, disc, 10))
		got, err = c.Query(ctxb, QueryRequest{Query: &QueryExpr{Kind: QueryDiscover, Discover: DiscoverInput{Target: target, Context: pairs}}, Using: "v", Limit: intp(6),
			Filter: filter(t, `{"must":[{"key":"g","match":{"value":2}}]}`)})
		wantHits(t, what+" query filter", got, err, bruteForce(vecs, d, func(id uint64) bool { return keep(id) && id%3 == 2 }, disc, 6))
		ctxScore := refContext(d, pos, neg)
		examples[77] = false
		got, err = c.Discover(ctxb, DiscoverRequest{Context: pairs, Limit: intp(10), Offset: intp(3), Using: "v"})
		wantHits(t, d.String()+" context", got, err, bruteForce(vecs, d, keep, ctxScore, 13)[3:])
		got, err = c.Query(ctxb, QueryRequest{Query: &QueryExpr{Kind: QueryContext, Context: pairs}, Using: "v", Limit: intp(10)})
		wantHits(t, d.String()+" context query", got, err, bruteForce(vecs, d, keep, ctxScore, 10))
		// Half the points are in the best zone (score 0): the smallest ids
		// of them are answered, whichever part holds them.
		east, west := []float32{1, 0, 0, 0}, []float32{-1, 0, 0, 0}
		half := []ContextPair{{Positive: VectorInput{Vector: east}, Negative: VectorInput{Vector: west}}}
		got, err = c.Discover(ctxb, DiscoverRequest{Context: half, Limit: intp(20), Using: "v"})
		wantHits(t, d.String()+" context ties", got, err, bruteForce(vecs, d, func(uint64) bool { return true }, refContext(d, [][]float32{east}, [][]float32{west}), 20))
	}
}

// TestDiscoverByHand checks discover and context scores computed by hand
// (Dot), lookup_from, the batch, and the refusals.
func TestDiscoverByHand(t *testing.T) {
	_, c := queryFixture(t, Options{})
	pair := []ContextPair{{Positive: VectorInput{Vector: []float32{0, 1}}, Negative: VectorInput{Vector: []float32{0, -1}}}}
	target := VectorInput{Vector: []float32{1, 0}}
	// rank (pos·v vs neg·v) + 0.5·(t·v/(1+|t·v|) + 1): point 1 ties (0 + 0.75),
	// 2 is +1 (0.8), 3 is +1 (0), 4 ties (−1), 5 is −1 (0.6).
	got, err := c.Discover(ctxb, DiscoverRequest{Target: &target, Context: pair, Limit: intp(5)})
	wantIDs(t, "discover", got, err, 2, 3, 1, 4, 5)
	for i, want := range []float64{1 + 0.5*(0.8/1.8+1), 1.5, 0.75, 0.25, -1 + 0.5*(0.6/1.6+1)} {
		if math.Abs(float64(got[i].Score)-want) > 1e-6 {
			t.Fatalf("discover %v: score %v, want %v", got[i].ID, got[i].Score, want)
		}
	}
	// Context: sigmoid(min(pos·v − neg·v − ε, 0)) — 0 for 2 and 3, −ε for
	// the ties 1 and 4, −1.6/2.6 for 5.
	got, err = c.Discover(ctxb, DiscoverRequest{Context: pair, Limit: intp(5)})
	wantIDs(t, "context", got, err, 2, 3, 1, 4, 5)
	for i, want := range []float64{0, 0, -1.1920929e-07, -1.1920929e-07, -1.6 / 2.6} {
		if math.Abs(float64(got[i].Score)-want) > 1e-7 {
			t.Fatalf("context %v: score %v, want %v", got[i].ID, got[i].Score, want)
		}
	}
	// Examples by id from another collection: not left out of the results.
	got, err = c.Discover(ctxb, DiscoverRequest{Target: &VectorInput{ID: ptrID(7)}, Limit: intp(2), LookupFrom: &LookupLocation{Collection: "src", Vector: "img"}})
	wantIDs(t, "discover lookup_from", got, err, 3, 2)
	got, err = c.Discover(ctxb, DiscoverRequest{Target: &VectorInput{ID: ptrID(3)}, Limit: intp(2)})
	wantIDs(t, "discover by id leaves it out", got, err, 2, 1)
	res, err := c.DiscoverBatch(ctxb, []DiscoverRequest{{Target: &target, Limit: intp(1)}, {Context: pair, Limit: intp(2)}})
	if err != nil || len(res) != 2 || len(res[0]) != 1 || res[0][0].ID.Num() != 1 || len(res[1]) != 2 {
		t.Fatalf("batch %v %v", res, err)
	}
	// Equal scores keep the smallest ids, whatever the insertion order.
	st, _ := queryFixture(t, Options{})
	ties := mustCreate(t, st, "ties", simpleReq(2, point.Dot))
	for id := uint64(30); id >= 1; id-- {
		mustUpsert(t, ties, PointStruct{ID: point.NumID(id), Vector: Vectors{"": {1, float32(id) / 100}}})
	}
	east := []ContextPair{{Positive: VectorInput{Vector: []float32{1, 0}}, Negative: VectorInput{Vector: []float32{-1, 0}}}}
	got, err = ties.Discover(ctxb, DiscoverRequest{Context: east, Limit: intp(3)})
	wantIDs(t, "context ties", got, err, 1, 2, 3)
	for _, tc := range []struct {
		req  DiscoverRequest
		kind error
		text string
	}{
		{DiscoverRequest{Target: &target}, ErrBadRequest, "Format error in JSON body: limit: missing field"},
		{DiscoverRequest{Limit: intp(1)}, ErrBadRequest, "Bad request: target and/or context_pairs must be specified"},
		{DiscoverRequest{Target: &VectorInput{ID: ptrID(9)}, Limit: intp(1)}, ErrPointNotFound, "No point with id 9 found"},
		{DiscoverRequest{Target: &VectorInput{Vector: []float32{1, 2, 3}}, Limit: intp(1)}, ErrBadRequest, "Vector dimension error: expected dim: 2, got 3"},
		{DiscoverRequest{Target: &target, Limit: intp(1), Using: "x"}, ErrBadRequest, "Not existing vector name error: x"},
		{DiscoverRequest{Target: &target, Limit: intp(1), LookupFrom: &LookupLocation{Collection: "nope"}}, ErrNotFound, "Collection `nope` doesn't exist"},
	} {
		_, err := c.Discover(ctxb, tc.req)
		wantErr(t, tc.text, err, tc.kind, tc.text)
	}
}
