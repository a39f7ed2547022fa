package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// customFixture is a collection of n random points with vector "v" of dim
// 4 under distance d and payload {"g": id % 3}: the first two thirds
// sealed in two segments, the rest in the head.
func customFixture(t *testing.T, d point.Distance, n int) (*Storage, *Collection, map[uint64][]float32) {
	t.Helper()
	st := openTest(t, t.TempDir(), nil)
	t.Cleanup(func() { _ = st.Close() })
	c := mustCreate(t, st, "c", CreateCollection{Vectors: VectorsConfig{"v": {Size: 4, Distance: d}}})
	r := rand.New(rand.NewPCG(16, uint64(d)))
	vecs := map[uint64][]float32{}
	for id := uint64(1); id <= uint64(n); id++ {
		vecs[id] = randVec(r, 4)
		mustUpsert(t, c, PointStruct{ID: point.NumID(id), Vector: Vectors{"v": vecs[id]}, Payload: pl(t, `{"g":`+jsonOf(id%3)+`}`)})
		if id == uint64(n/3) || id == uint64(2*n/3) {
			if err := c.Flush(); err != nil {
				t.Fatalf("Flush: %v", err)
			}
		}
	}
	return st, c, vecs
}

// refSim is the test's own similarity: Qdrant's raw metric score.
func refSim(d point.Distance, a, b []float32) float64 {
	var s float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		switch d {
		case point.Euclid:
			s -= (x - y) * (x - y)
		case point.Manhattan:
			s -= math.Abs(x - y)
		default:
			s += x * y
		}
	}
	return s
}

func refNorm(d point.Distance, v []float32) []float32 {
	if d != point.Cosine {
		return v
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / math.Sqrt(n))
	}
	return out
}

type refHit struct {
	id    uint64
	score float64
}

// bruteForce scores every point passing keep with score and returns the
// best limit, ties by id.
func bruteForce(vecs map[uint64][]float32, d point.Distance, keep func(id uint64) bool, score func(v []float32) float64, limit int) []refHit {
	var out []refHit
	for id, v := range vecs {
		if keep(id) {
			out = append(out, refHit{id, score(refNorm(d, v))})
		}
	}
	slices.SortFunc(out, func(a, b refHit) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return int(a.id) - int(b.id)
	})
	return out[:min(limit, len(out))]
}

func sig(x float64) float64       { return x / (1 + math.Abs(x)) }
func scaledSig(x float64) float64 { return 0.5 * (sig(x) + 1) }

func refBest(d point.Distance, pos, neg [][]float32) func([]float32) float64 {
	return func(v []float32) float64 {
		bp, bn := math.Inf(-1), math.Inf(-1)
		for _, e := range pos {
			bp = max(bp, refSim(d, refNorm(d, e), v))
		}
		for _, e := range neg {
			bn = max(bn, refSim(d, refNorm(d, e), v))
		}
		if bp > bn {
			return scaledSig(bp)
		}
		return -scaledSig(bn)
	}
}

func refSum(d point.Distance, pos, neg [][]float32) func([]float32) float64 {
	return func(v []float32) float64 {
		s := 0.0
		for _, e := range pos {
			s += refSim(d, refNorm(d, e), v)
		}
		for _, e := range neg {
			s -= refSim(d, refNorm(d, e), v)
		}
		return s
	}
}

// wantHits compares results with the brute-force answer: the same ids in
// the same order, scores within float32 rounding.
func wantHits(t *testing.T, what string, got []ScoredPoint, err error, want []refHit) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].ID.Num() != want[i].id || math.Abs(float64(got[i].Score)-want[i].score) > 1e-4*max(1, math.Abs(want[i].score)) {
			t.Fatalf("%s: result %d is %v score %v, want %d score %v", what, i, got[i].ID, got[i].Score, want[i].id, want[i].score)
		}
	}
}

