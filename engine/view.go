package engine

import (
	"context"
	"slices"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/segment"
)

// segView is a reader's pinned segment with the deletion state it read.
type segView struct {
	h    *segHandle
	del  *segment.Bitmap
	defs map[string]payload.FieldSchema // the payload indexes filters may use
}

func (sv segView) source() segSource { return segSource{h: sv.h, defs: sv.defs} }

// viewLocked pins the live segments with their current deletion bitmaps.
// Caller holds mu (either mode) and must call releaseView.
func (s *shard) viewLocked() []segView {
	return s.appendViewLocked(make([]segView, 0, len(s.segs)), s.core.indexDefs())
}

// appendViewLocked appends the pinned live segments to v, with the payload
// index definitions defs for filter planning (nil: no filter will be
// planned on them). Caller holds mu and must call releaseView.
func (s *shard) appendViewLocked(v []segView, defs map[string]payload.FieldSchema) []segView {
	for _, h := range s.segs {
		h.acquire()
		v = append(v, segView{h: h, del: h.deleted.Load(), defs: defs})
	}
	return v
}

func releaseView(v []segView) {
	for _, sv := range v {
		sv.h.release()
	}
}

// memTablesLocked returns the head and the frozen head, nil when there is
// none: callers skip nil entries. An array, so that no call allocates.
// Caller holds mu.
func (s *shard) memTablesLocked() [2]*memTable { return [2]*memTable{s.head, s.frozen} }

// shapePayload returns the selected part of a stored payload (a fresh
// document), or nil when no payload is requested.
func shapePayload(raw []byte, w WithPayload) payload.Payload {
	if !w.Enable {
		return nil
	}
	p := decodePayload(raw)
	if len(w.Include) > 0 {
		out := payload.Payload{}
		for _, k := range w.Include {
			includeKey(out, p, k)
		}
		return out
	}
	if len(w.Exclude) > 0 {
		return payload.DeleteKeys(p, w.Exclude)
	}
	return p
}

// shapeVectors copies the selected vectors (they may alias a mapping), or
// returns nil when none is requested.
func shapeVectors(vecs map[string][]float32, w WithVector) Vectors {
	if !w.Enable {
		return nil
	}
	out := Vectors{}
	for name, v := range vecs {
		if len(w.Names) > 0 && !slices.Contains(w.Names, name) {
			continue
		}
		out[name] = slices.Clone(v)
	}
	return out
}

func withPayloadOr(w *WithPayload, def bool) WithPayload {
	if w == nil {
		return WithPayload{Enable: def}
	}
	return *w
}

func withVectorOr(w *WithVector) WithVector {
	if w == nil {
		return WithVector{}
	}
	return *w
}

// record builds an output record from a point.
func record(p pointData, wp WithPayload, wv WithVector) Record {
	return Record{ID: p.id, Payload: shapePayload(p.payload, wp), Vector: shapeVectors(p.vectors, wv),
		Sparse: shapeSparse(p.sparse, wv)}
}

// Get returns the points with the ids, in the order asked, skipping ids
// that do not exist (and repeated ids).
func (c *Collection) Get(ctx context.Context, ids []point.ID, wp WithPayload, wv WithVector) ([]Record, error) {
	out := make([]Record, 0, len(ids))
	seen := map[point.ID]bool{}
	for i, id := range ids {
		if i%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		if r, ok := c.shards[c.shardIndex(id.Hash())].get(id, wp, wv); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// get returns the shaped record of id, read under the read lock (released
// on every path, panics included).
func (s *shard) get(id point.ID, wp WithPayload, wv WithVector) (Record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.getLocked(id)
	if !ok {
		return Record{}, false
	}
	return record(p, wp, wv), true
}

// includeKey copies the value at a dotted key path of src ("a.b") into dst
// at the same path, creating the intermediate objects.
func includeKey(dst, src payload.Payload, key string) {
	if v, ok := src[key]; ok {
		dst[key] = v
		return
	}
	payload.Include(dst, src, key)
}
