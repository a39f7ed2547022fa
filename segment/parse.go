package segment

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/cairn-db/cairn/point"
)

// The parsers below work on a file's whole content as a byte slice (the
// mapping, in production), so tests and fuzz targets need no files.

// fenceStride is the number of ids per fence entry: Lookup binary-searches
// the small fence array on the heap (about 130 KiB for a million points),
// then one block of fenceStride ids in the mapping, touching a few cache
// lines instead of one per halving step.
const fenceStride = 128

// idTable is the sorted array of 17-byte point ids of ids.seg, with a copy
// of every fenceStride-th id.
type idTable struct {
	recs  []byte
	fence []byte
	n     int
}

// idKey is a 17-byte binary id split for fast comparison.
type idKey struct {
	kind   byte
	hi, lo uint64
}

func keyOf(r []byte) idKey {
	return idKey{kind: r[0], hi: binary.BigEndian.Uint64(r[1:9]), lo: binary.BigEndian.Uint64(r[9:17])}
}

// cmp orders the binary id r against k as bytes.Compare would.
func (k idKey) cmp(r []byte) int {
	if r[0] != k.kind {
		return int(r[0]) - int(k.kind)
	}
	a, b := binary.BigEndian.Uint64(r[1:9]), k.hi
	if a == b {
		a, b = binary.BigEndian.Uint64(r[9:17]), k.lo
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// search returns the offset of key, by binary search of the fence then of
// one block of the mapping.
func (t idTable) search(key idKey) (uint32, bool) {
	nf := len(t.fence) / point.BinarySize
	lo, hi := 0, nf
	for lo < hi { // first fence entry > key
		mid := int(uint(lo+hi) >> 1)
		if key.cmp(t.fence[mid*point.BinarySize:(mid+1)*point.BinarySize]) <= 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return 0, false
	}
	lo = (lo - 1) * fenceStride
	hi = min(lo+fenceStride, t.n)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := key.cmp(t.at(uint32(mid))); {
		case c == 0:
			return uint32(mid), true
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false
}

func (t idTable) at(off uint32) []byte {
	i := int(off) * point.BinarySize
	return t.recs[i : i+point.BinarySize]
}

// parseIDs validates ids.seg: header, checksum, well-formed ids in strictly
// increasing order.
func parseIDs(b []byte) (idTable, error) {
	h, err := parseHeader(b, magicIDs)
	if err != nil {
		return idTable{}, err
	}
	if h.A != point.BinarySize || h.Flags != 0 || h.B != 0 || h.CRCB != 0 {
		return idTable{}, fmt.Errorf("%w: bad ids header", ErrCorrupt)
	}
	if want := HeaderSize + h.N*point.BinarySize; uint64(len(b)) != want {
		return idTable{}, fmt.Errorf("%w: %d bytes, want %d", ErrCorrupt, len(b), want)
	}
	recs := b[HeaderSize:]
	if got := checksum(recs); got != h.CRCA {
		return idTable{}, fmt.Errorf("%w: ids checksum %08x, want %08x", ErrCorrupt, got, h.CRCA)
	}
	t := idTable{recs: recs, n: int(h.N)}
	t.fence = make([]byte, 0, (t.n+fenceStride-1)/fenceStride*point.BinarySize)
	var prev []byte
	for i := range t.n {
		r := t.at(uint32(i))
		if !validID(r) {
			return idTable{}, fmt.Errorf("%w: malformed id at offset %d", ErrCorrupt, i)
		}
		if prev != nil && bytes.Compare(prev, r) >= 0 {
			return idTable{}, fmt.Errorf("%w: ids not strictly increasing at offset %d", ErrCorrupt, i)
		}
		prev = r
		if i%fenceStride == 0 {
			t.fence = append(t.fence, r...)
		}
	}
	return t, nil
}

// validID reports whether r is a binary id form point.IDFromBinary reads
// back to the same bytes.
func validID(r []byte) bool {
	switch r[0] {
	case 0:
		return binary.LittleEndian.Uint64(r[1:9]) == 0
	case 1:
		return true
	}
	return false
}

// parseVersions validates versions.seg and returns its n little-endian
// uint64 versions.
func parseVersions(b []byte) (vers []byte, n uint64, err error) {
	h, err := parseHeader(b, magicVersions)
	if err != nil {
		return nil, 0, err
	}
	if h.A != 0 || h.Flags != 0 || h.B != 0 || h.CRCB != 0 {
		return nil, 0, fmt.Errorf("%w: bad versions header", ErrCorrupt)
	}
	if want := HeaderSize + h.N*8; uint64(len(b)) != want {
		return nil, 0, fmt.Errorf("%w: %d bytes, want %d", ErrCorrupt, len(b), want)
	}
	vers = b[HeaderSize:]
	if got := checksum(vers); got != h.CRCA {
		return nil, 0, fmt.Errorf("%w: versions checksum %08x, want %08x", ErrCorrupt, got, h.CRCA)
	}
	return vers, h.N, nil
}

// vectorBlock is the content of one vectors file.
type vectorBlock struct {
	spec     VectorSpec
	raw      []byte    // the n*dim components' bytes, in the mapping
	data     []float32 // raw as float32s when spec.Datatype is Float32
	f16      []uint16  // raw as binary16 bits when spec.Datatype is Float16
	presence []byte    // one bit per point; nil when every point has the vector
	n        uint64
}

// littleEndian reports whether the host stores float32 as the files do.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// parseVectors validates a vectors file's header (its datatype must be
// spec's), size and presence bitmap (not its component data, which only
// Verify reads) and returns the block. The data is reinterpreted in place,
// without a copy.
func parseVectors(b []byte, spec VectorSpec) (vectorBlock, error) {
	h, err := parseHeader(b, magicVectors)
	if err != nil {
		return vectorBlock{}, err
	}
	dim, size := spec.Dim, spec.Datatype.Size()
	if h.A != uint64(dim) || dim < 1 || dim > MaxDim || size == 0 || h.CRCB != 0 ||
		h.Flags&^(flagPresence|0xff<<dtypeShift) != 0 || Datatype(h.Flags>>dtypeShift) != spec.Datatype {
		return vectorBlock{}, fmt.Errorf("%w: bad vectors header", ErrCorrupt)
	}
	if h.Version < 2 && spec.Datatype != Float32 {
		return vectorBlock{}, fmt.Errorf("%w: %s vectors in a version %d file", ErrCorrupt, spec.Datatype, h.Version)
	}
	dataLen := h.N * h.A * uint64(size)
	want := HeaderSize + dataLen
	if h.Flags&flagPresence != 0 {
		want += bitmapBytes(h.N)
	}
	if uint64(len(b)) != want {
		return vectorBlock{}, fmt.Errorf("%w: %d bytes, want %d", ErrCorrupt, len(b), want)
	}
	blk := vectorBlock{n: h.N}
	if h.Flags&flagPresence != 0 {
		blk.presence = b[HeaderSize+dataLen:]
		if err := checkPresence(blk.presence, h); err != nil {
			return vectorBlock{}, err
		}
	} else if h.B != h.N || h.CRCA != 0 {
		return vectorBlock{}, fmt.Errorf("%w: bad vectors header", ErrCorrupt)
	}
	if dataLen == 0 {
		return blk, nil
	}
	if !littleEndian {
		return vectorBlock{}, fmt.Errorf("read vectors: big-endian hosts are not supported")
	}
	blk.raw = b[HeaderSize : HeaderSize+dataLen : HeaderSize+dataLen]
	p := unsafe.Pointer(&b[HeaderSize])
	if uintptr(p)%uintptr(size) != 0 {
		return vectorBlock{}, fmt.Errorf("read vectors: data not %d-byte aligned", size)
	}
	switch spec.Datatype {
	case Float32:
		blk.data = unsafe.Slice((*float32)(p), h.N*h.A)
	case Float16:
		blk.f16 = unsafe.Slice((*uint16)(p), h.N*h.A)
	}
	return blk, nil
}

// checkPresence validates a presence bitmap: its checksum, its count of set
// bits and no bit beyond n.
func checkPresence(bm []byte, h header) error {
	if got := checksum(bm); got != h.CRCA {
		return fmt.Errorf("%w: presence checksum %08x, want %08x", ErrCorrupt, got, h.CRCA)
	}
	var count uint64
	for _, c := range bm {
		count += uint64(bits.OnesCount8(c))
	}
	if h.N%8 != 0 && bm[len(bm)-1]>>(h.N%8) != 0 {
		return fmt.Errorf("%w: presence bits beyond the last point", ErrCorrupt)
	}
	if count != h.B {
		return fmt.Errorf("%w: %d vectors present, header says %d", ErrCorrupt, count, h.B)
	}
	return nil
}

// payloadTable is the content of payload.seg: n+1 offsets into data.
type payloadTable struct {
	offsets []byte
	data    []byte
}

func (t payloadTable) at(off uint32) []byte {
	lo := binary.LittleEndian.Uint64(t.offsets[8*uint64(off):])
	hi := binary.LittleEndian.Uint64(t.offsets[8*uint64(off)+8:])
	if lo == hi {
		return nil
	}
	return t.data[lo:hi:hi]
}

// parsePayload validates payload.seg's header and offsets table (not the
// payload bytes, which only Verify reads).
func parsePayload(b []byte) (payloadTable, uint64, error) {
	h, err := parseHeader(b, magicPayload)
	if err != nil {
		return payloadTable{}, 0, err
	}
	if h.Flags != 0 || h.B != 0 || h.CRCB != 0 {
		return payloadTable{}, 0, fmt.Errorf("%w: bad payload header", ErrCorrupt)
	}
	offLen := (h.N + 1) * 8
	if h.A > uint64(len(b)) || uint64(len(b)) != HeaderSize+offLen+h.A {
		return payloadTable{}, 0, fmt.Errorf("%w: %d bytes for %d points and %d payload bytes", ErrCorrupt, len(b), h.N, h.A)
	}
	t := payloadTable{offsets: b[HeaderSize : HeaderSize+offLen], data: b[HeaderSize+offLen:]}
	if got := checksum(t.offsets); got != h.CRCA {
		return payloadTable{}, 0, fmt.Errorf("%w: payload offsets checksum %08x, want %08x", ErrCorrupt, got, h.CRCA)
	}
	prev := uint64(0)
	for i := uint64(0); i <= h.N; i++ {
		o := binary.LittleEndian.Uint64(t.offsets[8*i:])
		if o < prev || (i == 0 && o != 0) {
			return payloadTable{}, 0, fmt.Errorf("%w: payload offset %d out of order", ErrCorrupt, i)
		}
		prev = o
	}
	if prev != h.A {
		return payloadTable{}, 0, fmt.Errorf("%w: payload offsets end at %d, data is %d bytes", ErrCorrupt, prev, h.A)
	}
	return t, h.N, nil
}
