package payload

import (
	"encoding/binary"
	"encoding/json"
	"strings"

	"github.com/cairn-db/cairn/point"
)

// MatchOptions carry what exact evaluation needs beyond id and payload.
type MatchOptions struct {
	// Schemas are the collection's payload indexes by key. A text
	// condition on a key with a text index is a token test (as Qdrant's
	// full-text index answers it); otherwise it is a substring test.
	Schemas map[string]FieldSchema
	// HasVector reports whether the point has the named vector ("" is the
	// unnamed one). When nil, has_vector never matches.
	HasVector func(name string) bool
}

// Match reports whether the point matches f, with no payload indexes
// (full-text conditions are substring tests). A nil filter matches.
func (f *Filter) Match(id point.ID, p Payload) bool {
	return f.MatchWith(id, p, nil)
}

// MatchWith reports whether the point matches f, with the options o (nil
// is the same as Match).
func (f *Filter) MatchWith(id point.ID, p Payload, o *MatchOptions) bool {
	if f == nil {
		return true
	}
	e := evalCtx{id: id, hasID: true, opts: o}
	return e.filter(f, map[string]any(p))
}

// evalCtx is the state of one evaluation: the point (absent inside nested
// objects) and the key prefix used to find schemas inside nested filters.
type evalCtx struct {
	id     point.ID
	hasID  bool
	opts   *MatchOptions
	prefix string
}

func (e *evalCtx) filter(f *Filter, doc map[string]any) bool {
	if f.Should != nil && !e.any(f.Should, doc) {
		return false
	}
	if ms := f.MinShould; ms != nil {
		n := 0
		for i := range ms.Conditions {
			if n >= ms.MinCount {
				break
			}
			if e.cond(&ms.Conditions[i], doc) {
				n++
			}
		}
		if n < ms.MinCount {
			return false
		}
	}
	for i := range f.Must {
		if !e.cond(&f.Must[i], doc) {
			return false
		}
	}
	for i := range f.MustNot {
		if e.cond(&f.MustNot[i], doc) {
			return false
		}
	}
	return true
}

func (e *evalCtx) any(cs []Condition, doc map[string]any) bool {
	for i := range cs {
		if e.cond(&cs[i], doc) {
			return true
		}
	}
	return false
}

func (e *evalCtx) cond(c *Condition, doc map[string]any) bool {
	switch {
	case c.Field != nil:
		return e.field(c.Field, doc)
	case c.IsEmpty != nil:
		return isEmptyValues(lookup(*c.IsEmpty, doc))
	case c.IsNull != nil:
		return isNullValues(lookup(*c.IsNull, doc))
	case c.HasID != nil:
		return e.hasID && c.HasID.Has(e.id)
	case c.HasVector != nil:
		return e.hasID && e.opts != nil && e.opts.HasVector != nil && e.opts.HasVector(*c.HasVector)
	case c.Slice != nil:
		return e.hasID && c.Slice.contains(e.id)
	case c.Nested != nil:
		return e.nested(c.Nested, doc)
	case c.Filter != nil:
		return e.filter(c.Filter, doc)
	}
	return false
}

func (e *evalCtx) nested(n *Nested, doc map[string]any) bool {
	inner := evalCtx{opts: e.opts, prefix: e.prefix + n.Key + "[]."}
	for _, v := range lookup(n.Key+"[]", doc) {
		if obj, ok := v.(map[string]any); ok && inner.filter(n.Filter, obj) {
			return true
		}
	}
	return false
}

// lookup returns the raw values at a key path (a final array is one value).
func lookup(key string, doc map[string]any) []any {
	if !strings.ContainsAny(key, ".[]\"") {
		if v, ok := doc[key]; ok && key != "" {
			return []any{v}
		}
		return nil
	}
	items, err := parsePath(key)
	if err != nil {
		return nil
	}
	return rawValues(items, doc, nil)
}

