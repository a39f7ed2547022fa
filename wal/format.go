package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// The segment file header (32 bytes, little endian):
//
//	0  magic     "CAIRNWAL"
//	8  version   uint32 (1)
//	12 flags     uint32 (0)
//	16 firstLSN  uint64: LSN of the segment's first record
//	24 reserved  uint32 (0)
//	28 crc       uint32: CRC-32C of bytes 0..27
const (
	headerSize = 32
	magic      = "CAIRNWAL"
	version    = 1
)

// The record frame (16 bytes, then the payload, little endian):
//
//	0  length  uint32: payload length in bytes
//	4  crc     uint32: CRC-32C of length (bytes 0..3), then lsn and payload
//	8  lsn     uint64
//	16 payload
const frameHeaderSize = 16

// MaxRecordSize is the largest payload Append accepts (1 GiB).
const MaxRecordSize = 1 << 30

// DefaultSegmentSize is the segment size used when Options.SegmentSize is 0
// (Qdrant's default wal_capacity_mb of 32).
const DefaultSegmentSize = 32 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segmentName is the file name of the segment whose first record is first.
func segmentName(first uint64) string { return fmt.Sprintf("wal-%020d.log", first) }

// parseSegmentName returns the first LSN encoded in a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, "wal-")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, ".log")
	if !ok || len(s) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	return n, true
}

// encodeHeader returns the header of a segment starting at first.
func encodeHeader(first uint64) []byte {
	b := make([]byte, headerSize)
	copy(b, magic)
	binary.LittleEndian.PutUint32(b[8:], version)
	binary.LittleEndian.PutUint64(b[16:], first)
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], castagnoli))
	return b
}

// decodeHeader validates a segment header and returns its first LSN.
func decodeHeader(b []byte) (uint64, error) {
	if len(b) < headerSize {
		return 0, fmt.Errorf("short header (%d bytes)", len(b))
	}
	if string(b[:8]) != magic {
		return 0, fmt.Errorf("bad magic %q", b[:8])
	}
	if got := binary.LittleEndian.Uint32(b[28:]); got != crc32.Checksum(b[:28], castagnoli) {
		return 0, fmt.Errorf("header checksum mismatch")
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != version {
		return 0, fmt.Errorf("unsupported version %d", v)
	}
	first := binary.LittleEndian.Uint64(b[16:])
	if first == 0 {
		return 0, fmt.Errorf("first lsn 0")
	}
	return first, nil
}

// frameSize is the size on disk of a record with an n-byte payload.
func frameSize(n int) int64 { return frameHeaderSize + int64(n) }

// appendFrame appends the frame of record lsn to buf.
func appendFrame(buf []byte, lsn uint64, data []byte) []byte {
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(data)))
	buf = binary.LittleEndian.AppendUint32(buf, 0)
	buf = binary.LittleEndian.AppendUint64(buf, lsn)
	buf = append(buf, data...)
	f := buf[start:]
	crc := crc32.Update(0, castagnoli, f[0:4])
	crc = crc32.Update(crc, castagnoli, f[8:])
	binary.LittleEndian.PutUint32(f[4:], crc)
	return buf
}

// frameCRC computes the checksum of a frame from its header and payload.
func frameCRC(hdr, data []byte) uint32 {
	crc := crc32.Update(0, castagnoli, hdr[0:4])
	crc = crc32.Update(crc, castagnoli, hdr[8:16])
	return crc32.Update(crc, castagnoli, data)
}
