package engine

import (
	"context"
	"slices"
	"sort"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// DefaultScrollLimit is Qdrant's page size when a scroll sets none.
const DefaultScrollLimit = 10

// Scroll returns one page of points in id order, starting at req.Offset,
// with the id of the next page's first point.
func (c *Collection) Scroll(ctx context.Context, req ScrollRequest) (ScrollResult, error) {
	limit := req.Limit
	if limit == 0 {
		limit = DefaultScrollLimit
	}
	if limit < 0 {
		return ScrollResult{}, errInvalid("limit", "value %d invalid, must be 1 or more", limit)
	}
	if err := checkFilter(req.Filter); err != nil {
		return ScrollResult{}, err
	}
	ctx, err := c.checkRead(ctx, false, readCheck{limit: &limit, filters: []filterRef{{f: req.Filter}}})
	if err != nil {
		return ScrollResult{}, err
	}
	wp, wv := withPayloadOr(req.WithPayload, true), withVectorOr(req.WithVector)
	if req.OrderBy != nil {
		return c.scrollOrdered(ctx, req, limit, wp, wv)
	}
	var all []Record
	for _, s := range c.shards {
		if err := ctx.Err(); err != nil {
			return ScrollResult{}, err
		}
		all = append(all, s.scroll(ctx, req.Offset, req.Filter, satAdd(limit, 1), wp, wv)...)
	}
	if err := ctx.Err(); err != nil {
		return ScrollResult{}, err
	}
	sort.Slice(all, func(i, j int) bool { return point.Compare(all[i].ID, all[j].ID) < 0 })
	res := ScrollResult{Points: all}
	if len(all) > limit {
		next := all[limit].ID
		res.NextPageOffset = &next
		res.Points = all[:limit]
	}
	if res.Points == nil {
		res.Points = []Record{}
	}
	return res, nil
}

// scroll returns up to n matching records of the shard with id >= from, the
// smallest ids first (in no particular order). A done ctx stops it early
// (the caller then discards the result).
func (s *shard) scroll(ctx context.Context, from *point.ID, f *payload.Filter, n int, wp WithPayload, wv WithVector) []Record {
	out, view := s.scrollHeads(from, f, n, wp, wv)
	defer releaseView(view)
	for _, sv := range view {
		if ctx.Err() != nil {
			break
		}
		out = append(out, sv.scroll(ctx, from, f, n, wp, wv)...)
	}
	return out
}

// scrollHeads reads the heads' records and pins the segment views under
// the read lock (released on every path, panics included). The caller
// must call releaseView.
func (s *shard) scrollHeads(from *point.ID, f *payload.Filter, n int, wp WithPayload, wv WithVector) ([]Record, []segView) {
	atLeast := func(id point.ID) bool { return from == nil || point.Compare(id, *from) >= 0 }
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Record
	defs := s.core.indexDefs()
	for _, m := range s.memTablesLocked() {
		if m == nil {
			continue
		}
		var slots []int
		for slot, live := range m.live {
			if live && atLeast(m.ids[slot]) && m.match(f, slot, defs) {
				slots = append(slots, slot)
			}
		}
		slices.SortFunc(slots, func(a, b int) int { return point.Compare(m.ids[a], m.ids[b]) })
		for _, slot := range slots[:min(n, len(slots))] {
			out = append(out, record(m.pointAt(slot), wp, wv))
		}
	}
	return out, s.viewLocked()
}

func (sv segView) scroll(ctx context.Context, from *point.ID, f *payload.Filter, n int, wp WithPayload, wv WithVector) []Record {
	seg := sv.h.seg
	start := 0
	if from != nil {
		start = sort.Search(seg.Len(), func(i int) bool { return point.Compare(seg.ID(uint32(i)), *from) >= 0 })
	}
	var mt *payload.Matcher
	if f != nil {
		mt = payload.Plan(f, sv.source())
	}
	var out []Record
	for off := start; off < seg.Len() && len(out) < n; off++ {
		if (off-start)%ctxCheckEvery == 0 && ctx.Err() != nil {
			break
		}
		if sv.del.Has(off) || (mt != nil && !mt.Match(uint32(off))) {
			continue
		}
		rec := Record{ID: seg.ID(uint32(off))}
		rec.Payload, rec.Vector, rec.Sparse = segmentData(sv.h, uint32(off), wp, wv)
		out = append(out, rec)
	}
	return out
}

// Count returns the exact number of points matching req.Filter.
func (c *Collection) Count(ctx context.Context, req CountRequest) (int, error) {
	if err := checkFilter(req.Filter); err != nil {
		return 0, err
	}
	ctx, err := c.checkRead(ctx, false, readCheck{filters: []filterRef{{f: req.Filter}}})
	if err != nil {
		return 0, err
	}
	total := 0
	for _, s := range c.shards {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		total += s.count(ctx, req.Filter)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return total, nil
}

// count counts the shard's matching points; a done ctx stops it early (the
// caller then discards the count).
func (s *shard) count(ctx context.Context, f *payload.Filter) int {
	n, view := s.countHeads(f)
	defer releaseView(view)
	for _, sv := range view {
		if ctx.Err() != nil {
			break
		}
		if f == nil {
			n += sv.h.seg.Len() - sv.h.deletedCount(sv.del)
			continue
		}
		mt := payload.Plan(f, sv.source())
		for off := range sv.h.seg.Len() {
			if off%ctxCheckEvery == 0 && ctx.Err() != nil {
				break
			}
			if !sv.del.Has(off) && mt.Match(uint32(off)) {
				n++
			}
		}
	}
	return n
}

// countHeads counts the heads' matching points and pins the segment views
// under the read lock (released on every path, panics included). The
// caller must call releaseView.
func (s *shard) countHeads(f *payload.Filter) (int, []segView) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	defs := s.core.indexDefs()
	for _, m := range s.memTablesLocked() {
		if m == nil {
			continue
		}
		if f == nil {
			n += m.nlive
			continue
		}
		for slot, live := range m.live {
			if live && m.match(f, slot, defs) {
				n++
			}
		}
	}
	return n, s.viewLocked()
}
