package wal

import (
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// TestOpenRefusesWithoutSpace: a new log whose first segment does not fit in
// the free space is refused with ErrNoSpace before any segment file exists.
func TestOpenRefusesWithoutSpace(t *testing.T) {
	dir := t.TempDir()
	free := func(string) (int64, error) { return 1 << 20, nil }
	_, err := Open(dir, Options{SegmentSize: 4 << 20, FreeSpace: free})
	if !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), "4194304 bytes") || !strings.Contains(err.Error(), "1048576 are free") {
		t.Fatalf("Open with 1 MiB free for a 4 MiB segment: %v, want ErrNoSpace naming both sizes", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused Open left %d files", len(entries))
	}
}

// TestAppendRefusesRotationWithoutSpace: an append that needs a new segment
// the disk cannot hold is refused before writing anything, does not break
// the log, and succeeds once space is freed; no record is lost or doubled.
func TestAppendRefusesRotationWithoutSpace(t *testing.T) {
	dir := t.TempDir()
	var free atomic.Int64
	free.Store(1 << 30)
	fs := func(string) (int64, error) { return free.Load(), nil }
	const segSize = 64 << 10
	l, err := Open(dir, Options{SegmentSize: segSize, FreeSpace: fs})
	if err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, 20<<10)
	for i := range 3 {
		if _, err := l.Append(rec); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	free.Store(segSize - 1)
	if _, err := l.Append(rec); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("append needing a new segment with too little space: %v, want ErrNoSpace", err)
	}
	if l.Segments() != 1 || l.LastLSN() != 3 {
		t.Fatalf("after the refused append: %d segments, last LSN %d; want 1 and 3", l.Segments(), l.LastLSN())
	}
	free.Store(1 << 30)
	lsn, err := l.Append(rec)
	if err != nil || lsn != 4 {
		t.Fatalf("append after space was freed: lsn %d, %v; want 4, nil", lsn, err)
	}
	if err := l.Sync(lsn); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := l.Replay(1, func(uint64, []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("replayed %d records, want 4", n)
	}
	_ = l.Close()
}

// TestReopenSkipsPreallocationWithoutSpace: reopening a log whose current
// segment's preallocation does not fit the free space opens it without
// preallocating (a failed fallocate may still take the space it finds), and
// appends within the segment still work.
func TestReopenSkipsPreallocationWithoutSpace(t *testing.T) {
	dir := t.TempDir()
	const segSize = 1 << 20
	l, err := Open(dir, Options{SegmentSize: segSize})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append([]byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	faulty := vfs.NewFaulty(vfs.OS)
	l, err = Open(dir, Options{FS: faulty, SegmentSize: segSize, FreeSpace: func(string) (int64, error) { return 4096, nil }})
	if err != nil {
		t.Fatalf("reopen with little free space: %v", err)
	}
	defer l.Close()
	if n := faulty.Count(vfs.OpAllocate); n != 0 {
		t.Fatalf("reopen preallocated %d times with 4 KiB free for a 1 MiB segment", n)
	}
	lsn, err := l.Append([]byte("two"))
	if err != nil || lsn != 2 {
		t.Fatalf("append after the reopen: %d, %v", lsn, err)
	}
}
