package sparse

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"unsafe"

	"github.com/cairn-db/cairn/point"
)

// Version is the file format version Build writes and Open reads.
const Version = 1

// HeaderSize is the length of the file header; the tables start after it.
const HeaderSize = 64

// ErrCorrupt reports a file that is not a valid sparse index.
var ErrCorrupt = errors.New("corrupt sparse index")

// ErrVersion reports a sparse index of another format version.
var ErrVersion = errors.New("unsupported sparse index version")

var magic = [8]byte{'C', 'A', 'I', 'R', 'N', 'S', 'P', 'X'}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// littleEndian reports whether memory already holds the file's byte order,
// so the tables are used in place.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// Index is an open sparse index over n segment offsets. Its slices alias
// the bytes given to Open, which must stay valid (mapped) while it is used.
type Index struct {
	n         int
	present   []byte    // ⌈n/8⌉ presence bits
	pointAt   []uint64  // n+1 starts into pointIdx/pointVal
	termStart []uint64  // T+1 starts into postOff/postVal
	terms     []uint32  // T sorted terms
	pointIdx  []uint32  // per point, sorted indices
	pointVal  []float32 // per point, values
	postOff   []uint32  // per term, offsets ascending
	postVal   []float32 // per term, values
	withVec   int       // points that have the vector
	name      string    // the sparse vector's name
}

// Name returns the name of the sparse vector the index holds.
func (ix *Index) Name() string { return ix.name }

// MaxNameLen bounds the vector name stored in the file.
const MaxNameLen = 1 << 16

