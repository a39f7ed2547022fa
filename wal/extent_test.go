package wal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// copyExtents copies the first Size bytes of each extent into a new folder.
func copyExtents(t *testing.T, exts []Extent) string {
	t.Helper()
	dst := t.TempDir()
	for _, e := range exts {
		in, err := os.Open(e.Path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, filepath.Base(e.Path)))
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(out, io.NewSectionReader(in, 0, e.Size))
		if err != nil || n != e.Size {
			t.Fatalf("copy %s: %d of %d bytes: %v", e.Path, n, e.Size, err)
		}
		_ = in.Close()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestExtentsCutAtLastRecord: a copy of the extents replays exactly the
// records appended before Extents, across segment rotations, even when the
// current segment file is longer than its records (preallocated with zeros)
// and records are appended after the call.
func TestExtentsCutAtLastRecord(t *testing.T) {
	opts := Options{SegmentSize: 4 << 10, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	dir := t.TempDir()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	data := func(i int) []byte { return fmt.Appendf(nil, "record %04d %0200d", i, i) }
	const before, after = 60, 25
	for i := 1; i <= before; i++ {
		if _, err := l.Append(data(i)); err != nil {
			t.Fatal(err)
		}
	}
	exts, err := l.Extents()
	if err != nil {
		t.Fatal(err)
	}
	if len(exts) < 2 {
		t.Fatalf("want several segments, got %d", len(exts))
	}
	last := exts[len(exts)-1]
	if st, err := os.Stat(last.Path); err != nil || st.Size() < last.Size {
		t.Fatalf("current segment shorter than its extent %d: %v %v", last.Size, st, err)
	}
	if err := os.Truncate(last.Path, 64<<10); err != nil { // as a full-size preallocation
		t.Fatal(err)
	}
	for i := before + 1; i <= before+after; i++ {
		if _, err := l.Append(data(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Extents(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Extents on a closed log: %v", err)
	}
	c, err := Open(copyExtents(t, exts), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := 1
	err = c.Replay(1, func(lsn uint64, b []byte) error {
		if lsn != uint64(want) || string(b) != string(data(want)) {
			return fmt.Errorf("record %d: lsn %d %.12q", want, lsn, b)
		}
		want++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want-1 != before {
		t.Fatalf("copy replays %d records, want %d", want-1, before)
	}
}
