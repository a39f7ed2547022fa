package engine

import (
	"context"
	"sync"

	"github.com/cairn-db/cairn/point"
)

// Upsert inserts or replaces whole points. Every point is validated first
// (ErrBadRequest names the vector and the sizes); nothing is written when
// one is invalid. With wait, it returns once the write is durable. Within
// a batch, a later point with the same id wins.
func (c *Collection) Upsert(ctx context.Context, points []PointStruct, wait bool) (UpdateResult, error) {
	pts := make([]pointData, len(points))
	floats := 0
	for i := range points {
		for _, v := range points[i].Vector {
			floats += len(v)
		}
	}
	arena := getArena(floats)
	defer putArena(arena) // the head copies what it keeps
	for i := range points {
		vecs, err := c.prepareVectors(points[i].ID, points[i].Vector, &arena)
		if err != nil {
			return UpdateResult{}, err
		}
		pl, err := encodePayload(points[i].Payload)
		if err != nil {
			return UpdateResult{}, err
		}
		pts[i] = pointData{id: points[i].ID, vectors: vecs, payload: pl}
	}
	groups := byShard(c, pts, func(p *pointData) point.ID { return p.id })
	return c.writeAll(ctx, wait, func(s *shard) shardWrite {
		g := groups[s.id]
		if len(g) == 0 {
			return nil
		}
		return func(*shard) (*op, error) { return &op{kind: kindPut, puts: g}, nil }
	})
}

// UpdateVectors replaces the given vectors of existing points, keeping
// their other vectors and payload. A missing point fails with
// ErrPointNotFound and nothing is written to its shard.
func (c *Collection) UpdateVectors(ctx context.Context, points []PointVectors, wait bool) (UpdateResult, error) {
	prepared := make([]PointVectors, len(points))
	for i, p := range points {
		vecs, err := c.prepareVectors(p.ID, p.Vector, nil)
		if err != nil {
			return UpdateResult{}, err
		}
		prepared[i] = PointVectors{ID: p.ID, Vector: vecs}
	}
	groups := byShard(c, prepared, func(p *PointVectors) point.ID { return p.ID })
	return c.writeAll(ctx, wait, func(s *shard) shardWrite {
		g := groups[s.id]
		if len(g) == 0 {
			return nil
		}
		return func(s *shard) (*op, error) {
			o := &op{kind: kindPut}
			for _, pv := range g {
				cur, ok := s.getLocked(pv.ID)
				if !ok {
					return nil, errPointNotFound(pv.ID)
				}
				vecs := copyVectors(cur.vectors)
				for name, v := range pv.Vector {
					vecs[name] = v
				}
				o.puts = append(o.puts, pointData{id: pv.ID, vectors: vecs, payload: cur.payload})
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
		if _, ok := cfg.Params.Vectors[n]; !ok {
			return UpdateResult{}, errBadRequest("Not existing vector name error: %s", n)
		}
	}
	sel := PointsSelector{Points: req.Points, Filter: req.Filter}
	return c.modify(ctx, sel, wait, true, func(p *pointData) {
		vecs := copyVectors(p.vectors)
		for _, n := range req.Vector {
			delete(vecs, n)
		}
		p.vectors = vecs
	})
}

func copyVectors(m map[string][]float32) map[string][]float32 {
	out := make(map[string][]float32, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
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
