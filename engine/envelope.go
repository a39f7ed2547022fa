package engine

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Engine metadata files (collection config, shard manifest, aliases) share
// one envelope: an 8-byte magic, a little-endian uint32 format version, the
// uint32 body length, the uint32 CRC-32C (Castagnoli) of the body, then the
// body, a JSON document. See docs/format/manifest.md.
const envelopeHeader = 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func sealEnvelope(magic string, version uint32, body []byte) []byte {
	b := make([]byte, 0, envelopeHeader+len(body))
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(body, castagnoli))
	return append(b, body...)
}

// openEnvelope validates the envelope and returns the body.
func openEnvelope(magic string, version uint32, b []byte) ([]byte, error) {
	if len(b) < envelopeHeader || string(b[:8]) != magic {
		return nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != version {
		return nil, fmt.Errorf("%w: unsupported version %d", ErrCorrupt, v)
	}
	n := binary.LittleEndian.Uint32(b[12:])
	if uint64(n) != uint64(len(b)-envelopeHeader) {
		return nil, fmt.Errorf("%w: length %d, have %d", ErrCorrupt, n, len(b)-envelopeHeader)
	}
	body := b[envelopeHeader:]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[16:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return body, nil
}
