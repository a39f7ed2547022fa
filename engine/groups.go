package engine

import (
	"context"
	"encoding/json"
	"math"
	"strconv"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// Qdrant's defaults of a query groups request.
const (
	DefaultGroupSize  = 3
	DefaultGroupLimit = 10
)

// GroupRequest is the grouping part of Qdrant's group requests: the
// payload key to group by, the most hits per group (GroupSize) and groups
// (Limit), and the collection where each group id is looked up.
type GroupRequest struct {
	GroupBy    string
	GroupSize  int
	Limit      int
	WithLookup *WithLookup
}

// WithLookup is Qdrant's WithLookup: the collection holding a point per
// group id, and what of it to return (nil WithPayload: all of it; nil
// WithVectors: none).
type WithLookup struct {
	Collection  string
	WithPayload *WithPayload
	WithVectors *WithVector
}

// PointGroup is Qdrant's PointGroup: the group id (a string or an integer
// as json.Number), its hits best first, and the looked-up point, if any.
type PointGroup struct {
	ID     any           `json:"id"`
	Hits   []ScoredPoint `json:"hits"`
	Lookup *Record       `json:"lookup,omitempty"`
}

// GroupsResult is Qdrant's GroupsResult.
type GroupsResult struct {
	Groups []PointGroup `json:"groups"`
}

// groupFetch returns the best limit points of the grouped request under
// the extra filter f, best first, with their payloads.
type groupFetch func(ctx context.Context, f *payload.Filter, limit int) ([]ScoredPoint, error)

// QueryGroups answers Qdrant's POST …/points/query/groups: the query's
// results grouped by the payload values at g.GroupBy (see groupBy).
// Prefetch limits are multiplied by g.Limit, as Qdrant does.
func (c *Collection) QueryGroups(ctx context.Context, req QueryRequest, g GroupRequest) (GroupsResult, error) {
	if err := c.checkPrefetches([]QueryRequest{req}); err != nil {
		return GroupsResult{}, err
	}
	ctx, err := c.checkRead(ctx, false, queryChecks(&g.Limit, &req)...)
	if err != nil {
		return GroupsResult{}, err
	}
	inner := req
	inner.Offset, inner.WithPayload, inner.WithVector = nil, &WithPayload{Enable: true}, nil
	inner.Prefetch = scalePrefetchLimits(req.Prefetch, g.Limit)
	return c.groupBy(ctx, g, req.WithPayload, req.WithVector, func(ctx context.Context, f *payload.Filter, limit int) ([]ScoredPoint, error) {
		q := inner
		q.Filter, q.Limit = andFilter(req.Filter, f), &limit
		return c.runQuery(ctx, &q, nil, true)
	})
}

// SearchGroups answers Qdrant's POST …/points/search/groups (req.Limit and
// req.Offset are not used: g bounds the answer).
func (c *Collection) SearchGroups(ctx context.Context, req SearchRequest, g GroupRequest) (GroupsResult, error) {
	ctx, err := c.checkRead(ctx, false, readCheck{limit: &g.Limit, filters: []filterRef{{f: req.Filter}}, params: req.Params})
	if err != nil {
		return GroupsResult{}, err
	}
	return c.groupBy(ctx, g, req.WithPayload, req.WithVector, func(ctx context.Context, f *payload.Filter, limit int) ([]ScoredPoint, error) {
		s := req
		s.Filter, s.Limit, s.Offset, s.WithPayload, s.WithVector = andFilter(req.Filter, f), limit, 0, &WithPayload{Enable: true}, nil
		return c.Search(ctx, s)
	})
}

// RecommendGroups answers Qdrant's POST …/points/recommend/groups
// (req.Limit and req.Offset are not used: g bounds the answer).
func (c *Collection) RecommendGroups(ctx context.Context, req RecommendRequest, g GroupRequest) (GroupsResult, error) {
	ctx, err := c.checkRead(ctx, false, readCheck{limit: &g.Limit, filters: []filterRef{{f: req.Filter}}, params: req.Params})
	if err != nil {
		return GroupsResult{}, err
	}
	var found *SearchRequest // the examples, read once on the first round
	return c.groupBy(ctx, g, req.WithPayload, req.WithVector, func(ctx context.Context, f *payload.Filter, limit int) ([]ScoredPoint, error) {
		if found == nil {
			r := req
			r.Filter, r.Limit, r.Offset, r.WithPayload, r.WithVector = nil, &limit, nil, &WithPayload{Enable: true}, nil
			s, err := c.recommendRequest(ctx, r)
			if err != nil {
				return nil, err
			}
			found = &s
		} else if err := checkPaging(limit, 0); err != nil {
			return nil, err
		}
		s := *found
		s.Limit, s.Filter = limit, andFilter(req.Filter, f)
		if found.Filter != nil { // the example points are left out (see recommendSearch)
			s.Filter = excludeIDs(s.Filter, append(append([]VectorInput(nil), req.Positive...), req.Negative...))
		}
		return c.Search(ctx, s)
	})
}

// scalePrefetchLimits returns a copy of the prefetch tree with every limit
// (DefaultQueryLimit when unset) multiplied by n.
func scalePrefetchLimits(ps []QueryRequest, n int) []QueryRequest {
	if len(ps) == 0 {
		return nil
	}
	out := make([]QueryRequest, len(ps))
	for i, p := range ps {
		l := DefaultQueryLimit
		if p.Limit != nil {
			l = *p.Limit
		}
		l = satMul(l, n)
		p.Limit, p.Prefetch = &l, scalePrefetchLimits(p.Prefetch, n)
		out[i] = p
	}
	return out
}

func satMul(a, b int) int {
	if a > 0 && b > 0 && a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}

// checkGroupRequest validates g as Qdrant does.
func checkGroupRequest(g GroupRequest) error {
	if g.GroupBy == "" {
		return errInvalid("group_by", "value must not be empty")
	}
	if err := payload.ValidateKey(g.GroupBy); err != nil {
		return errBadRequestText("Format error in JSON body: group_by: %v", err)
	}
	if g.GroupSize < 1 {
		return errInvalid("group_size", "value %d invalid, must be 1 or more", g.GroupSize)
	}
	if g.Limit < 1 {
		return errInvalid("limit", "value %d invalid, must be 1 or more", g.Limit)
	}
	return nil
}

// groupBy groups the ranked results of fetch by the values at g.GroupBy,
// exactly as Qdrant's aggregation would with every result at hand: a
// point joins the group of each distinct string or integer value it holds
// there (a point holding any other value, or none, joins no group); the
// groups are ranked by their best hit, each keeps its g.GroupSize best
// hits, and the first g.Limit groups are answered. Results are fetched in
// rounds of doubling size, each leaving out the points whose every value
// names a full group, until the best g.Limit groups are full (later points
// rank lower and cannot change them) or the results run out. The hits then
// get the payload and vectors wp and wv ask.
func (c *Collection) groupBy(ctx context.Context, g GroupRequest, wp *WithPayload, wv *WithVector, fetch groupFetch) (GroupsResult, error) {
	if err := checkGroupRequest(g); err != nil {
		return GroupsResult{}, err
	}
	var lookup *Collection
	if g.WithLookup != nil {
		var err error
		if lookup, _, err = c.lookupSource("", &LookupLocation{Collection: g.WithLookup.Collection}); err != nil {
			return GroupsResult{}, err
		}
	}
	agg := newGroupAggregator(g)
	notEmpty := payload.Condition{IsEmpty: &g.GroupBy}
	for limit := satMul(g.Limit, g.GroupSize); ; limit = satMul(limit, 2) {
		// Each round ranks a subset of the previous round's points (fewer
		// groups are open), so the points it adds rank below all those
		// seen: adding them in order keeps the aggregation exact. The seen
		// points are skipped by the aggregator, not by a has_id filter,
		// which heads would test against the whole list for every point.
		f := &payload.Filter{MustNot: []payload.Condition{notEmpty}, Must: agg.exceptFull()}
		pts, err := fetch(ctx, f, limit)
		if err != nil {
			return GroupsResult{}, err
		}
		for i := range pts {
			agg.add(&pts[i])
		}
		if len(pts) < limit || agg.bestFull() || limit == math.MaxInt {
			break
		}
	}
	return c.distill(ctx, agg, wp, wv, lookup)
}

// groupAggregator collects ranked points into groups.
type groupAggregator struct {
	g     GroupRequest
	order []*pointGroup // groups by their best hit, best first
	byKey map[string]*pointGroup
	seen  map[point.ID]bool
}

type pointGroup struct {
	id   any // string or json.Number
	hits []ScoredPoint
}

func newGroupAggregator(g GroupRequest) *groupAggregator {
	return &groupAggregator{g: g, byKey: map[string]*pointGroup{}, seen: map[point.ID]bool{}}
}

// groupKeys returns the distinct group ids of a point's values at key
// (strings and integers), with their map keys; ok is false when some value
// can be no group id, as Qdrant then leaves the point out.
func groupKeys(p payload.Payload, key string) (ids []any, keys []string, ok bool) {
	for _, v := range payload.Values(p, key) {
		var k string
		switch t := v.(type) {
		case string:
			k = "s" + t
		case json.Number:
			if _, err := strconv.ParseInt(t.String(), 10, 64); err != nil {
				if _, err := strconv.ParseUint(t.String(), 10, 64); err != nil {
					return nil, nil, false
				}
			}
			k = "n" + t.String()
		default:
			return nil, nil, false
		}
		if !containsString(keys, k) {
			ids, keys = append(ids, v), append(keys, k)
		}
	}
	return ids, keys, true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// add puts a point (ranked after every point added before) into its groups.
func (a *groupAggregator) add(p *ScoredPoint) {
	if a.seen[p.ID] {
		return
	}
	ids, keys, ok := groupKeys(p.Payload, a.g.GroupBy)
	if !ok || len(ids) == 0 {
		return
	}
	a.seen[p.ID] = true
	for i, k := range keys {
		grp := a.byKey[k]
		if grp == nil {
			grp = &pointGroup{id: ids[i]}
			a.byKey[k] = grp
			a.order = append(a.order, grp)
		}
		if len(grp.hits) < a.g.GroupSize {
			grp.hits = append(grp.hits, *p)
		}
	}
}

// bestFull reports whether the g.Limit best groups exist and are all full.
func (a *groupAggregator) bestFull() bool {
	if len(a.order) < a.g.Limit {
		return false
	}
	for _, grp := range a.order[:a.g.Limit] {
		if len(grp.hits) < a.g.GroupSize {
			return false
		}
	}
	return true
}

// exceptFull returns Qdrant's conditions leaving out points whose values
// all name full groups: one "except" per value type.
func (a *groupAggregator) exceptFull() []payload.Condition {
	var strs []string
	var ints []json.Number
	for _, grp := range a.order {
		if len(grp.hits) < a.g.GroupSize {
			continue
		}
		switch t := grp.id.(type) {
		case string:
			strs = append(strs, t)
		case json.Number:
			ints = append(ints, t)
		}
	}
	var out []payload.Condition
	if len(strs) > 0 {
		out = append(out, payload.Condition{Field: &payload.FieldCondition{Key: a.g.GroupBy, Match: &payload.Match{Kind: payload.MatchExcept, Strings: strs}}})
	}
	if len(ints) > 0 {
		out = append(out, payload.Condition{Field: &payload.FieldCondition{Key: a.g.GroupBy, Match: &payload.Match{Kind: payload.MatchExcept, Ints: ints, IntList: true}}})
	}
	return out
}

// distill returns the best groups with their hits' payloads and vectors as
// asked, and their looked-up points.
func (c *Collection) distill(ctx context.Context, a *groupAggregator, wp *WithPayload, wv *WithVector, lookup *Collection) (GroupsResult, error) {
	best := a.order[:min(len(a.order), a.g.Limit)]
	var all []ScoredPoint
	for _, grp := range best {
		all = append(all, grp.hits...)
	}
	all, err := c.withSelectors(ctx, all, SearchRequest{WithPayload: wp, WithVector: wv})
	if err != nil {
		return GroupsResult{}, err
	}
	out := GroupsResult{Groups: make([]PointGroup, len(best))}
	for i, grp := range best {
		out.Groups[i] = PointGroup{ID: grp.id, Hits: all[:len(grp.hits):len(grp.hits)]}
		all = all[len(grp.hits):]
	}
	if lookup != nil {
		if err := lookupGroups(ctx, lookup, a.g.WithLookup, out.Groups); err != nil {
			return GroupsResult{}, err
		}
	}
	return out, nil
}

// lookupGroups sets each group's Lookup to the point of lookup whose id is
// the group id (an integer id, or a UUID string), when there is one.
func lookupGroups(ctx context.Context, lookup *Collection, wl *WithLookup, groups []PointGroup) error {
	var ids []point.ID
	at := map[point.ID][]int{}
	for i, grp := range groups {
		var id point.ID
		var err error
		switch t := grp.ID.(type) {
		case string:
			id, err = point.ParseID(t)
			if err == nil && !id.IsUUID() {
				continue // a string group id names a point only as a UUID
			}
		case json.Number:
			id, err = point.ParseID(t.String())
		}
		if err != nil {
			continue
		}
		if at[id] == nil {
			ids = append(ids, id)
		}
		at[id] = append(at[id], i)
	}
	if len(ids) == 0 {
		return nil
	}
	wp := WithPayload{Enable: true}
	if wl.WithPayload != nil {
		wp = *wl.WithPayload
	}
	var wv WithVector
	if wl.WithVectors != nil {
		wv = *wl.WithVectors
	}
	recs, err := lookup.Get(ctx, ids, wp, wv)
	if err != nil {
		return err
	}
	for i := range recs {
		for _, g := range at[recs[i].ID] {
			groups[g].Lookup = &recs[i]
		}
	}
	return nil
}
