package engine

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// edgeCase is one collection setting at an edge of what Validate accepts.
type edgeCase struct {
	name string
	set  func(*CreateCollection)
	// indexed is the indexed_vectors_count after a flush.
	indexed int
	// sparse: the graph is too sparse for a wide search to find the exact
	// top 10 (m = 1, as in Qdrant).
	sparse bool
}

func hnswOf(r *CreateCollection) *HnswConfigDiff {
	if r.HnswConfig == nil {
		r.HnswConfig = &HnswConfigDiff{}
	}
	return r.HnswConfig
}

// edgeCases are the settings whose edge values a later step once refused
// or mishandled, or that Qdrant gives a meaning of their own (0 = auto,
// 0 = never): each must work end to end.
var edgeCases = []edgeCase{
	{"m 0 (no graph)", func(r *CreateCollection) { hnswOf(r).M = intp(0) }, 0, false},
	{"m 1", func(r *CreateCollection) { hnswOf(r).M = intp(1) }, 270, true},
	{"m 2", func(r *CreateCollection) { hnswOf(r).M = intp(2) }, 270, true},
	{"vector m 0 under collection m 16", func(r *CreateCollection) {
		vp := r.Vectors[""]
		vp.HnswConfig = &HnswConfigDiff{M: intp(0)}
		r.Vectors[""] = vp
	}, 0, false},
	{"ef_construct 4 below m 16", func(r *CreateCollection) { hnswOf(r).EfConstruct = intp(4) }, 270, false},
	{"full_scan_threshold 10", func(r *CreateCollection) { hnswOf(r).FullScanThreshold = intp(10) }, 270, false},
	{"max_indexing_threads 1", func(r *CreateCollection) { hnswOf(r).MaxIndexingThreads = intp(1) }, 270, false},
	{"payload_m 0", func(r *CreateCollection) { hnswOf(r).PayloadM = intp(0) }, 270, false},
	{"indexing_threshold 0 (never index)", func(r *CreateCollection) { r.OptimizersConfig.IndexingThreshold = intp(0) }, 0, false},
	{"memmap_threshold 0", func(r *CreateCollection) { r.OptimizersConfig.MemmapThreshold = intp(0) }, 270, false},
	{"default_segment_number 0 (auto)", func(r *CreateCollection) { r.OptimizersConfig.DefaultSegmentNumber = intp(0) }, 270, false},
	{"max_segment_size 1", func(r *CreateCollection) { r.OptimizersConfig.MaxSegmentSize = intp(1) }, 270, false},
	{"flush_interval_sec 0", func(r *CreateCollection) { r.OptimizersConfig.FlushIntervalSec = intp(0) }, 270, false},
	{"deleted_threshold 0", func(r *CreateCollection) {
		r.OptimizersConfig.DeletedThreshold = new(0.0)
		r.OptimizersConfig.VacuumMinVectorNumber = intp(100)
	}, 270, false},
	{"deleted_threshold 1", func(r *CreateCollection) { r.OptimizersConfig.DeletedThreshold = new(1.0) }, 270, false},
	{"vacuum_min_vector_number 100", func(r *CreateCollection) { r.OptimizersConfig.VacuumMinVectorNumber = intp(100) }, 270, false},
	{"max_optimization_threads 0 (disabled)", func(r *CreateCollection) {
		r.OptimizersConfig.MaxOptimizationThreads = &OptimizationThreads{N: 0}
	}, 0, false},
	{"max_optimization_threads 1", func(r *CreateCollection) {
		r.OptimizersConfig.MaxOptimizationThreads = &OptimizationThreads{N: 1}
	}, 270, false},
	{"wal_capacity_mb 1", func(r *CreateCollection) { r.WalConfig = &WalConfigDiff{WalCapacityMB: intp(1)} }, 270, false},
	{"shard_number 3", func(r *CreateCollection) { r.ShardNumber = intp(3) }, 270, false},
}

