package engine

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestSearchMatrixSparse: the matrix on a sparse vector scores the sampled
// pairs by their sparse dot product, each row best first (ties by id)
// without the point itself, as a brute force over every pair.
func TestSearchMatrixSparse(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	c := mustCreate(t, st, "c", sparseReq())
	r := rand.New(rand.NewPCG(3, 9))
	vecs := map[uint64]point.SparseVector{}
	var pts []PointStruct
	for id := uint64(1); id <= 30; id++ {
		// Index 0 in every vector: every pair overlaps.
		v := point.SparseVector{Indices: []uint32{0}, Values: []float32{float32(r.IntN(5) + 1)}}
		for _, ix := range r.Perm(12)[:3] {
			v.Indices, v.Values = append(v.Indices, uint32(ix+1)), append(v.Values, float32(r.IntN(9)+1))
		}
		vecs[id] = v.Sorted()
		pts = append(pts, PointStruct{ID: point.NumID(id), Vector: Vectors{"d": {1, 0}}, Sparse: SparseVectors{"s": v, "t": v}})
	}
	if _, err := c.Upsert(ctxb, pts, true); err != nil {
		t.Fatal(err)
	}
	limit := 4
	pairs, err := c.SearchMatrixPairs(ctxb, MatrixRequest{Sample: intp(100), Limit: &limit, Using: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs.Pairs) != 30*limit {
		t.Fatalf("%d pairs, want %d", len(pairs.Pairs), 30*limit)
	}
	for a := uint64(1); a <= 30; a++ {
		type hit struct {
			id    uint64
			score float32
		}
		var want []hit
		for b := uint64(1); b <= 30; b++ {
			if b != a {
				want = append(want, hit{b, point.SparseDot(vecs[a], vecs[b])})
			}
		}
		slices.SortStableFunc(want, func(x, y hit) int { return cmp.Or(cmp.Compare(y.score, x.score), cmp.Compare(x.id, y.id)) })
		got := pairs.Pairs[(a-1)*uint64(limit) : a*uint64(limit)]
		for j, p := range got {
			if p.A.Num() != a || p.B.Num() != want[j].id || p.Score != want[j].score {
				t.Fatalf("row %d: %+v, want %+v", a, got, want[:limit])
			}
		}
	}
	off, err := c.SearchMatrixOffsets(ctxb, MatrixRequest{Sample: intp(5), Limit: intp(2), Using: "t"})
	if err != nil || len(off.IDs) != 5 || len(off.Scores) != 10 {
		t.Fatalf("offsets on the IDF vector: %+v %v", off, err)
	}
}

// TestSparseDiscoverRefused: discover and context on a sparse vector
// answer a clear 400 naming what Cairn does not serve.
func TestSparseDiscoverRefused(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	c := mustCreate(t, st, "c", sparseReq())
	v := point.SparseVector{Indices: []uint32{1}, Values: []float32{1}}
	if _, err := c.Upsert(ctxb, []PointStruct{{ID: point.NumID(1), Vector: Vectors{"d": {1, 0}}, Sparse: SparseVectors{"s": v}},
		{ID: point.NumID(2), Vector: Vectors{"d": {0, 1}}, Sparse: SparseVectors{"s": v}}}, true); err != nil {
		t.Fatal(err)
	}
	one, two := point.NumID(1), point.NumID(2)
	pair := []ContextPair{{Positive: VectorInput{ID: &one}, Negative: VectorInput{ID: &two}}}
	_, err := c.Discover(ctxb, DiscoverRequest{Target: &VectorInput{ID: &one}, Context: pair, Limit: intp(1), Using: "s"})
	wantErr(t, "discover", err, ErrBadRequest, "Bad request: discover on sparse vector s is not supported by Cairn")
	_, err = c.Discover(ctxb, DiscoverRequest{Context: pair, Limit: intp(1), Using: "s"})
	wantErr(t, "context", err, ErrBadRequest, "Bad request: context on sparse vector s is not supported by Cairn")
	_, err = c.Query(ctxb, QueryRequest{Query: &QueryExpr{Kind: QueryContext, Context: pair}, Using: "s"})
	wantErr(t, "query context", err, ErrBadRequest, "Bad request: context on sparse vector s is not supported by Cairn")
	fb := RelevanceFeedbackInput{Target: VectorInput{ID: &one}, Feedback: []FeedbackItem{{Example: VectorInput{ID: &one}, Score: 1},
		{Example: VectorInput{ID: &two}, Score: 0}}, Naive: NaiveFeedback{A: 1, B: 1, C: 1}}
	_, err = c.Query(ctxb, QueryRequest{Query: &QueryExpr{Kind: QueryRelevanceFeedback, Feedback: fb}, Using: "s"})
	wantErr(t, "relevance feedback", err, ErrBadRequest, "Bad request: relevance_feedback on sparse vector s is not supported by Cairn")
}
