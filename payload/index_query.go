package payload

import (
	"encoding/json"
	"math"
	"sort"
)

// Answer is an index's answer to a condition: the offsets in Sure match,
// the offsets in Maybe must be checked point by point, no other offset
// matches. Both lists are sorted and disjoint.
type Answer struct {
	Sure, Maybe []uint32
}

// Query answers a field condition from the index alone, exactly, when it
// can (ok is false otherwise: wrong key, a test the index type cannot
// answer, or a condition with several tests). Text conditions on a text
// index are answered with token semantics (see MatchOptions).
func (ix *Index) Query(fc *FieldCondition) (Answer, bool) {
	sure, maybe, ok := ix.query(fc)
	if !ok {
		return Answer{}, false
	}
	a := Answer{Sure: sure.list()}
	if maybe != nil {
		a.Maybe = maybe.andNot(sure).list()
	}
	return a, true
}

// Cardinality returns how many offsets may match fc (between min and max;
// equal when the index answers exactly), or ok false when the index cannot
// answer fc.
func (ix *Index) Cardinality(fc *FieldCondition) (min, max int, ok bool) {
	a, ok := ix.Query(fc)
	return len(a.Sure), len(a.Sure) + len(a.Maybe), ok
}

// query returns sure and maybe (nil when empty) bitsets.
func (ix *Index) query(fc *FieldCondition) (sure, maybe bitset, ok bool) {
	if fc.Key != ix.key || fc.count() != 1 {
		return nil, nil, false
	}
	s := newBitset(ix.n)
	switch {
	case fc.Match != nil:
		return ix.queryMatch(fc.Match, s)
	case fc.Range != nil:
		return ix.queryRange(fc.Range, s)
	case fc.DatetimeRange != nil && ix.typ == TypeDatetime:
		r := fc.DatetimeRange
		ix.intRange(s, math.MinInt64, math.MaxInt64, func(v int64) bool { return r.containsMicros(v) })
		return s, nil, true
	case fc.GeoRadius != nil, fc.GeoBoundingBox != nil, fc.GeoPolygon != nil:
		if ix.typ != TypeGeo {
			return nil, nil, false
		}
		ix.queryGeo(fc, s)
		return s, nil, true
	}
	return nil, nil, false
}

func (ix *Index) queryMatch(m *Match, s bitset) (sure, maybe bitset, ok bool) {
	switch ix.typ {
	case TypeKeyword, TypeUUID:
		return s, nil, ix.matchTerms(m, s)
	case TypeBool:
		b, isBool := m.Value.(bool)
		if m.Kind != MatchValue || !isBool {
			return nil, nil, false
		}
		ix.orTerm(boolTerm(b), s)
		return s, nil, true
	case TypeInteger:
		return s, nil, ix.matchInts(m, s)
	case TypeText:
		return ix.matchText(m, s)
	}
	return nil, nil, false
}

func (ix *Index) orTerm(t string, s bitset) {
	if i, ok := ix.findTerm(t); ok {
		s.setAll(ix.posting(i))
	}
}

