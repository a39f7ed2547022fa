package payload

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/cairn-db/cairn/point"
)

// maxDepth bounds filter nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

// ParseFilter reads a Qdrant filter from JSON, strictly: unknown fields,
// wrong types and invalid values are errors wrapping ErrBadFilter whose
// message names the field path, e.g. "filter.must[1].range.gt: expected a
// number". JSON null gives an empty filter (which matches every point).
func ParseFilter(b []byte) (*Filter, error) {
	return parseFilterAt(b, "filter")
}

func parseFilterAt(b []byte, path string) (*Filter, error) {
	f, err := parseFilter(b, path, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFilter, err)
	}
	return f, nil
}

// UnmarshalJSON reads a filter as ParseFilter does.
func (f *Filter) UnmarshalJSON(b []byte) error {
	g, err := ParseFilter(b)
	if err != nil {
		return err
	}
	*f = *g
	return nil
}

func parseFilter(b []byte, path string, depth int) (*Filter, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: nested too deeply", path)
	}
	if isNull(b) {
		return &Filter{}, nil
	}
	o, err := decodeObject(b, path)
	if err != nil {
		return nil, err
	}
	if err := o.only("must", "should", "must_not", "min_should"); err != nil {
		return nil, err
	}
	return filterFromObject(o, depth)
}

