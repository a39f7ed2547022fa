package wal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reopenAndCheck opens dir, asserts it holds exactly records 1..keep, and
// that appending and reopening continue the LSN sequence. It returns the
// log output of the first open.
func reopenAndCheck(t *testing.T, dir string, keep uint64, maxLen int, segSize int64) string {
	t.Helper()
	var out logBuffer
	l, err := Open(dir, Options{SegmentSize: segSize, Logger: newLogger(&out)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	checkRecords(t, replayAll(t, l, 1), 1, keep, maxLen)
	if l.LastLSN() != keep {
		t.Fatalf("last lsn %d, want %d", l.LastLSN(), keep)
	}
	if got := mustAppend(t, l, payloadFor(keep+1, maxLen)); got != keep+1 {
		t.Fatalf("append after recovery got lsn %d, want %d", got, keep+1)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, Options{SegmentSize: segSize})
	defer l.Close()
	checkRecords(t, replayAll(t, l, 1), 1, keep+1, maxLen)
	return out.String()
}

func TestTornTailAtEveryOffset(t *testing.T) {
	for _, tc := range []struct {
		name    string
		segSize int64
	}{{"one-segment", 64 << 10}, {"many-segments", 1024}} { // small: every open scans the preallocated tail
		t.Run(tc.name, func(t *testing.T) {
			const n, maxLen = 12, 120
			src := t.TempDir()
			writeLog(t, src, n, maxLen, tc.segSize)
			files := segmentFiles(t, src)
			lastFile := files[len(files)-1]
			offs := recordOffsets(t, lastFile)
			start, end := offs[len(offs)-2], offs[len(offs)-1]
			for cut := start; cut < end; cut++ {
				dir := copyDir(t, src)
				p := filepath.Join(dir, filepath.Base(lastFile))
				if err := os.Truncate(p, cut); err != nil {
					t.Fatal(err)
				}
				out := reopenAndCheck(t, dir, n-1, maxLen, tc.segSize)
				if cut > start && !strings.Contains(out, "file="+p) {
					t.Fatalf("cut at %d: no warning naming %s in %q", cut, p, out)
				}
				if cut > start && !strings.Contains(out, "offset="+itoa(start)) {
					t.Fatalf("cut at %d: warning does not name offset %d: %q", cut, start, out)
				}
			}
		})
	}
}

func TestTornSegmentHeader(t *testing.T) {
	// A crash while creating a segment can leave a header-less file.
	src := t.TempDir()
	writeLog(t, src, 30, 100, 1024)
	files := segmentFiles(t, src)
	if len(files) < 2 {
		t.Fatal("want several segments")
	}
	lastFile := files[len(files)-1]
	for cut := int64(0); cut < headerSize; cut++ {
		dir := copyDir(t, src)
		// The last segment loses its records; the one before stays whole.
		p := filepath.Join(dir, filepath.Base(lastFile))
		if err := os.Truncate(p, cut); err != nil {
			t.Fatal(err)
		}
		keep := uint64(30 - (len(recordOffsets(t, lastFile)) - 1))
		reopenAndCheck(t, dir, keep, 100, 1024)
	}
}

func TestFlippedBytes(t *testing.T) {
	const n, maxLen, segSize = 3, 40, 64 << 10
	src := t.TempDir()
	writeLog(t, src, n, maxLen, segSize)
	file := segmentFiles(t, src)[0]
	offs := recordOffsets(t, file)
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for pos := int64(headerSize); pos < offs[len(offs)-1]; pos++ { // the records, not the zero remainder
		dir := t.TempDir()
		b := append([]byte(nil), orig...)
		b[pos] ^= 1 << (pos % 8) // a single-bit flip, moving through the bits
		writeSparse(t, filepath.Join(dir, filepath.Base(file)), b)
		keep := uint64(0) // records entirely before pos survive
		for keep < n && offs[keep+1] <= pos {
			keep++
		}
		out := reopenAndCheck(t, dir, keep, maxLen, segSize)
		if !strings.Contains(out, "cutting") {
			t.Fatalf("flip at %d: no warning", pos)
		}
	}
}

func TestCorruptHeaderOfFirstSegmentKeepsNumbering(t *testing.T) {
	src := t.TempDir()
	writeLog(t, src, 50, 100, 1024)
	l := openLog(t, src, Options{SegmentSize: 1024})
	if err := l.TruncateBefore(20); err != nil {
		t.Fatal(err)
	}
	first := l.FirstLSN()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for pos := 0; pos < headerSize; pos++ {
		dir := copyDir(t, src)
		p := segmentFiles(t, dir)[0]
		b, _ := os.ReadFile(p)
		b[pos] ^= 0x10
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		l := openLog(t, dir, Options{SegmentSize: 1024})
		if got := replayAll(t, l, 0); len(got) != 0 {
			t.Fatalf("flip at header byte %d: %d records survived a broken first header", pos, len(got))
		}
		if l.LastLSN() != first-1 {
			t.Fatalf("flip at header byte %d: last lsn %d, want %d", pos, l.LastLSN(), first-1)
		}
		if got := mustAppend(t, l, nil); got != first {
			t.Fatalf("next lsn %d, want %d", got, first)
		}
		l.Close()
	}
}

func TestCorruptMiddleSegmentDropsTheRest(t *testing.T) {
	const n, maxLen = 200, 150
	dir := t.TempDir()
	writeLog(t, dir, n, maxLen, 1024)
	files := segmentFiles(t, dir)
	if len(files) < 6 {
		t.Fatalf("%d segments, want at least 6", len(files))
	}
	victim := files[2]
	offs := recordOffsets(t, victim)
	b, _ := os.ReadFile(victim)
	b[offs[1]+frameHeaderSize] ^= 0x04 // payload of the victim's second record
	if err := os.WriteFile(victim, b, 0o644); err != nil {
		t.Fatal(err)
	}
	first, _ := parseSegmentName(filepath.Base(victim))
	out := reopenAndCheck(t, dir, first, maxLen, 1024) // keeps the victim's first record
	if !strings.Contains(out, "file="+victim) || !strings.Contains(out, "removed_segments="+itoa(int64(len(files)-3))) {
		t.Fatalf("warning %q does not name %s and the removed segments", out, victim)
	}
}

// TestZeroFilledTail: zeros after the last record, preallocated or written,
// are the end of the log, not a torn tail: no warning, nothing cut.
func TestZeroFilledTail(t *testing.T) {
	const n, maxLen = 10, 100
	dir := t.TempDir()
	writeLog(t, dir, n, maxLen, 0)
	p := segmentFiles(t, dir)[0]
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := reopenAndCheck(t, dir, n, maxLen, 0)
	if strings.Contains(out, "cutting") || strings.Contains(out, "clearing") {
		t.Fatalf("warning %q for a zero-filled tail", out)
	}
}

func TestOutOfSequenceRecord(t *testing.T) {
	const n, maxLen = 5, 50
	dir := t.TempDir()
	writeLog(t, dir, n, maxLen, 0)
	p := segmentFiles(t, dir)[0]
	offs := recordOffsets(t, p)
	// A well-formed record with a valid checksum but the wrong LSN, right
	// after the last record.
	writeAt(t, p, offs[len(offs)-1], appendFrame(nil, n+2, []byte("skips one")))
	out := reopenAndCheck(t, dir, n, maxLen, 0)
	if !strings.Contains(out, "out of sequence") {
		t.Fatalf("warning %q", out)
	}
}

// writeAt overwrites the bytes of the file at path from off with b.
func writeAt(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestSegmentGap(t *testing.T) {
	// A missing segment in the middle cuts the log where the gap starts.
	dir := t.TempDir()
	writeLog(t, dir, 100, 100, 1024)
	files := segmentFiles(t, dir)
	if err := os.Remove(files[1]); err != nil {
		t.Fatal(err)
	}
	next, _ := parseSegmentName(filepath.Base(files[1]))
	reopenAndCheck(t, dir, next-1, 100, 1024)
	for _, p := range files[2:] {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s survived a cut before it: %v", p, err)
		}
	}
}
