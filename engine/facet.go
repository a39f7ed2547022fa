package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/cairn-db/cairn/payload"
)

// DefaultFacetLimit is Qdrant's facet limit when a request sets none.
const DefaultFacetLimit = 10

// FacetRequest is Qdrant's FacetRequest: the payload key to count the
// values of, the points to count (Filter), how many values to answer
// (Limit, nil for DefaultFacetLimit) and Exact. Counts are always exact
// here, which is what Exact asks and what the approximate answer
// estimates.
type FacetRequest struct {
	Key    string
	Filter *payload.Filter
	Limit  *int
	Exact  bool
}

// FacetHit is Qdrant's FacetValueHit: a value (a string, an int64 or a
// bool) and the number of points holding it.
type FacetHit struct {
	Value any `json:"value"`
	Count int `json:"count"`
}

// FacetResult is Qdrant's FacetResponse.
type FacetResult struct {
	Hits []FacetHit `json:"hits"`
}

// Facet answers Qdrant's POST /collections/{c}/facet: for each value at
// req.Key of the index's type (keyword strings, integers, bools or UUIDs),
// the number of points matching req.Filter that hold it (a point holding a
// value several times counts once), the most frequent first and, among
// equal counts, the smaller value first (strings before integers before
// UUIDs before bools, as Qdrant orders its FacetValue), up to the limit.
// As Qdrant does, the key needs an index that answers match conditions:
// keyword, integer (with lookup), bool or uuid.
func (c *Collection) Facet(ctx context.Context, req FacetRequest) (FacetResult, error) {
	limit := DefaultFacetLimit
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 1 {
		return FacetResult{}, errInvalid("limit", "value %d invalid, must be 1 or more", limit)
	}
	ctx, err := c.checkRead(ctx, false, readCheck{limit: &limit, filters: []filterRef{{f: req.Filter}}})
	if err != nil {
		return FacetResult{}, err
	}
	if err := payload.ValidateKey(req.Key); err != nil {
		return FacetResult{}, errBadRequestText("Format error in JSON body: key: %v", err)
	}
	if err := checkFilter(req.Filter); err != nil {
		return FacetResult{}, err
	}
	schema, ok := c.core.indexDefs()[req.Key]
	if !ok || !facetIndexed(schema) {
		return FacetResult{}, errBadRequest("No appropriate index for faceting: `%s`. Please create one to facet on this field. Check https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload schemas support Match conditions", req.Key)
	}
	counts := map[facetKey]int{}
	var seen []facetKey
	count := func(p payload.Payload) {
		seen = seen[:0]
		for _, v := range payload.Values(p, req.Key) {
			if k, ok := facetValue(schema.Type, v); ok && !slices.Contains(seen, k) {
				seen = append(seen, k)
				counts[k]++
			}
		}
	}
	for _, s := range c.shards {
		if err := ctx.Err(); err != nil {
			return FacetResult{}, err
		}
		s.visitPayloads(ctx, req.Filter, count)
	}
	if err := ctx.Err(); err != nil {
		return FacetResult{}, err
	}
	hits := make([]facetCount, 0, len(counts))
	for k, n := range counts {
		hits = append(hits, facetCount{k, n})
	}
	slices.SortFunc(hits, func(a, b facetCount) int {
		if a.n != b.n {
			return cmp.Compare(b.n, a.n)
		}
		return a.key.compare(b.key)
	})
	out := FacetResult{Hits: make([]FacetHit, 0, min(limit, len(hits)))}
	for _, h := range hits[:min(limit, len(hits))] {
		out.Hits = append(out.Hits, FacetHit{Value: h.key.value(), Count: h.n})
	}
	return out, nil
}

// facetIndexed reports whether an index of schema answers match
// conditions, which Qdrant's facet needs.
func facetIndexed(s payload.FieldSchema) bool {
	switch s.Type {
	case payload.TypeKeyword, payload.TypeBool, payload.TypeUUID:
		return true
	case payload.TypeInteger:
		return s.Lookup == nil || *s.Lookup
	}
	return false
}

// facetKey is a counted value: kind orders the kinds as Qdrant's
// FacetValue does (keyword, int, uuid, bool).
type facetKey struct {
	kind uint8
	s    string // keyword, uuid (canonical)
	i    int64  // int; bool as 0/1
}

const (
	facetKeyword uint8 = iota
	facetInt
	facetUUID
	facetBool
)

type facetCount struct {
	key facetKey
	n   int
}

func (k facetKey) compare(o facetKey) int {
	if k.kind != o.kind {
		return cmp.Compare(k.kind, o.kind)
	}
	if k.kind == facetKeyword || k.kind == facetUUID {
		return cmp.Compare(k.s, o.s)
	}
	return cmp.Compare(k.i, o.i)
}

func (k facetKey) value() any {
	switch k.kind {
	case facetInt:
		return k.i
	case facetBool:
		return k.i == 1
	}
	return k.s
}

// facetValue returns a payload value as a value of an index of type t,
// as the index would hold it.
func facetValue(t payload.FieldType, v any) (facetKey, bool) {
	switch t {
	case payload.TypeKeyword:
		s, ok := v.(string)
		return facetKey{kind: facetKeyword, s: s}, ok
	case payload.TypeInteger:
		n, ok := v.(json.Number)
		if !ok {
			return facetKey{}, false
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		return facetKey{kind: facetInt, i: i}, err == nil
	case payload.TypeBool:
		b, ok := v.(bool)
		k := facetKey{kind: facetBool}
		if b {
			k.i = 1
		}
		return k, ok
	case payload.TypeUUID:
		s, ok := v.(string)
		if !ok {
			return facetKey{}, false
		}
		u, err := uuid.Parse(s)
		return facetKey{kind: facetUUID, s: u.String()}, err == nil
	}
	return facetKey{}, false
}

// visitPayloads calls fn with the payload of every live point of the shard
// matching f; a done ctx stops it early (the caller then discards what fn
// gathered).
func (s *shard) visitPayloads(ctx context.Context, f *payload.Filter, fn func(payload.Payload)) {
	view := s.visitHeadPayloads(f, fn)
	defer releaseView(view)
	for _, sv := range view {
		if ctx.Err() != nil {
			return
		}
		var mt *payload.Matcher
		if f != nil {
			mt = payload.Plan(f, sv.source())
		}
		seg := sv.h.seg
		for off := range seg.Len() {
			if off%ctxCheckEvery == 0 && ctx.Err() != nil {
				return
			}
			if !sv.del.Has(off) && (mt == nil || mt.Match(uint32(off))) {
				fn(decodePayload(seg.Payload(uint32(off))))
			}
		}
	}
}

// visitHeadPayloads visits the heads' matching payloads and pins the
// segment views under the read lock (released on every path, panics
// included). The caller must call releaseView.
func (s *shard) visitHeadPayloads(f *payload.Filter, fn func(payload.Payload)) []segView {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.matchHeadsLocked(f, s.core.indexDefs(), func(m *memTable, slot int) { fn(decodePayload(m.payloads[slot])) })
	return s.viewLocked()
}
