package grpcapi

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cairn-db/cairn/payload"
)

// maxFilterDepth bounds the nesting of a filter while it is converted;
// the engine's check (payload.Filter.Validate) refuses anything deeper
// than 64 levels anyway, so a deeper tree is refused here before the
// recursion goes further.
const maxFilterDepth = 80

// filterFromProto converts a Filter; nil is nil (no filter). Empty
// repeated fields are absent, as Qdrant reads them (an empty `should`
// is no constraint). The engine validates the result (keys, geo ranges,
// min_count) as it validates REST's filters.
func filterFromProto(f *qdrant.Filter) (*payload.Filter, error) {
	if f == nil {
		return nil, nil
	}
	return convFilter(f, 0)
}

func convFilter(f *qdrant.Filter, depth int) (*payload.Filter, error) {
	if depth > maxFilterDepth {
		return nil, invalidArg("filter: nested too deeply")
	}
	out := &payload.Filter{}
	var err error
	if out.Must, err = convConditions(f.GetMust(), depth); err != nil {
		return nil, err
	}
	if out.Should, err = convConditions(f.GetShould(), depth); err != nil {
		return nil, err
	}
	if out.MustNot, err = convConditions(f.GetMustNot(), depth); err != nil {
		return nil, err
	}
	if ms := f.GetMinShould(); ms != nil {
		conds, err := convConditions(ms.GetConditions(), depth+1)
		if err != nil {
			return nil, err
		}
		if ms.GetMinCount() > math.MaxInt32+1 {
			return nil, invalidArg("filter.min_should.min_count: must be from 1 to 2147483648")
		}
		out.MinShould = &payload.MinShould{Conditions: conds, MinCount: int(ms.GetMinCount())}
	}
	return out, nil
}

func convConditions(cs []*qdrant.Condition, depth int) ([]payload.Condition, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	out := make([]payload.Condition, len(cs))
	for i, c := range cs {
		pc, err := convCondition(c, depth)
		if err != nil {
			return nil, err
		}
		out[i] = pc
	}
	return out, nil
}

func convCondition(c *qdrant.Condition, depth int) (payload.Condition, error) {
	switch o := c.GetConditionOneOf().(type) {
	case *qdrant.Condition_Field:
		fc, err := convField(o.Field)
		return payload.Condition{Field: fc}, err
	case *qdrant.Condition_IsEmpty:
		k := o.IsEmpty.GetKey()
		return payload.Condition{IsEmpty: &k}, nil
	case *qdrant.Condition_IsNull:
		k := o.IsNull.GetKey()
		return payload.Condition{IsNull: &k}, nil
	case *qdrant.Condition_HasId:
		ids, err := idsFromProto(o.HasId.GetHasId())
		return payload.Condition{HasID: &payload.HasID{IDs: ids}}, err
	case *qdrant.Condition_HasVector:
		v := o.HasVector.GetHasVector()
		return payload.Condition{HasVector: &v}, nil
	case *qdrant.Condition_Filter:
		f, err := convFilter(o.Filter, depth+1)
		return payload.Condition{Filter: f}, err
	case *qdrant.Condition_Nested:
		if o.Nested.GetFilter() == nil {
			return payload.Condition{}, invalidArg("filter: nested condition on `%s` has no filter", o.Nested.GetKey())
		}
		f, err := convFilter(o.Nested.GetFilter(), depth+1)
		return payload.Condition{Nested: &payload.Nested{Key: o.Nested.GetKey(), Filter: f}}, err
	}
	return payload.Condition{}, invalidArg("filter: malformed condition: no condition kind set")
}

// convField converts a field condition; several tests in one condition
// are kept, as Qdrant keeps them.
func convField(f *qdrant.FieldCondition) (*payload.FieldCondition, error) {
	out := &payload.FieldCondition{Key: f.GetKey(), IsEmpty: f.IsEmpty, IsNull: f.IsNull}
	if m := f.GetMatch(); m != nil {
		pm, err := convMatch(m)
		if err != nil {
			return nil, err
		}
		out.Match = pm
	}
	if r := f.GetRange(); r != nil {
		pr, err := convRange(r)
		if err != nil {
			return nil, err
		}
		out.Range = pr
	}
	if r := f.GetDatetimeRange(); r != nil {
		pr, err := convDatetimeRange(r)
		if err != nil {
			return nil, err
		}
		out.DatetimeRange = pr
	}
	if err := convGeo(f, out); err != nil {
		return nil, err
	}
	if v := f.GetValuesCount(); v != nil {
		out.ValuesCount = &payload.ValuesCount{Gt: v.Gt, Gte: v.Gte, Lt: v.Lt, Lte: v.Lte}
	}
	if out.Match == nil && out.Range == nil && out.DatetimeRange == nil && out.GeoBoundingBox == nil &&
		out.GeoRadius == nil && out.GeoPolygon == nil && out.ValuesCount == nil && out.IsEmpty == nil && out.IsNull == nil {
		return nil, invalidArg("filter: field condition on `%s` sets no condition", f.GetKey())
	}
	return out, nil
}

