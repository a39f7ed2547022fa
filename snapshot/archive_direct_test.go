//go:build linux

package snapshot

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// einvalFile is a file whose first write fails with EINVAL, as a direct
// write does on a device whose direct-I/O block is larger than directAlign.
type einvalFile struct {
	*os.File
	refused int
}

func (f *einvalFile) Write(b []byte) (int, error) {
	if f.refused == 0 {
		f.refused++
		return 0, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.EINVAL}
	}
	return f.File.Write(b)
}

// TestArchiveFileFallsBackFromRefusedDirectWrite: a direct write refused
// with EINVAL is retried through the page cache, and the file gets every
// byte in order.
func TestArchiveFileFallsBackFromRefusedDirectWrite(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ef := &einvalFile{File: f}
	a := newArchiveFile(ef)
	if !a.direct {
		t.Skip("this filesystem refuses O_DIRECT: the direct path is not taken")
	}
	data := bytes.Repeat([]byte("cairn!"), (2*chunkSize+700)/6)
	for b := data; len(b) > 0; {
		n := min(chunkSize, len(b))
		if err := a.write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	if ef.refused != 1 || a.direct || !a.paced {
		t.Fatalf("refused %d writes, direct %v, paced %v: want one refusal, then paced writes", ef.refused, a.direct, a.paced)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("file holds %d bytes unlike the %d written", len(got), len(data))
	}
}

// TestDirectArchiveSyncsAsItGoes: with direct I/O the archive is synced
// after every chunk, so that a flush by another writer (a WAL fdatasync)
// never finds more than one chunk of it in a device cache (at 16 MiB
// between syncs that flush was the whole write stall at 1,000,000 points).
func TestDirectArchiveSyncsAsItGoes(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := newArchiveFile(f)
	if !a.direct {
		t.Skip("this filesystem refuses O_DIRECT: the direct path is not taken")
	}
	buf := alignedBuf(chunkSize)
	for i := range 3 {
		if err := a.write(buf); err != nil {
			t.Fatal(err)
		}
		if a.synced != a.off {
			t.Fatalf("after chunk %d: synced up to %d of %d bytes, want all", i+1, a.synced, a.off)
		}
	}
}
