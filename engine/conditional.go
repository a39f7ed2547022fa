package engine

import (
	"context"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// UpdateMode is Qdrant's update_mode of an upsert.
type UpdateMode string

// The update modes: upsert (the default) inserts new points and replaces
// existing ones; insert_only leaves existing points as they are;
// update_only inserts no new point.
const (
	UpdateModeUpsert     UpdateMode = "upsert"
	UpdateModeInsertOnly UpdateMode = "insert_only"
	UpdateModeUpdateOnly UpdateMode = "update_only"
)

// UpsertOptions makes an upsert conditional (Qdrant's update_mode and
// update_filter). The zero value is a plain upsert.
type UpsertOptions struct {
	// Mode is "" or UpdateModeUpsert for a plain upsert.
	Mode UpdateMode
	// Filter, when set, replaces an existing point only if it matches
	// (insert_only ignores it, as Qdrant does); new points are inserted
	// regardless (unless Mode is update_only).
	Filter *payload.Filter
}

func (o UpsertOptions) plain() bool {
	return (o.Mode == "" || o.Mode == UpdateModeUpsert) && o.Filter == nil
}

func (o UpsertOptions) validate() error {
	switch o.Mode {
	case "", UpdateModeUpsert, UpdateModeInsertOnly, UpdateModeUpdateOnly:
	default:
		return errBadRequestText("Format error in JSON body: update_mode: unknown variant `%s`, expected one of `upsert`, `insert_only`, `update_only`", o.Mode)
	}
	return checkFilter(o.Filter)
}

// UpsertWith is Upsert made conditional by opts. Each point is kept or
// skipped under its shard's write lock, against the state the write
// replaces, so no concurrent write slips between the check and the write;
// a skipped point is left exactly as it was.
func (c *Collection) UpsertWith(ctx context.Context, points []PointStruct, opts UpsertOptions, wait bool) (UpdateResult, error) {
	if err := opts.validate(); err != nil {
		return UpdateResult{}, err
	}
	if opts.plain() {
		return c.Upsert(ctx, points, wait)
	}
	return c.upsert(ctx, points, &opts, wait)
}

// keepLocked returns the points of g that opts lets through, in order.
// Caller holds s.mu.
func (s *shard) keepLocked(g []pointData, opts *UpsertOptions, id func(*pointData) point.ID) []pointData {
	if opts == nil {
		return g
	}
	exists := make(map[point.ID]bool, len(g))
	anyExisting := false
	for i := range g {
		_, ok := s.getLocked(id(&g[i]))
		exists[id(&g[i])] = ok
		anyExisting = anyExisting || ok
	}
	var matches map[point.ID]bool
	if opts.Filter != nil && anyExisting && opts.Mode != UpdateModeInsertOnly {
		matches = map[point.ID]bool{}
		s.matchLocked(opts.Filter, func(pid point.ID) {
			if _, ok := exists[pid]; ok {
				matches[pid] = true
			}
		})
	}
	out := make([]pointData, 0, len(g))
	for i := range g {
		pid := id(&g[i])
		switch {
		case !exists[pid] && opts.Mode == UpdateModeUpdateOnly:
			continue // update_only inserts nothing
		case exists[pid] && opts.Mode == UpdateModeInsertOnly:
			continue // insert_only leaves existing points alone
		case exists[pid] && matches != nil && !matches[pid]:
			continue // an existing point the update_filter does not match
		}
		out = append(out, g[i])
	}
	return out
}

// matchingLocked returns the points of g whose stored state matches f, in
// order. Caller holds s.mu.
func (s *shard) matchingLocked(g []pointData, f *payload.Filter) []pointData {
	want := make(map[point.ID]bool, len(g))
	for i := range g {
		want[g[i].id] = false
	}
	s.matchLocked(f, func(id point.ID) {
		if _, ok := want[id]; ok {
			want[id] = true
		}
	})
	out := g[:0:0]
	for i := range g {
		if want[g[i].id] {
			out = append(out, g[i])
		}
	}
	return out
}