// matchTerms answers value/any/prefix on keyword and uuid indexes; a uuid
// index holds only UUID strings, so it answers only UUID operands.
func (ix *Index) matchTerms(m *Match, s bitset) bool {
	okStr := func(t string) bool { return ix.typ == TypeKeyword || isUUID(t) }
	switch m.Kind {
	case MatchValue:
		t, isStr := m.Value.(string)
		if !isStr || !okStr(t) {
			return false
		}
		ix.orTerm(t, s)
		return true
	case MatchAny:
		if m.IntList {
			return false
		}
		for _, t := range m.Strings {
			if !okStr(t) {
				return false
			}
		}
		for _, t := range m.Strings {
			ix.orTerm(t, s)
		}
		return true
	case MatchPrefix:
		if ix.typ != TypeKeyword {
			return false
		}
		for i, _ := ix.findTerm(m.Text); i < ix.terms() && hasPrefix(ix.term(i), m.Text); i++ {
			s.setAll(ix.posting(i))
		}
		return true
	}
	return false
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func (ix *Index) matchInts(m *Match, s bitset) bool {
	if ix.schema.Lookup != nil && !*ix.schema.Lookup {
		return false
	}
	var want []json.Number
	switch {
	case m.Kind == MatchValue:
		n, isNum := m.Value.(json.Number)
		if !isNum {
			return false
		}
		want = []json.Number{n}
	case m.Kind == MatchAny && (m.IntList || len(m.Strings) == 0):
		want = m.Ints
	default:
		return false
	}
	for _, w := range want {
		x := parseNum(w)
		switch x.kind {
		case numInt:
			ix.intRange(s, x.i, x.i, nil)
		case numUint:
			ix.uintRange(s, x.u, x.u)
		}
	}
	return true
}

// intRange adds the offsets whose signed value is in [lo, hi] and accepted
// by keep (nil keeps all).
func (ix *Index) intRange(s bitset, lo, hi int64, keep func(int64) bool) {
	i := sort.Search(len(ix.iVals), func(i int) bool { return ix.iVals[i] >= lo })
	for ; i < len(ix.iVals) && ix.iVals[i] <= hi; i++ {
		if keep == nil || keep(ix.iVals[i]) {
			s.set(ix.iOffs[i])
		}
	}
}

func (ix *Index) uintRange(s bitset, lo, hi uint64) {
	i := sort.Search(len(ix.uVals), func(i int) bool { return ix.uVals[i] >= lo })
	for ; i < len(ix.uVals) && ix.uVals[i] <= hi; i++ {
		s.set(ix.uOffs[i])
	}
}

func (ix *Index) queryRange(r *Range, s bitset) (sure, maybe bitset, ok bool) {
	b := r.bounds()
	switch ix.typ {
	case TypeInteger:
		if ix.schema.RangeIdx != nil && !*ix.schema.RangeIdx {
			return nil, nil, false
		}
		iv := func(i int) num { return num{kind: numInt, i: ix.iVals[i], f: float64(ix.iVals[i])} }
		lo := sort.Search(len(ix.iVals), func(i int) bool { return b.lowerOK(iv(i)) })
		for i := lo; i < len(ix.iVals) && b.upperOK(iv(i)); i++ {
			s.set(ix.iOffs[i])
		}
		uv := func(i int) num { return num{kind: numUint, u: ix.uVals[i], f: float64(ix.uVals[i])} }
		lo = sort.Search(len(ix.uVals), func(i int) bool { return b.lowerOK(uv(i)) })
		for i := lo; i < len(ix.uVals) && b.upperOK(uv(i)); i++ {
			s.set(ix.uOffs[i])
		}
	case TypeFloat:
		fv := func(i int) num { return num{kind: numFloat, f: ix.fVals[i]} }
		lo := sort.Search(len(ix.fVals), func(i int) bool { return b.lowerOK(fv(i)) })
		for i := lo; i < len(ix.fVals) && b.upperOK(fv(i)); i++ {
			s.set(ix.fOffs[i])
		}
	default:
		return nil, nil, false
	}
	if len(ix.other) == 0 {
		return s, nil, true
	}
	return s, newBitset(ix.n).setAll(ix.other), true
}

// matchText answers text and text_any exactly and phrase as candidates.
func (ix *Index) matchText(m *Match, s bitset) (sure, maybe bitset, ok bool) {
	if !isTextKind(m.Kind) {
		return nil, nil, false
	}
	q := ix.tok.tokens(m.Text, nil)
	if len(q) == 0 {
		return s, nil, true
	}
	if m.Kind == MatchTextAny {
		for _, t := range q {
			ix.orTerm(t, s)
		}
		return s, nil, true
	}
	acc := fullBitset(ix.n)
	for _, t := range q {
		one := newBitset(ix.n)
		ix.orTerm(t, one)
		acc.and(one)
	}
	if m.Kind == MatchPhrase {
		return s, acc, true
	}
	return acc, nil, true
}

// queryGeo scans the latitude band of the region and tests each stored
// point exactly.
func (ix *Index) queryGeo(fc *FieldCondition, s bitset) {
	lo, hi := -90.0, 90.0
	switch {
	case fc.GeoRadius != nil:
		d := fc.GeoRadius.Radius/earthRadius*180/math.Pi + 1e-9
		lo, hi = fc.GeoRadius.Center.Lat-d, fc.GeoRadius.Center.Lat+d
	case fc.GeoBoundingBox != nil:
		lo, hi = fc.GeoBoundingBox.BottomRight.Lat, fc.GeoBoundingBox.TopLeft.Lat
	case fc.GeoPolygon != nil:
		lo, hi = 90.0, -90.0
		for _, p := range fc.GeoPolygon.Exterior {
			lo, hi = math.Min(lo, p.Lat), math.Max(hi, p.Lat)
		}
	}
	i := sort.SearchFloat64s(ix.lat, lo)
	for ; i < len(ix.lat) && ix.lat[i] <= hi; i++ {
		p := GeoPoint{Lat: ix.lat[i], Lon: ix.lon[i]}
		if geoMatch(fc, p) {
			s.set(ix.gOffs[i])
		}
	}
}

func geoMatch(fc *FieldCondition, p GeoPoint) bool {
	return fc.GeoBoundingBox != nil && fc.GeoBoundingBox.contains(p) ||
		fc.GeoRadius != nil && fc.GeoRadius.contains(p) ||
		fc.GeoPolygon != nil && fc.GeoPolygon.contains(p)
}
