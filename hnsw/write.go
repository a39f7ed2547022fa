package hnsw

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/cairn-db/cairn/vfs"
)

// File layout constants; see docs/format/hnsw.md.
const (
	magic      = "CAIRNHNS"
	version    = 1
	headerSize = 64
	// trailerSize is the body checksum after the last block.
	trailerSize = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteFile writes the graph durably to path: a temporary file beside it,
// fsync, rename over path, fsync of the directory.
func (g *Graph) WriteFile(fs vfs.FS, path string) error {
	if g.closed {
		return fmt.Errorf("write hnsw graph %s: %w", path, ErrClosed)
	}
	if err := vfs.WriteFileAtomic(fs, path, g.encode()); err != nil {
		return fmt.Errorf("write hnsw graph: %w", err)
	}
	return nil
}

// encode returns the file image of the graph.
func (g *Graph) encode() []byte {
	words := len(g.layer0) + len(g.upperOff) + len(g.upper)
	buf := make([]byte, headerSize+4*words+trailerSize)
	h := buf[:headerSize]
	copy(h, magic)
	le := binary.LittleEndian
	le.PutUint32(h[8:], version)
	le.PutUint32(h[12:], uint32(g.dist))
	le.PutUint32(h[16:], uint32(g.n))
	le.PutUint32(h[20:], uint32(g.dim))
	le.PutUint32(h[24:], uint32(g.m))
	le.PutUint32(h[28:], uint32(g.m0))
	le.PutUint32(h[32:], uint32(g.mx))
	le.PutUint32(h[36:], uint32(g.maxLevel))
	le.PutUint32(h[40:], g.entry)
	le.PutUint32(h[44:], uint32(len(g.upper)))
	le.PutUint32(h[60:], crc32.Checksum(h[:60], castagnoli))
	p := buf[headerSize:]
	for _, block := range [][]uint32{g.layer0, g.upperOff, g.upper} {
		for _, w := range block {
			le.PutUint32(p, w)
			p = p[4:]
		}
	}
	body := buf[headerSize : len(buf)-trailerSize]
	le.PutUint32(buf[len(buf)-trailerSize:], crc32.Checksum(body, castagnoli))
	return buf
}
