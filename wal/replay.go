package wal

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cairn-db/cairn/vfs"
)

// Replay calls fn for every record with an LSN >= from, in LSN order, up to
// the last record appended when Replay started. fn owns data. Replay stops at
// fn's first error and returns it. It may run concurrently with appends,
// syncs and TruncateBefore: the segment files it needs are opened before it
// starts. A record that fails validation (only possible if a file changed
// after Open) ends Replay with an error wrapping ErrCorrupt.
func (l *Log) Replay(from uint64, fn func(lsn uint64, data []byte) error) error {
	files, segs, last, err := l.openForReplay(from)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range files {
			_ = f.Close()
		}
	}()
	for i, f := range files {
		if err := replaySegment(f, segs[i].first, from, last, fn); err != nil {
			return err
		}
	}
	return nil
}

// openForReplay opens, under mu, every segment that may hold a record in
// from..LastLSN, and returns them with the last LSN to replay.
func (l *Log) openForReplay(from uint64) ([]*os.File, []segment, uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, 0, ErrClosed
	}
	var (
		files []*os.File
		segs  []segment
	)
	for i, s := range l.segs {
		if s.first > l.last || (i+1 < len(l.segs) && l.segs[i+1].first <= from) {
			continue
		}
		f, err := os.Open(s.path)
		if err != nil {
			for _, f := range files {
				_ = f.Close()
			}
			return nil, nil, 0, fmt.Errorf("replay: open %s: %w", s.path, err)
		}
		files, segs = append(files, f), append(segs, s)
	}
	return files, segs, l.last, nil
}

// replaySegment calls fn for the records of one segment with LSNs in
// from..last.
func replaySegment(f *os.File, first, from, last uint64, fn func(uint64, []byte) error) error {
	sr, err := openSegReader(f, first, 0)
	if err != nil {
		return vfs.PathError("replay", f.Name(), err)
	}
	for sr.next <= last {
		lsn, data, err := sr.record(sr.next >= from)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return vfs.PathError("replay", f.Name(), err)
		}
		if lsn < from {
			continue
		}
		if err := fn(lsn, data); err != nil {
			return err
		}
	}
	return nil
}
