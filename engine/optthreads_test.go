package engine

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// sealBatches upserts batches of n points with payload {"k": batch} and
// flushes after each, so that each batch becomes a segment of its own when
// nothing merges them.
func sealBatches(t *testing.T, c *Collection, batches, n int) {
	t.Helper()
	for b := range batches {
		pts := make([]PointStruct, n)
		for i := range n {
			pts[i] = PointStruct{ID: point.NumID(uint64(b*n + i + 1)), Vector: Vectors{"": {float32(i), float32(b + 1)}},
				Payload: pl(t, `{"k": `+jsonOf(b)+`}`)}
		}
		mustUpsert(t, c, pts...)
		if err := c.Flush(); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
}

// TestOptimizationThreadsZeroDisables: max_optimization_threads 0 stops the
// collection's merges and graph builds (info shows grey and the segments
// as they were sealed) while payload indexes are still built; a PATCH to
// "auto" starts them again.
func TestOptimizationThreadsZeroDisables(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	req := simpleReq(2, point.Euclid)
	req.OptimizersConfig = &OptimizersConfigDiff{DefaultSegmentNumber: intp(1), IndexingThreshold: intp(1),
		MaxOptimizationThreads: &OptimizationThreads{N: 0}}
	c := mustCreate(t, st, "c", req)
	sealBatches(t, c, 3, 200)
	info := c.Info()
	if info.SegmentsCount != 3 || info.IndexedVectorsCount != 0 || info.Status != StatusGrey {
		t.Fatalf("optimizations disabled: %d segments, %d indexed, status %s; want 3, 0, grey",
			info.SegmentsCount, info.IndexedVectorsCount, info.Status)
	}
	if _, err := c.CreateFieldIndex(ctxb, "k", payload.FieldSchema{Type: payload.TypeInteger}, true); err != nil {
		t.Fatalf("CreateFieldIndex: %v", err)
	}
	info = c.Info()
	if info.PayloadSchema["k"].Points != 600 || info.SegmentsCount != 3 || info.IndexedVectorsCount != 0 {
		t.Fatalf("payload index with optimizations disabled: %d points indexed, %d segments, %d vectors indexed; want 600, 3, 0",
			info.PayloadSchema["k"].Points, info.SegmentsCount, info.IndexedVectorsCount)
	}
	res, err := c.Search(ctxb, SearchRequest{Vector: NamedVector{Vector: []float32{0, 1}}, Limit: 5})
	if err != nil || len(res) != 5 || res[0].ID != point.NumID(1) {
		t.Fatalf("search with optimizations disabled: %v %v", res, err)
	}
	var u CollectionUpdate
	if err := json.Unmarshal([]byte(`{"optimizers_config":{"max_optimization_threads":"auto"}}`), &u); err != nil {
		t.Fatalf("decode \"auto\": %v", err)
	}
	if err := st.UpdateCollection("c", u); err != nil {
		t.Fatalf("UpdateCollection auto: %v", err)
	}
	if cfg := c.Info().Config; cfg.OptimizerConfig.MaxOptimizationThreads != nil {
		t.Fatalf("\"auto\" stored as %d, want null", *cfg.OptimizerConfig.MaxOptimizationThreads)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	info = c.Info()
	if info.SegmentsCount != 1 || info.IndexedVectorsCount != 600 || info.Status != StatusGreen || info.PointsCount != 600 {
		t.Fatalf("after PATCH to auto: %d segments, %d indexed, %d points, status %s; want 1, 600, 600, green",
			info.SegmentsCount, info.IndexedVectorsCount, info.PointsCount, info.Status)
	}
}

// TestOptimizationThreadsZeroKeepsGraphs: disabling optimizations after a
// segment got its graph keeps the graph through a payload index rebuild.
func TestOptimizationThreadsZeroKeepsGraphs(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	req := simpleReq(2, point.Euclid)
	req.OptimizersConfig = &OptimizersConfigDiff{IndexingThreshold: intp(1)}
	c := mustCreate(t, st, "c", req)
	sealBatches(t, c, 1, 200)
	if n := c.Info().IndexedVectorsCount; n != 200 {
		t.Fatalf("indexed %d, want 200", n)
	}
	off := CollectionUpdate{OptimizersConfig: &OptimizersConfigDiff{MaxOptimizationThreads: &OptimizationThreads{N: 0}}}
	if err := st.UpdateCollection("c", off); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFieldIndex(ctxb, "k", payload.FieldSchema{Type: payload.TypeInteger}, true); err != nil {
		t.Fatal(err)
	}
	if info := c.Info(); info.IndexedVectorsCount != 200 || info.PayloadSchema["k"].Points != 200 || info.Status != StatusGreen {
		t.Fatalf("after a payload index with optimizations disabled: %d indexed, %d in the payload index, status %s",
			info.IndexedVectorsCount, info.PayloadSchema["k"].Points, info.Status)
	}
}

// TestOptimizationThreadsJSON: the body value is a non-negative integer or
// "auto", anything else a 400 naming the setting.
func TestOptimizationThreadsJSON(t *testing.T) {
	for body, want := range map[string]*OptimizationThreads{
		`"auto"`: {Auto: true}, `0`: {N: 0}, `3`: {N: 3},
		`-1`: nil, `1.5`: nil, `"x"`: nil, `true`: nil, `99999999999999999999`: nil,
	} {
		var d OptimizersConfigDiff
		err := json.Unmarshal([]byte(`{"max_optimization_threads":`+body+`}`), &d)
		switch {
		case want == nil && !errors.Is(err, ErrBadRequest):
			t.Errorf("%s: %v, want ErrBadRequest", body, err)
		case want != nil && (err != nil || *d.MaxOptimizationThreads != *want):
			t.Errorf("%s: %+v %v, want %+v", body, d.MaxOptimizationThreads, err, want)
		}
	}
	var d OptimizersConfigDiff
	if err := json.Unmarshal([]byte(`{"max_optimization_threads":null}`), &d); err != nil || d.MaxOptimizationThreads != nil {
		t.Errorf("null: %+v %v", d.MaxOptimizationThreads, err)
	}
}
