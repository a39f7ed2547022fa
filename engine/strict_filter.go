package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cairn-db/cairn/payload"
)

// filterRef is a filter and the key prefix of the nested condition it is
// part of ("" at the top level; "a[]." inside a nested condition on a).
type filterRef struct {
	f      *payload.Filter
	prefix string
}

// checkFilters applies filter_max_conditions, condition_max_size and, when
// allowUnindexed is false, the index requirement to each filter.
func (c *Collection) checkFilters(sm *StrictModeConfig, fs []filterRef, allowUnindexed *bool) error {
	for _, r := range fs {
		if r.f == nil {
			continue
		}
		if lim := sm.FilterMaxConditions; lim != nil {
			if n := countConditions(r.f); n > *lim {
				return errStrict(fmt.Sprintf("Filter condition limit reached (%d > %d)", n, *lim),
					"Reduce the amount of conditions of your filter.")
			}
		}
		if lim := sm.ConditionMaxSize; lim != nil {
			if n := maxConditionSize(r.f); n > *lim {
				return errStrict(fmt.Sprintf("Condition size limit reached (%d > %d)", n, *lim),
					"Reduce the size of your condition.")
			}
		}
		if allowUnindexed != nil && !*allowUnindexed {
			if key, types := c.unindexedKey(r.f, r.prefix); key != "" {
				return errStrict(fmt.Sprintf("Index required but not found for %q of one of the following types: [%s]", key, strings.Join(types, ", ")),
					"Create an index for this key or use a different filter.")
			}
		}
	}
	return nil
}

// conditionsOf lists every condition of f's clauses.
func conditionsOf(f *payload.Filter) [][]payload.Condition {
	out := [][]payload.Condition{f.Must, f.Should, f.MustNot}
	if f.MinShould != nil {
		out = append(out, f.MinShould.Conditions)
	}
	return out
}

// countConditions counts the leaf conditions of f, those of nested filters
// included.
func countConditions(f *payload.Filter) int {
	n := 0
	for _, cs := range conditionsOf(f) {
		for i := range cs {
			switch cd := &cs[i]; {
			case cd.Filter != nil:
				n += countConditions(cd.Filter)
			case cd.Nested != nil && cd.Nested.Filter != nil:
				n += countConditions(cd.Nested.Filter)
			default:
				n++
			}
		}
	}
	return n
}

// maxConditionSize is the largest input of one condition: the values of a
// match any or except, the ids of a has_id, the points of a polygon.
func maxConditionSize(f *payload.Filter) int {
	n := 0
	for _, cs := range conditionsOf(f) {
		for i := range cs {
			cd := &cs[i]
			switch {
			case cd.Filter != nil:
				n = max(n, maxConditionSize(cd.Filter))
			case cd.Nested != nil && cd.Nested.Filter != nil:
				n = max(n, maxConditionSize(cd.Nested.Filter))
			case cd.HasID != nil:
				n = max(n, len(cd.HasID.IDs))
			case cd.Field != nil:
				if m := cd.Field.Match; m != nil && (m.Kind == payload.MatchAny || m.Kind == payload.MatchExcept) {
					n = max(n, len(m.Strings)+len(m.Ints))
				}
				if p := cd.Field.GeoPolygon; p != nil {
					size := len(p.Exterior)
					for _, in := range p.Interiors {
						size += len(in)
					}
					n = max(n, size)
				}
			}
		}
	}
	return n
}

// unindexedKey returns the first key of f whose condition needs a payload
// index the collection lacks, with the index types that would serve it.
func (c *Collection) unindexedKey(f *payload.Filter, prefix string) (string, []string) {
	c.core.mu.RLock()
	defer c.core.mu.RUnlock()
	return unindexedIn(c.core.indexes, f, prefix)
}

