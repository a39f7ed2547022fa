package wal

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/cairn-db/cairn/vfs"
)

// Open opens the log in dir, creating dir (durably: see vfs.MkdirAllSynced)
// and a first segment when there is none. It validates every segment and record and cuts a torn or corrupt
// tail at the last good record (see the package documentation), then makes
// the surviving records durable. Appends continue after the last good record.
func Open(dir string, opts Options) (*Log, error) {
	l := &Log{dir: dir, fs: opts.FS, segSize: opts.SegmentSize, logger: opts.Logger, freeSpace: opts.FreeSpace,
		ahead: max(opts.SegmentsAhead, 0)}
	if l.freeSpace == nil {
		l.freeSpace = vfs.FreeSpace
	}
	if l.fs == nil {
		l.fs = vfs.OS
	}
	if l.segSize <= 0 {
		l.segSize = DefaultSegmentSize
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	l.cond.L = &l.mu
	l.fillCond.L = &l.mu
	if err := vfs.MkdirAllSynced(l.fs, dir, 0o755); err != nil {
		return nil, vfs.PathError("create wal dir", dir, err)
	}
	found, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	if err := l.recover(found); err != nil {
		return nil, vfs.PathError("open wal", dir, err)
	}
	if err := l.adoptSpares(); err != nil {
		_ = l.cur.Close()
		return nil, vfs.PathError("open wal", dir, err)
	}
	l.startFill()
	return l, nil
}

// listSegments returns the segment files of dir, oldest first. Other files
// are ignored.
func listSegments(dir string) ([]segment, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, vfs.PathError("list wal dir", dir, err)
	}
	var segs []segment
	for _, e := range ents {
		if first, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			segs = append(segs, segment{first: first, path: filepath.Join(dir, e.Name())})
		}
	}
	slices.SortFunc(segs, func(a, b segment) int { return cmp.Compare(a.first, b.first) })
	return segs, nil
}

// recover scans the segments found on disk, cuts the log at the first
// invalid byte and opens the last surviving segment for appending.
func (l *Log) recover(found []segment) error {
	var (
		want uint64 // first LSN the next segment must have; 0 for the first
		end  int64  // valid length of the last kept segment
		cut  *corruption
	)
	for i, s := range found {
		e, next, err := scanSegment(s, want)
		if err != nil && !errors.As(err, &cut) {
			return err
		}
		if cut != nil && cut.off < headerSize {
			if i == 0 {
				l.last = s.first - 1 // start afresh where the broken segment started
			}
			return l.cutLog(found[i:], cut, s, end, false)
		}
		s.end = e
		l.segs, end, want, l.last = append(l.segs, s), e, next, next-1
		if cut != nil {
			return l.cutLog(found[i+1:], cut, s, end, true)
		}
	}
	return l.openCurrent(end, false)
}

// scanSegment validates segment s and returns the end of its last good
// record and the LSN after it. A *corruption error says where the good part
// ends; the returned end and next describe the good part.
func scanSegment(s segment, want uint64) (end int64, next uint64, err error) {
	f, err := os.Open(s.path)
	if err != nil {
		return 0, 0, vfs.PathError("open", s.path, err)
	}
	defer f.Close()
	sr, err := openSegReader(f, s.first, want)
	if err != nil {
		return 0, s.first, err
	}
	for {
		_, _, err := sr.record(false)
		if err == io.EOF {
			return sr.off, sr.next, nil
		}
		if err != nil {
			return sr.off, sr.next, err
		}
	}
}

// cutLog drops the invalid part of the log: it removes the segment files in
// drop (newest first) and, with truncate, cuts the last kept segment at end.
// It logs what it cut.
func (l *Log) cutLog(drop []segment, cut *corruption, at segment, end int64, truncate bool) error {
	l.logger.Warn("wal: cutting torn or corrupt tail at the last good record",
		"file", at.path, "offset", cut.off, "reason", cut.reason,
		"last_good_lsn", l.last, "removed_segments", len(drop))
	for _, s := range slices.Backward(drop) {
		if err := l.fs.Remove(s.path); err != nil {
			return vfs.PathError("remove", s.path, err)
		}
	}
	if len(drop) > 0 {
		if err := l.fs.SyncDir(l.dir); err != nil {
			return vfs.PathError("sync dir", l.dir, err)
		}
	}
	return l.openCurrent(end, truncate)
}

