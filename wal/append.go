package wal

import (
	"fmt"

	"github.com/cairn-db/cairn/vfs"
)

// maxKeptBuf bounds the frame scratch buffer a Log keeps between appends.
const maxKeptBuf = 8 << 20

// Append writes one record and returns its LSN. The record has reached the
// operating system when Append returns but is durable only after Sync.
func (l *Log) Append(data []byte) (uint64, error) {
	first, _, err := l.AppendBatch([][]byte{data})
	return first, err
}

// AppendBatch writes the records in datas with consecutive LSNs first..last,
// in one write system call per segment file touched. An empty batch returns
// 0, 0, nil. A batch that needs a new segment the disk cannot hold is
// refused first, writing nothing, with ErrNoSpace (the log stays usable). If
// a write (or the fsync of a segment rotation) fails, the log
// is broken (see ErrBroken) and a prefix of the batch may have been written:
// those records may reappear on replay after reopening, like any write whose
// outcome was never acknowledged.
func (l *Log) AppendBatch(datas [][]byte) (first, last uint64, err error) {
	var size int64
	for _, d := range datas {
		if len(d) > MaxRecordSize {
			return 0, 0, fmt.Errorf("append %d bytes: %w", len(d), ErrTooLarge)
		}
		size += frameSize(len(d))
	}
	if len(datas) == 0 {
		return 0, 0, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Wait (releasing mu) before anything is framed: the batch is then
	// written without releasing mu again, so no other append can take its
	// LSNs.
	l.waitFill(size)
	if err := l.writable(); err != nil {
		return 0, 0, err
	}
	if err := l.checkRotateSpace(size); err != nil {
		return 0, 0, err
	}
	l.lastAppend = size
	l.batch = l.position()
	first = l.last + 1
	for i := 0; i < len(datas); {
		j := l.frame(datas, i)
		if j == i {
			if err := l.rotate(); err != nil {
				return 0, 0, err
			}
			continue
		}
		if err := l.write(); err != nil {
			return 0, 0, err
		}
		l.last += uint64(j - i)
		i = j
	}
	return first, l.last, nil
}

// frame encodes into l.buf the records datas[i:j] that fit into the current
// segment and returns j. A segment holding no record takes one record of any
// size. mu must be held.
func (l *Log) frame(datas [][]byte, i int) int {
	buf, size, lsn := l.buf[:0], l.curSize, l.last+1
	j := i
	for ; j < len(datas); j++ {
		n := frameSize(len(datas[j]))
		if size+n > l.segSize && size > headerSize {
			break
		}
		buf = appendFrame(buf, lsn, datas[j])
		size += n
		lsn++
	}
	l.buf = buf
	return j
}

// write writes l.buf to the current segment; a failure breaks the log.
// mu must be held.
func (l *Log) write() error {
	n, err := l.cur.Write(l.buf)
	l.curSize += int64(n)
	l.fileEnd = max(l.fileEnd, l.curSize)
	l.wakeFill()
	if cap(l.buf) > maxKeptBuf {
		l.buf = nil
	}
	if err != nil {
		return l.fail(vfs.PathError("write", l.cur.Name(), err), false)
	}
	return nil
}

// position returns the end of the last record appended. mu must be held.
func (l *Log) position() position {
	return position{path: l.segs[len(l.segs)-1].path, off: l.curSize, last: l.last}
}

// rotate fsyncs the current segment, so that no record of a later segment
// can survive a crash that loses one of this segment, then starts a new
// segment for the records after l.last. mu must be held.
func (l *Log) rotate() error {
	old := l.cur
	if err := vfs.Datasync(old); err != nil {
		return l.fail(vfs.PathError("sync", old.Name(), err), true)
	}
	// While a leader's fsync is in flight its outcome decides: a sync that
	// completes after a failed one proves nothing (see the package doc).
	if !l.syncing && l.last > l.durable {
		l.durable, l.dur = l.last, l.position()
	}
	f, s, ok, err := l.takeSpare(l.last + 1)
	if ok && err != nil {
		l.logger.Warn("wal: cannot use a segment ahead; creating one", "dir", l.dir, "err", err)
		ok = false
	}
	if !ok {
		f, s, err = l.createSegment(l.last + 1)
	}
	if err != nil {
		return l.fail(err, false)
	}
	l.segs[len(l.segs)-1].end = l.curSize
	l.cur, l.curSize, l.segs, l.fileEnd = f, headerSize, append(l.segs, s), headerSize
	l.wakeFill()
	l.retired = append(l.retired, old)
	if !l.syncing {
		l.closeRetired()
	}
	return nil
}

// closeRetired closes rotated-out segment files; no fsync may be using
// them. mu must be held.
func (l *Log) closeRetired() {
	for _, f := range l.retired {
		if err := f.Close(); err != nil {
			l.logger.Warn("wal: close segment", "file", f.Name(), "err", err)
		}
	}
	l.retired = nil
}
