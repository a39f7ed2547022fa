package wal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkedLog writes a closed log of n records in segments of 4 KiB under a
// fresh folder and returns the folder and its segment files, oldest first.
func checkedLog(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	l, err := Open(dir, Options{SegmentSize: 4 << 10, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, err := l.Append(fmt.Appendf(nil, "record %04d %0200d", i, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	segs, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, s := range segs {
		paths = append(paths, s.path)
	}
	if len(paths) < 3 {
		t.Fatalf("%d segments, want 3 or more", len(paths))
	}
	return dir, paths
}

// TestCheck: Check counts a whole log's records, and names the segment
// and the flaw of a log with a segment missing in the middle (the records
// missing), a record flipped, or a segment whose header disagrees with its
// name, changing no file (Open would cut the log there).
func TestCheck(t *testing.T) {
	dir, segs := checkedLog(t, 60)
	if n, err := Check(dir); err != nil || n != 60 {
		t.Fatalf("whole log: %d records, %v", n, err)
	}
	if err := os.Remove(segs[1]); err != nil {
		t.Fatal(err)
	}
	_, err := Check(dir)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), filepath.Base(segs[2])) || !strings.Contains(err.Error(), "gap: records") {
		t.Fatalf("gap: %v", err)
	}

	dir, segs = checkedLog(t, 60)
	b, err := os.ReadFile(segs[1])
	if err != nil {
		t.Fatal(err)
	}
	b[headerSize+frameHeaderSize+3] ^= 1
	if err := os.WriteFile(segs[1], b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Check(dir)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), filepath.Base(segs[1])) || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("flipped record: %v", err)
	}
	if got, _ := os.ReadFile(segs[1]); string(got) != string(b) {
		t.Fatal("Check changed the file")
	}

	dir, segs = checkedLog(t, 60)
	if err := os.Rename(segs[2], filepath.Join(dir, segmentName(2))); err != nil { // inside segment 1's records
		t.Fatal(err)
	}
	if _, err := Check(dir); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("misnamed segment: %v", err)
	}
	if n, err := Check(t.TempDir()); err != nil || n != 0 {
		t.Fatalf("empty folder: %d, %v", n, err)
	}
}
