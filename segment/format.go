package segment

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// FormatVersion is the version of the segment file formats this package
// writes, and the newest it reads. Version 2 added a vector's datatype
// (float32, float16, uint8) to meta.seg and the vectors file header.
const FormatVersion = 2

// minFormatVersion is the oldest version this package still reads:
// version 1 segments hold float32 vectors only.
const minFormatVersion = 1

// writeVersion is the version Write puts in meta.seg and the vectors files,
// the files version 2 changed; tests lower it to produce segments of an
// older version. The other files keep version 1, their format unchanged.
var writeVersion uint32 = FormatVersion

// unchangedVersion is the version written in the files whose format has
// not changed since version 1 (ids, versions, payload, deleted.bits).
const unchangedVersion = 1

// readable reports whether files of format version v can be read.
func readable(v uint32) bool { return v >= minFormatVersion && v <= FormatVersion }

// HeaderSize is the length of the fixed header at the start of every data
// file (ids, versions, vectors, payload). Vector data starts right after it,
// so a page-aligned mapping puts it on a 64-byte boundary.
const HeaderSize = 64

// MaxPoints is the largest number of points a segment holds: offsets are
// uint32.
const MaxPoints = 1<<32 - 1

// MaxDim is the largest vector dimension a segment stores.
const MaxDim = 65536

// File names of the fixed files of a segment.
const (
	MetaFile     = "meta.seg"
	IDsFile      = "ids.seg"
	VersionsFile = "versions.seg"
	PayloadFile  = "payload.seg"
	DeletedFile  = "deleted.bits"
)

// TempSuffix is appended to a segment folder's name while Write fills it. A
// folder with this suffix is a leftover of a crash, never a segment, and may
// be removed at start-up.
const TempSuffix = ".tmp"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Magic numbers, one per file kind.
var (
	magicMeta     = [8]byte{'C', 'A', 'I', 'R', 'N', 'S', 'E', 'G'}
	magicIDs      = [8]byte{'C', 'A', 'I', 'R', 'N', 'I', 'D', 'S'}
	magicVersions = [8]byte{'C', 'A', 'I', 'R', 'N', 'V', 'E', 'R'}
	magicVectors  = [8]byte{'C', 'A', 'I', 'R', 'N', 'V', 'E', 'C'}
	magicPayload  = [8]byte{'C', 'A', 'I', 'R', 'N', 'P', 'L', 'D'}
	magicDeleted  = [8]byte{'C', 'A', 'I', 'R', 'N', 'D', 'E', 'L'}
)

// flagPresence marks a vectors file that carries a presence bitmap because
// some points lack the vector.
const flagPresence = 1

// header is the 64-byte header of a data file. A, B, CRCA and CRCB mean
// different things per file kind (see docs/format/segment.md).
type header struct {
	Magic   [8]byte
	Version uint32 // set by parseHeader; marshal writes writeVersion
	Flags   uint32
	N       uint64
	A, B    uint64
	CRCA    uint32
	CRCB    uint32
}

func (h *header) marshal() []byte {
	b := make([]byte, HeaderSize)
	copy(b, h.Magic[:])
	le := binary.LittleEndian
	v := uint32(unchangedVersion)
	if h.Magic == magicVectors {
		v = writeVersion
	}
	le.PutUint32(b[8:], v)
	le.PutUint32(b[12:], h.Flags)
	le.PutUint64(b[16:], h.N)
	le.PutUint64(b[24:], h.A)
	le.PutUint64(b[32:], h.B)
	le.PutUint32(b[40:], h.CRCA)
	le.PutUint32(b[44:], h.CRCB)
	le.PutUint32(b[60:], checksum(b[:60]))
	return b
}

// parseHeader validates and decodes the header at the start of b.
func parseHeader(b []byte, magic [8]byte) (header, error) {
	var h header
	if len(b) < HeaderSize {
		return h, fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorrupt, len(b))
	}
	if [8]byte(b[:8]) != magic {
		return h, fmt.Errorf("%w: bad magic %q", ErrCorrupt, b[:8])
	}
	le := binary.LittleEndian
	if got, want := le.Uint32(b[60:]), checksum(b[:60]); got != want {
		return h, fmt.Errorf("%w: header checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	h.Version = le.Uint32(b[8:])
	if !readable(h.Version) {
		return h, fmt.Errorf("%w: version %d", ErrVersion, h.Version)
	}
	for _, c := range b[48:60] {
		if c != 0 {
			return h, fmt.Errorf("%w: reserved header bytes set", ErrCorrupt)
		}
	}
	h.Magic = magic
	h.Flags = le.Uint32(b[12:])
	h.N = le.Uint64(b[16:])
	h.A = le.Uint64(b[24:])
	h.B = le.Uint64(b[32:])
	h.CRCA = le.Uint32(b[40:])
	h.CRCB = le.Uint32(b[44:])
	if h.N > MaxPoints {
		return h, fmt.Errorf("%w: %d points", ErrCorrupt, h.N)
	}
	return h, nil
}

// bitmapBytes is the length of a presence bitmap over n points.
func bitmapBytes(n uint64) uint64 { return (n + 7) / 8 }

func bitAt(b []byte, i uint32) bool { return b[i>>3]>>(i&7)&1 != 0 }

func crc32Update(crc uint32, b []byte) uint32 { return crc32.Update(crc, castagnoli, b) }