// TestSettingEdgeValues creates a collection with each edge value,
// upserts 300 points in three flushed batches, deletes 30, flushes, and
// checks that nothing failed in the background, the counts, and that
// searches answer: exact ones as brute force, the others too unless the
// graph is sparse by design.
func TestSettingEdgeValues(t *testing.T) {
	const dim = 4
	for _, tc := range edgeCases {
		t.Run(tc.name, func(t *testing.T) {
			st := openTest(t, t.TempDir(), nil)
			defer st.Close()
			req := simpleReq(dim, point.Euclid)
			// 1 kB = 64 vectors of dimension 4: graphs from 64 points.
			req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(1), DefaultSegmentNumber: intp(1)}
			tc.set(&req)
			c := mustCreate(t, st, "c", req)
			r := rand.New(rand.NewPCG(7, 9))
			vecs := map[uint64][]float32{}
			for b := range 3 {
				var pts []PointStruct
				for i := range 100 {
					id := uint64(b*100 + i + 1)
					vecs[id] = randVec(r, dim)
					pts = append(pts, PointStruct{ID: point.NumID(id), Vector: Vectors{"": vecs[id]}})
				}
				mustUpsert(t, c, pts...)
				if err := c.Flush(); err != nil {
					t.Fatalf("Flush: %v", err)
				}
			}
			var del []point.ID
			for id := uint64(1); id <= 30; id++ {
				del = append(del, point.NumID(id))
				delete(vecs, id)
			}
			if _, err := c.Delete(ctxb, PointsSelector{Points: del}, true); err != nil {
				t.Fatal(err)
			}
			if err := c.Flush(); err != nil {
				t.Fatalf("Flush after delete: %v", err)
			}
			info := c.Info()
			if info.Status == StatusRed || info.OptimizerStatus.Error != "" || info.PointsCount != 270 ||
				info.IndexedVectorsCount != tc.indexed {
				t.Fatalf("info: status %s (%q), %d points, %d indexed; want not red, 270 points, %d indexed",
					info.Status, info.OptimizerStatus.Error, info.PointsCount, info.IndexedVectorsCount, tc.indexed)
			}
			for qi := range 5 {
				q := randVec(r, dim)
				want := bruteTop(vecs, q, 10)
				exact := searchIDs(t, c, q, &SearchParams{Exact: true})
				if !slices.Equal(exact, want) {
					t.Fatalf("query %d: exact search %v, want %v", qi, exact, want)
				}
				got := searchIDs(t, c, q, &SearchParams{HnswEf: intp(300)})
				if len(got) == 0 || !tc.sparse && !slices.Equal(got, want) {
					t.Fatalf("query %d: search %v, want %v", qi, got, want)
				}
			}
		})
	}
}

func searchIDs(t *testing.T, c *Collection, q []float32, p *SearchParams) []uint64 {
	t.Helper()
	res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: q}, Limit: 10, Params: p})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	ids := make([]uint64, len(res))
	for i, p := range res {
		ids[i] = p.ID.Num()
	}
	return ids
}

// bruteTop is the ids of the k vectors closest to q (Euclid).
func bruteTop(vecs map[uint64][]float32, q []float32, k int) []uint64 {
	ids := make([]uint64, 0, len(vecs))
	for id := range vecs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool {
		da, db := refScore(point.Euclid, q, vecs[ids[a]]), refScore(point.Euclid, q, vecs[ids[b]])
		return da < db || da == db && ids[a] < ids[b]
	})
	return ids[:k]
}

// TestFullScanThresholdRequestMinimum: a request's full_scan_threshold
// below Qdrant's minimum of 10 is refused (ErrInvalid naming it) on
// create, per vector and on update, and changes nothing.
func TestFullScanThresholdRequestMinimum(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	for _, req := range []CreateCollection{
		{Vectors: VectorsConfig{"": {Size: 4, Distance: point.Dot}}, HnswConfig: &HnswConfigDiff{FullScanThreshold: intp(9)}},
		{Vectors: VectorsConfig{"": {Size: 4, Distance: point.Dot, HnswConfig: &HnswConfigDiff{FullScanThreshold: intp(0)}}}},
	} {
		err := st.CreateCollection("c", req)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "full_scan_threshold: value") {
			t.Fatalf("create: %v, want ErrInvalid naming full_scan_threshold", err)
		}
	}
	mustCreate(t, st, "c", simpleReq(4, point.Dot))
	err := st.UpdateCollection("c", CollectionUpdate{HnswConfig: &HnswConfigDiff{FullScanThreshold: intp(5)}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "must be 10 or more") {
		t.Fatalf("update: %v, want ErrInvalid", err)
	}
	c, _ := st.Collection("c")
	if got := c.Info().Config.HnswConfig.FullScanThreshold; got != DefaultFullScanThresholdKB {
		t.Fatalf("a refused update set full_scan_threshold %d", got)
	}
}

// TestSealDueFlushIntervalZero: flush_interval_sec 0 (no minimum interval
// in Qdrant) makes any non-empty head due at once.
func TestSealDueFlushIntervalZero(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	req := simpleReq(2, point.Dot)
	req.OptimizersConfig = &OptimizersConfigDiff{FlushIntervalSec: intp(0)}
	c := mustCreate(t, st, "c", req)
	if c.shards[0].sealDue() {
		t.Fatal("empty head due")
	}
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 1}}})
	if !c.shards[0].sealDue() {
		t.Fatal("flush_interval_sec 0: a head with a point is not due")
	}
}