// isEmptyValues: no value, or only nulls and empty arrays.
func isEmptyValues(vals []any) bool {
	for _, v := range vals {
		switch t := v.(type) {
		case nil:
		case []any:
			if len(t) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// isNullValues: some value is null or an array holding null.
func isNullValues(vals []any) bool {
	for _, v := range vals {
		switch t := v.(type) {
		case nil:
			return true
		case []any:
			for _, x := range t {
				if x == nil {
					return true
				}
			}
		}
	}
	return false
}

// field evaluates a field condition as Qdrant's check_field_condition.
func (e *evalCtx) field(fc *FieldCondition, doc map[string]any) bool {
	raw := lookup(fc.Key, doc)
	if len(raw) == 0 {
		return fc.checkEmpty()
	}
	if fc.Match != nil && isTextKind(fc.Match.Kind) {
		if tk := e.textTokenizer(fc.Key); tk != nil {
			if tk.matchText(fc.Match.Kind, fc.Match.Text, flatten(raw, nil)) {
				return true
			}
			if fc.count() == 1 {
				return false
			}
			c := *fc
			c.Match = nil
			fc = &c
		}
	}
	for _, v := range raw {
		if fc.checkValue(v) {
			return true
		}
	}
	return false
}

func isTextKind(k MatchKind) bool { return k == MatchText || k == MatchTextAny || k == MatchPhrase }

func (e *evalCtx) textTokenizer(key string) *tokenizer {
	if e.opts == nil || e.opts.Schemas == nil {
		return nil
	}
	s, ok := e.opts.Schemas[e.prefix+key]
	if !ok || s.Type != TypeText {
		return nil
	}
	return newTokenizer(s.Text)
}

// checkEmpty is the answer for a key with no value.
func (fc *FieldCondition) checkEmpty() bool {
	switch {
	case fc.IsEmpty != nil:
		return *fc.IsEmpty
	case fc.IsNull != nil:
		return !*fc.IsNull
	case fc.ValuesCount != nil:
		return fc.ValuesCount.check(0)
	}
	return false
}

// checkValue tests one raw value (an array: any element).
func (fc *FieldCondition) checkValue(v any) bool {
	switch {
	case fc.ValuesCount != nil:
		n := 1
		if arr, ok := v.([]any); ok {
			n = len(arr)
		}
		return fc.ValuesCount.check(uint64(n))
	case fc.IsEmpty != nil:
		return isEmptyValues([]any{v}) == *fc.IsEmpty
	case fc.IsNull != nil:
		return isNullValues([]any{v}) == *fc.IsNull
	}
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			if fc.checkScalar(x) {
				return true
			}
		}
		return false
	}
	return fc.checkScalar(v)
}

// checkScalar: any of the condition's tests accepts the value.
func (fc *FieldCondition) checkScalar(v any) bool {
	if fc.Match != nil && fc.Match.check(v) {
		return true
	}
	if fc.Range != nil && fc.Range.check(v) {
		return true
	}
	if fc.DatetimeRange != nil && fc.DatetimeRange.check(v) {
		return true
	}
	if fc.GeoBoundingBox != nil || fc.GeoRadius != nil || fc.GeoPolygon != nil {
		if p, ok := geoValue(v); ok {
			return geoMatch(fc, p)
		}
	}
	return false
}

func (vc *ValuesCount) check(n uint64) bool {
	return (vc.Gt == nil || n > *vc.Gt) && (vc.Gte == nil || n >= *vc.Gte) &&
		(vc.Lt == nil || n < *vc.Lt) && (vc.Lte == nil || n <= *vc.Lte)
}

// check tests one scalar (array elements inside arrays are scalars here,
// and never match except "except").
func (m *Match) check(v any) bool {
	switch m.Kind {
	case MatchValue:
		return valueEqual(v, m.Value)
	case MatchText, MatchPhrase:
		s, ok := v.(string)
		return ok && strings.Contains(s, m.Text)
	case MatchTextAny:
		s, ok := v.(string)
		if !ok {
			return false
		}
		for _, w := range strings.Fields(m.Text) {
			if strings.Contains(s, w) {
				return true
			}
		}
		return false
	case MatchPrefix:
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, m.Text)
	case MatchAny:
		return m.inList(v)
	case MatchExcept:
		return m.except(v)
	}
	return false
}

