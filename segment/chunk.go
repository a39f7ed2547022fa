package segment

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/cairn-db/cairn/vfs"
)

// chunkWriter buffers writes into large chunks and checksums what it writes.
// It remembers the first error and ignores later writes.
type chunkWriter struct {
	f    vfs.File
	buf  []byte
	crc  uint32
	size uint64
	err  error
}

func (cw *chunkWriter) write(p []byte) {
	for len(p) > 0 && cw.err == nil {
		if len(cw.buf) == cap(cw.buf) {
			cw.flush()
			continue
		}
		n := min(len(p), cap(cw.buf)-len(cw.buf))
		cw.buf = append(cw.buf, p[:n]...)
		p = p[n:]
	}
}

// writeFloats writes v as little-endian float32s.
func (cw *chunkWriter) writeFloats(v []float32) {
	if len(v) == 0 {
		return
	}
	if littleEndian {
		cw.write(unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*4))
		return
	}
	var b [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		cw.write(b[:])
	}
}

// writeU16s writes v as little-endian uint16s.
func (cw *chunkWriter) writeU16s(v []uint16) {
	if len(v) == 0 {
		return
	}
	if littleEndian {
		cw.write(unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*2))
		return
	}
	var b [2]byte
	for _, x := range v {
		binary.LittleEndian.PutUint16(b[:], x)
		cw.write(b[:])
	}
}

func (cw *chunkWriter) flush() {
	if cw.err != nil || len(cw.buf) == 0 {
		return
	}
	cw.crc = crc32Update(cw.crc, cw.buf)
	cw.size += uint64(len(cw.buf))
	_, cw.err = cw.f.Write(cw.buf)
	cw.buf = cw.buf[:0]
}
