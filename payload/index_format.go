package payload

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"unsafe"
)

// The payload index file; see docs/format/payload-index.md.
const (
	indexMagic    = "CRNPIDX\x00"
	indexVersion  = 1
	headerSize    = 40
	sectionEntry  = 16
	maxSections   = 16
	sectionAlign  = 8
	typeCodeCount = 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// typeCodes number the index types in the file header.
var typeCodes = []FieldType{TypeKeyword, TypeInteger, TypeFloat, TypeBool, TypeDatetime, TypeUUID, TypeGeo, TypeText}

func typeCode(t FieldType) byte {
	for i, x := range typeCodes {
		if x == t {
			return byte(i + 1)
		}
	}
	return 0
}

// Common sections, present in every index.
const (
	secMeta    = 0 // JSON {"key": k, "schema": s}
	secPresent = 1 // u32 offsets whose key is not empty (is_empty false)
	secNull    = 2 // u32 offsets whose key is null (is_null true)
	secFirst   = 3 // first type-specific section
)

// writer assembles sections into one index file.
type writer struct{ secs [][]byte }

func (w *writer) add(b []byte) { w.secs = append(w.secs, b) }

func (w *writer) addU32(v []uint32) { w.add(u32Bytes(v)) }

func (w *writer) bytes(t FieldType, n int) []byte {
	off := headerSize + sectionEntry*len(w.secs)
	size := align(off)
	for _, s := range w.secs {
		size = align(size + len(s))
	}
	b := make([]byte, size)
	copy(b, indexMagic)
	binary.LittleEndian.PutUint32(b[8:], indexVersion)
	binary.LittleEndian.PutUint64(b[16:], uint64(size))
	b[24] = typeCode(t)
	binary.LittleEndian.PutUint32(b[28:], uint32(n))
	binary.LittleEndian.PutUint32(b[32:], uint32(len(w.secs)))
	pos := align(off)
	for i, s := range w.secs {
		e := headerSize + sectionEntry*i
		binary.LittleEndian.PutUint64(b[e:], uint64(pos))
		binary.LittleEndian.PutUint64(b[e+8:], uint64(len(s)))
		copy(b[pos:], s)
		pos = align(pos + len(s))
	}
	binary.LittleEndian.PutUint32(b[12:], crc32.Checksum(b[16:], castagnoli))
	return b
}

func align(n int) int { return (n + sectionAlign - 1) &^ (sectionAlign - 1) }

// u32Bytes encodes little-endian u32s.
func u32Bytes(v []uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

func u64Bytes(v []uint64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
	return b
}

// header is the validated header of an index file.
type header struct {
	typ  FieldType
	n    int
	secs [][]byte
}

// readHeader validates magic, version, length, checksum and section
// bounds and alignment.
func readHeader(b []byte) (header, error) {
	var h header
	if len(b) < headerSize || string(b[:8]) != indexMagic {
		return h, fmt.Errorf("%w: bad magic", ErrCorruptIndex)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != indexVersion {
		return h, fmt.Errorf("%w: unknown version %d", ErrCorruptIndex, v)
	}
	if l := binary.LittleEndian.Uint64(b[16:]); l != uint64(len(b)) {
		return h, fmt.Errorf("%w: length %d, have %d bytes", ErrCorruptIndex, l, len(b))
	}
	if crc32.Checksum(b[16:], castagnoli) != binary.LittleEndian.Uint32(b[12:]) {
		return h, fmt.Errorf("%w: checksum mismatch", ErrCorruptIndex)
	}
	code := int(b[24])
	if code < 1 || code > typeCodeCount {
		return h, fmt.Errorf("%w: unknown type code %d", ErrCorruptIndex, code)
	}
	h.typ = typeCodes[code-1]
	h.n = int(binary.LittleEndian.Uint32(b[28:]))
	ns := int(binary.LittleEndian.Uint32(b[32:]))
	if ns < secFirst || ns > maxSections || headerSize+sectionEntry*ns > len(b) {
		return h, fmt.Errorf("%w: bad section count %d", ErrCorruptIndex, ns)
	}
	for i := 0; i < ns; i++ {
		e := headerSize + sectionEntry*i
		off := binary.LittleEndian.Uint64(b[e:])
		ln := binary.LittleEndian.Uint64(b[e+8:])
		if off%sectionAlign != 0 || off > uint64(len(b)) || ln > uint64(len(b))-off {
			return h, fmt.Errorf("%w: section %d out of bounds", ErrCorruptIndex, i)
		}
		h.secs = append(h.secs, b[off:off+ln])
	}
	return h, nil
}

// Views over mmap'd sections without copying. The caller has checked the
// 8-byte alignment of the whole buffer; sections are 8-aligned in it.
func asU32(b []byte) ([]uint32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%w: section length %d not a multiple of 4", ErrCorruptIndex, len(b))
	}
	if len(b) == 0 {
		return nil, nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), len(b)/4), nil
}

func asU64(b []byte) ([]uint64, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("%w: section length %d not a multiple of 8", ErrCorruptIndex, len(b))
	}
	if len(b) == 0 {
		return nil, nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), len(b)/8), nil
}

func asI64(b []byte) ([]int64, error) {
	u, err := asU64(b)
	if err != nil || u == nil {
		return nil, err
	}
	return unsafe.Slice((*int64)(unsafe.Pointer(&u[0])), len(u)), nil
}

func asF64(b []byte) ([]float64, error) {
	u, err := asU64(b)
	if err != nil || u == nil {
		return nil, err
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&u[0])), len(u)), nil
}

// nativeLittle reports whether the host is little-endian, which the
// zero-copy views require.
var nativeLittle = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// IndexFileName returns a file name for the index of key that is safe on
// any filesystem whatever the key holds: "index-<hex of key>.pidx".
func IndexFileName(key string) string {
	return "index-" + hex.EncodeToString([]byte(key)) + ".pidx"
}