func valueEqual(stored, want any) bool {
	switch w := want.(type) {
	case string:
		s, ok := stored.(string)
		return ok && s == w
	case bool:
		b, ok := stored.(bool)
		return ok && b == w
	case json.Number:
		n, ok := stored.(json.Number)
		return ok && intEqual(parseNum(n), parseNum(w))
	}
	return false
}

// inList reports whether v is a string (integer) in the string (integer)
// list.
func (m *Match) inList(v any) bool {
	switch t := v.(type) {
	case string:
		if m.IntList {
			return false
		}
		for _, s := range m.Strings {
			if s == t {
				return true
			}
		}
	case json.Number:
		if !m.IntList {
			return false
		}
		n := parseNum(t)
		for _, w := range m.Ints {
			if intEqual(n, parseNum(w)) {
				return true
			}
		}
	}
	return false
}

// except follows Qdrant: null never matches; a value of another type than
// the list (bool, object, nested array, float, string vs integers) does.
func (m *Match) except(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case string:
		return m.IntList || !m.inList(t)
	case json.Number:
		if !m.IntList || !parseNum(t).isInt() {
			return true
		}
		return !m.inList(t)
	}
	return true
}

func (r *Range) check(v any) bool {
	s, ok := v.(json.Number)
	if !ok {
		return false
	}
	n := parseNum(s)
	if n.kind == numBad {
		return false
	}
	return r.contains(n)
}

func (r *Range) contains(n num) bool {
	b := r.bounds()
	return b.lowerOK(n) && b.upperOK(n)
}

// rangeBounds is a Range with its bounds parsed once.
type rangeBounds struct {
	gt, gte, lt, lte num
}

func (r *Range) bounds() rangeBounds {
	var b rangeBounds
	for _, x := range []struct {
		src *json.Number
		dst *num
	}{{r.Gt, &b.gt}, {r.Gte, &b.gte}, {r.Lt, &b.lt}, {r.Lte, &b.lte}} {
		if x.src != nil {
			*x.dst = parseNum(*x.src)
		}
	}
	return b
}

// lowerOK and upperOK split a range into its monotone halves; an unset
// (or unparsable) bound accepts everything.
func (b *rangeBounds) lowerOK(n num) bool {
	return (b.gt.kind == numBad || cmpNum(n, b.gt) > 0) && (b.gte.kind == numBad || cmpNum(n, b.gte) >= 0)
}

func (b *rangeBounds) upperOK(n num) bool {
	return (b.lt.kind == numBad || cmpNum(n, b.lt) < 0) && (b.lte.kind == numBad || cmpNum(n, b.lte) <= 0)
}

func (r *DatetimeRange) check(v any) bool {
	us, ok := datetimeMicros(v)
	return ok && r.containsMicros(us)
}

func (r *DatetimeRange) containsMicros(us int64) bool {
	return (r.Gt == nil || us > r.Gt.UnixMicro()) && (r.Gte == nil || us >= r.Gte.UnixMicro()) &&
		(r.Lt == nil || us < r.Lt.UnixMicro()) && (r.Lte == nil || us <= r.Lte.UnixMicro())
}

func (s *Slice) contains(id point.ID) bool {
	var b [16]byte
	var msg []byte
	if id.IsUUID() {
		u := id.UUID()
		msg = u[:]
	} else {
		binary.LittleEndian.PutUint64(b[:8], id.Num())
		msg = b[:8]
	}
	return sipHash24(msg)%uint64(s.Total) == uint64(s.Index)
}
