package wal

import (
	"bytes"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// rec is a replayed record.
type rec struct {
	lsn  uint64
	data []byte
}

// payloadFor returns the deterministic payload of record lsn, 0..maxLen bytes.
func payloadFor(lsn uint64, maxLen int) []byte {
	r := rand.New(rand.NewPCG(lsn, 42))
	b := make([]byte, r.IntN(maxLen+1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// logBuffer is a concurrency-safe sink for slog output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openLog(t testing.TB, dir string, opts Options) *Log {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return l
}

func mustAppend(t testing.TB, l *Log, data []byte) uint64 {
	t.Helper()
	lsn, err := l.Append(data)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return lsn
}

func replayAll(t testing.TB, l *Log, from uint64) []rec {
	t.Helper()
	var out []rec
	err := l.Replay(from, func(lsn uint64, data []byte) error {
		out = append(out, rec{lsn, data})
		return nil
	})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	return out
}

// checkRecords asserts recs are exactly the records lo..hi with their
// deterministic payloads.
func checkRecords(t testing.TB, recs []rec, lo, hi uint64, maxLen int) {
	t.Helper()
	if want := int(hi - lo + 1); hi < lo && len(recs) != 0 || hi >= lo && len(recs) != want {
		t.Fatalf("got %d records, want %d..%d", len(recs), lo, hi)
	}
	for i, r := range recs {
		if r.lsn != lo+uint64(i) {
			t.Fatalf("record %d has lsn %d, want %d", i, r.lsn, lo+uint64(i))
		}
		if want := payloadFor(r.lsn, maxLen); !bytes.Equal(r.data, want) {
			t.Fatalf("record %d: payload differs (%d bytes, want %d)", r.lsn, len(r.data), len(want))
		}
	}
}

// writeLog creates a log in dir holding records 1..n and closes it.
func writeLog(t testing.TB, dir string, n int, maxLen int, segSize int64) {
	t.Helper()
	l := openLog(t, dir, Options{SegmentSize: segSize})
	for i := 1; i <= n; i++ {
		mustAppend(t, l, payloadFor(uint64(i), maxLen))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// segmentFiles returns the segment file paths of dir, oldest first.
func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	segs, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	paths := make([]string, len(segs))
	for i, s := range segs {
		paths[i] = s.path
	}
	return paths
}

// recordOffsets returns the start offset of every record of a segment file
// plus the end of its last record as a final entry (the file size, unless
// zeros follow).
func recordOffsets(t testing.TB, path string) []int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	offs := []int64{}
	off := int64(headerSize)
	for off < int64(len(b)) && !allZero(b[off:min(off+frameHeaderSize, int64(len(b)))]) {
		offs = append(offs, off)
		n := int64(uint32(b[off]) | uint32(b[off+1])<<8 | uint32(b[off+2])<<16 | uint32(b[off+3])<<24)
		off += frameHeaderSize + n
	}
	return append(offs, off)
}

// copyDir copies the regular files of src into a new temporary directory.
// A zero-filled remainder is recreated as a hole (it reads the same), so
// that copying preallocated segments stays cheap.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeSparse(t, filepath.Join(dst, e.Name()), b)
	}
	return dst
}

// writeSparse writes b to a new file at path, its zero-filled end as a hole.
func writeSparse(t testing.TB, path string, b []byte) {
	t.Helper()
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	if err := os.WriteFile(path, b[:n], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(len(b))); err != nil {
		t.Fatal(err)
	}
}

// hookFS wraps a filesystem so that a test can hold the next file Sync.
type hookFS struct {
	vfs.FS
	mu      sync.Mutex
	entered chan struct{} // closed when the held Sync starts; nil = not armed
	release chan struct{} // the held Sync proceeds once this is closed
}

// holdNextSync arms the hook and returns its channels.
func (h *hookFS) holdNextSync() (entered, release chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entered, h.release = make(chan struct{}), make(chan struct{})
	return h.entered, h.release
}

func (h *hookFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	f, err := h.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &hookFile{File: f, fs: h}, nil
}

type hookFile struct {
	vfs.File
	fs *hookFS
}

func (f *hookFile) Sync() error {
	f.fs.mu.Lock()
	entered, release := f.fs.entered, f.fs.release
	f.fs.entered = nil
	f.fs.mu.Unlock()
	if entered != nil {
		close(entered)
		<-release
	}
	return f.File.Sync()
}

func newLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// truncateFile truncates the copy in dir of the segment file p.
func truncateFile(dir, p string, size int64) error {
	return os.Truncate(filepath.Join(dir, filepath.Base(p)), size)
}
