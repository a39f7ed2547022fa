package payload

import (
	"math"

	"github.com/cairn-db/cairn/point"
)

// Source is an offset-addressed set of points with payload indexes, such
// as a sealed segment.
type Source interface {
	// Len returns the number of offsets (0..Len()-1).
	Len() int
	// ID returns the id of the point at off.
	ID(off uint32) point.ID
	// Payload returns the decoded payload at off (nil for none).
	Payload(off uint32) Payload
	// Index returns the payload index on key, or nil.
	Index(key string) *Index
	// Lookup returns the offset of id.
	Lookup(id point.ID) (uint32, bool)
}

// VectorSource is implemented by sources that know which points hold which
// named vectors; without it has_vector never matches.
type VectorSource interface {
	HasVector(name string, off uint32) bool
}

// Matcher is a filter planned over one source. Offsets the indexes settle
// are answered from bitsets; the rest are evaluated on their payload. It
// is safe for concurrent use.
type Matcher struct {
	f        *Filter
	src      Source
	n        int
	sure     bitset // offsets known to match
	maybe    bitset // offsets to evaluate (nil: none); disjoint from sure
	maybeAll bool   // every offset not in sure must be evaluated
	exp      float64
	schemas  map[string]FieldSchema
}

// Plan combines the answers of src's payload indexes for f (intersections
// for must, unions for should, complements for must_not, counts for
// min_should) and leaves the conditions no index answers to per-point
// evaluation. A nil filter matches every offset.
func Plan(f *Filter, src Source) *Matcher {
	n := src.Len()
	m := &Matcher{f: f, src: src, n: n}
	if f == nil {
		f = &Filter{}
		m.f = f
	}
	p := planner{src: src, n: n}
	a := p.filter(f, "")
	m.sure = a.sure
	if m.sure == nil {
		m.sure = newBitset(n)
	}
	if a.candAll {
		m.maybeAll = true
	} else if a.cand != nil {
		m.maybe = a.cand.clone().andNot(m.sure)
		if m.maybe.count() == 0 {
			m.maybe = nil
		}
	}
	m.exp = a.exp
	m.schemas = map[string]FieldSchema{}
	collectKeys(f, "", func(k string) {
		if ix := src.Index(k); ix != nil {
			m.schemas[k] = ix.Schema()
		}
	})
	return m
}

// Match reports whether the point at off matches the filter.
func (m *Matcher) Match(off uint32) bool {
	if int(off) >= m.n {
		return false
	}
	if m.sure.has(off) {
		return true
	}
	if !m.maybeAll && !m.maybe.has(off) {
		return false
	}
	opts := &MatchOptions{Schemas: m.schemas}
	if vs, ok := m.src.(VectorSource); ok {
		opts.HasVector = func(name string) bool { return vs.HasVector(name, off) }
	}
	return m.f.MatchWith(m.src.ID(off), m.src.Payload(off), opts)
}

// Exact reports whether the indexes settle every offset, so Match never
// reads a payload.
func (m *Matcher) Exact() bool { return !m.maybeAll && m.maybe == nil }

// Estimate returns the filter's cardinality as Qdrant estimates it: at
// least min and at most max offsets match, about expected; all three are
// the exact count when Exact.
func (m *Matcher) Estimate() (min, expected, max int) {
	min = m.sure.count()
	switch {
	case m.maybeAll:
		max = m.n
	case m.maybe != nil:
		max = min + m.maybe.count()
	default:
		return min, min, min
	}
	expected = int(math.Round(m.exp))
	expected = clampInt(expected, min, max)
	return min, expected, max
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// Candidates returns, in increasing order, the offsets that may match when
// the indexes restrict them (ok true); each must still pass Match unless
// Exact. ok is false when any offset may match, so the caller should scan.
func (m *Matcher) Candidates() ([]uint32, bool) {
	if m.maybeAll {
		return nil, false
	}
	c := m.sure.clone()
	if m.maybe != nil {
		c.or(m.maybe)
	}
	return c.list(), true
}

// collectKeys calls fn with the full key of every field-like condition.
func collectKeys(f *Filter, prefix string, fn func(string)) {
	if f == nil {
		return
	}
	var walk func(cs []Condition)
	walk = func(cs []Condition) {
		for i := range cs {
			c := &cs[i]
			switch {
			case c.Field != nil:
				fn(prefix + c.Field.Key)
			case c.Nested != nil:
				collectKeys(c.Nested.Filter, prefix+c.Nested.Key+"[].", fn)
			case c.Filter != nil:
				collectKeys(c.Filter, prefix, fn)
			}
		}
	}
	walk(f.Must)
	walk(f.Should)
	walk(f.MustNot)
	if f.MinShould != nil {
		walk(f.MinShould.Conditions)
	}
}
