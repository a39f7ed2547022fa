package engine

import (
	"bytes"
	"context"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// getLocked returns the live version of id in the shard. Vectors alias the
// head or the segment mapping (copy them before keeping them past the lock);
// the payload is always safe to keep. Caller holds mu (either mode).
func (s *shard) getLocked(id point.ID) (pointData, bool) {
	p, _, ok := s.getVersionLocked(id)
	return p, ok
}

func (s *shard) getVersionLocked(id point.ID) (pointData, uint64, bool) {
	if slot, ok := s.head.lookup(id); ok {
		return s.head.pointAt(slot), s.head.versions[slot], true
	}
	if s.frozen != nil {
		if slot, ok := s.frozen.lookup(id); ok {
			return s.frozen.pointAt(slot), s.frozen.versions[slot], true
		}
	}
	for _, h := range s.segs {
		off, ok := h.seg.Lookup(id)
		if !ok || h.deleted.Load().Has(int(off)) {
			continue
		}
		r := segmentRecord(h.seg, off)
		// The head keeps payload slices as they are: never alias a mapping.
		return pointData{id: r.ID, vectors: r.Vectors, sparse: h.sparseAt(off), payload: bytes.Clone(r.Payload)}, r.Version, true
	}
	return pointData{}, 0, false
}

// matchLocked calls fn for every live point of the shard that matches f (all
// when f is nil). Caller holds mu.
func (s *shard) matchLocked(f *payload.Filter, fn func(id point.ID)) {
	defs := s.core.indexDefs()
	s.matchHeadsLocked(f, defs, func(m *memTable, slot int) { fn(m.ids[slot]) })
	for _, h := range s.segs {
		del := h.deleted.Load()
		var mt *payload.Matcher
		if f != nil {
			mt = payload.Plan(f, segSource{h: h, defs: defs})
		}
		for off := range h.seg.Len() {
			if !del.Has(off) && (mt == nil || mt.Match(uint32(off))) {
				fn(h.seg.ID(uint32(off)))
			}
		}
	}
}

// matchHeadsLocked calls fn for every live slot of the shard's heads that
// matches f (all when f is nil). Caller holds mu.
func (s *shard) matchHeadsLocked(f *payload.Filter, defs map[string]payload.FieldSchema, fn func(m *memTable, slot int)) {
	for _, m := range s.memTablesLocked() {
		if m == nil {
			continue
		}
		for slot, live := range m.live {
			if live && m.match(f, slot, defs) {
				fn(m, slot)
			}
		}
	}
}

// selectLocked resolves a selector within the shard: the listed ids routed
// here (strict: a missing one is ErrPointNotFound), or the filter's matches.
func (s *shard) selectLocked(c *Collection, sel PointsSelector, strict bool) ([]point.ID, error) {
	if sel.Filter != nil || sel.Points == nil {
		var ids []point.ID
		s.matchLocked(sel.Filter, func(id point.ID) { ids = append(ids, id) })
		return ids, nil
	}
	var ids []point.ID
	for _, id := range sel.Points {
		if c.shardIndex(id.Hash()) != s.id {
			continue
		}
		if _, ok := s.getLocked(id); !ok {
			if strict {
				return nil, errPointNotFound(id)
			}
			continue
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// modify rewrites the selected points with fn (which changes a copy) as
// puts of whole points, so that replay needs no earlier state. An error
// from fn fails the whole request before anything is written. A payload
// write (set or overwrite) passes payload, for strict mode's size limit.
func (c *Collection) modify(ctx context.Context, sel PointsSelector, wait, strict, payload bool, fn func(p *pointData) error) (UpdateResult, error) {
	if sel.Filter == nil && sel.Points == nil {
		return UpdateResult{}, errBadRequest("either points or filter must be given")
	}
	if err := checkFilter(sel.Filter); err != nil {
		return UpdateResult{}, err
	}
	ctx, err := c.checkSelected(ctx, sel, payload)
	if err != nil {
		return UpdateResult{}, err
	}
	return c.writeAll(ctx, wait, func(*shard) shardWrite {
		return func(s *shard) (*op, error) {
			ids, err := s.selectLocked(c, sel, strict)
			if err != nil {
				return nil, err
			}
			o := &op{kind: kindPut, puts: make([]pointData, 0, len(ids))}
			for _, id := range ids {
				p, _ := s.getLocked(id)
				if err := fn(&p); err != nil {
					return nil, err
				}
				o.puts = append(o.puts, p)
			}
			return o, nil
		}
	})
}

// Delete deletes the selected points (ids that do not exist are ignored).
func (c *Collection) Delete(ctx context.Context, sel PointsSelector, wait bool) (UpdateResult, error) {
	if sel.Filter == nil && sel.Points == nil {
		return UpdateResult{}, errBadRequest("either points or filter must be given")
	}
	if err := checkFilter(sel.Filter); err != nil {
		return UpdateResult{}, err
	}
	ctx, err := c.checkSelected(ctx, sel, false)
	if err != nil {
		return UpdateResult{}, err
	}
	return c.writeAll(ctx, wait, func(*shard) shardWrite {
		return func(s *shard) (*op, error) {
			ids, err := s.selectLocked(c, sel, false)
			if err != nil {
				return nil, err
			}
			return &op{kind: kindDelete, dels: ids}, nil
		}
	})
}