// convGeo converts the geo tests of a field condition; a box without both
// corners, a radius without its center or a polygon without its exterior
// ring is malformed, as Qdrant answers it.
func convGeo(f *qdrant.FieldCondition, out *payload.FieldCondition) error {
	if b := f.GetGeoBoundingBox(); b != nil {
		if b.GetTopLeft() == nil || b.GetBottomRight() == nil {
			return invalidArg("Malformed GeoBoundingBox type: top_left and bottom_right are required")
		}
		out.GeoBoundingBox = &payload.GeoBoundingBox{TopLeft: geoPoint(b.GetTopLeft()), BottomRight: geoPoint(b.GetBottomRight())}
	}
	if r := f.GetGeoRadius(); r != nil {
		if r.GetCenter() == nil {
			return invalidArg("Malformed GeoRadius type: center is required")
		}
		out.GeoRadius = &payload.GeoRadius{Center: geoPoint(r.GetCenter()), Radius: float64(r.GetRadius())}
	}
	if p := f.GetGeoPolygon(); p != nil {
		if p.GetExterior() == nil {
			return invalidArg("Malformed GeoPolygon type: exterior is required")
		}
		poly := &payload.GeoPolygon{Exterior: geoLine(p.GetExterior())}
		for _, in := range p.GetInteriors() {
			poly.Interiors = append(poly.Interiors, geoLine(in))
		}
		out.GeoPolygon = poly
	}
	return nil
}

func convMatch(m *qdrant.Match) (*payload.Match, error) {
	switch v := m.GetMatchValue().(type) {
	case *qdrant.Match_Keyword:
		return &payload.Match{Kind: payload.MatchValue, Value: v.Keyword}, nil
	case *qdrant.Match_Integer:
		return &payload.Match{Kind: payload.MatchValue, Value: json.Number(strconv.FormatInt(v.Integer, 10))}, nil
	case *qdrant.Match_Boolean:
		return &payload.Match{Kind: payload.MatchValue, Value: v.Boolean}, nil
	case *qdrant.Match_Text:
		return &payload.Match{Kind: payload.MatchText, Text: v.Text}, nil
	case *qdrant.Match_TextAny:
		return &payload.Match{Kind: payload.MatchTextAny, Text: v.TextAny}, nil
	case *qdrant.Match_Phrase:
		return &payload.Match{Kind: payload.MatchPhrase, Text: v.Phrase}, nil
	case *qdrant.Match_Keywords:
		return &payload.Match{Kind: payload.MatchAny, Strings: nonNilStrings(v.Keywords.GetStrings())}, nil
	case *qdrant.Match_Integers:
		return &payload.Match{Kind: payload.MatchAny, Ints: intNumbers(v.Integers.GetIntegers()), IntList: true}, nil
	case *qdrant.Match_ExceptKeywords:
		return &payload.Match{Kind: payload.MatchExcept, Strings: nonNilStrings(v.ExceptKeywords.GetStrings())}, nil
	case *qdrant.Match_ExceptIntegers:
		return &payload.Match{Kind: payload.MatchExcept, Ints: intNumbers(v.ExceptIntegers.GetIntegers()), IntList: true}, nil
	}
	return nil, invalidArg("filter: malformed match condition: no match kind set")
}

func intNumbers(is []int64) []json.Number {
	out := make([]json.Number, len(is))
	for i, n := range is {
		out[i] = json.Number(strconv.FormatInt(n, 10))
	}
	return out
}

func convRange(r *qdrant.Range) (*payload.Range, error) {
	var err error
	bound := func(f *float64) *json.Number {
		if f == nil || err != nil {
			return nil
		}
		if math.IsNaN(*f) || math.IsInf(*f, 0) {
			err = invalidArg("filter: range bound %v is not a finite number", *f)
			return nil
		}
		n := json.Number(strconv.FormatFloat(*f, 'g', -1, 64))
		return &n
	}
	out := &payload.Range{Gt: bound(r.Gt), Gte: bound(r.Gte), Lt: bound(r.Lt), Lte: bound(r.Lte)}
	return out, err
}

func convDatetimeRange(r *qdrant.DatetimeRange) (*payload.DatetimeRange, error) {
	var err error
	bound := func(ts *timestamppb.Timestamp) *time.Time {
		if ts == nil || err != nil {
			return nil
		}
		if e := ts.CheckValid(); e != nil {
			err = invalidArg("filter: datetime range: %v", e)
			return nil
		}
		t := ts.AsTime()
		return &t
	}
	out := &payload.DatetimeRange{Gt: bound(r.Gt), Gte: bound(r.Gte), Lt: bound(r.Lt), Lte: bound(r.Lte)}
	return out, err
}

func geoPoint(p *qdrant.GeoPoint) payload.GeoPoint {
	return payload.GeoPoint{Lat: p.GetLat(), Lon: p.GetLon()}
}

func geoLine(l *qdrant.GeoLineString) []payload.GeoPoint {
	pts := l.GetPoints()
	out := make([]payload.GeoPoint, len(pts))
	for i, p := range pts {
		out[i] = geoPoint(p)
	}
	return out
}
