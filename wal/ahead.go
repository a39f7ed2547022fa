package wal

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-db/cairn/vfs"
)

// Segments ahead (Options.SegmentsAhead, Qdrant's wal_segments_ahead) are
// empty files, preallocated to the segment size and synced, that the log
// keeps ready in its folder: a rotation writes the header of the next one,
// renames it to its segment name and appends to it, instead of creating
// and preallocating a file while the append waits; a background goroutine
// then makes another. Their names (ahead-NNNN.wal) are no segment's, so
// recovery, Extents and snapshots never see them. A file of that name that
// is not empty (a crash between its header write and its rename) is
// removed and made again at Open.

// aheadName is the file name of the spare segment number seq.
func aheadName(seq uint64) string { return fmt.Sprintf("ahead-%020d.wal", seq) }

// parseAheadName returns the number of a spare segment file name.
func parseAheadName(name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, "ahead-")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, ".wal")
	if !ok || len(s) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// adoptSpares takes over the spare files a previous run left that are
// still empty, up to Options.SegmentsAhead, and removes the others; then it
// makes the missing ones. Called by Open, before the log is shared.
func (l *Log) adoptSpares() error {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return vfs.PathError("list wal dir", l.dir, err)
	}
	type spare struct {
		seq  uint64
		path string
	}
	var found []spare
	for _, e := range ents {
		seq, ok := parseAheadName(e.Name())
		if !ok {
			continue
		}
		found = append(found, spare{seq, filepath.Join(l.dir, e.Name())})
		l.aheadSeq = max(l.aheadSeq, seq+1)
	}
	slices.SortFunc(found, func(a, b spare) int { return cmp.Compare(a.seq, b.seq) })
	removed := false
	for _, s := range found {
		st, err := os.Lstat(s.path)
		if err == nil && st.Mode().IsRegular() && st.Size() == 0 && len(l.spares) < l.ahead {
			l.spares = append(l.spares, s.path)
			continue
		}
		if err := l.fs.Remove(s.path); err != nil {
			return vfs.PathError("remove spare wal segment", s.path, err)
		}
		removed = true
	}
	if removed {
		if err := l.fs.SyncDir(l.dir); err != nil {
			return vfs.PathError("sync dir", l.dir, err)
		}
	}
	for len(l.spares) < l.ahead {
		path, err := l.makeSpare(l.aheadSeq)
		l.aheadSeq++
		if err != nil {
			// Appends work without spares (they create segments as
			// they need them); the space check decides again later.
			l.logger.Warn("wal: cannot create a segment ahead", "dir", l.dir, "err", err)
			break
		}
		l.spares = append(l.spares, path)
	}
	return nil
}

// makeSpare creates spare number seq: checks the free space, creates the
// empty file, preallocates it, fsyncs it and the folder. It does not touch
// the log's state, so it runs without mu. On failure it removes the file
// (best effort).
func (l *Log) makeSpare(seq uint64) (string, error) {
	path := filepath.Join(l.dir, aheadName(seq))
	if err := l.checkSpace(l.segSize); err != nil {
		return "", err
	}
	f, err := l.fs.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", vfs.PathError("create", path, err)
	}
	l.preallocate(f)
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = l.fs.SyncDir(l.dir)
	}
	if err != nil {
		_ = l.fs.Remove(path)
		return "", vfs.PathError("create", path, err)
	}
	return path, nil
}

// takeSpare turns the oldest spare into the segment for records from
// first on: it renames the file to the segment's name, writes and syncs
// the header and syncs the folder (a crash in between leaves a last
// segment without a header, which recovery drops, as it drops one that
// createSegment did not finish), then wakes the goroutine that makes a new
// spare. ok is false when no spare is ready (the caller creates the
// segment). A spare that fails is removed (best effort). mu must be held.
func (l *Log) takeSpare(first uint64) (f vfs.File, s segment, ok bool, err error) {
	if len(l.spares) == 0 {
		return nil, segment{}, false, nil
	}
	spare := l.spares[0]
	l.spares = l.spares[1:]
	defer l.refillSpares()
	s = segment{first: first, path: filepath.Join(l.dir, segmentName(first))}
	if err := l.fs.Rename(spare, s.path); err != nil {
		_ = l.fs.Remove(spare)
		return nil, s, true, vfs.PathError("use spare wal segment", spare, err)
	}
	f, err = l.fs.OpenFile(s.path, os.O_WRONLY, 0)
	if err == nil {
		if _, err = f.Write(encodeHeader(first)); err == nil {
			err = f.Sync()
		}
		if err == nil {
			err = l.fs.SyncDir(l.dir)
		}
		if err != nil {
			_ = f.Close()
		}
	}
	if err != nil {
		_ = l.fs.Remove(s.path)
		return nil, s, true, fmt.Errorf("use spare wal segment %s as %s: %w", spare, s.path, err)
	}
	return f, s, true, nil
}

// refillSpares starts the goroutine that makes spares until
// Options.SegmentsAhead are ready, unless it runs. mu must be held.
func (l *Log) refillSpares() {
	if l.sparing || l.closed || len(l.spares) >= l.ahead {
		return
	}
	l.sparing = true
	l.spareWG.Add(1)
	go l.makeSpares()
}

// makeSpares makes spares one at a time, without mu, until enough are
// ready, the log closes or one cannot be made (logged; the next rotation
// tries again). It broadcasts cond for each spare made and when it ends.
func (l *Log) makeSpares() {
	defer l.spareWG.Done()
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() {
		l.sparing = false
		l.cond.Broadcast()
	}()
	for !l.closed && len(l.spares) < l.ahead {
		seq := l.aheadSeq
		l.aheadSeq++
		l.mu.Unlock()
		path, err := l.makeSpare(seq)
		l.mu.Lock()
		if err != nil {
			l.logger.Warn("wal: cannot create a segment ahead", "dir", l.dir, "err", err)
			return
		}
		l.spares = append(l.spares, path)
		l.cond.Broadcast()
	}
}
