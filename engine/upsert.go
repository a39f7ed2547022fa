package engine

import (
	"context"
	"runtime"
	"sync"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// Upsert inserts or replaces whole points. Every point is validated first
// (ErrBadRequest names the vector and the sizes); nothing is written when
// one is invalid. With wait, it returns once the write is durable. Within
// a batch, a later point with the same id wins.
func (c *Collection) Upsert(ctx context.Context, points []PointStruct, wait bool) (UpdateResult, error) {
	return c.upsert(ctx, points, nil, wait)
}

// upsert is Upsert, conditional when opts is set (UpsertWith).
func (c *Collection) upsert(ctx context.Context, points []PointStruct, opts *UpsertOptions, wait bool) (UpdateResult, error) {
	ctx, err := c.checkWrite(ctx, writeCheck{points: len(points), batchName: "upsert limit", grows: true, sparse: sparseOf(points, func(p *PointStruct) SparseVectors { return p.Sparse })})
	if err != nil {
		return UpdateResult{}, err
	}
	pts := make([]pointData, len(points))
	floats := make([]int, len(points)+1) // floats[i]: arena offset of point i
	for i := range points {
		n := 0
		for _, v := range points[i].Vector {
			n += len(v)
		}
		floats[i+1] = floats[i] + n
	}
	arena := getArena(floats[len(points)])
	defer putArena(arena) // the head copies what it keeps
	if err := c.preparePoints(points, pts, arena[:cap(arena)], floats); err != nil {
		return UpdateResult{}, err
	}
	groups := byShard(c, pts, func(p *pointData) point.ID { return p.id })
	return c.writeAll(ctx, wait, func(s *shard) shardWrite {
		g := groups[s.id]
		if len(g) == 0 {
			return nil
		}
		return func(s *shard) (*op, error) {
			return &op{kind: kindPut, puts: s.keepLocked(g, opts, func(p *pointData) point.ID { return p.id })}, nil
		}
	})
}

// parallelMin is the batch size from which preparePoints splits the work
// between two goroutines: below it the hand-off costs more than it saves.
const parallelMin = 256

// preparePoints validates and copies points into pts, carving point i's
// vectors from arena[floats[i]:floats[i+1]]. Large batches are prepared by
// two goroutines, each on its own half. The error is that of the first
// invalid point, as a sequential loop would return it.
func (c *Collection) preparePoints(points []PointStruct, pts []pointData, arena []float32, floats []int) error {
	prepare := func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			a := arena[floats[i]:floats[i]:floats[i+1]]
			vecs, err := c.prepareVectors(points[i].ID, points[i].Vector, &a)
			if err != nil {
				return err
			}
			sv, err := c.prepareSparseVectors(i, points[i].Sparse)
			if err != nil {
				return err
			}
			pl, err := encodePayload(points[i].Payload)
			if err != nil {
				return err
			}
			pts[i] = pointData{id: points[i].ID, vectors: vecs, sparse: sv, payload: pl}
		}
		return nil
	}
	if len(points) < parallelMin || runtime.GOMAXPROCS(0) < 2 {
		return prepare(0, len(points))
	}
	mid := len(points) / 2
	done := make(chan error, 1)
	go func() { done <- prepare(mid, len(points)) }()
	err := prepare(0, mid)
	if err2 := <-done; err == nil {
		err = err2
	}
	return err
}

// UpdateVectors replaces the given vectors of existing points, keeping
// their other vectors and payload. A missing point fails with
// ErrPointNotFound and nothing is written to its shard.
func (c *Collection) UpdateVectors(ctx context.Context, points []PointVectors, wait bool) (UpdateResult, error) {
	return c.UpdateVectorsWith(ctx, points, nil, wait)
}