// TestRecommendStrategiesBruteForce checks best_score and sum_scores with
// negatives against a brute-force scoring of every point, over sealed
// segments and the head, for each distance, with a filter, through the
// recommend and the query APIs (the examples left out).
func TestRecommendStrategiesBruteForce(t *testing.T) {
	for _, d := range []point.Distance{point.Cosine, point.Dot, point.Euclid, point.Manhattan} {
		_, c, vecs := customFixture(t, d, 150)
		raw := []float32{0.3, -0.2, 0.5, 0.1}
		pos := [][]float32{vecs[7], raw}
		neg := [][]float32{vecs[20], vecs[101]}
		examples := map[uint64]bool{7: true, 20: true, 101: true}
		notExample := func(id uint64) bool { return !examples[id] }
		g1 := func(id uint64) bool { return notExample(id) && id%3 == 1 }
		in := RecommendInput{Positive: []VectorInput{{ID: ptrID(7)}, {Vector: raw}}, Negative: []VectorInput{{ID: ptrID(20)}, {ID: ptrID(101)}}}
		for _, tc := range []struct {
			strategy string
			ref      func([]float32) float64
		}{{"best_score", refBest(d, pos, neg)}, {"sum_scores", refSum(d, pos, neg)}} {
			what := d.String() + " " + tc.strategy
			in.Strategy = tc.strategy
			got, err := c.Recommend(ctxb, RecommendRequest{Positive: in.Positive, Negative: in.Negative, Strategy: tc.strategy, Limit: intp(12), Using: "v"})
			wantHits(t, what, got, err, bruteForce(vecs, d, notExample, tc.ref, 12))
			got, err = c.Recommend(ctxb, RecommendRequest{Positive: in.Positive, Negative: in.Negative, Strategy: tc.strategy, Limit: intp(5), Offset: intp(2), Using: "v",
				Filter: filter(t, `{"must":[{"key":"g","match":{"value":1}}]}`)})
			wantHits(t, what+" filter+offset", got, err, bruteForce(vecs, d, g1, tc.ref, 7)[2:])
			got, err = c.Query(ctxb, QueryRequest{Query: &QueryExpr{Kind: QueryRecommend, Recommend: in}, Using: "v", Limit: intp(8)})
			wantHits(t, what+" query", got, err, bruteForce(vecs, d, notExample, tc.ref, 8))
		}
		// Negatives alone: best_score ranks the points farthest from them first.
		only := [][]float32{vecs[20]}
		got, err := c.Recommend(ctxb, RecommendRequest{Negative: []VectorInput{{ID: ptrID(20)}}, Strategy: "best_score", Limit: intp(4), Using: "v"})
		wantHits(t, d.String()+" negatives only", got, err, bruteForce(vecs, d, func(id uint64) bool { return id != 20 }, refBest(d, nil, only), 4))
	}
}

