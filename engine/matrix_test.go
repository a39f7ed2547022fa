package engine

import (
	"math"
	"slices"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// refMatrixRow is the brute-force row of sampled point a: the limit
// nearest other sampled points, ties by id, with Qdrant's scores.
func refMatrixRow(d point.Distance, vecs map[uint64][]float32, sample []uint64, a uint64, limit int) []refHit {
	row := bruteForce(vecs, d, func(id uint64) bool { return id != a && slices.Contains(sample, id) },
		func(v []float32) float64 { return refSim(d, refNorm(d, vecs[a]), v) }, limit)
	for i := range row {
		switch d {
		case point.Euclid:
			row[i].score = math.Sqrt(-row[i].score)
		case point.Manhattan:
			row[i].score = -row[i].score
		}
	}
	return row
}

// TestSearchMatrixBruteForce checks pairs and offsets against pairwise
// distances computed by brute force on the sampled points, over sealed
// segments and the head, for each distance: the sample within the filter
// and of the asked size, sorted by id, rows in sample order, each row's
// neighbours best first without the point itself.
func TestSearchMatrixBruteForce(t *testing.T) {
	for _, d := range []point.Distance{point.Cosine, point.Dot, point.Euclid, point.Manhattan} {
		_, c, vecs := customFixture(t, d, 90)
		f := filter(t, `{"must_not":[{"key":"g","match":{"value":0}}]}`)
		for _, req := range []MatrixRequest{{Using: "v"}, {Sample: intp(25), Limit: intp(4), Filter: f, Using: "v"}, {Sample: intp(1000), Limit: intp(2), Using: "v"}} {
			sampleSize, limit := DefaultMatrixSample, DefaultMatrixLimit
			if req.Sample != nil {
				sampleSize, limit = min(*req.Sample, 90), *req.Limit
			}
			if req.Filter != nil {
				sampleSize = min(sampleSize, 60)
			}
			pairs, err := c.SearchMatrixPairs(ctxb, req)
			if err != nil {
				t.Fatal(err)
			}
			var sample []uint64
			for _, p := range pairs.Pairs {
				if len(sample) == 0 || sample[len(sample)-1] != p.A.Num() {
					sample = append(sample, p.A.Num())
				}
			}
			if len(sample) != sampleSize || !slices.IsSorted(sample) || len(pairs.Pairs) != sampleSize*limit {
				t.Fatalf("%s %+v: sample %v, %d pairs", d, req, sample, len(pairs.Pairs))
			}
			for i, a := range sample {
				if req.Filter != nil && a%3 == 0 {
					t.Fatalf("%s: sampled %d outside the filter", d, a)
				}
				want := refMatrixRow(d, vecs, sample, a, limit)
				for j, w := range want {
					p := pairs.Pairs[i*limit+j]
					if p.B.Num() != w.id || math.Abs(float64(p.Score)-w.score) > 1e-4 {
						t.Fatalf("%s: pair %d→%v %v, want %d %v", d, a, p.B, p.Score, w.id, w.score)
					}
				}
			}
			offs, err := c.SearchMatrixOffsets(ctxb, req)
			if err != nil {
				t.Fatal(err)
			}
			if len(offs.IDs) != sampleSize || len(offs.Scores) != sampleSize*limit || len(offs.OffsetsRow) != len(offs.Scores) || len(offs.OffsetsCol) != len(offs.Scores) {
				t.Fatalf("%s offsets layout %+v", d, offs)
			}
			ids := make([]uint64, len(offs.IDs))
			for i, id := range offs.IDs {
				ids[i] = id.Num()
			}
			for k := range offs.Scores {
				a := ids[offs.OffsetsRow[k]]
				want := refMatrixRow(d, vecs, ids, a, limit)[k%limit]
				if int(offs.OffsetsRow[k]) != k/limit || ids[offs.OffsetsCol[k]] != want.id || math.Abs(float64(offs.Scores[k])-want.score) > 1e-4 {
					t.Fatalf("%s offsets entry %d: row %d col %d score %v, want %d %v", d, k, offs.OffsetsRow[k], offs.OffsetsCol[k], offs.Scores[k], want.id, want.score)
				}
			}
		}
	}
}

// TestSearchMatrixEdges checks an empty answer under two points, its JSON,
// hand-computed scores and the refusals.
func TestSearchMatrixEdges(t *testing.T) {
	_, c := queryFixture(t, Options{})
	one := filter(t, `{"must":[{"has_id":[1]}]}`)
	offs, err := c.SearchMatrixOffsets(ctxb, MatrixRequest{Filter: one})
	if err != nil || jsonOf(offs) != `{"offsets_row":[],"offsets_col":[],"scores":[],"ids":[]}` {
		t.Fatalf("one point: %s %v", jsonOf(offs), err)
	}
	pairs, err := c.SearchMatrixPairs(ctxb, MatrixRequest{Filter: filter(t, `{"must":[{"has_id":[1,2,3]}]}`), Limit: intp(1)})
	// 1 [1,0], 2 [0.8,0.6], 3 [0,1] (Dot): 1's nearest is 2 (0.8), 2's is
	// 1 (0.8 > 0.6 for 3), 3's is 2 (0.6 > 0 for 1).
	if err != nil || jsonOf(pairs) != `{"pairs":[{"a":1,"b":2,"score":0.8},{"a":2,"b":1,"score":0.8},{"a":3,"b":2,"score":0.6}]}` {
		t.Fatalf("pairs %s %v", jsonOf(pairs), err)
	}
	for _, tc := range []struct {
		req  MatrixRequest
		kind error
		text string
	}{
		{MatrixRequest{Sample: intp(1)}, ErrInvalid, "sample: value 1 invalid, must be 2 or more"},
		{MatrixRequest{Limit: intp(0)}, ErrInvalid, "limit: value 0 invalid"},
		{MatrixRequest{Using: "x"}, ErrBadRequest, "Not existing vector name error: x"},
	} {
		_, err := c.SearchMatrixPairs(ctxb, tc.req)
		wantErr(t, tc.text, err, tc.kind, tc.text)
	}
}
