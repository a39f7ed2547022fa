//go:build linux

package snapshot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
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

// TestDirectArchiveSyncsAsItGoes: with direct I/O a sync of the archive
// is started after every chunk, so that a flush by another writer (a WAL
// fdatasync) never finds more than two chunks of it in a device cache (at
// 16 MiB between syncs that flush was the whole write stall at 1,000,000
// points), and waitSync ends the last one.
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
		if a.synced != a.off || a.syncing == nil {
			t.Fatalf("after chunk %d: a sync of %d of %d bytes started (in flight: %v), want all", i+1, a.synced, a.off, a.syncing != nil)
		}
	}
	if err := a.waitSync(); err != nil || a.syncing != nil {
		t.Fatalf("waitSync: %v (in flight after: %v)", err, a.syncing != nil)
	}
}

// gatedSyncFile is a file whose Datasync (which vfs.Datasync prefers)
// announces itself on started and returns only once released, with err.
type gatedSyncFile struct {
	*os.File
	started, release chan struct{}
	wrote            chan int // the length of every write
	err              error
}

func (f *gatedSyncFile) Datasync() error {
	f.started <- struct{}{}
	<-f.release
	return errors.Join(f.err, f.File.Sync())
}

func (f *gatedSyncFile) Write(b []byte) (int, error) {
	n, err := f.File.Write(b)
	f.wrote <- n
	return n, err
}

func newGatedSyncFile(t *testing.T) *gatedSyncFile {
	f, err := os.Create(filepath.Join(t.TempDir(), "a"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &gatedSyncFile{File: f, started: make(chan struct{}, 4), release: make(chan struct{}, 4), wrote: make(chan int, 4)}
}

// failSafe is how long the overlap tests wait for what the code under test
// must do before they report that it did not (a fail-safe against a hang,
// never reached when the code works).
const failSafe = time.Minute

// TestDirectArchiveWritesWhileItSyncs: the fdatasync of the chunks written
// so far runs while the next chunk is written (one sync and one write in
// flight), and the next sync waits for it.
func TestDirectArchiveWritesWhileItSyncs(t *testing.T) {
	f := newGatedSyncFile(t)
	a := newArchiveFile(f)
	if !a.direct {
		t.Skip("this filesystem refuses O_DIRECT: the direct path is not taken")
	}
	buf := alignedBuf(chunkSize)
	returned := make(chan error, 1)
	go func() { returned <- a.write(buf) }()
	<-f.wrote
	<-f.started // the first chunk's sync, held
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(failSafe):
		f.release <- struct{}{}
		t.Fatal("the write of a chunk waited for its fdatasync")
	}
	go func() { returned <- a.write(buf) }()
	if n := <-f.wrote; n != chunkSize { // written while the first sync is held
		t.Fatalf("second chunk: wrote %d bytes", n)
	}
	select {
	case err := <-returned:
		t.Fatalf("the second write returned (%v) before the first sync ended: two syncs in flight", err)
	default:
	}
	f.release <- struct{}{}
	if err := <-returned; err != nil {
		t.Fatal(err)
	}
	<-f.started // the second chunk's
	f.release <- struct{}{}
	if err := a.waitSync(); err != nil {
		t.Fatal(err)
	}
	if a.synced != 2*chunkSize || a.syncing != nil {
		t.Fatalf("synced %d, in flight %v", a.synced, a.syncing != nil)
	}
}

// TestDirectArchiveSyncErrorFails: an fdatasync that fails on its own
// goroutine fails the next write of the archive, or the wait that ends it.
func TestDirectArchiveSyncErrorFails(t *testing.T) {
	for _, last := range []bool{false, true} {
		f := newGatedSyncFile(t)
		f.err = errors.New("injected sync failure")
		a := newArchiveFile(f)
		if !a.direct {
			t.Skip("this filesystem refuses O_DIRECT: the direct path is not taken")
		}
		f.release <- struct{}{}
		buf := alignedBuf(chunkSize)
		if err := a.write(buf); err != nil {
			t.Fatal(err)
		}
		<-f.wrote
		var err error
		if last {
			err = a.waitSync()
		} else {
			f.release <- struct{}{}
			err = a.write(buf)
		}
		if !errors.Is(err, f.err) {
			t.Fatalf("after a failed sync (last %v): %v", last, err)
		}
	}
}

// countSyncFile counts its fdatasyncs and the lengths of its writes.
type countSyncFile struct {
	*os.File
	syncs  int
	writes []int
}

func (f *countSyncFile) Datasync() error { f.syncs++; return f.File.Sync() }

func (f *countSyncFile) Write(b []byte) (int, error) {
	f.writes = append(f.writes, len(b))
	return f.File.Write(b)
}

// TestDirectArchiveChunks: the archive is written with direct I/O in
// writes of 2 MiB (fewer, larger writes: the sink is the pipeline's
// slowest stage) and one fdatasync is started per 2 MiB written.
func TestDirectArchiveChunks(t *testing.T) {
	src := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), (9<<20)/16)
	writeTree(t, src, map[string]string{"a/big.seg": string(big), "b/small": "x"})
	f, err := os.Create(filepath.Join(t.TempDir(), "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cf := &countSyncFile{File: f}
	a := newArchiveFile(cf)
	if !a.direct {
		t.Skip("this filesystem refuses O_DIRECT: the direct path is not taken")
	}
	_, size, err := streamArchive(src, collectionMeta(), nil, a.write)
	if err = errors.Join(err, a.waitSync()); err != nil {
		t.Fatal(err)
	}
	for i, n := range cf.writes[:len(cf.writes)-2] { // the last chunk: its aligned part and its tail
		if n != 2<<20 {
			t.Fatalf("write %d of %d: %d bytes, want 2 MiB", i+1, len(cf.writes), n)
		}
	}
	if want := int(size / (2 << 20)); cf.syncs != want {
		t.Fatalf("%d fdatasyncs for %d bytes, want %d (one per 2 MiB)", cf.syncs, size, want)
	}
}
