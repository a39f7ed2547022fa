package snapshot

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cairn-db/cairn/vfs"
)

// copyBufSize is the buffer for streaming file contents.
const copyBufSize = 1 << 20

// maxNameTries bounds the names tried when snapshots share a second.
const maxNameTries = 1000

// Fixed permissions written into archives, whatever the source's.
const (
	fileMode = 0o644
	dirMode  = 0o755
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Info describes a snapshot archive written to disk.
type Info struct {
	// Name is the archive's file name (ValidName accepts it).
	Name string
	// Path is the archive's full path.
	Path string
	// Size is the archive's length in bytes.
	Size int64
	// Checksum is the archive's SHA-256 in lowercase hex.
	Checksum string
	// CreatedAt is the snapshot's cut time, to the second.
	CreatedAt time.Time
	// ModTime is the archive's modification time, which listings report
	// as its creation_time.
	ModTime time.Time
	// Manifest is the table of contents written as the archive's last entry.
	Manifest *Manifest
}

// WriteArchive streams the folder src into a snapshot archive in dir, named
// name or, when that name is taken (two snapshots in one second), the first
// free "{base}-{n}.snapshot". The archive is written to NAME.tmp with its
// SHA-256 computed in the same pass, synced, and NAME.checksum (the bare
// lowercase hex digest, no newline) is written the same way; both are then
// renamed into place, checksum first, with dir synced after each rename
// (and the parent of every folder MkdirAll had to create synced too). On any error the
// temporary and partial files are removed and no archive is left under the
// final name. Every write goes through fsys.
func WriteArchive(fsys vfs.FS, dir, name, src string, meta Meta) (info Info, err error) {
	if err := ValidName(name); err != nil {
		return Info{}, err
	}
	if err := vfs.MkdirAllSynced(fsys, dir, dirMode); err != nil {
		return Info{}, fmt.Errorf("create snapshot folder %s: %w", dir, err)
	}
	final, f, err := reserve(fsys, dir, name)
	if err != nil {
		return Info{}, err
	}
	finalPath := filepath.Join(dir, final)
	tmp, sumTmp := finalPath+TempExt, finalPath+ChecksumExt+TempExt
	placed := 0 // how many files reached their final names
	defer func() {
		if err != nil {
			_ = f.Close() // a second Close is harmless
			_ = fsys.Remove(tmp)
			_ = fsys.Remove(sumTmp)
			if placed > 0 {
				_ = fsys.Remove(finalPath + ChecksumExt)
			}
			if placed > 1 {
				_ = fsys.Remove(finalPath)
			}
		}
	}()
	h := sha256.New()
	out := newArchiveFile(f)
	m, size, err := streamArchive(src, meta, h, out.write)
	if err = errors.Join(err, out.waitSync()); err != nil {
		return Info{}, fmt.Errorf("write snapshot %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return Info{}, fmt.Errorf("sync %s: %w", tmp, err)
	}
	st, err := f.Stat() // its last write is done: the mtime listings will show
	if err != nil {
		return Info{}, fmt.Errorf("stat %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return Info{}, fmt.Errorf("close %s: %w", tmp, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err = writeSynced(fsys, sumTmp, []byte(sum)); err != nil {
		return Info{}, err
	}
	if err = fsys.Rename(sumTmp, finalPath+ChecksumExt); err != nil {
		return Info{}, fmt.Errorf("rename %s: %w", sumTmp, err)
	}
	placed++
	// Without this sync a crash could keep the archive's rename and lose the
	// checksum's, listing an archive that has no checksum file.
	if err = fsys.SyncDir(dir); err != nil {
		return Info{}, fmt.Errorf("sync folder %s: %w", dir, err)
	}
	if err = fsys.Rename(tmp, finalPath); err != nil {
		return Info{}, fmt.Errorf("rename %s: %w", tmp, err)
	}
	placed++
	if err = fsys.SyncDir(dir); err != nil {
		return Info{}, fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return Info{Name: final, Path: finalPath, Size: size, Checksum: sum, CreatedAt: m.CreatedAt, ModTime: st.ModTime(), Manifest: m}, nil
}

// reserve claims a free snapshot name in dir by creating its NAME.tmp
// exclusively; only the holder of NAME.tmp may create NAME. A name whose
// archive already exists is skipped, so a snapshot never overwrites another.
func reserve(fsys vfs.FS, dir, name string) (string, vfs.File, error) {
	for n := range maxNameTries {
		cand := withSuffix(name, n)
		p := filepath.Join(dir, cand)
		f, err := fsys.OpenFile(p+TempExt, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("create %s: %w", p+TempExt, err)
		}
		_, err = os.Lstat(p)
		if err == nil {
			_ = f.Close()
			_ = fsys.Remove(p + TempExt)
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			_ = f.Close()
			_ = fsys.Remove(p + TempExt)
			return "", nil, fmt.Errorf("stat %s: %w", p, err)
		}
		return cand, f, nil
	}
	return "", nil, fmt.Errorf("%w: %s and %d others in %s", ErrExists, name, maxNameTries-1, dir)
}

// writeSynced creates path (truncating it), writes data and syncs it.
func writeSynced(fsys vfs.FS, path string, data []byte) error {
	f, err := fsys.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

func header(name string, typ byte, size int64, mtime time.Time) *tar.Header {
	mode := int64(fileMode)
	if typ == tar.TypeDir {
		mode = dirMode
	}
	return &tar.Header{Typeflag: typ, Name: name, Size: size, Mode: mode, ModTime: mtime, Format: tar.FormatPAX}
}

// writebackChunk is how many archive bytes are written through the page
// cache before their writeback is started (see archiveFile.writeAll).
const writebackChunk = 4 << 20

// directSyncEvery is how many archive bytes are written with direct I/O
// between two fdatasyncs of the archive. A direct write reaches the
// device, but a virtual disk (or a drive with a write cache) may hold it
// in its cache until the next flush, and the next flush is whoever syncs
// next: a wait=true upsert's WAL fdatasync would then wait for every
// archive byte written so far. Flushing the archive as it goes bounds that
// wait to about this many bytes. It is one pipeline chunk (2 MiB): at 16
// MiB the longest WAL fdatasync during a 1,000,000-point snapshot was the
// whole write stall (12-151 ms against 4-25 ms with no snapshot), while at
// 1 and 2 MiB the stall benchmark's rounds stay within 10 ms of their base
// but for 0-2 of 8-10 (docs/BENCHMARKS.md). Each fdatasync runs while the
// next chunk is written (archiveFile.startSync): at most one sync and one
// write are in flight, so a flush by another writer finds at most two
// chunks not yet flushed.
const directSyncEvery = chunkSize

// startSync waits for the fdatasync in flight, if any, and starts one of
// everything written so far on another goroutine, so that the next chunk
// is written while it runs.
func (a *archiveFile) startSync() error {
	if err := a.waitSync(); err != nil {
		return err
	}
	a.synced = a.off
	done := make(chan error, 1)
	a.syncing = done
	go func() { done <- vfs.Datasync(a.f) }()
	return nil
}

// waitSync waits for the fdatasync in flight, if any, and returns its
// error. WriteArchive calls it before it syncs and closes the file, on
// every path: nothing uses the file after its Close.
func (a *archiveFile) waitSync() error {
	if a.syncing == nil {
		return nil
	}
	err := <-a.syncing
	a.syncing = nil
	if err != nil {
		return fmt.Errorf("sync %s: %w", a.f.Name(), err)
	}
	return nil
}

// ioMode is how WriteArchive writes the archive file.
type ioMode int

const (
	// ioDirect writes with direct I/O (O_DIRECT) where the file and its
	// filesystem allow it, ioPaced otherwise: the archive never sits in the
	// page cache as dirty data, so the journal commits that other files'
	// fsyncs wait for (the WAL's, with writers waiting on it) never have to
	// write it out.
	ioDirect ioMode = iota
	// ioPaced writes through the page cache and starts the writeback of
	// every writebackChunk bytes, waiting for the chunk before.
	ioPaced
	// ioBuffered leaves the writeback to the kernel and the final fsync.
	ioBuffered
)

// archiveIO is the mode WriteArchive uses; benchmarks change it to compare.
var archiveIO = ioDirect

// archiveFile writes the archive's chunks to its file in the mode chosen
// by archiveIO, as far as the file allows (only an *os.File has a
// descriptor to tune; any other vfs.File is written plainly).
type archiveFile struct {
	f      vfs.File
	fd     uintptr
	direct bool
	paced  bool
	off    int64 // bytes written
	next   int64 // offset of the first byte whose writeback is not started
	synced int64 // bytes written before the last fdatasync started (direct mode)
	// syncing receives the result of the fdatasync in flight (direct
	// mode), nil when none is.
	syncing chan error
}

func newArchiveFile(f vfs.File) *archiveFile {
	a := &archiveFile{f: f}
	fder, ok := f.(interface{ Fd() uintptr })
	if !ok || archiveIO == ioBuffered {
		return a
	}
	a.fd = fder.Fd()
	if archiveIO == ioDirect && setDirect(a.fd, true) == nil {
		a.direct = true
		return a
	}
	a.paced = true
	return a
}

// write writes one pipeline chunk. Every chunk but the last is a multiple
// of directAlign long; the last one's unaligned tail is written after
// direct I/O is turned off.
func (a *archiveFile) write(b []byte) error {
	if a.direct && len(b)%directAlign != 0 {
		n := len(b) &^ (directAlign - 1)
		if err := a.writeAll(b[:n]); err != nil {
			return err
		}
		b = b[n:]
		if err := setDirect(a.fd, false); err != nil {
			return fmt.Errorf("write %s: %w", a.f.Name(), err)
		}
		a.direct = false
	}
	return a.writeAll(b)
}

func (a *archiveFile) writeAll(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	n, err := a.f.Write(b)
	a.off += int64(n)
	if err != nil && a.direct && errors.Is(err, syscall.EINVAL) {
		// The file accepted O_DIRECT but refuses this direct write (a
		// device whose direct-I/O block is larger than directAlign, some
		// FUSE or overlay filesystems): go on through the page cache,
		// paced, from where the direct writes stopped.
		if derr := setDirect(a.fd, false); derr == nil {
			a.direct, a.paced, a.next = false, true, a.off
			return a.writeAll(b[n:])
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", a.f.Name(), err)
	}
	if a.direct && a.off-a.synced >= directSyncEvery {
		if err := a.startSync(); err != nil {
			return err
		}
	}
	// Paced: start the writeback of each full chunk, and wait for the one
	// before it, so no more than about two chunks are ever dirty (a large
	// dirty archive would make every fsync on the filesystem, the WAL's
	// among them, wait for its data).
	for a.paced && a.off-a.next >= writebackChunk {
		err := kickWriteback(a.fd, a.next, writebackChunk)
		if err == nil && a.next >= writebackChunk {
			err = waitWriteback(a.fd, a.next-writebackChunk, writebackChunk)
		}
		if err != nil {
			return fmt.Errorf("write back %s: %w", a.f.Name(), err)
		}
		a.next += writebackChunk
	}
	return nil
}
