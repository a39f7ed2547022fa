package wal

import "fmt"

// TruncateBefore removes the segment files whose records all have LSNs below
// lsn, oldest first, syncing the directory after each removal so that a
// crash never leaves a gap. The segment being appended to is never removed,
// so some records below lsn may remain. Records below lsn that remain are
// still replayed.
func (l *Log) TruncateBefore(lsn uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	for len(l.segs) > 1 && l.segs[1].first <= lsn {
		s := l.segs[0]
		// A position at the end of s is the start of the next segment.
		next := position{path: l.segs[1].path, off: headerSize, last: l.segs[1].first - 1}
		for _, p := range []*position{&l.dur, &l.batch, &l.repairTo} {
			if p.path == s.path {
				*p = next
			}
		}
		if err := l.fs.Remove(s.path); err != nil {
			return fmt.Errorf("truncate wal: remove %s: %w", s.path, err)
		}
		l.segs = l.segs[1:]
		if err := l.fs.SyncDir(l.dir); err != nil {
			return fmt.Errorf("truncate wal: sync dir %s: %w", l.dir, err)
		}
	}
	return nil
}
