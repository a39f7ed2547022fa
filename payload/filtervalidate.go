package payload

import (
	"encoding/json"
	"fmt"
	"math"
)

// Validate checks a filter built in Go as ParseFilter checks JSON: nesting
// at most 64 deep, exactly one kind per condition, valid keys, a slice
// total of at least 1 with its index below it, min_should counts of at
// least 1, finite geo values within range, closed polygon rings, match
// operands of the kind they claim, and numbers that parse. Evaluation
// assumes all of these (a Slice{Total: 0} divides by zero), so every
// entry point that takes a filter from a caller checks it first. The error
// wraps ErrBadFilter and names the field path. A nil filter is valid.
func (f *Filter) Validate() error {
	if f == nil {
		return nil
	}
	if err := validateFilter(f, "filter", 0); err != nil {
		return fmt.Errorf("%w: %w", ErrBadFilter, err)
	}
	return nil
}

func validateFilter(f *Filter, path string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: nested too deeply", path)
	}
	for _, cl := range []struct {
		name  string
		conds []Condition
	}{{"must", f.Must}, {"should", f.Should}, {"must_not", f.MustNot}} {
		for i := range cl.conds {
			if err := validateCondition(&cl.conds[i], fmt.Sprintf("%s.%s[%d]", path, cl.name, i), depth); err != nil {
				return err
			}
		}
	}
	if ms := f.MinShould; ms != nil {
		p := path + ".min_should"
		if ms.MinCount < 1 || ms.MinCount > 1<<31 {
			return fmt.Errorf("%s.min_count: must be from 1 to 2147483648", p)
		}
		for i := range ms.Conditions {
			if err := validateCondition(&ms.Conditions[i], fmt.Sprintf("%s.conditions[%d]", p, i), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// kinds is the number of condition kinds c sets.
func (c *Condition) kinds() int {
	n := 0
	for _, set := range []bool{c.Field != nil, c.IsEmpty != nil, c.IsNull != nil, c.HasID != nil,
		c.HasVector != nil, c.Slice != nil, c.Nested != nil, c.Filter != nil} {
		if set {
			n++
		}
	}
	return n
}

func validateCondition(c *Condition, path string, depth int) error {
	if depth+1 > maxDepth {
		return fmt.Errorf("%s: nested too deeply", path)
	}
	if c.kinds() != 1 {
		return fmt.Errorf("%s: a condition must set exactly one kind, has %d", path, c.kinds())
	}
	switch {
	case c.Field != nil:
		return validateField(c.Field, path)
	case c.IsEmpty != nil:
		return validateKey(*c.IsEmpty, path+".is_empty.key")
	case c.IsNull != nil:
		return validateKey(*c.IsNull, path+".is_null.key")
	case c.Slice != nil:
		if c.Slice.Total < 1 {
			return &ValidationError{path + ".slice.total", "must be at least 1"}
		}
		if c.Slice.Index >= c.Slice.Total {
			return &ValidationError{path + ".slice.index", "must be below total"}
		}
	case c.Nested != nil:
		if err := validateKey(c.Nested.Key, path+".nested.key"); err != nil {
			return err
		}
		if c.Nested.Filter == nil {
			return fmt.Errorf("%s.nested.filter: missing", path)
		}
		return validateFilter(c.Nested.Filter, path+".nested.filter", depth+1)
	case c.Filter != nil:
		return validateFilter(c.Filter, path, depth+1)
	}
	return nil
}

func validateKey(key, path string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

func validateField(fc *FieldCondition, path string) error {
	if err := validateKey(fc.Key, path+".key"); err != nil {
		return err
	}
	if fc.count() == 0 {
		return &ValidationError{path, "At least one field condition must be specified"}
	}
	if fc.Match != nil {
		if err := validateMatch(fc.Match, path+".match"); err != nil {
			return err
		}
	}
	if r := fc.Range; r != nil {
		for _, b := range []struct {
			k string
			n *json.Number
		}{{"gt", r.Gt}, {"gte", r.Gte}, {"lt", r.Lt}, {"lte", r.Lte}} {
			if b.n != nil && parseNum(*b.n).kind == numBad {
				return fmt.Errorf("%s.range.%s: expected a number", path, b.k)
			}
		}
	}
	return validateGeo(fc, path)
}

func validateMatch(m *Match, path string) error {
	switch m.Kind {
	case MatchValue:
		switch v := m.Value.(type) {
		case string, bool:
		case json.Number:
			if !parseNum(v).isInt() {
				return fmt.Errorf("%s.value: expected a string, an integer or a boolean", path)
			}
		default:
			return fmt.Errorf("%s.value: expected a string, an integer or a boolean", path)
		}
	case MatchText, MatchTextAny, MatchPhrase, MatchPrefix:
	case MatchAny, MatchExcept:
		if m.IntList && len(m.Strings) > 0 {
			return fmt.Errorf("%s: mixes strings and integers", path)
		}
		for i, n := range m.Ints {
			if !parseNum(n).isInt() {
				return fmt.Errorf("%s[%d]: expected an integer", path, i)
			}
		}
		if !m.IntList && len(m.Ints) > 0 {
			return fmt.Errorf("%s: integers in a string list", path)
		}
	default:
		return fmt.Errorf("%s: unknown match kind %d", path, m.Kind)
	}
	return nil
}

func validateGeo(fc *FieldCondition, path string) error {
	if b := fc.GeoBoundingBox; b != nil {
		if err := validatePoint(b.TopLeft, path+".geo_bounding_box.top_left"); err != nil {
			return err
		}
		if err := validatePoint(b.BottomRight, path+".geo_bounding_box.bottom_right"); err != nil {
			return err
		}
	}
	if r := fc.GeoRadius; r != nil {
		if err := validatePoint(r.Center, path+".geo_radius.center"); err != nil {
			return err
		}
		if math.IsNaN(r.Radius) || math.IsInf(r.Radius, 0) {
			return fmt.Errorf("%s.geo_radius.radius: expected a finite number", path)
		}
	}
	if g := fc.GeoPolygon; g != nil {
		if err := validateRing(g.Exterior, path+".geo_polygon.exterior"); err != nil {
			return err
		}
		for i, r := range g.Interiors {
			if err := validateRing(r, fmt.Sprintf("%s.geo_polygon.interiors[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func validatePoint(p GeoPoint, path string) error {
	if !(p.Lat >= -90 && p.Lat <= 90) { // also refuses NaN
		return fmt.Errorf("%s.lat: latitude must be within [-90, 90]", path)
	}
	if !(p.Lon >= -180 && p.Lon <= 180) {
		return fmt.Errorf("%s.lon: longitude must be within [-180, 180]", path)
	}
	return nil
}

func validateRing(pts []GeoPoint, path string) error {
	for i, p := range pts {
		if err := validatePoint(p, fmt.Sprintf("%s.points[%d]", path, i)); err != nil {
			return err
		}
	}
	if len(pts) < 4 || pts[0] != pts[len(pts)-1] {
		return fmt.Errorf("%s.points: a ring needs at least 4 points, the first equal to the last", path)
	}
	return nil
}
