package wal

import (
	"encoding/binary"
	"fmt"
)

// FrameHeaderSize is the size of a record frame's header (length, CRC-32C,
// LSN), before the payload.
const FrameHeaderSize = frameHeaderSize

// AppendFrame appends to buf record lsn framed exactly as a segment file
// holds it (see docs/format/wal.md), for copies of the log kept elsewhere
// (the WAL archive).
func AppendFrame(buf []byte, lsn uint64, data []byte) []byte { return appendFrame(buf, lsn, data) }

// DecodeFrame validates the record frame at the start of b (length within
// b and MaxRecordSize, CRC-32C) and returns its LSN, its payload (aliasing
// b) and the frame's size.
func DecodeFrame(b []byte) (lsn uint64, data []byte, size int, err error) {
	if len(b) < frameHeaderSize {
		return 0, nil, 0, fmt.Errorf("%w: partial record header (%d bytes)", ErrCorrupt, len(b))
	}
	n := uint64(binary.LittleEndian.Uint32(b[0:]))
	if n > MaxRecordSize || n > uint64(len(b)-frameHeaderSize) {
		return 0, nil, 0, fmt.Errorf("%w: record length %d past end of data", ErrCorrupt, n)
	}
	data = b[frameHeaderSize : frameHeaderSize+n]
	if binary.LittleEndian.Uint32(b[4:]) != frameCRC(b[:frameHeaderSize], data) {
		return 0, nil, 0, fmt.Errorf("%w: record checksum mismatch", ErrCorrupt)
	}
	lsn = binary.LittleEndian.Uint64(b[8:])
	if lsn == 0 {
		return 0, nil, 0, fmt.Errorf("%w: record lsn 0", ErrCorrupt)
	}
	return lsn, data, frameHeaderSize + int(n), nil
}
