package engine

import (
	"fmt"
	"strings"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/segment"
	"github.com/cairn-db/cairn/sparse"
)

// sparseFile is the extra file of a segment holding the inverted index of
// the sparse vector name (docs/format/sparse.md). The name inside the file
// is authoritative; the file name only keeps names apart.
func sparseFile(name string) string { return "sparse-" + segment.EscapeName(name) + ".spx" }

// isSparseFile reports whether an extra file name is a sparse index.
func isSparseFile(name string) bool {
	return strings.HasPrefix(name, "sparse-") && strings.HasSuffix(name, ".spx")
}

// sparseByID holds the sparse vectors of the points being written into a
// segment, by id (records are sorted by id only when written).
type sparseByID map[point.ID]map[string]point.SparseVector

// add records id's sparse vectors (none: nothing), allocating the map.
func (m sparseByID) add(id point.ID, v map[string]point.SparseVector) sparseByID {
	if len(v) == 0 {
		return m
	}
	if m == nil {
		m = sparseByID{}
	}
	m[id] = v
	return m
}

// buildSparseIndexes adds to extra one inverted index per sparse vector
// name some record has, over recs in their sorted (offset) order.
func buildSparseIndexes(recs []segment.Record, byID sparseByID, extra map[string][]byte) map[string][]byte {
	if len(byID) == 0 {
		return extra
	}
	names := map[string]bool{}
	for _, vs := range byID {
		for n := range vs {
			names[n] = true
		}
	}
	if extra == nil {
		extra = map[string][]byte{}
	}
	for _, name := range sortedSparseNames(names) {
		extra[sparseFile(name)] = sparse.Build(name, len(recs), func(off uint32) (point.SparseVector, bool) {
			v, ok := byID[recs[off].ID][name]
			return v, ok
		})
	}
	return extra
}

// openSparse opens (and checks) every sparse index file of the segment.
func (h *segHandle) openSparse() error {
	for _, f := range h.seg.ExtraNames() {
		if !isSparseFile(f) {
			continue
		}
		ix, err := sparse.Open(h.seg.Extra(f), h.seg.Len())
		if err != nil {
			return fmt.Errorf("open sparse index %s of %s: %w: %v", f, h.dir, ErrCorrupt, err)
		}
		if sparseFile(ix.Name()) != f {
			return fmt.Errorf("open sparse index %s of %s: %w: holds vector %q", f, h.dir, ErrCorrupt, ix.Name())
		}
		if h.sparse == nil {
			h.sparse = map[string]*sparse.Index{}
		}
		h.sparse[ix.Name()] = ix
	}
	return nil
}

// sparseAt returns the sparse vectors of the point at off (aliasing the
// mapping), nil when it has none.
func (h *segHandle) sparseAt(off uint32) map[string]point.SparseVector {
	var out map[string]point.SparseVector
	for name, ix := range h.sparse {
		if v, ok := ix.Vector(off); ok {
			if out == nil {
				out = map[string]point.SparseVector{}
			}
			out[name] = v
		}
	}
	return out
}
