package engine

import "github.com/cairn-db/cairn/payload"

// match reports whether the live slot of m matches f (nil matches) the way a
// sealed segment's payload.Matcher answers it: a text condition on a key
// with a full-text index (defs) is a token test, and has_vector sees the
// slot's vectors.
func (m *memTable) match(f *payload.Filter, slot int, defs map[string]payload.FieldSchema) bool {
	if f == nil {
		return true
	}
	o := &payload.MatchOptions{Schemas: defs, HasVector: func(name string) bool { return m.hasVector(name, slot) }}
	return f.MatchWith(m.ids[slot], decodePayload(m.payloads[slot]), o)
}

// hasVector reports whether slot holds the vector called name ("" is the
// unnamed one).
func (m *memTable) hasVector(name string, slot int) bool {
	if i := specIndex(m.specs, name); i >= 0 {
		return m.has[i][slot]
	}
	_, ok := m.sparseVector(name, slot)
	return ok
}