func unindexedIn(idx map[string]payload.FieldSchema, f *payload.Filter, prefix string) (string, []string) {
	for _, cs := range conditionsOf(f) {
		for i := range cs {
			cd := &cs[i]
			switch {
			case cd.Filter != nil:
				if k, t := unindexedIn(idx, cd.Filter, prefix); k != "" {
					return k, t
				}
			case cd.Nested != nil && cd.Nested.Filter != nil:
				if k, t := unindexedIn(idx, cd.Nested.Filter, prefix+cd.Nested.Key+"[]."); k != "" {
					return k, t
				}
			case cd.Field != nil:
				key := prefix + cd.Field.Key
				types := indexTypesFor(cd.Field)
				if len(types) == 0 {
					continue
				}
				if s, ok := idx[key]; ok && slices.Contains(types, string(s.Type)) {
					continue
				}
				return key, types
			}
		}
	}
	return "", nil
}

// indexTypesFor lists, sorted, the payload index types that serve a field
// condition; none for the tests that need no index (is_empty, is_null,
// values_count).
func indexTypesFor(fc *payload.FieldCondition) []string {
	var t []string
	if m := fc.Match; m != nil {
		switch m.Kind {
		case payload.MatchValue:
			switch m.Value.(type) {
			case string:
				t = append(t, "keyword", "uuid")
			case bool:
				t = append(t, "bool")
			default:
				t = append(t, "integer")
			}
		case payload.MatchText, payload.MatchTextAny, payload.MatchPhrase:
			t = append(t, "text")
		case payload.MatchPrefix:
			t = append(t, "keyword", "text")
		case payload.MatchAny, payload.MatchExcept:
			if m.IntList {
				t = append(t, "integer")
			} else {
				t = append(t, "keyword", "uuid")
			}
		}
	}
	if fc.Range != nil {
		t = append(t, "float", "integer")
	}
	if fc.DatetimeRange != nil {
		t = append(t, "datetime")
	}
	if fc.GeoBoundingBox != nil || fc.GeoRadius != nil || fc.GeoPolygon != nil {
		t = append(t, "geo")
	}
	slices.Sort(t)
	return slices.Compact(t)
}

// strictCheck is what strict mode checks in a search.
func (r *SearchRequest) strictCheck() readCheck {
	return readCheck{limit: &r.Limit, filters: []filterRef{{f: r.Filter}}, params: r.Params}
}

// strictCheck is what strict mode checks in a recommend request.
func (r *RecommendRequest) strictCheck() readCheck {
	return readCheck{limit: r.Limit, filters: []filterRef{{f: r.Filter}}, params: r.Params}
}

// strictCheck is what strict mode checks in a discover request.
func (r *DiscoverRequest) strictCheck() readCheck {
	return readCheck{limit: r.Limit, filters: []filterRef{{f: r.Filter}}, params: r.Params}
}

// strictCheck is what strict mode checks in a distance matrix request:
// the limit is sample × limit, as Qdrant counts it.
func (r *MatrixRequest) strictCheck() readCheck {
	rc := readCheck{filters: []filterRef{{f: r.Filter}}}
	switch {
	case r.Limit != nil && r.Sample != nil:
		n := satMul(*r.Limit, *r.Sample)
		rc.limit = &n
	case r.Limit != nil:
		rc.limit = r.Limit
	case r.Sample != nil:
		rc.limit = r.Sample
	}
	return rc
}

// queryChecks lists what strict mode checks in a query and every one of
// its prefetches; limit, when set, replaces the top level's own.
func queryChecks(limit *int, q *QueryRequest) []readCheck {
	top := readCheck{limit: q.Limit, filters: []filterRef{{f: q.Filter}}, params: q.Params}
	if limit != nil {
		top.limit = limit
	}
	out := []readCheck{top}
	for i := range q.Prefetch {
		out = append(out, queryChecks(nil, &q.Prefetch[i])...)
	}
	return out
}

// checkBatchQueries checks a query batch: its size, then each query, the
// batch charged one read per query.
func (c *Collection) checkBatchQueries(ctx context.Context, reqs []QueryRequest) (context.Context, error) {
	sm := c.strictMode(ctx)
	if sm == nil {
		return ctx, nil
	}
	if err := checkLimit(len(reqs), sm.SearchMaxBatchsize, "search batch size"); err != nil {
		return ctx, err
	}
	var all []readCheck
	for i := range reqs {
		all = append(all, queryChecks(nil, &reqs[i])...)
	}
	return c.checkReadCost(ctx, len(reqs), all)
}