func filterFromObject(o *object, depth int) (*Filter, error) {
	f := &Filter{}
	var err error
	if f.Must, err = parseClause(o, "must", depth); err != nil {
		return nil, err
	}
	if f.Should, err = parseClause(o, "should", depth); err != nil {
		return nil, err
	}
	if f.MustNot, err = parseClause(o, "must_not", depth); err != nil {
		return nil, err
	}
	if o.has("min_should") {
		if f.MinShould, err = parseMinShould(o.fields["min_should"], o.sub("min_should"), depth); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// parseClause reads one condition or an array of conditions.
func parseClause(o *object, k string, depth int) ([]Condition, error) {
	if !o.has(k) {
		return nil, nil
	}
	raw := bytes.TrimSpace(o.fields[k])
	path := o.sub(k)
	if len(raw) > 0 && raw[0] == '{' {
		c, err := parseCondition(raw, path, depth)
		if err != nil {
			return nil, err
		}
		return []Condition{c}, nil
	}
	return parseConditions(raw, path, depth)
}

func parseConditions(raw json.RawMessage, path string, depth int) ([]Condition, error) {
	elems, err := array(raw, path)
	if err != nil {
		return nil, fmt.Errorf("%s: expected a condition or an array of conditions", path)
	}
	out := make([]Condition, 0, len(elems))
	for i, e := range elems {
		c, err := parseCondition(e, fmt.Sprintf("%s[%d]", path, i), depth)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func parseMinShould(raw json.RawMessage, path string, depth int) (*MinShould, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	if err := o.only("conditions", "min_count"); err != nil {
		return nil, err
	}
	if !o.has("conditions") {
		return nil, fmt.Errorf("%s: missing", o.sub("conditions"))
	}
	conds, err := parseConditions(o.fields["conditions"], o.sub("conditions"), depth+1)
	if err != nil {
		return nil, err
	}
	if !o.has("min_count") {
		return nil, fmt.Errorf("%s: missing", o.sub("min_count"))
	}
	n, err := o.uint("min_count", 1<<31)
	if err != nil {
		return nil, err
	}
	if *n < 1 {
		return nil, fmt.Errorf("%s: must be at least 1", o.sub("min_count"))
	}
	return &MinShould{Conditions: conds, MinCount: int(*n)}, nil
}

// parseCondition tells the condition kinds apart by their fields.
func parseCondition(raw json.RawMessage, path string, depth int) (Condition, error) {
	if depth+1 > maxDepth {
		return Condition{}, fmt.Errorf("%s: nested too deeply", path)
	}
	o, err := decodeObject(raw, path)
	if err != nil {
		return Condition{}, err
	}
	_, hasKey := o.fields["key"]
	switch {
	case hasKey:
		fc, err := parseFieldCondition(o)
		return Condition{Field: fc}, err
	case o.has("is_empty"):
		k, err := parseKeyRef(o, "is_empty")
		return Condition{IsEmpty: k}, err
	case o.has("is_null"):
		k, err := parseKeyRef(o, "is_null")
		return Condition{IsNull: k}, err
	case o.has("has_id"):
		h, err := parseHasID(o)
		return Condition{HasID: h}, err
	case o.has("has_vector"):
		if err := o.only("has_vector"); err != nil {
			return Condition{}, err
		}
		s, err := o.str("has_vector")
		return Condition{HasVector: s}, err
	case o.has("slice"):
		s, err := parseSlice(o)
		return Condition{Slice: s}, err
	case o.has("nested"):
		n, err := parseNested(o, depth)
		return Condition{Nested: n}, err
	}
	if err := o.only("must", "should", "must_not", "min_should"); err != nil {
		return Condition{}, err
	}
	f, err := filterFromObject(o, depth+1)
	return Condition{Filter: f}, err
}

func parseKeyRef(o *object, k string) (*string, error) {
	if err := o.only(k); err != nil {
		return nil, err
	}
	inner, err := decodeObject(o.fields[k], o.sub(k))
	if err != nil {
		return nil, err
	}
	if err := inner.only("key"); err != nil {
		return nil, err
	}
	return requiredKey(inner)
}

func requiredKey(o *object) (*string, error) {
	s, err := o.str("key")
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, fmt.Errorf("%s: missing", o.sub("key"))
	}
	if err := ValidateKey(*s); err != nil {
		return nil, fmt.Errorf("%s: %v", o.sub("key"), err)
	}
	return s, nil
}

func parseHasID(o *object) (*HasID, error) {
	if err := o.only("has_id"); err != nil {
		return nil, err
	}
	elems, err := array(o.fields["has_id"], o.sub("has_id"))
	if err != nil {
		return nil, err
	}
	h := &HasID{IDs: make([]point.ID, 0, len(elems))}
	for i, e := range elems {
		var id point.ID
		if err := id.UnmarshalJSON(e); err != nil {
			return nil, fmt.Errorf("%s[%d]: expected an unsigned integer or a UUID", o.sub("has_id"), i)
		}
		h.IDs = append(h.IDs, id)
	}
	return h, nil
}

func parseSlice(o *object) (*Slice, error) {
	if err := o.only("slice"); err != nil {
		return nil, err
	}
	in, err := decodeObject(o.fields["slice"], o.sub("slice"))
	if err != nil {
		return nil, err
	}
	if err := in.only("index", "total"); err != nil {
		return nil, err
	}
	idx, err := in.uint("index", 1<<32-1)
	if err != nil {
		return nil, err
	}
	tot, err := in.uint("total", 1<<32-1)
	if err != nil {
		return nil, err
	}
	switch {
	case tot == nil:
		return nil, fmt.Errorf("%s: missing", in.sub("total"))
	case idx == nil:
		return nil, fmt.Errorf("%s: missing", in.sub("index"))
	case *tot < 1:
		return nil, &ValidationError{in.sub("total"), "must be at least 1"}
	case *idx >= *tot:
		return nil, &ValidationError{in.sub("index"), "must be below total"}
	}
	return &Slice{Index: uint32(*idx), Total: uint32(*tot)}, nil
}

func parseNested(o *object, depth int) (*Nested, error) {
	if err := o.only("nested"); err != nil {
		return nil, err
	}
	in, err := decodeObject(o.fields["nested"], o.sub("nested"))
	if err != nil {
		return nil, err
	}
	if err := in.only("key", "filter"); err != nil {
		return nil, err
	}
	key, err := requiredKey(in)
	if err != nil {
		return nil, err
	}
	if !in.has("filter") {
		return nil, fmt.Errorf("%s: missing", in.sub("filter"))
	}
	f, err := parseFilter(in.fields["filter"], in.sub("filter"), depth+1)
	if err != nil {
		return nil, err
	}
	return &Nested{Key: *key, Filter: f}, nil
}
