package payload

import (
	"encoding/json"
	"fmt"
	"unsafe"
)

// Index is an opened payload index. Its arrays are views over the bytes
// passed to OpenIndex (which must stay mapped and unmodified while the
// Index is used); it is safe for concurrent use.
type Index struct {
	key    string
	schema FieldSchema
	typ    FieldType
	n      int
	tok    *tokenizer

	present, null []uint32

	// keyword, uuid, bool, text: sorted terms and their posting lists.
	termOff   []uint32
	termBytes []byte
	postStart []uint32
	postings  []uint32

	// integer, datetime: (value, offset) sorted by value then offset.
	iVals []int64
	iOffs []uint32
	uVals []uint64 // integer values above MaxInt64
	uOffs []uint32
	// float: (value, offset) sorted.
	fVals []float64
	fOffs []uint32
	// other: offsets with numbers this index does not hold exactly.
	other []uint32

	// geo: points sorted by latitude.
	lat, lon []float64
	gOffs    []uint32
}

// OpenIndex reads an index written by BuildIndex from b (typically
// memory-mapped), validating magic, version, checksum, section bounds and
// every offset; bulk arrays are not copied. b must be 8-byte aligned, as
// mmap'd memory and Go allocations are (an unaligned b is copied once).
func OpenIndex(b []byte) (*Index, error) {
	if !nativeLittle {
		return nil, fmt.Errorf("open payload index: big-endian hosts are not supported")
	}
	if len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))%8 != 0 {
		al := make([]uint64, (len(b)+7)/8)
		c := unsafe.Slice((*byte)(unsafe.Pointer(&al[0])), len(b))
		copy(c, b)
		b = c
	}
	h, err := readHeader(b)
	if err != nil {
		return nil, fmt.Errorf("open payload index: %w", err)
	}
	ix := &Index{typ: h.typ, n: h.n}
	if err := ix.load(h); err != nil {
		return nil, fmt.Errorf("open payload index: %w", err)
	}
	return ix, nil
}

func (ix *Index) load(h header) error {
	var meta struct {
		Key    string      `json:"key"`
		Schema FieldSchema `json:"schema"`
	}
	if err := json.Unmarshal(h.secs[secMeta], &meta); err != nil {
		return fmt.Errorf("%w: metadata: %v", ErrCorruptIndex, err)
	}
	if meta.Schema.Type != h.typ || ValidateKey(meta.Key) != nil {
		return fmt.Errorf("%w: metadata disagrees with header", ErrCorruptIndex)
	}
	ix.key, ix.schema = meta.Key, meta.Schema
	if ix.typ == TypeText {
		ix.tok = newTokenizer(meta.Schema.Text)
	}
	v := &views{secs: h.secs, n: uint32(h.n)}
	ix.present = v.offsets(secPresent, true)
	ix.null = v.offsets(secNull, true)
	s := secFirst
	switch ix.typ {
	case TypeKeyword, TypeUUID, TypeBool, TypeText:
		ix.termOff, ix.termBytes = v.u32(s), v.raw(s+1)
		ix.postStart, ix.postings = v.u32(s+2), v.offsets(s+3, false)
		v.checkTerms(ix)
	case TypeInteger, TypeDatetime:
		ix.iVals, ix.iOffs = v.i64(s), v.offsets(s+1, false)
		ix.uVals, ix.uOffs = v.u64(s+2), v.offsets(s+3, false)
		ix.other = v.offsets(s+4, true)
		v.check(len(ix.iVals) == len(ix.iOffs) && len(ix.uVals) == len(ix.uOffs), "value/offset lengths differ")
		v.check(sortedBy(ix.iVals) && sortedBy(ix.uVals), "values not sorted")
	case TypeFloat:
		ix.fVals, ix.fOffs = v.f64(s), v.offsets(s+1, false)
		ix.other = v.offsets(s+2, true)
		v.check(len(ix.fVals) == len(ix.fOffs), "value/offset lengths differ")
		v.check(sortedBy(ix.fVals), "values not sorted")
	case TypeGeo:
		ix.lat, ix.lon, ix.gOffs = v.f64(s), v.f64(s+1), v.offsets(s+2, false)
		v.check(len(ix.lat) == len(ix.lon) && len(ix.lat) == len(ix.gOffs), "coordinate lengths differ")
		v.check(sortedBy(ix.lat), "latitudes not sorted")
	}
	return v.err
}