// TestRecommendBestScoreByHand checks best_score and sum_scores on
// hand-computed values (Dot, so similarities are plain products), the
// score threshold, lookup_from, and the refusals.
func TestRecommendBestScoreByHand(t *testing.T) {
	_, c := queryFixture(t, Options{})
	// pos [1,0], neg [0,1]: point 2 [0.8,0.6] is nearer the positive
	// (0.8 > 0.6): 0.5·(0.8/1.8 + 1); point 3 [0,1] nearer the negative:
	// −0.5·(1/2 + 1); point 5 [0.6,−0.8]: 0.5·(0.6/1.6 + 1); point 4
	// [−1,0]: the negative's 0 beats −1: −0.5·(0/1 + 1).
	in := RecommendRequest{Positive: []VectorInput{{Vector: []float32{1, 0}}}, Negative: []VectorInput{{Vector: []float32{0, 1}}}, Strategy: "best_score", Limit: intp(5)}
	got, err := c.Recommend(ctxb, in)
	wantIDs(t, "best_score", got, err, 1, 2, 5, 4, 3)
	for i, want := range []float64{0.75, 0.5 * (0.8/1.8 + 1), 0.5 * (0.6/1.6 + 1), -0.5, -0.75} {
		if math.Abs(float64(got[i].Score)-want) > 1e-6 {
			t.Fatalf("best_score %d: score %v, want %v", got[i].ID.Num(), got[i].Score, want)
		}
	}
	thr := float32(0)
	in.ScoreThreshold = &thr
	got, err = c.Recommend(ctxb, in)
	wantIDs(t, "best_score threshold", got, err, 1, 2, 5)
	in.ScoreThreshold, in.Strategy = nil, "sum_scores"
	got, err = c.Recommend(ctxb, in)
	// sum: x − y per point: 1, 0.2, 1.4, −1, −1.
	wantIDs(t, "sum_scores", got, err, 5, 1, 2, 3, 4)
	if math.Abs(float64(got[0].Score)-1.4) > 1e-6 {
		t.Fatalf("sum_scores score %v, want 1.4", got[0].Score)
	}
	got, err = c.Recommend(ctxb, RecommendRequest{Positive: []VectorInput{{ID: ptrID(7)}}, Strategy: "sum_scores", Limit: intp(2),
		LookupFrom: &LookupLocation{Collection: "src", Vector: "img"}})
	wantIDs(t, "sum_scores lookup_from", got, err, 3, 2) // [0,1]·p
	_, err = c.Recommend(ctxb, RecommendRequest{Strategy: "best_score", Limit: intp(2)})
	wantErr(t, "no examples", err, ErrBadRequest, "Bad request: At least one positive or negative vector ID required with this strategy")
	_, err = c.Recommend(ctxb, RecommendRequest{Positive: []VectorInput{{Vector: []float32{1}}}, Strategy: "best_score", Limit: intp(2)})
	wantErr(t, "dimension", err, ErrBadRequest, "Vector dimension error: expected dim: 2, got 1")
	_, err = c.Recommend(ctxb, RecommendRequest{Positive: []VectorInput{{Vector: []float32{1, 0}}}, Strategy: "best_score", Limit: intp(2), Using: "nope"})
	wantErr(t, "using", err, ErrBadRequest, "Not existing vector name error: nope")
}

// TestCustomThresholdOrder checks score_threshold on a custom scoring as
// Qdrant reads it: in the distance's order, over the results ranked best
// (highest) first, kept while they pass. For Euclid sum_scores (minus the
// squared distance to the positive) only a threshold at or above the best
// score keeps anything.
func TestCustomThresholdOrder(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(1, point.Euclid))
	for id := uint64(1); id <= 4; id++ {
		mustUpsert(t, c, PointStruct{ID: point.NumID(id), Vector: Vectors{"": {float32(id)}}})
	}
	in := RecommendRequest{Positive: []VectorInput{{Vector: []float32{0}}}, Strategy: "sum_scores", Limit: intp(4)}
	got, err := c.Recommend(ctxb, in)
	wantIDs(t, "no threshold", got, err, 1, 2, 3, 4) // scores −1, −4, −9, −16
	for _, tc := range []struct {
		threshold float32
		want      []uint64
	}{{-1, []uint64{1, 2, 3, 4}}, {-2, []uint64{}}, {0, []uint64{1, 2, 3, 4}}} {
		in.ScoreThreshold = &tc.threshold
		got, err := c.Recommend(ctxb, in)
		wantIDs(t, fmt.Sprint("threshold ", tc.threshold), got, err, tc.want...)
	}
	// Dot: at least the threshold.
	_, d := queryFixture(t, Options{})
	thr := float32(0.6)
	got, err = d.Recommend(ctxb, RecommendRequest{Positive: []VectorInput{{Vector: []float32{1, 0}}}, Strategy: "sum_scores", Limit: intp(5), ScoreThreshold: &thr})
	wantIDs(t, "dot threshold", got, err, 1, 2, 5)
}
