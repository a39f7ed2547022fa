package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cairn-db/cairn/vfs"
)

// corruption describes the first invalid byte range of a segment: every
// record before off is good, the bytes from off on are not.
type corruption struct {
	off    int64
	reason string
}

func (c *corruption) Error() string { return fmt.Sprintf("offset %d: %s", c.off, c.reason) }

// Unwrap lets callers test for ErrCorrupt.
func (c *corruption) Unwrap() error { return ErrCorrupt }

// segReader reads the records of one segment file in order, validating
// each. Its errors are *corruption for invalid bytes and plain errors for
// failed reads.
type segReader struct {
	r    *bufio.Reader
	size int64  // file size when opened: no record may extend past it
	off  int64  // offset of the next record
	next uint64 // LSN the next record must carry
	hdr  [frameHeaderSize]byte
	buf  []byte // reused payload buffer
}

// newSegReader reads and checks the header of a segment file of size bytes
// read from r, whose file name says it starts at first. want, when not 0, is
// the LSN the segment must start at to continue the previous one.
func newSegReader(r io.Reader, size int64, first, want uint64) (*segReader, error) {
	sr := &segReader{r: bufio.NewReaderSize(r, 256<<10), size: size}
	var h [headerSize]byte
	n, err := io.ReadFull(sr.r, h[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read wal header: %w", err)
	}
	got, err := decodeHeader(h[:n])
	switch {
	case err != nil:
		return nil, &corruption{0, "segment header: " + err.Error()}
	case got != first:
		return nil, &corruption{0, fmt.Sprintf("header first lsn %d, file name says %d", got, first)}
	case want != 0 && got != want:
		return nil, &corruption{0, fmt.Sprintf("segment starts at lsn %d, want %d", got, want)}
	}
	sr.off, sr.next = headerSize, first
	return sr, nil
}

// openSegReader reads the header of an open segment file; the caller closes
// the file.
func openSegReader(f *os.File, first, want uint64) (*segReader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, vfs.PathError("stat", f.Name(), err)
	}
	return newSegReader(f, st.Size(), first, want)
}

// record reads the next record. It returns io.EOF at the end of the
// segment's records: the end of the file, or an all-zero frame header
// (zeros after the last record).
// With alloc the payload is a fresh slice the caller owns; without, it is
// valid only until the next call.
func (sr *segReader) record(alloc bool) (uint64, []byte, error) {
	left := sr.size - sr.off
	if left == 0 {
		return 0, nil, io.EOF
	}
	hdr := sr.hdr[:min(left, frameHeaderSize)]
	if _, err := io.ReadFull(sr.r, hdr); err != nil {
		return 0, nil, sr.readErr(err)
	}
	if allZero(hdr) {
		// Zeros after the last record: a frame header is never all
		// zero (no record has LSN 0).
		return 0, nil, io.EOF
	}
	if left < frameHeaderSize {
		return 0, nil, &corruption{sr.off, fmt.Sprintf("partial record header (%d bytes)", left)}
	}
	n := int64(binary.LittleEndian.Uint32(sr.hdr[0:]))
	lsn := binary.LittleEndian.Uint64(sr.hdr[8:])
	if n > MaxRecordSize || n > left-frameHeaderSize {
		return 0, nil, &corruption{sr.off, fmt.Sprintf("record length %d past end of file", n)}
	}
	data := sr.payload(int(n), alloc)
	if _, err := io.ReadFull(sr.r, data); err != nil {
		return 0, nil, sr.readErr(err)
	}
	if binary.LittleEndian.Uint32(sr.hdr[4:]) != frameCRC(sr.hdr[:], data) {
		return 0, nil, &corruption{sr.off, "record checksum mismatch"}
	}
	if lsn != sr.next {
		return 0, nil, &corruption{sr.off, fmt.Sprintf("record lsn %d out of sequence, want %d", lsn, sr.next)}
	}
	sr.off += frameHeaderSize + n
	sr.next++
	return lsn, data, nil
}

func (sr *segReader) payload(n int, alloc bool) []byte {
	if alloc {
		return make([]byte, n)
	}
	if cap(sr.buf) < n {
		sr.buf = make([]byte, n)
	}
	return sr.buf[:n]
}

// readErr classifies a failed read: a file that ended early (it shrank
// since it was opened) is corruption, anything else a read failure.
func (sr *segReader) readErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &corruption{sr.off, "file ends inside a record"}
	}
	return fmt.Errorf("read wal at offset %d: %w", sr.off, err)
}

// allZero reports whether every byte of b is zero.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
