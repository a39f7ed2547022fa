package wal

import "fmt"

// checkSpace returns an error wrapping ErrNoSpace when the filesystem of the
// log's folder cannot hold need more bytes: called before a segment file is
// created (and preallocated), so that a log never fills the disk with a
// preallocation and a refused append writes nothing. The check is not a
// reservation: another writer may still take the space first.
func (l *Log) checkSpace(need int64) error {
	free, err := l.freeSpace(l.dir)
	if err != nil {
		return fmt.Errorf("check free space for a wal segment: %w", err)
	}
	if need > free {
		return fmt.Errorf("%w: a new wal segment needs %d bytes, %d are free", ErrNoSpace, need, free)
	}
	return nil
}

// checkRotateSpace refuses, before anything of the batch is written, an
// append of size bytes that will need a new segment the disk cannot hold.
// A ready spare segment (see ahead.go) already holds its space. mu must be
// held.
func (l *Log) checkRotateSpace(size int64) error {
	if l.curSize+size <= l.segSize || len(l.spares) > 0 && size <= l.segSize {
		return nil
	}
	return l.checkSpace(max(l.segSize, size))
}
