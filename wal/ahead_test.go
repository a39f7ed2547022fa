package wal

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
)

// spareFiles returns the names of the spare segment files of dir, sorted.
func spareFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if _, ok := parseAheadName(e.Name()); ok {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

// waitSpares returns once the goroutine making spares has ended.
func waitSpares(l *Log) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.sparing {
		l.cond.Wait()
	}
}

// TestSegmentsAhead: a log with SegmentsAhead 2 keeps two empty spare
// files ready; a rotation appends to the oldest of them (the same file,
// renamed) and a new one is made; a reopen adopts the spares instead of
// making others, and every record replays.
func TestSegmentsAhead(t *testing.T) {
	dir := t.TempDir()
	const segSize, maxLen = 64 << 10, 4 << 10
	opts := Options{SegmentSize: segSize, SegmentsAhead: 2}
	l := openLog(t, dir, opts)
	spares := spareFiles(t, dir)
	if len(spares) != 2 {
		t.Fatalf("after Open: spares %v, want 2", spares)
	}
	first, err := os.Stat(filepath.Join(dir, spares[0]))
	if err != nil || first.Size() != 0 {
		t.Fatalf("spare %s: %v, size %d; want an empty file", spares[0], err, first.Size())
	}
	var n uint64
	for l.Segments() < 2 {
		n = mustAppend(t, l, payloadFor(n+1, maxLen))
	}
	segs := segmentFiles(t, dir)
	st, err := os.Stat(segs[1])
	if err != nil || !os.SameFile(first, st) {
		t.Fatalf("the second segment %s is not the first spare %s (%v)", segs[1], spares[0], err)
	}
	waitSpares(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	after := spareFiles(t, dir)
	if len(after) != 2 || after[0] != spares[1] || slices.Contains(after, spares[0]) {
		t.Fatalf("after a rotation: spares %v, want %s and a new one", after, spares[1])
	}
	l = openLog(t, dir, opts)
	defer l.Close()
	if got := spareFiles(t, dir); !slices.Equal(got, after) {
		t.Fatalf("reopen made spares %v, want the old ones %v adopted", got, after)
	}
	checkRecords(t, replayAll(t, l, 1), 1, n, maxLen)
}

// TestSegmentsAheadCleanup: at Open, a spare file that is not empty (a
// crash while one became a segment) is replaced, and spares beyond
// SegmentsAhead are removed; a log of segments ahead 0 keeps none.
func TestSegmentsAheadCleanup(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, Options{SegmentsAhead: 3})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	spares := spareFiles(t, dir)
	if err := os.WriteFile(filepath.Join(dir, spares[0]), encodeHeader(7), 0o644); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, Options{SegmentsAhead: 2})
	got := spareFiles(t, dir)
	if len(got) != 2 || got[0] != spares[1] || got[1] != spares[2] {
		t.Fatalf("spares %v, want the two empty ones of %v", got, spares)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, Options{})
	defer l.Close()
	if got := spareFiles(t, dir); len(got) != 0 {
		t.Fatalf("segments ahead 0 kept spares %v", got)
	}
}

// TestSegmentsAheadSpace: a spare holds its segment's space, so a rotation
// onto it succeeds when the disk has no room for a new segment; the next
// one, without a spare (none could be made), is refused with ErrNoSpace
// and the log stays usable.
func TestSegmentsAheadSpace(t *testing.T) {
	dir := t.TempDir()
	var free atomic.Int64
	free.Store(1 << 30)
	const segSize = 64 << 10
	l := openLog(t, dir, Options{SegmentSize: segSize, SegmentsAhead: 1,
		FreeSpace: func(string) (int64, error) { return free.Load(), nil }})
	defer l.Close()
	free.Store(segSize - 1)
	rec := make([]byte, 20<<10)
	for l.Segments() < 2 {
		if _, err := l.Append(rec); err != nil {
			t.Fatalf("append rotating onto the spare with no room for a segment: %v", err)
		}
	}
	var err error
	for l.Segments() == 2 && err == nil {
		_, err = l.Append(rec)
	}
	if !errors.Is(err, ErrNoSpace) || l.Err() != nil {
		t.Fatalf("rotation with no spare and no space: %v (log error %v), want ErrNoSpace and a usable log", err, l.Err())
	}
}
