package segment

import "strings"

// VectorData returns, for a file named name whose first bytes are hdr,
// the byte range [off, off+n) of its component data (of any datatype) when it is a segment's
// vectors file ("vectors-….seg") with a valid header: the bytes that Open
// never reads (it validates a vectors file's header, size and presence
// bitmap only), nor VerifyChecks when the caller vouches for the file's
// checksum. A snapshot verification that has checked those bytes against
// their CRC-32C while streaming them may leave them out of the copy it
// opens (a hole reads as zeros). ok is false for any other file or a
// header Open would refuse.
func VectorData(name string, hdr []byte) (off, n int64, ok bool) {
	if !strings.HasPrefix(name, "vectors-") || !strings.HasSuffix(name, ".seg") || len(hdr) < HeaderSize {
		return 0, 0, false
	}
	h, err := parseHeader(hdr[:HeaderSize], magicVectors)
	size := Datatype(h.Flags >> dtypeShift).Size()
	if err != nil || h.A < 1 || h.A > MaxDim || h.N > MaxPoints || size == 0 || h.Flags&^(flagPresence|0xff<<dtypeShift) != 0 {
		return 0, 0, false
	}
	return HeaderSize, int64(h.N * h.A * uint64(size)), true
}
