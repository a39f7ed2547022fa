package payload

import (
	"encoding/json"
	"github.com/cairn-db/cairn/point"
	"time"
)

// MarshalJSON writes the filter in Qdrant's JSON form; ParseFilter reads
// it back to an equal filter.
func (f Filter) MarshalJSON() ([]byte, error) { return json.Marshal(f.jsonValue()) }

func (f *Filter) jsonValue() map[string]any {
	m := map[string]any{}
	if f.Must != nil {
		m["must"] = condsJSON(f.Must)
	}
	if f.Should != nil {
		m["should"] = condsJSON(f.Should)
	}
	if f.MustNot != nil {
		m["must_not"] = condsJSON(f.MustNot)
	}
	if f.MinShould != nil {
		m["min_should"] = map[string]any{"conditions": condsJSON(f.MinShould.Conditions), "min_count": f.MinShould.MinCount}
	}
	return m
}

func condsJSON(cs []Condition) []any {
	out := make([]any, len(cs))
	for i := range cs {
		out[i] = cs[i].jsonValue()
	}
	return out
}

// MarshalJSON writes the condition in Qdrant's JSON form.
func (c Condition) MarshalJSON() ([]byte, error) { return json.Marshal(c.jsonValue()) }

func (c *Condition) jsonValue() any {
	switch {
	case c.Field != nil:
		return c.Field.jsonValue()
	case c.IsEmpty != nil:
		return map[string]any{"is_empty": map[string]any{"key": *c.IsEmpty}}
	case c.IsNull != nil:
		return map[string]any{"is_null": map[string]any{"key": *c.IsNull}}
	case c.HasID != nil:
		ids := c.HasID.IDs
		if ids == nil {
			ids = []point.ID{}
		}
		return map[string]any{"has_id": ids}
	case c.HasVector != nil:
		return map[string]any{"has_vector": *c.HasVector}
	case c.Slice != nil:
		return map[string]any{"slice": map[string]any{"index": c.Slice.Index, "total": c.Slice.Total}}
	case c.Nested != nil:
		nf := c.Nested.Filter
		if nf == nil {
			nf = &Filter{}
		}
		return map[string]any{"nested": map[string]any{"key": c.Nested.Key, "filter": nf.jsonValue()}}
	case c.Filter != nil:
		return c.Filter.jsonValue()
	}
	return map[string]any{}
}

func (fc *FieldCondition) jsonValue() map[string]any {
	m := map[string]any{"key": fc.Key}
	if fc.Match != nil {
		m["match"] = fc.Match.jsonValue()
	}
	if r := fc.Range; r != nil {
		m["range"] = boundsJSON(r.Gt, r.Gte, r.Lt, r.Lte)
	}
	if r := fc.DatetimeRange; r != nil {
		m["range"] = boundsJSON(timeStr(r.Gt), timeStr(r.Gte), timeStr(r.Lt), timeStr(r.Lte))
	}
	if g := fc.GeoBoundingBox; g != nil {
		m["geo_bounding_box"] = map[string]any{"top_left": geoJSON(g.TopLeft), "bottom_right": geoJSON(g.BottomRight)}
	}
	if g := fc.GeoRadius; g != nil {
		m["geo_radius"] = map[string]any{"center": geoJSON(g.Center), "radius": g.Radius}
	}
	if g := fc.GeoPolygon; g != nil {
		p := map[string]any{"exterior": ringJSON(g.Exterior)}
		if g.Interiors != nil {
			rs := make([]any, len(g.Interiors))
			for i, r := range g.Interiors {
				rs[i] = ringJSON(r)
			}
			p["interiors"] = rs
		}
		m["geo_polygon"] = p
	}
	if v := fc.ValuesCount; v != nil {
		m["values_count"] = boundsJSON(v.Gt, v.Gte, v.Lt, v.Lte)
	}
	if fc.IsEmpty != nil {
		m["is_empty"] = *fc.IsEmpty
	}
	if fc.IsNull != nil {
		m["is_null"] = *fc.IsNull
	}
	return m
}

func boundsJSON[T any](gt, gte, lt, lte *T) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]*T{"gt": gt, "gte": gte, "lt": lt, "lte": lte} {
		if v != nil {
			m[k] = *v
		}
	}
	return m
}

func timeStr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

func geoJSON(p GeoPoint) map[string]any { return map[string]any{"lat": p.Lat, "lon": p.Lon} }

func ringJSON(r []GeoPoint) map[string]any {
	pts := make([]any, len(r))
	for i, p := range r {
		pts[i] = geoJSON(p)
	}
	return map[string]any{"points": pts}
}

func (m *Match) jsonValue() map[string]any {
	switch m.Kind {
	case MatchValue:
		return map[string]any{"value": m.Value}
	case MatchText:
		return map[string]any{"text": m.Text}
	case MatchTextAny:
		return map[string]any{"text_any": m.Text}
	case MatchPhrase:
		return map[string]any{"phrase": m.Text}
	case MatchPrefix:
		return map[string]any{"prefix": m.Text}
	}
	var list any = m.Strings
	if m.IntList {
		list = m.Ints
	} else if m.Strings == nil {
		list = []string{}
	}
	if m.Kind == MatchExcept {
		return map[string]any{"except": list}
	}
	return map[string]any{"any": list}
}
