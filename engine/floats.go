package engine

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// littleEndian reports whether float32 memory is already in the WAL's
// little-endian byte order, so vectors can be copied as bytes.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// appendFloats appends v as little-endian float32s.
func appendFloats(b []byte, v []float32) []byte {
	if littleEndian && len(v) > 0 {
		return append(b, unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))...)
	}
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

// decodeFloats decodes little-endian float32s into a new slice.
func decodeFloats(raw []byte) []float32 {
	v := make([]float32, len(raw)/4)
	if littleEndian && len(v) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(raw)), raw)
		return v
	}
	for k := range v {
		v[k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
	}
	return v
}
