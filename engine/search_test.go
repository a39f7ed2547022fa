package engine

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// TestNegativeDistanceThresholdMatchesNothing: for Euclid and Manhattan
// score_threshold is a largest distance, and distances are never negative.
func TestNegativeDistanceThresholdMatchesNothing(t *testing.T) {
	for _, d := range []point.Distance{point.Euclid, point.Manhattan} {
		t.Run(d.String(), func(t *testing.T) {
			st := openTest(t, t.TempDir(), nil)
			defer st.Close()
			c := mustCreate(t, st, "c", simpleReq(2, d))
			mustUpsert(t, c,
				PointStruct{ID: point.NumID(1), Vector: Vectors{"": {0, 0}}},
				PointStruct{ID: point.NumID(2), Vector: Vectors{"": {1, 0}}},
				PointStruct{ID: point.NumID(3), Vector: Vectors{"": {3, 0}}})
			for _, tc := range []struct {
				thr  float32
				want int
			}{{-2, 0}, {-0.5, 0}, {0, 1}, {2, 2}} {
				thr := tc.thr
				res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: []float32{0, 0}}, Limit: 10, ScoreThreshold: &thr})
				if err != nil {
					t.Fatal(err)
				}
				if len(res) != tc.want {
					t.Fatalf("score_threshold %v: %s, want %d results", thr, jsonOf(res), tc.want)
				}
			}
		})
	}
}

// TestSelectiveUnindexedFilterSearchesExactly: a filter on an unindexed key
// matching 1% of a graph segment (fewer points than full_scan_threshold)
// is searched exactly, so it returns the full limit, equal to brute force.
func TestSelectiveUnindexedFilterSearchesExactly(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	const dim, n = 16, 3000
	req := simpleReq(dim, point.Euclid)
	// 1 kB = 16 vectors of dimension 16: graphs from 320 points, exact
	// search below 64 matching points.
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(20)}
	req.HnswConfig = &HnswConfigDiff{FullScanThreshold: intp(4), M: intp(4), EfConstruct: intp(16)}
	c := mustCreate(t, st, "c", req)
	r := rand.New(rand.NewPCG(11, 12))
	vecs := make([][]float32, n)
	var pts []PointStruct
	for i := range n {
		vecs[i] = randVec(r, dim)
		pts = append(pts, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": vecs[i]},
			Payload: payload.Payload{"g": float64(i % 100)}})
	}
	mustUpsert(t, c, pts...)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(c.shards[0].segs) != 1 || len(c.shards[0].segs[0].graphs) != 1 {
		t.Fatalf("want one segment with a graph, info %s", jsonOf(c.Info()))
	}
	f := filter(t, `{"must":[{"key":"g","match":{"value":7}}]}`)
	for qi := range 5 {
		q := randVec(r, dim)
		var want []int
		for i := 7; i < n; i += 100 {
			want = append(want, i)
		}
		sort.Slice(want, func(a, b int) bool {
			return refScore(point.Euclid, q, vecs[want[a]]) < refScore(point.Euclid, q, vecs[want[b]])
		})
		want = want[:10]
		res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 10, Filter: f, Params: &SearchParams{HnswEf: intp(10)}})
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, p := range res {
			got = append(got, int(p.ID.Num()))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("query %d: got %v, want brute force %v", qi, got, want)
		}
	}
}