// UpdateVectorsWith is UpdateVectors with Qdrant's update_filter: only the
// points that match f (nil: every point) are updated, the others are left
// as they are; the match is decided under the shard's write lock, against
// the state the write replaces.
func (c *Collection) UpdateVectorsWith(ctx context.Context, points []PointVectors, f *payload.Filter, wait bool) (UpdateResult, error) {
	if err := checkFilter(f); err != nil {
		return UpdateResult{}, err
	}
	ctx, err := c.checkWrite(ctx, writeCheck{points: len(points), batchName: "update limit", vectors: true, sparse: sparseOf(points, func(p *PointVectors) SparseVectors { return p.Sparse })})
	if err != nil {
		return UpdateResult{}, err
	}
	prepared := make([]PointVectors, len(points))
	for i, p := range points {
		vecs, err := c.prepareVectors(p.ID, p.Vector, nil)
		if err != nil {
			return UpdateResult{}, err
		}
		sv, err := c.prepareSparseVectors(i, p.Sparse)
		if err != nil {
			return UpdateResult{}, err
		}
		prepared[i] = PointVectors{ID: p.ID, Vector: vecs, Sparse: sv}
	}
	groups := byShard(c, prepared, func(p *PointVectors) point.ID { return p.ID })
	return c.writeAll(ctx, wait, func(s *shard) shardWrite {
		g := groups[s.id]
		if len(g) == 0 {
			return nil
		}
		return func(s *shard) (*op, error) {
			o := &op{kind: kindPut}
			// A repeated id updates the result of its earlier updates.
			at := make(map[point.ID]int, len(g))
			for _, pv := range g {
				if i, ok := at[pv.ID]; ok {
					for name, v := range pv.Vector {
						o.puts[i].vectors[name] = v
					}
					o.puts[i].sparse = withSparse(o.puts[i].sparse, pv.Sparse)
					continue
				}
				cur, ok := s.getLocked(pv.ID)
				if !ok {
					return nil, errPointNotFound(pv.ID)
				}
				vecs := copyVectors(cur.vectors)
				for name, v := range pv.Vector {
					vecs[name] = v
				}
				at[pv.ID] = len(o.puts)
				sparse := withSparse(copySparse(cur.sparse), pv.Sparse)
				o.puts = append(o.puts, pointData{id: pv.ID, vectors: vecs, sparse: sparse, payload: cur.payload})
			}
			if f != nil {
				o.puts = s.matchingLocked(o.puts, f)
			}
			return o, nil
		}
	})
}

// DeleteVectors removes the named vectors from the selected points.
func (c *Collection) DeleteVectors(ctx context.Context, req DeleteVectors, wait bool) (UpdateResult, error) {
	cfg := c.core.config()
	if len(req.Vector) == 0 {
		return UpdateResult{}, errBadRequest("vector: at least one vector name is required")
	}
	for _, n := range req.Vector {
		_, dense := cfg.Params.Vectors[n]
		if _, sparse := cfg.Params.SparseVectors[n]; !dense && !sparse {
			return UpdateResult{}, errBadRequest("Not existing vector name error: %s", n)
		}
	}
	sel := PointsSelector{Points: req.Points, Filter: req.Filter}
	return c.modify(ctx, sel, wait, true, false, func(p *pointData) error {
		vecs := copyVectors(p.vectors)
		sparse := copySparse(p.sparse)
		for _, n := range req.Vector {
			delete(vecs, n)
			delete(sparse, n)
		}
		p.vectors, p.sparse = vecs, sparse
		return nil
	})
}

func copyVectors(m map[string][]float32) map[string][]float32 {
	out := make(map[string][]float32, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// copySparse returns a copy of the map (the vectors are shared: nothing
// changes a stored vector in place).
func copySparse(m map[string]point.SparseVector) map[string]point.SparseVector {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]point.SparseVector, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// withSparse sets the vectors of set in m (allocated when nil).
func withSparse(m map[string]point.SparseVector, set SparseVectors) map[string]point.SparseVector {
	if len(set) == 0 {
		return m
	}
	if m == nil {
		m = make(map[string]point.SparseVector, len(set))
	}
	for k, v := range set {
		m[k] = v
	}
	return m
}

// arenaPool recycles the per-batch vector copies (see recordPool).
var arenaPool sync.Pool

func getArena(n int) []float32 {
	if a, ok := arenaPool.Get().(*[]float32); ok && cap(*a) >= n {
		return (*a)[:0]
	}
	return make([]float32, 0, n)
}

func putArena(a []float32) {
	if cap(a)*4 <= maxPooled {
		arenaPool.Put(&a)
	}
}
