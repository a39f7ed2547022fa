package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

func parseFieldCondition(o *object) (*FieldCondition, error) {
	if err := o.only("key", "match", "range", "geo_bounding_box", "geo_radius", "geo_polygon",
		"values_count", "is_empty", "is_null"); err != nil {
		return nil, err
	}
	key, err := requiredKey(o)
	if err != nil {
		return nil, err
	}
	fc := &FieldCondition{Key: *key}
	if o.has("match") {
		if fc.Match, err = parseMatch(o.fields["match"], o.sub("match")); err != nil {
			return nil, err
		}
	}
	if o.has("range") {
		if fc.Range, fc.DatetimeRange, err = parseRange(o.fields["range"], o.sub("range")); err != nil {
			return nil, err
		}
	}
	if err := parseGeoFields(o, fc); err != nil {
		return nil, err
	}
	if o.has("values_count") {
		if fc.ValuesCount, err = parseValuesCount(o.fields["values_count"], o.sub("values_count")); err != nil {
			return nil, err
		}
	}
	if fc.IsEmpty, err = o.boolean("is_empty"); err != nil {
		return nil, err
	}
	if fc.IsNull, err = o.boolean("is_null"); err != nil {
		return nil, err
	}
	if fc.count() == 0 {
		return nil, &ValidationError{o.path, "At least one field condition must be specified"}
	}
	return fc, nil
}

// count is the number of tests the condition holds.
func (fc *FieldCondition) count() int {
	n := 0
	for _, set := range []bool{fc.Match != nil, fc.Range != nil, fc.DatetimeRange != nil,
		fc.GeoBoundingBox != nil, fc.GeoRadius != nil, fc.GeoPolygon != nil,
		fc.ValuesCount != nil, fc.IsEmpty != nil, fc.IsNull != nil} {
		if set {
			n++
		}
	}
	return n
}

func parseGeoFields(o *object, fc *FieldCondition) error {
	var err error
	if o.has("geo_bounding_box") {
		if fc.GeoBoundingBox, err = parseBBox(o.fields["geo_bounding_box"], o.sub("geo_bounding_box")); err != nil {
			return err
		}
	}
	if o.has("geo_radius") {
		if fc.GeoRadius, err = parseRadius(o.fields["geo_radius"], o.sub("geo_radius")); err != nil {
			return err
		}
	}
	if o.has("geo_polygon") {
		if fc.GeoPolygon, err = parsePolygon(o.fields["geo_polygon"], o.sub("geo_polygon")); err != nil {
			return err
		}
	}
	return nil
}

func parseMatch(raw json.RawMessage, path string) (*Match, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	if len(o.order) != 1 {
		return nil, fmt.Errorf("%s: expected exactly one of value, text, text_any, phrase, prefix, any, except", path)
	}
	k := o.order[0]
	switch k {
	case "value":
		v, err := parseValueVariant(o.fields[k], o.sub(k))
		return &Match{Kind: MatchValue, Value: v}, err
	case "text", "text_any", "phrase", "prefix":
		s, err := o.str(k)
		if err == nil && s == nil {
			err = fmt.Errorf("%s: expected a string", o.sub(k))
		}
		if err != nil {
			return nil, err
		}
		kind := map[string]MatchKind{"text": MatchText, "text_any": MatchTextAny, "phrase": MatchPhrase, "prefix": MatchPrefix}[k]
		return &Match{Kind: kind, Text: *s}, nil
	case "any", "except":
		m, err := parseAnyVariants(o.fields[k], o.sub(k))
		if err != nil {
			return nil, err
		}
		m.Kind = MatchAny
		if k == "except" {
			m.Kind = MatchExcept
		}
		return m, nil
	}
	return nil, fmt.Errorf("%s: unknown field", o.sub(k))
}

// parseValueVariant reads a string, a bool or an integer.
func parseValueVariant(raw json.RawMessage, path string) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 {
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err == nil {
				return s, nil
			}
		case 't', 'f':
			var b bool
			if err := json.Unmarshal(raw, &b); err == nil {
				return b, nil
			}
		default:
			if n, ok := rawNumber(raw); ok && parseNum(n).isInt() {
				return canonInt(n), nil
			}
		}
	}
	return nil, fmt.Errorf("%s: expected a string, an integer or a boolean", path)
}

// canonInt rewrites an integer without sign noise ("-0" → "0").
func canonInt(n json.Number) json.Number {
	v := parseNum(n)
	if v.kind == numInt {
		return json.Number(fmt.Sprint(v.i))
	}
	return json.Number(fmt.Sprint(v.u))
}

func parseAnyVariants(raw json.RawMessage, path string) (*Match, error) {
	elems, err := array(raw, path)
	if err != nil {
		return nil, err
	}
	m := &Match{Strings: []string{}}
	for i, e := range elems {
		v, err := parseValueVariant(e, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: expected a string or an integer", path, i)
		}
		switch t := v.(type) {
		case string:
			if m.IntList {
				return nil, fmt.Errorf("%s[%d]: mixes strings and integers", path, i)
			}
			m.Strings = append(m.Strings, t)
		case json.Number:
			if i > 0 && !m.IntList {
				return nil, fmt.Errorf("%s[%d]: mixes strings and integers", path, i)
			}
			m.IntList, m.Strings = true, nil
			m.Ints = append(m.Ints, t)
		default:
			return nil, fmt.Errorf("%s[%d]: expected a string or an integer", path, i)
		}
	}
	return m, nil
}

// parseRange reads a numeric range, or a datetime range when a bound is a
// string (all bounds must then be strings).
func parseRange(raw json.RawMessage, path string) (*Range, *DatetimeRange, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return nil, nil, err
	}
	if err := o.only("gt", "gte", "lt", "lte"); err != nil {
		return nil, nil, err
	}
	isDate := false
	for _, k := range o.order {
		if r := bytes.TrimSpace(o.fields[k]); len(r) > 0 && r[0] == '"' {
			isDate = true
		}
	}
	if isDate {
		dr := &DatetimeRange{}
		for _, b := range []struct {
			k   string
			dst **time.Time
		}{{"gt", &dr.Gt}, {"gte", &dr.Gte}, {"lt", &dr.Lt}, {"lte", &dr.Lte}} {
			s, err := o.str(b.k)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: expected an RFC 3339 datetime string", o.sub(b.k))
			}
			if s == nil {
				continue
			}
			t, err := ParseDatetime(*s)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %v", o.sub(b.k), err)
			}
			*b.dst = &t
		}
		return nil, dr, nil
	}
	r := &Range{}
	for _, b := range []struct {
		k   string
		dst **json.Number
	}{{"gt", &r.Gt}, {"gte", &r.Gte}, {"lt", &r.Lt}, {"lte", &r.Lte}} {
		if *b.dst, err = o.number(b.k); err != nil {
			return nil, nil, err
		}
	}
	return r, nil, nil
}

func parseValuesCount(raw json.RawMessage, path string) (*ValuesCount, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	if err := o.only("gt", "gte", "lt", "lte"); err != nil {
		return nil, err
	}
	vc := &ValuesCount{}
	for _, b := range []struct {
		k   string
		dst **uint64
	}{{"gt", &vc.Gt}, {"gte", &vc.Gte}, {"lt", &vc.Lt}, {"lte", &vc.Lte}} {
		if *b.dst, err = o.uint(b.k, 1<<63-1); err != nil {
			return nil, err
		}
	}
	return vc, nil
}
