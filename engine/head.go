package engine

import (
	"slices"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/segment"
)

// memTable is a shard's mutable head: points in memory, in arrival order,
// with each vector name's components contiguous for the batch kernel. A
// slot is never rewritten: writing a point again kills its old slot and
// appends a new one. A frozen memTable (being sealed) receives no new slots;
// its live flags may still be cleared. Guarded by the shard's mu.
type memTable struct {
	specs    []segment.VectorSpec
	ids      []point.ID
	versions []uint64
	payloads [][]byte
	live     []bool
	vecs     [][][]float32 // per spec: chunks of chunkSlots × dim floats
	has      [][]bool      // per spec: slot has the vector
	index    map[point.ID]int32
	// sparse holds the sparse vectors by name, with their postings.
	sparse map[string]*memSparse
	nlive  int
	// firstWrite is the monotonic time of the first slot, for flush_interval_sec.
	firstWrite int64
}

func newMemTable(specs []segment.VectorSpec) *memTable {
	return &memTable{
		specs: specs,
		vecs:  make([][][]float32, len(specs)),
		has:   make([][]bool, len(specs)),
		index: map[point.ID]int32{},
	}
}

// chunkSlots is the number of slots per vector chunk of a memtable: chunks
// are allocated whole, so the head never copies its vectors to grow, and each
// chunk is one batch-kernel call.
const chunkSlots = scanChunk

// slots returns the number of slots, live or dead.
func (m *memTable) slots() int { return len(m.ids) }

// lookup returns the live slot of id.
func (m *memTable) lookup(id point.ID) (int, bool) {
	s, ok := m.index[id]
	if !ok || !m.live[s] {
		return 0, false
	}
	return int(s), true
}

// kill marks id's live slot dead; it reports whether there was one.
func (m *memTable) kill(id point.ID) bool {
	s, ok := m.lookup(id)
	if !ok {
		return false
	}
	m.live[s] = false
	m.nlive--
	return true
}

// put appends p as a new live slot (the caller has killed older versions).
func (m *memTable) put(p *pointData, version uint64, now int64) {
	if len(m.ids) == 0 {
		m.firstWrite = now
	}
	slot := int32(len(m.ids))
	if len(m.ids) == cap(m.ids) {
		m.reserve()
	}
	m.ids = append(m.ids, p.id)
	m.versions = append(m.versions, version)
	m.payloads = append(m.payloads, p.payload)
	m.live = append(m.live, true)
	for i, sp := range m.specs {
		v, ok := p.vectors[sp.Name]
		m.has[i] = append(m.has[i], ok)
		if int(slot)%chunkSlots == 0 {
			m.vecs[i] = append(m.vecs[i], make([]float32, 0, chunkSlots*sp.Dim))
		}
		last := len(m.vecs[i]) - 1
		if ok {
			m.vecs[i][last] = append(m.vecs[i][last], v...)
		} else {
			m.vecs[i][last] = m.vecs[i][last][:len(m.vecs[i][last])+sp.Dim]
		}
	}
	for name, v := range p.sparse {
		m.putSparse(name, slot, v)
	}
	m.index[p.id] = slot
	m.nlive++
}

// memSparse is one sparse vector of a memtable: each slot's vector (a
// copy, sorted by index) and, per index, the postings of the slots that
// have it in slot order, so a search walks only its terms' postings.
type memSparse struct {
	vecs map[int32]point.SparseVector
	post map[uint32][]memPosting
}

// memPosting is one slot's value of an index.
type memPosting struct {
	slot int32
	val  float32
}

// putSparse stores a copy of v (sorted by index) as slot's vector name.
func (m *memTable) putSparse(name string, slot int32, v point.SparseVector) {
	if m.sparse == nil {
		m.sparse = map[string]*memSparse{}
	}
	ms := m.sparse[name]
	if ms == nil {
		ms = &memSparse{vecs: map[int32]point.SparseVector{}, post: map[uint32][]memPosting{}}
		m.sparse[name] = ms
	}
	cp := point.SparseVector{Indices: slices.Clone(v.Indices), Values: slices.Clone(v.Values)}
	if cp.Indices == nil {
		cp.Indices, cp.Values = []uint32{}, []float32{}
	}
	ms.vecs[slot] = cp
	for i, t := range cp.Indices {
		ms.post[t] = append(ms.post[t], memPosting{slot: slot, val: cp.Values[i]})
	}
}

// sparseVector returns slot's sparse vector name (aliasing the table).
func (m *memTable) sparseVector(name string, slot int) (point.SparseVector, bool) {
	ms := m.sparse[name]
	if ms == nil {
		return point.SparseVector{}, false
	}
	v, ok := ms.vecs[int32(slot)]
	return v, ok
}

// reserve doubles the capacity of the per-slot slices (at least
// chunkSlots), so that a growing head reallocates them a few times rather
// than at append's gentler rate for large slices, and gives the index room
// for the first chunk.
func (m *memTable) reserve() {
	n := max(2*cap(m.ids), chunkSlots)
	m.ids = grow(m.ids, n)
	m.versions = grow(m.versions, n)
	m.payloads = grow(m.payloads, n)
	m.live = grow(m.live, n)
	for i := range m.has {
		m.has[i] = grow(m.has[i], n)
	}
	if len(m.index) == 0 {
		m.index = make(map[point.ID]int32, n)
	}
}

// grow returns s with capacity at least n.
func grow[T any](s []T, n int) []T {
	return slices.Grow(s, n-len(s))
}

// specIndex returns the position of the vector name in specs.
func specIndex(specs []segment.VectorSpec, name string) int {
	for i, sp := range specs {
		if sp.Name == name {
			return i
		}
	}
	return -1
}

// vector returns slot's vector of spec i, nil when absent. It aliases the table.
func (m *memTable) vector(i, slot int) []float32 {
	if !m.has[i][slot] {
		return nil
	}
	d := m.specs[i].Dim
	c, k := slot/chunkSlots, slot%chunkSlots
	return m.vecs[i][c][k*d : (k+1)*d : (k+1)*d]
}

// pointAt returns slot's whole point; vectors alias the table.
func (m *memTable) pointAt(slot int) pointData {
	p := pointData{id: m.ids[slot], payload: m.payloads[slot], vectors: map[string][]float32{}}
	for i, sp := range m.specs {
		if v := m.vector(i, slot); v != nil {
			p.vectors[sp.Name] = v
		}
	}
	for name, ms := range m.sparse {
		if v, ok := ms.vecs[int32(slot)]; ok {
			if p.sparse == nil {
				p.sparse = map[string]point.SparseVector{}
			}
			p.sparse[name] = v
		}
	}
	return p
}
