package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
)

// fetchRemote reads the manifest key, which must be of kind want, and
// fetches its files, remoteWorkers at a time, into a new folder under the
// temp path, checking each one's size, SHA-256 and CRC-32C and syncing it:
// the folder Extract would have made of the snapshot's archive. A file that
// fails a check gives ErrCorrupt naming it. checksum, when not "", is the
// SHA-256 the synthesized archive must have (read once more, first). On
// error the folder is removed.
func (m *Manager) fetchRemote(ctx context.Context, key, checksum string, want Kind) (string, *Manifest, error) {
	rm, err := m.readRemote(ctx, key)
	if err != nil {
		return "", nil, err
	}
	if rm.Kind != want {
		return "", nil, fmt.Errorf("%w: %s holds a %s snapshot, want %s", ErrWrongKind, rm.Name, rm.Kind, want)
	}
	if checksum != "" {
		if err := m.checkRemoteSum(ctx, rm, checksum); err != nil {
			return "", nil, err
		}
	}
	var total int64
	for _, e := range rm.Entries {
		total += e.Size
	}
	if m.MaxBytes > 0 && total > m.MaxBytes {
		return "", nil, fmt.Errorf("%w: %s holds %d bytes (limit %d)", ErrTooLarge, rm.Name, total, m.MaxBytes)
	}
	if err := m.fs().MkdirAll(m.TempPath, dirMode); err != nil {
		return "", nil, fmt.Errorf("create temp path: %w", relErr(err, m.TempPath))
	}
	if err := CheckFreeSpace(m.TempPath, total); err != nil {
		return "", nil, err
	}
	dir, err := TempName(m.TempPath, "restore")
	if err != nil {
		return "", nil, err
	}
	if err := os.Mkdir(dir, dirMode); err != nil {
		return "", nil, fmt.Errorf("create restore folder: %w", err)
	}
	if err := m.fetchEntries(ctx, dir, rm); err != nil {
		m.removeTemp(dir)
		return "", nil, err
	}
	return dir, rm.archiveManifest(), nil
}

