package wal

import (
	"os"

	"github.com/cairn-db/cairn/vfs"
)

// A background goroutine keeps the bytes just ahead of the end of the
// records of the segment being appended to written with zeros and synced,
// so that an append followed by fdatasync overwrites blocks that are
// already allocated, written and inside the file size: the fdatasync then
// changes no metadata (no file size, no unwritten extent to convert) and
// need not wait for a journal commit, which on a busy filesystem (a
// snapshot archive being written) can take far longer than the write.
// Zeros after the last record end a segment's records (see the package
// doc), so the prefilled bytes are never read back as records.
const (
	// prefillAhead is how far past the end of the records the segment is
	// kept zero-filled.
	prefillAhead = 1 << 20
	// prefillChunk is how many zero bytes are written and synced at once.
	prefillChunk = 256 << 10
	// maxPrefilledAppend is the largest append after which the prefill
	// goroutine goes on filling. Larger appends (bulk batches) would
	// overtake the zeros and only pay for writing them; their fdatasync's
	// metadata cost is spread over many records anyway.
	maxPrefilledAppend = 32 << 10
	// prefillGap is how far past the end of the records the first fill of
	// a segment starts, so that it does not overlap (and hold up) the next
	// appends: one full-size prefilled append.
	prefillGap = maxPrefilledAppend
	// blockAlign is the filesystem block size the first fill of a
	// segment starts on.
	blockAlign = 4096
)

var zeros [prefillChunk]byte

// needFill reports whether the current segment's zero-filled region should
// grow. mu must be held.
func (l *Log) needFill() bool {
	return l.lastAppend <= maxPrefilledAppend && l.fileEnd < l.segSize && l.fileEnd < l.curSize+prefillAhead
}

// prefill is the zero-filling goroutine; it runs from Open until Close or
// until the log breaks; a failed fill stops it filling that segment only. Its writes bypass Options.FS: they
// add no record, and a failed one only disables prefilling (logged).
func (l *Log) prefill() {
	defer close(l.fillDone)
	var (
		f    *os.File
		path string
	)
	defer func() {
		if f != nil {
			_ = f.Close()
		}
	}()
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() {
		l.fillAlive = false
		l.fillCond.Broadcast()
	}()
	for {
		for !l.closed && l.err == nil && !l.needFill() {
			l.fillCond.Wait()
		}
		if l.closed || l.err != nil {
			return
		}
		seg := l.segs[len(l.segs)-1].path
		lo := l.fileEnd // never below curSize; below segSize (needFill)
		if lo == l.curSize && lo+2*prefillGap <= l.segSize {
			// Nothing is filled past the records (a new segment, a log
			// whose file ends at its records, or appends that overtook the
			// fill): start prefillGap ahead, so that the appends that
			// follow need not wait for this fill and its fdatasync. The
			// gap stays a hole, read as zeros; appends into it change
			// metadata as they did before prefilling. With less than two
			// gaps left in the segment the fill starts at the records.
			lo = (lo + prefillGap + blockAlign - 1) &^ (blockAlign - 1)
		}
		hi := min(lo+prefillChunk, l.segSize)
		l.filling, l.fillLo = true, lo
		l.mu.Unlock()
		var err error
		if seg != path {
			if f != nil {
				_ = f.Close()
			}
			path = seg
			f, err = os.OpenFile(path, os.O_WRONLY, 0)
		}
		if err == nil {
			_, err = f.WriteAt(zeros[:hi-lo], lo)
		}
		if err == nil {
			err = vfs.Datasync(f)
		}
		l.mu.Lock()
		l.filling = false
		l.fillCond.Broadcast()
		if err != nil {
			l.logger.Warn("wal: cannot prefill segment; appends will change its size", "file", seg, "err", err)
			l.fileEnd = l.segSize // stop trying on this segment
			continue
		}
		if seg == l.segs[len(l.segs)-1].path {
			l.fileEnd = max(l.fileEnd, hi)
		}
	}
}

// startFill starts the prefill goroutine. mu must be held, or the log not
// yet shared.
func (l *Log) startFill() {
	l.fillDone = make(chan struct{})
	l.fillAlive = true
	go l.prefill()
}

// waitFill returns once no zero fill overlaps the n bytes an append is
// about to write at the end of the records. mu must be held; it is
// released while waiting, so call it before framing records.
func (l *Log) waitFill(n int64) {
	for l.filling && l.curSize+n > l.fillLo {
		l.fillCond.Wait()
	}
}

// wakeFill wakes the prefill goroutine when the appends came close to the
// end of the zero-filled region. mu must be held.
func (l *Log) wakeFill() {
	if !l.filling && l.needFill() {
		l.fillCond.Broadcast()
	}
}