func sortedBy[T int64 | uint64 | float64](v []T) bool {
	for i := 1; i < len(v); i++ {
		if !(v[i-1] <= v[i]) { // also false for NaN
			return false
		}
	}
	return len(v) == 0 || v[0] == v[0] // a lone NaN
}

// views reads sections, remembering the first error.
type views struct {
	secs [][]byte
	n    uint32
	err  error
}

func (v *views) check(ok bool, what string) {
	if !ok && v.err == nil {
		v.err = fmt.Errorf("%w: %s", ErrCorruptIndex, what)
	}
}

func (v *views) raw(i int) []byte {
	if i >= len(v.secs) {
		v.check(false, fmt.Sprintf("section %d missing", i))
		return nil
	}
	return v.secs[i]
}

func (v *views) u32(i int) []uint32 {
	out, err := asU32(v.raw(i))
	v.check(err == nil, fmt.Sprint(err))
	return out
}

func (v *views) u64(i int) []uint64 {
	out, err := asU64(v.raw(i))
	v.check(err == nil, fmt.Sprint(err))
	return out
}

func (v *views) i64(i int) []int64 {
	out, err := asI64(v.raw(i))
	v.check(err == nil, fmt.Sprint(err))
	return out
}

func (v *views) f64(i int) []float64 {
	out, err := asF64(v.raw(i))
	v.check(err == nil, fmt.Sprint(err))
	return out
}

// offsets reads a u32 list whose values must be below n (and strictly
// increasing when sorted is set).
func (v *views) offsets(i int, sorted bool) []uint32 {
	out := v.u32(i)
	for j, x := range out {
		if x >= v.n || sorted && j > 0 && out[j-1] >= x {
			v.check(false, fmt.Sprintf("section %d: bad offset %d", i, x))
			return nil
		}
	}
	return out
}

// checkTerms validates the term table and that each posting list is
// strictly increasing.
func (v *views) checkTerms(ix *Index) {
	to, ps := ix.termOff, ix.postStart
	v.check(len(to) >= 1 && len(to) == len(ps), "term table lengths differ")
	if v.err != nil {
		return
	}
	v.check(to[0] == 0 && ps[0] == 0, "term table does not start at 0")
	v.check(int(to[len(to)-1]) == len(ix.termBytes) && int(ps[len(ps)-1]) == len(ix.postings), "term table does not cover its sections")
	for i := 1; i < len(to) && v.err == nil; i++ {
		v.check(to[i-1] <= to[i] && ps[i-1] < ps[i], "term table not increasing")
	}
	for i := 1; i < len(to) && v.err == nil; i++ {
		l := ix.postings[ps[i-1]:ps[i]]
		for j := 1; j < len(l); j++ {
			v.check(l[j-1] < l[j], "posting list not increasing")
		}
		if i >= 2 && v.err == nil {
			v.check(ix.term(i-2) < ix.term(i-1), "terms not sorted")
		}
	}
}

// Key returns the payload key the index covers.
func (ix *Index) Key() string { return ix.key }

// Schema returns the field schema the index was built with.
func (ix *Index) Schema() FieldSchema { return ix.schema }

// Len returns the number of offsets the index covers.
func (ix *Index) Len() int { return ix.n }

func (ix *Index) terms() int { return len(ix.termOff) - 1 }

func (ix *Index) term(i int) string {
	b := ix.termBytes[ix.termOff[i]:ix.termOff[i+1]]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func (ix *Index) posting(i int) []uint32 { return ix.postings[ix.postStart[i]:ix.postStart[i+1]] }

// findTerm returns the index of term t.
func (ix *Index) findTerm(t string) (int, bool) {
	lo, hi := 0, ix.terms()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ix.term(m) < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < ix.terms() && ix.term(lo) == t
}
