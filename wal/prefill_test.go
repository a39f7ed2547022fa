package wal

import (
	"strings"
	"testing"
)

// waitPrefilled returns once the prefill goroutine has nothing left to do.
func waitPrefilled(l *Log) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for (l.filling || l.needFill()) && !l.closed && l.err == nil {
		l.fillCond.Wait()
	}
}

// TestPrefilledTail: the segment being appended to is zero-filled ahead of
// its records, inside its file size; the extents and a reopen still end at
// the last record, and appends after a reopen go on over the zeros.
func TestPrefilledTail(t *testing.T) {
	const n, maxLen, segSize = 20, 300, 8 << 20
	dir := t.TempDir()
	l := openLog(t, dir, Options{SegmentSize: segSize})
	for i := uint64(1); i <= n; i++ {
		mustAppend(t, l, payloadFor(i, maxLen))
	}
	waitPrefilled(l)
	p := segmentFiles(t, dir)[0]
	offs := recordOffsets(t, p)
	end := offs[len(offs)-1]
	if size := fileSize(t, p); size < end+prefillAhead {
		t.Fatalf("file size %d, want at least %d (records end at %d)", size, end+prefillAhead, end)
	}
	checkZeroTail(t, p, end)
	ext, err := l.Extents()
	if err != nil {
		t.Fatal(err)
	}
	if len(ext) != 1 || ext[0].Size != end {
		t.Fatalf("extents %+v, want one ending at %d", ext, end)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if out := reopenAndCheck(t, dir, n, maxLen, segSize); strings.Contains(out, "WARN") {
		t.Fatalf("warning %q on a clean prefilled log", out)
	}
}

// TestTornRecordBeforePrefilledZeros: a crash while appending leaves a
// prefix of the next frame followed by the prefilled zeros; recovery cuts
// at the last good record, and later appends and reopens see exactly the
// records written. The records go past the gap the first fill leaves, so
// the torn prefix lands on zeros the filler wrote.
func TestTornRecordBeforePrefilledZeros(t *testing.T) {
	const n, maxLen, segSize = 400, 400, 4 << 20
	src := t.TempDir()
	l := openLog(t, src, Options{SegmentSize: segSize})
	for i := uint64(1); i <= n; i++ {
		mustAppend(t, l, payloadFor(i, maxLen))
	}
	waitPrefilled(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	p := segmentFiles(t, src)[0]
	offs := recordOffsets(t, p)
	end := offs[len(offs)-1]
	if end < prefillGap+blockAlign {
		t.Fatalf("records end at %d, inside the first fill's gap (%d): the prefix would land on a hole", end, prefillGap)
	}
	frame := appendFrame(nil, n+1, payloadFor(n+1, maxLen))
	for _, k := range []int{1, 4, 15, 16, 17, len(frame) - 1} {
		dir := copyDir(t, src)
		q := segmentFiles(t, dir)[0]
		if fileSize(t, q) < end+int64(len(frame)) {
			t.Fatalf("segment not prefilled: size %d", fileSize(t, q))
		}
		writeAt(t, q, end, frame[:k])
		out := reopenAndCheck(t, dir, n, maxLen, segSize)
		if !strings.Contains(out, "WARN") || !strings.Contains(out, "offset="+itoa(end)) {
			t.Fatalf("torn prefix of %d bytes: warning %q does not name offset %d", k, out, end)
		}
	}
}

// TestPrefillAcrossRotation: with segments smaller than the prefill
// distance, every segment is filled up to the segment size at most; the
// extents of rotated segments end at their last record, not at their file
// size, and a reopen replays every record.
func TestPrefillAcrossRotation(t *testing.T) {
	const n, maxLen, segSize = 400, 300, 16 << 10
	dir := t.TempDir()
	l := openLog(t, dir, Options{SegmentSize: segSize})
	for i := uint64(1); i <= n; i++ {
		lsn := mustAppend(t, l, payloadFor(i, maxLen))
		if i%7 == 0 {
			if err := l.Sync(lsn); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitPrefilled(l)
	ext, err := l.Extents()
	if err != nil {
		t.Fatal(err)
	}
	files := segmentFiles(t, dir)
	if len(ext) != len(files) || len(files) < 3 {
		t.Fatalf("%d extents for %d files, want several", len(ext), len(files))
	}
	for i, e := range ext {
		offs := recordOffsets(t, e.Path)
		if end := offs[len(offs)-1]; e.Size != end {
			t.Fatalf("extent %d of %s: size %d, records end at %d", i, e.Path, e.Size, end)
		}
		checkZeroTail(t, e.Path, e.Size)
		if size := fileSize(t, e.Path); size > segSize && e.Size <= segSize {
			t.Fatalf("%s filled to %d bytes, past the segment size %d", e.Path, size, segSize)
		}
	}
	if size := fileSize(t, files[len(files)-1]); size != segSize {
		t.Fatalf("current segment filled to %d bytes, want %d", size, segSize)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if out := reopenAndCheck(t, dir, n, maxLen, segSize); strings.Contains(out, "WARN") {
		t.Fatalf("warning %q", out)
	}
}

// TestNoPrefillAfterLargeAppends: a bulk append (larger than
// maxPrefilledAppend) stops the zero fill, which it would only overtake;
// the next small append starts it again.
func TestNoPrefillAfterLargeAppends(t *testing.T) {
	const segSize = 64 << 20
	dir := t.TempDir()
	l := openLog(t, dir, Options{SegmentSize: segSize})
	defer l.Close()
	waitPrefilled(l)
	big := make([]byte, 2*prefillAhead)
	big[0] = 1
	mustAppend(t, l, big)
	waitPrefilled(l)
	p := segmentFiles(t, dir)[0]
	end := int64(headerSize) + frameSize(len(big))
	if size := fileSize(t, p); size != end {
		t.Fatalf("after a bulk append: file size %d, records end at %d", size, end)
	}
	mustAppend(t, l, []byte("small"))
	waitPrefilled(l)
	end += frameSize(len("small"))
	if size := fileSize(t, p); size < end+prefillAhead {
		t.Fatalf("after a small append: file size %d, want at least %d", size, end+prefillAhead)
	}
	checkZeroTail(t, p, end)
}
