package payload

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/google/uuid"
)

// BuildIndex serializes a payload index of the given schema for key over
// the offsets 0..n-1 of a segment, reading each point's payload through
// payloadAt (which may return nil for a point without payload). The bytes
// are the file described in docs/format/payload-index.md.
func BuildIndex(key string, schema FieldSchema, n int, payloadAt func(off uint32) Payload) ([]byte, error) {
	if err := schema.Validate(); err != nil {
		return nil, fmt.Errorf("build payload index %q: %w", key, err)
	}
	items, err := parsePath(key)
	if err != nil {
		return nil, fmt.Errorf("build payload index: %w", err)
	}
	if n < 0 || n > math.MaxUint32 {
		return nil, fmt.Errorf("build payload index %q: %d points out of range", key, n)
	}
	meta, err := json.Marshal(map[string]any{"key": key, "schema": schema})
	if err != nil {
		return nil, fmt.Errorf("build payload index %q: %w", key, err)
	}
	b := newBuilder(schema)
	var present, null []uint32
	var raw, flat []any
	for off := 0; off < n; off++ {
		raw = rawValues(items, map[string]any(payloadAt(uint32(off))), raw[:0])
		if !isEmptyValues(raw) {
			present = append(present, uint32(off))
		}
		if isNullValues(raw) {
			null = append(null, uint32(off))
		}
		flat = flatten(raw, flat[:0])
		b.add(uint32(off), flat)
	}
	w := &writer{}
	w.add(meta)
	w.addU32(present)
	w.addU32(null)
	b.write(w)
	return w.bytes(schema.Type, n), nil
}

// builder collects the typed values of one index.
type builder struct {
	typ   FieldType
	tok   *tokenizer
	terms map[string][]uint32
	ints  []pair[int64]
	uints []pair[uint64]
	flts  []pair[float64]
	other []uint32
	geo   []geoEntry
}

type pair[T int64 | uint64 | float64] struct {
	v   T
	off uint32
}

type geoEntry struct {
	p   GeoPoint
	off uint32
}

func newBuilder(s FieldSchema) *builder {
	b := &builder{typ: s.Type, terms: map[string][]uint32{}}
	if s.Type == TypeText {
		b.tok = newTokenizer(s.Text)
	}
	return b
}

func (b *builder) term(t string, off uint32) {
	l := b.terms[t]
	if len(l) == 0 || l[len(l)-1] != off {
		b.terms[t] = append(l, off)
	}
}

// add records the flattened values of one point.
func (b *builder) add(off uint32, vals []any) {
	switch b.typ {
	case TypeKeyword, TypeUUID:
		for _, v := range vals {
			if s, ok := v.(string); ok && (b.typ == TypeKeyword || isUUID(s)) {
				b.term(s, off)
			}
		}
	case TypeBool:
		for _, v := range vals {
			if t, ok := v.(bool); ok {
				b.term(boolTerm(t), off)
			}
		}
	case TypeText:
		for t := range b.tok.docSet(vals) {
			b.term(t, off)
		}
	case TypeInteger:
		b.addInts(off, vals)
	case TypeFloat:
		b.addFloats(off, vals)
	case TypeDatetime:
		for _, v := range vals {
			if us, ok := datetimeMicros(v); ok {
				b.ints = append(b.ints, pair[int64]{us, off})
			}
		}
	case TypeGeo:
		for _, v := range vals {
			if p, ok := geoValue(v); ok {
				b.geo = append(b.geo, geoEntry{p, off})
			}
		}
	}
}

func (b *builder) addInts(off uint32, vals []any) {
	odd := false
	for _, v := range vals {
		s, ok := v.(json.Number)
		if !ok {
			continue
		}
		switch x := parseNum(s); x.kind {
		case numInt:
			b.ints = append(b.ints, pair[int64]{x.i, off})
		case numUint:
			b.uints = append(b.uints, pair[uint64]{x.u, off})
		case numFloat:
			odd = true
		}
	}
	if odd {
		b.other = append(b.other, off)
	}
}

// addFloats indexes numbers whose float64 is exact; integers beyond 2^53
// go to the "other" list and are checked point by point.
func (b *builder) addFloats(off uint32, vals []any) {
	odd := false
	for _, v := range vals {
		s, ok := v.(json.Number)
		if !ok {
			continue
		}
		x := parseNum(s)
		switch {
		case x.kind == numBad:
		case small(x):
			b.flts = append(b.flts, pair[float64]{x.f, off})
		default:
			odd = true
		}
	}
	if odd {
		b.other = append(b.other, off)
	}
}

func boolTerm(t bool) string {
	if t {
		return "true"
	}
	return "false"
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}

func sortPairs[T int64 | uint64 | float64](p []pair[T]) []pair[T] {
	sort.Slice(p, func(i, j int) bool { return p[i].v < p[j].v || p[i].v == p[j].v && p[i].off < p[j].off })
	return slices.Compact(p)
}

func (b *builder) write(w *writer) {
	switch b.typ {
	case TypeKeyword, TypeUUID, TypeBool, TypeText:
		b.writeTerms(w)
	case TypeInteger, TypeDatetime:
		ints, uints := sortPairs(b.ints), sortPairs(b.uints)
		vals, offs := splitPairs(ints)
		w.add(u64Bytes(i64AsU64(vals)))
		w.addU32(offs)
		uv, uo := splitPairs(uints)
		w.add(u64Bytes(uv))
		w.addU32(uo)
		w.addU32(b.other)
	case TypeFloat:
		vals, offs := splitPairs(sortPairs(b.flts))
		w.add(u64Bytes(f64AsU64(vals)))
		w.addU32(offs)
		w.addU32(b.other)
	case TypeGeo:
		sort.Slice(b.geo, func(i, j int) bool { return b.geo[i].p.Lat < b.geo[j].p.Lat })
		lat, lon, offs := make([]uint64, len(b.geo)), make([]uint64, len(b.geo)), make([]uint32, len(b.geo))
		for i, g := range b.geo {
			lat[i], lon[i], offs[i] = math.Float64bits(g.p.Lat), math.Float64bits(g.p.Lon), g.off
		}
		w.add(u64Bytes(lat))
		w.add(u64Bytes(lon))
		w.addU32(offs)
	}
}

func (b *builder) writeTerms(w *writer) {
	terms := make([]string, 0, len(b.terms))
	for t := range b.terms {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	termOff := make([]uint32, 0, len(terms)+1)
	postStart := make([]uint32, 0, len(terms)+1)
	var tb []byte
	var posts []uint32
	for _, t := range terms {
		termOff = append(termOff, uint32(len(tb)))
		postStart = append(postStart, uint32(len(posts)))
		tb = append(tb, t...)
		posts = append(posts, b.terms[t]...)
	}
	termOff = append(termOff, uint32(len(tb)))
	postStart = append(postStart, uint32(len(posts)))
	w.addU32(termOff)
	w.add(tb)
	w.addU32(postStart)
	w.addU32(posts)
}

func splitPairs[T int64 | uint64 | float64](p []pair[T]) ([]T, []uint32) {
	vals, offs := make([]T, len(p)), make([]uint32, len(p))
	for i, x := range p {
		vals[i], offs[i] = x.v, x.off
	}
	return vals, offs
}

func i64AsU64(v []int64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = uint64(x)
	}
	return out
}

func f64AsU64(v []float64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = math.Float64bits(x)
	}
	return out
}
