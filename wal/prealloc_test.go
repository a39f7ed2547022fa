package wal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

const preSegSize = 64 << 10

// canPreallocate reports whether the filesystem of dir supports
// vfs.Allocate.
func canPreallocate(t *testing.T, dir string) bool {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "probe"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = vfs.Allocate(f, 4096)
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		t.Fatal(err)
	}
	return err == nil
}

// fileSize returns the size of the file at path.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestSegmentsArePreallocated(t *testing.T) {
	dir := t.TempDir()
	if !canPreallocate(t, t.TempDir()) {
		t.Skip("filesystem without fallocate")
	}
	const n, maxLen = 1500, 300 // several segments
	writeLog(t, dir, n, maxLen, preSegSize)
	files := segmentFiles(t, dir)
	if len(files) < 3 {
		t.Fatalf("%d segments, want several", len(files))
	}
	for _, p := range files {
		if got := allocatedBytes(t, p); got < preSegSize {
			t.Fatalf("%s has %d bytes allocated, want at least the preallocated %d", p, got, preSegSize)
		}
		offs := recordOffsets(t, p)
		checkZeroTail(t, p, offs[len(offs)-1])
	}
	out := reopenAndCheck(t, dir, n, maxLen, preSegSize)
	if strings.Contains(out, "WARN") {
		t.Fatalf("warning %q on a clean preallocated log", out)
	}
}

// TestTornRecordInPreallocatedFile: a crash while appending leaves a prefix
// of the next frame, followed by zeros. Recovery keeps the good records and
// the allocation, and later appends and reopens see exactly the records
// written.
func TestTornRecordInPreallocatedFile(t *testing.T) {
	const n, maxLen = 8, 200
	src := t.TempDir()
	writeLog(t, src, n, maxLen, preSegSize)
	p := segmentFiles(t, src)[0]
	offs := recordOffsets(t, p)
	end := offs[len(offs)-1]
	frame := appendFrame(nil, n+1, payloadFor(n+1, maxLen))
	for _, k := range []int{1, 3, 4, 8, 15, 16, 17, len(frame) / 2, len(frame) - 1} {
		dir := copyDir(t, src)
		q := filepath.Join(dir, filepath.Base(p))
		// The torn prefix, then zeros (a zero-filled remainder within the
		// file size, as a filesystem may leave it).
		writeAt(t, q, end, append(append([]byte(nil), frame[:k]...), make([]byte, 4096)...))
		out := reopenAndCheck(t, dir, n, maxLen, preSegSize)
		if !strings.Contains(out, "WARN") || !strings.Contains(out, "offset="+itoa(end)) {
			t.Fatalf("torn prefix of %d bytes: warning %q does not name offset %d", k, out, end)
		}
		if got := allocatedBytes(t, q); got < preSegSize {
			t.Fatalf("torn prefix of %d bytes: %d bytes allocated after recovery, want at least %d", k, got, preSegSize)
		}
	}
}

// TestStaleRecordsBehindZeroGap: pages written back out of order before a
// crash can leave valid frames of unacknowledged records behind a zeroed
// one. They must never come back: not at recovery, and not after a new
// record of the same size is written over the gap, which lines them up with
// the expected LSNs again.
func TestStaleRecordsBehindZeroGap(t *testing.T) {
	const n, maxLen = 6, 200
	dir := t.TempDir()
	writeLog(t, dir, n, maxLen, preSegSize)
	p := segmentFiles(t, dir)[0]
	offs := recordOffsets(t, p)
	end := offs[len(offs)-1]
	lost := frameSize(len(payloadFor(n+1, maxLen)))
	var stale []byte
	stale = appendFrame(stale, n+2, payloadFor(n+2, maxLen))
	stale = appendFrame(stale, n+3, payloadFor(n+3, maxLen))
	writeAt(t, p, end+lost, stale)
	out := reopenAndCheck(t, dir, n, maxLen, preSegSize) // appends record n+1 over the gap
	if !strings.Contains(out, "clearing stale bytes") {
		t.Fatalf("warning %q", out)
	}
	l := openLog(t, dir, Options{SegmentSize: preSegSize})
	defer l.Close()
	checkRecords(t, replayAll(t, l, 1), 1, n+1, maxLen)
}

// TestPreallocationIsOptional: a log whose filesystem cannot preallocate,
// or fails to, works the same (only its fsyncs cost more).
func TestPreallocationIsOptional(t *testing.T) {
	faulty := vfs.NewFaulty(vfs.OS)
	faulty.FailWhen(func(op vfs.Op, _ string) bool { return op == vfs.OpAllocate })
	dir := t.TempDir()
	l := openLog(t, dir, Options{FS: faulty, SegmentSize: 2048})
	for i := uint64(1); i <= 30; i++ {
		mustAppend(t, l, payloadFor(i, 200))
	}
	if err := l.Sync(30); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if faulty.Count(vfs.OpAllocate) == 0 {
		t.Fatal("no preallocation attempted")
	}
	for _, p := range segmentFiles(t, dir) {
		offs := recordOffsets(t, p)
		checkZeroTail(t, p, offs[len(offs)-1])
	}
	reopenAndCheck(t, dir, 30, 200, 2048)
}

// checkZeroTail asserts that nothing but zeros (prefilled space) follows
// the end of the records of the segment file at path.
func checkZeroTail(t *testing.T, path string, end int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) < end {
		t.Fatalf("%s: size %d, records end at %d", path, len(b), end)
	}
	if !allZero(b[end:]) {
		t.Fatalf("%s: non-zero bytes after the records' end %d", path, end)
	}
}
