package snapshot

import (
	"bytes"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// TestWritePipe: files larger and smaller than a chunk and a writeback
// range come out whole, with their CRC-32C, and closed; a write error
// reaches the caller and the pipeline still closes every file.
func TestWritePipe(t *testing.T) {
	dir := t.TempDir()
	p := newWritePipe()
	sizes := []int{0, 1, extractChunk, extractChunk + 1, writebackChunk*2 + 12345}
	for i, n := range sizes {
		data := bytes.Repeat([]byte{byte(i + 1)}, n)
		f, err := os.Create(filepath.Join(dir, string(rune('a'+i))))
		if err != nil {
			t.Fatal(err)
		}
		sum, got, err := p.copyFile(f, bytes.NewReader(data))
		if err != nil || got != int64(n) || sum != crc32.Checksum(data, castagnoli) {
			t.Fatalf("size %d: copyFile = %08x, %d, %v", n, sum, got, err)
		}
	}
	if err := p.finish(); err != nil {
		t.Fatal(err)
	}
	for i, n := range sizes {
		b, err := os.ReadFile(filepath.Join(dir, string(rune('a'+i))))
		if err != nil || !bytes.Equal(b, bytes.Repeat([]byte{byte(i + 1)}, n)) {
			t.Fatalf("size %d: read back %d bytes, %v", n, len(b), err)
		}
	}

	p = newWritePipe()
	ro, err := os.Open(filepath.Join(dir, "a")) // not writable
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = p.copyFile(ro, bytes.NewReader(make([]byte, 3*extractChunk)))
	if ferr := p.finish(); err == nil && ferr == nil {
		t.Fatal("a failed write was not reported")
	}
	if err := ro.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("the pipeline did not close the file: Close = %v", err)
	}
}