// openCurrent opens the last kept segment for appending at end and fsyncs
// it, so that every surviving record is durable. With cut, or when bytes
// other than zeros follow end (a torn write), the file is first truncated at
// end, so that no stale byte can later be read as a record, and preallocated
// again. With no kept segment it creates the first one.
func (l *Log) openCurrent(end int64, cut bool) error {
	if len(l.segs) == 0 {
		f, s, err := l.createSegment(l.last + 1)
		if err != nil {
			return err
		}
		l.segs, l.cur, l.curSize, l.durable = []segment{s}, f, headerSize, l.last
		l.fileEnd = headerSize
		l.dur = l.position()
		return nil
	}
	s := l.segs[len(l.segs)-1]
	stale := cut
	if !cut {
		var err error
		if stale, err = staleTail(s.path, end); err != nil {
			return err
		}
		if stale {
			l.logger.Warn("wal: clearing stale bytes after the last record",
				"file", s.path, "offset", end, "last_good_lsn", l.last)
		}
	}
	f, err := l.fs.OpenFile(s.path, os.O_WRONLY, 0)
	if err != nil {
		return vfs.PathError("open", s.path, err)
	}
	if err := l.prepareCurrent(f, end, stale); err != nil {
		_ = f.Close()
		return fmt.Errorf("%s: %w", s.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return vfs.PathError("stat", s.path, err)
	}
	l.cur, l.curSize, l.durable, l.fileEnd = f, end, l.last, st.Size()
	l.dur = l.position()
	return nil
}

// prepareCurrent readies an opened segment for appends at end: it drops a
// stale tail, preallocates, positions the file offset and fsyncs.
func (l *Log) prepareCurrent(f vfs.File, end int64, stale bool) error {
	if stale {
		if err := f.Truncate(end); err != nil {
			return fmt.Errorf("truncate: %w", err)
		}
	}
	l.preallocate(f)
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("seek: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// staleTail reports whether the segment file at path holds a byte other than
// zero at or after end. Holes and preallocated extents are skipped unread
// where the platform can tell them (see nextData).
func staleTail(path string, end int64) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, vfs.PathError("open", path, err)
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	for off := end; ; {
		var ok bool
		if off, ok = nextData(f, off); !ok {
			return false, nil
		}
		n, err := f.ReadAt(buf, off)
		if !allZero(buf[:n]) {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, vfs.PathError("read", path, err)
		}
		off += int64(n)
	}
}

// preallocate reserves the disk blocks of the first segment-size bytes of
// f without changing its size (vfs.Allocate), so that appends need no block
// allocation. It is best effort: without it the log works the same. It is
// skipped (with a warning) when the free space cannot hold the rest of the
// segment, since a failed fallocate may still take all the space it found.
func (l *Log) preallocate(f vfs.File) {
	if st, err := f.Stat(); err == nil && st.Size() < l.segSize {
		if err := l.checkSpace(l.segSize - st.Size()); err != nil {
			l.logger.Warn("wal: not preallocating segment", "file", f.Name(), "err", err)
			return
		}
	}
	if err := vfs.Allocate(f, l.segSize); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		l.logger.Warn("wal: cannot preallocate segment", "file", f.Name(), "err", err)
	}
}

// createSegment creates the segment file for records from first on: it
// writes the header, preallocates the file, fsyncs it and then the
// directory. On failure it removes the file again (best effort).
func (l *Log) createSegment(first uint64) (vfs.File, segment, error) {
	s := segment{first: first, path: filepath.Join(l.dir, segmentName(first))}
	if err := l.checkSpace(l.segSize); err != nil {
		return nil, s, err
	}
	f, err := l.fs.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, s, vfs.PathError("create", s.path, err)
	}
	err = l.writeHeader(f, first)
	if err == nil {
		err = l.fs.SyncDir(l.dir)
	}
	if err != nil {
		_ = f.Close()
		_ = l.fs.Remove(s.path)
		return nil, s, vfs.PathError("create", s.path, err)
	}
	return f, s, nil
}

func (l *Log) writeHeader(f vfs.File, first uint64) error {
	if _, err := f.Write(encodeHeader(first)); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	l.preallocate(f)
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}