// fetchEntries makes the folders and the (empty) files of rm under dir and
// fetches every chunk, remoteWorkers at a time (so a large file comes in
// parallel). Each chunk starts its way to the disk as it is written
// (fetchChunk); the worker that writes the last chunk of a file checks
// the file's CRC-32C and syncs it while the other files still download.
// Every file and then every folder is synced before it returns: nothing is
// handed to an install before it is verified and durable.
func (m *Manager) fetchEntries(ctx context.Context, dir string, rm *RemoteManifest) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open restore folder: %w", err)
	}
	defer root.Close()
	dirs, entries, err := makeFolders(root, rm)
	if err != nil {
		return err
	}
	type job struct {
		file, chunk int
		off         int64
	}
	var jobs []job
	files := make([]*fetchFile, len(entries))
	var empty []*fetchFile // no chunk to finish them
	for i, e := range entries {
		f, err := root.OpenFile(e.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
		if err != nil {
			return fmt.Errorf("%w: create %q: %v", ErrUnsafeEntry, e.Path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("create %q: %w", e.Path, err)
		}
		files[i] = newFetchFile(e)
		if len(e.Chunks) == 0 {
			empty = append(empty, files[i])
		}
		var off int64
		for k, c := range e.Chunks {
			jobs = append(jobs, job{file: i, chunk: k, off: off})
			off += c.Size
		}
	}
	err = parallel(ctx, len(jobs), func(i int) error {
		j := jobs[i]
		f := files[j.file]
		crc, err := m.fetchChunk(ctx, root, f.Path, j.off, f.Chunks[j.chunk])
		if err != nil {
			return err
		}
		if f.chunkDone(j.chunk, crc) {
			return f.finish(root)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := parallel(ctx, len(empty), func(i int) error { return empty[i].finish(root) }); err != nil {
		return err
	}
	names := make([]string, 0, len(dirs))
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, d := range names {
		if err := syncIn(root, d); err != nil {
			return err
		}
	}
	return nil
}

// fetchFile is a file of a restore while its chunks come in: their
// CRC-32C, and how many are still to come.
type fetchFile struct {
	RemoteEntry
	crcs []uint32
	left atomic.Int64
}

func newFetchFile(e RemoteEntry) *fetchFile {
	f := &fetchFile{RemoteEntry: e, crcs: make([]uint32, len(e.Chunks))}
	f.left.Store(int64(len(e.Chunks)))
	return f
}

// chunkDone records the CRC-32C of chunk k, written and checked, and
// reports whether it was the file's last one to come: then every other
// chunk's record happened before (the counter orders them) and the caller
// finishes the file.
func (f *fetchFile) chunkDone(k int, crc uint32) bool {
	f.crcs[k] = crc
	return f.left.Add(-1) == 0
}

// finish checks the file's CRC-32C, combined from its chunks', against
// the manifest's, and syncs the file.
func (f *fetchFile) finish(root *os.Root) error {
	var crc uint32
	for k, c := range f.Chunks {
		crc = crcCombine(crc, f.crcs[k], c.Size)
	}
	if crc != f.CRC32C {
		return fmt.Errorf("%w: %q fails its CRC-32C", ErrCorrupt, f.Path)
	}
	return syncIn(root, f.Path)
}

// makeFolders creates every folder of rm (and every file's) and returns
// them all, and the files.
func makeFolders(root *os.Root, rm *RemoteManifest) (map[string]bool, []RemoteEntry, error) {
	dirs := map[string]bool{".": true}
	var files []RemoteEntry
	for _, e := range rm.Entries {
		d := e.Path
		if !e.Dir {
			files = append(files, e)
			d = path.Dir(e.Path)
		}
		if !dirs[d] {
			if err := root.MkdirAll(d, dirMode); err != nil {
				return nil, nil, fmt.Errorf("%w: create folder %q: %v", ErrUnsafeEntry, d, err)
			}
			for p := d; !dirs[p]; p = path.Dir(p) {
				dirs[p] = true
			}
		}
	}
	return dirs, files, nil
}

// syncIn syncs the file or folder name of root.
func syncIn(root *os.Root, name string) error {
	f, err := root.Open(name)
	if err != nil {
		return fmt.Errorf("open %q: %w", name, err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("sync %q: %w", name, err)
	}
	fetchSynced(name)
	return nil
}

// fetchSynced is told the name of every file and folder a restore has
// synced (a probe in tests).
var fetchSynced = func(string) {}

// fetchChunk writes one chunk's object at off in the file, checking its
// length and SHA-256, waits until its bytes are on their way to the disk
// (writebackWriter), and returns its CRC-32C.
func (m *Manager) fetchChunk(ctx context.Context, root *os.Root, file string, off int64, c RemoteChunk) (uint32, error) {
	out, err := root.OpenFile(file, os.O_WRONLY, fileMode)
	if err != nil {
		return 0, fmt.Errorf("open %q: %w", file, err)
	}
	defer out.Close()
	_, z, _ := parseObjectKey(c.Object)
	rc, err := openObject(ctx, m.Remote, c.Object, z, 0, -1)
	if errors.Is(err, objstore.ErrNotExist) {
		return 0, fmt.Errorf("%w: %q: its object %s is missing", ErrCorrupt, file, c.Object)
	}
	if err != nil {
		return 0, fmt.Errorf("fetch %q: %w", file, err)
	}
	defer rc.Close()
	h, crc := sha256.New(), crc32.New(castagnoli)
	w := &writebackWriter{f: out, start: off, off: off, next: off}
	// One byte more than the chunk: an object that is longer fails too.
	n, err := io.CopyBuffer(io.MultiWriter(w, h, crc), io.LimitReader(rc, c.Size+1), make([]byte, copyBufSize))
	switch {
	case errors.Is(err, ErrCorrupt):
		return 0, fmt.Errorf("%w: %q: object %s: %v", ErrCorrupt, file, c.Object, err)
	case err != nil:
		return 0, fmt.Errorf("fetch %q: %w", file, err)
	case n != c.Size:
		return 0, fmt.Errorf("%w: %q: object %s holds %d bytes, manifest says %d", ErrCorrupt, file, c.Object, n, c.Size)
	case hex.EncodeToString(h.Sum(nil)) != c.SHA256:
		return 0, fmt.Errorf("%w: %q: object %s fails its SHA-256", ErrCorrupt, file, c.Object)
	}
	if err := w.wait(); err != nil {
		return 0, fmt.Errorf("fetch %q: %w", file, err)
	}
	return crc.Sum32(), nil
}

// writebackWriter writes at off in f and starts the writeback of what it
// wrote every writebackStep bytes, so that the disk writes a chunk while
// the next bytes arrive; wait then waits for all of it. The file's fsync
// (fetchFile.finish) finds little left to write, and the dirty pages of a
// restore stay bounded by its workers' chunks.
type writebackWriter struct {
	f                *os.File
	start, off, next int64 // first byte; where the next write goes; first byte whose writeback is not started
}

// writebackStep is how many written bytes a writebackWriter gathers before
// it starts their writeback.
const writebackStep = 1 << 20

func (w *writebackWriter) Write(p []byte) (int, error) {
	n, err := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	if err != nil {
		return n, err
	}
	if w.off-w.next >= writebackStep {
		if err := kickWriteback(w.f.Fd(), w.next, w.off-w.next); err != nil {
			return n, fmt.Errorf("write back %s: %w", w.f.Name(), err)
		}
		w.next = w.off
	}
	return n, nil
}

// wait starts the writeback of the rest and waits until every byte
// written is on its way to the disk (sync_file_range: the data, not the
// file's metadata nor the disk's cache, which the file's fsync covers).
func (w *writebackWriter) wait() error {
	if w.off == w.start {
		return nil
	}
	if err := waitWriteback(w.f.Fd(), w.start, w.off-w.start); err != nil {
		return fmt.Errorf("write back %s: %w", w.f.Name(), err)
	}
	return nil
}

// checkRemoteSum reads the synthesized archive of rm once for its SHA-256
// and compares it with want (ErrChecksumMismatch).
func (m *Manager) checkRemoteSum(ctx context.Context, rm *RemoteManifest, want string) error {
	a, err := newRemoteArchive(ctx, m.Remote, rm)
	if err != nil {
		return err
	}
	defer a.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, a, make([]byte, copyBufSize)); err != nil {
		return fmt.Errorf("read snapshot %s: %w", rm.Name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s has %s, want %s", ErrChecksumMismatch, rm.Name, got, want)
	}
	return nil
}

// restoreRemote fetches and checks the snapshot key (fetchRemote), then,
// unless ctx is done, installs it as restoreArchive does.
func (m *Manager) restoreRemote(ctx context.Context, key, checksum string, want Kind, install func(dir string, sums engine.FileSums) error) error {
	dir, man, err := m.fetchRemote(ctx, key, checksum, want)
	if err != nil {
		return err
	}
	defer m.removeTemp(dir)
	if err := ctx.Err(); err != nil {
		return err
	}
	return archiveError(install(dir, unpackedSums(dir, man)))
}

// remoteLocation resolves an s3://bucket/key recover location to a key of
// Remote: the bucket must be Remote's (its String is "s3://bucket/prefix"),
// the key under its prefix and a snapshot manifest's.
func (m *Manager) remoteLocation(location string) (string, error) {
	if m.Remote == nil {
		return "", kindErrorf(ErrBadLocation, "Bad request: s3:// snapshot locations need snapshots_storage: s3")
	}
	u, err := url.Parse(location)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", kindErrorf(ErrBadLocation, "Bad request: invalid snapshot location %q: want s3://bucket/key", location)
	}
	bucket, prefix := storeBucket(m.Remote)
	if bucket == "" || u.Host != bucket {
		return "", kindErrorf(ErrBadLocation, "Bad request: snapshot location %s is not in the configured bucket %s", u.Redacted(), bucket)
	}
	key := strings.TrimPrefix(u.Path, "/")
	if prefix != "" {
		var ok bool
		if key, ok = strings.CutPrefix(key, prefix+"/"); !ok {
			return "", kindErrorf(ErrBadLocation, "Bad request: snapshot location %s is not under the configured prefix %s", u.Redacted(), prefix)
		}
	}
	if !strings.HasPrefix(key, RemoteSnapshots+"/") || objstore.ValidKey(key) != nil || ValidName(path.Base(key)) != nil {
		return "", kindErrorf(ErrBadLocation, "Bad request: snapshot location %s names no snapshot", u.Redacted())
	}
	return key, nil
}

// storeBucket returns the bucket and key prefix of an S3 store from its
// String, "s3://bucket/prefix", or "" for another store.
func storeBucket(s objstore.Store) (bucket, prefix string) {
	rest, ok := strings.CutPrefix(s.String(), "s3://")
	if !ok {
		return "", ""
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, strings.Trim(prefix, "/")
}