// Build returns the file bytes of the index of the sparse vector named
// name over n offsets: vecs(off) returns the offset's vector sorted by
// index (point.SparseVector.Sorted) and whether the point has one.
func Build(name string, n int, vecs func(off uint32) (point.SparseVector, bool)) []byte {
	pointAt := make([]uint64, n+1)
	present := make([]byte, (n+7)/8)
	counts := map[uint32]int{}
	var idx []uint32
	var val []float32
	withVec := 0
	for off := range n {
		v, ok := vecs(uint32(off))
		if ok {
			present[off/8] |= 1 << (off % 8)
			withVec++
			idx = append(idx, v.Indices...)
			val = append(val, v.Values...)
			for _, t := range v.Indices {
				counts[t]++
			}
		}
		pointAt[off+1] = uint64(len(idx))
	}
	terms := make([]uint32, 0, len(counts))
	for t := range counts {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	termStart := make([]uint64, len(terms)+1)
	slot := make(map[uint32]uint64, len(terms))
	for i, t := range terms {
		termStart[i+1] = termStart[i] + uint64(counts[t])
		slot[t] = termStart[i]
	}
	postOff := make([]uint32, len(idx))
	postVal := make([]float32, len(idx))
	for off := range n { // offsets ascending: each posting list comes out sorted
		for k := pointAt[off]; k < pointAt[off+1]; k++ {
			p := slot[idx[k]]
			postOff[p], postVal[p] = uint32(off), val[k]
			slot[idx[k]] = p + 1
		}
	}
	b := make([]byte, HeaderSize, HeaderSize+8*(n+len(terms)+2)+4*len(terms)+16*len(idx)+len(present))
	for _, w := range pointAt {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	for _, w := range termStart {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	b = appendU32s(b, terms)
	b = appendU32s(b, idx)
	b = appendF32s(b, val)
	b = appendU32s(b, postOff)
	b = appendF32s(b, postVal)
	b = append(b, present...)
	b = append(b, name...)
	copy(b, magic[:])
	le := binary.LittleEndian
	le.PutUint32(b[8:], Version)
	le.PutUint64(b[16:], uint64(n))
	le.PutUint64(b[24:], uint64(len(terms)))
	le.PutUint64(b[32:], uint64(len(idx)))
	le.PutUint64(b[40:], uint64(withVec))
	le.PutUint32(b[52:], uint32(len(name)))
	le.PutUint32(b[48:], crc32.Checksum(b[HeaderSize:], castagnoli))
	le.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
	return b
}

func appendU32s(b []byte, v []uint32) []byte {
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return b
}

func appendF32s(b []byte, v []float32) []byte {
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// Open checks b (magic, version, header and body checksums, the tables'
// sizes and order) against n, the segment's point count, and returns the
// index over it. The tables alias b on little-endian hosts (b must be
// 8-byte aligned there, as a mapping is) and are copied otherwise.
func Open(b []byte, n int) (*Index, error) {
	le := binary.LittleEndian
	switch {
	case len(b) < HeaderSize:
		return nil, fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorrupt, len(b))
	case [8]byte(b[:8]) != magic:
		return nil, fmt.Errorf("%w: bad magic %q", ErrCorrupt, b[:8])
	case le.Uint32(b[60:]) != crc32.Checksum(b[:60], castagnoli):
		return nil, fmt.Errorf("%w: header checksum", ErrCorrupt)
	case le.Uint32(b[8:]) != Version:
		return nil, fmt.Errorf("%w: version %d", ErrVersion, le.Uint32(b[8:]))
	}
	pn, nt, nnz, wv := le.Uint64(b[16:]), le.Uint64(b[24:]), le.Uint64(b[32:]), le.Uint64(b[40:])
	nl := uint64(le.Uint32(b[52:]))
	if pn != uint64(n) || wv > pn || nt > nnz || nnz > math.MaxUint32*pn || nl > MaxNameLen ||
		le.Uint32(b[12:]) != 0 || le.Uint32(b[56:]) != 0 {
		return nil, fmt.Errorf("%w: counts %d points (segment %d), %d terms, %d entries", ErrCorrupt, pn, n, nt, nnz)
	}
	if uint64(len(b)) > math.MaxInt64/2 || nnz > uint64(len(b)) {
		return nil, fmt.Errorf("%w: %d entries in %d bytes", ErrCorrupt, nnz, len(b))
	}
	want := uint64(HeaderSize) + 8*(pn+1) + 8*(nt+1) + 4*nt + 16*nnz + (pn+7)/8 + nl
	if uint64(len(b)) != want {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrCorrupt, len(b), want)
	}
	if le.Uint32(b[48:]) != crc32.Checksum(b[HeaderSize:], castagnoli) {
		return nil, fmt.Errorf("%w: body checksum", ErrCorrupt)
	}
	r := reader{b: b[HeaderSize:]}
	ix := &Index{n: n, withVec: int(wv)}
	ix.pointAt = r.u64s(int(pn) + 1)
	ix.termStart = r.u64s(int(nt) + 1)
	ix.terms = r.u32s(int(nt))
	ix.pointIdx = r.u32s(int(nnz))
	ix.pointVal = r.f32s(int(nnz))
	ix.postOff = r.u32s(int(nnz))
	ix.postVal = r.f32s(int(nnz))
	ix.present = r.take(int(pn+7) / 8)
	ix.name = string(r.b)
	if err := ix.check(); err != nil {
		return nil, err
	}
	return ix, nil
}

// check verifies the tables' order and bounds, so that no lookup can go
// out of range: starts non-decreasing from 0 to nnz, terms strictly
// increasing, and each posting list's offsets strictly increasing and < n.
func (ix *Index) check() error {
	nnz := uint64(len(ix.pointIdx))
	for _, starts := range [][]uint64{ix.pointAt, ix.termStart} {
		if starts[0] != 0 || starts[len(starts)-1] != nnz {
			return fmt.Errorf("%w: table bounds", ErrCorrupt)
		}
		for i := 1; i < len(starts); i++ {
			if starts[i] < starts[i-1] {
				return fmt.Errorf("%w: table order", ErrCorrupt)
			}
		}
	}
	for i := 1; i < len(ix.terms); i++ {
		if ix.terms[i] <= ix.terms[i-1] {
			return fmt.Errorf("%w: terms out of order", ErrCorrupt)
		}
	}
	for t := range ix.terms {
		offs := ix.postOff[ix.termStart[t]:ix.termStart[t+1]]
		for i, off := range offs {
			if int(off) >= ix.n || (i > 0 && off <= offs[i-1]) {
				return fmt.Errorf("%w: posting list of term %d", ErrCorrupt, ix.terms[t])
			}
		}
	}
	return nil
}

type reader struct{ b []byte }

func (r *reader) take(n int) []byte {
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u64s(n int) []uint64 {
	raw := r.take(8 * n)
	if littleEndian && n > 0 && uintptr(unsafe.Pointer(&raw[0]))%8 == 0 {
		return unsafe.Slice((*uint64)(unsafe.Pointer(&raw[0])), n)
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(raw[8*i:])
	}
	return out
}

func (r *reader) u32s(n int) []uint32 {
	raw := r.take(4 * n)
	if littleEndian && n > 0 && uintptr(unsafe.Pointer(&raw[0]))%4 == 0 {
		return unsafe.Slice((*uint32)(unsafe.Pointer(&raw[0])), n)
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	return out
}

func (r *reader) f32s(n int) []float32 {
	u := r.u32s(n)
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&u[0])), n)
}

// Len returns the number of offsets the index covers.
func (ix *Index) Len() int { return ix.n }

// Count returns the number of offsets that have a vector.
func (ix *Index) Count() int { return ix.withVec }

// Has reports whether the point at off has the vector (possibly empty).
func (ix *Index) Has(off uint32) bool {
	return int(off) < ix.n && ix.present[off/8]>>(off%8)&1 != 0
}

// Vector returns the vector of the point at off, sorted by index, aliasing
// the index (callers clone it to keep it), and whether it has one.
func (ix *Index) Vector(off uint32) (point.SparseVector, bool) {
	if !ix.Has(off) {
		return point.SparseVector{}, false
	}
	lo, hi := ix.pointAt[off], ix.pointAt[off+1]
	return point.SparseVector{Indices: ix.pointIdx[lo:hi:hi], Values: ix.pointVal[lo:hi:hi]}, true
}

// Postings returns the posting list of term: the offsets having it,
// ascending, and their values (aliasing the index; empty when none has it).
func (ix *Index) Postings(term uint32) (offs []uint32, vals []float32) {
	i, ok := slices.BinarySearch(ix.terms, term)
	if !ok {
		return nil, nil
	}
	lo, hi := ix.termStart[i], ix.termStart[i+1]
	return ix.postOff[lo:hi:hi], ix.postVal[lo:hi:hi]
}
