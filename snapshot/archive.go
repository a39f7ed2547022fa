package snapshot

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
	cw := &countWriter{w: io.MultiWriter(newPacedWriter(f), h)}
	m, err := Stream(cw, src, meta)
	if err != nil {
		return Info{}, fmt.Errorf("write snapshot %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return Info{}, fmt.Errorf("sync %s: %w", tmp, err)
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
	return Info{Name: final, Path: finalPath, Size: cw.n, Checksum: sum, CreatedAt: m.CreatedAt, Manifest: m}, nil
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

// Stream writes the folder src to w as a snapshot archive without storing
// it: every folder and regular file in lexical order, with fixed modes,
// owner 0 and mtime meta.CreatedAt, then the manifest as the last entry.
// Anything else in src (a symbolic link, a device) is an error, as is a
// file that changes size while it is read. It returns the manifest written.
func Stream(w io.Writer, src string, meta Meta) (*Manifest, error) {
	m := newManifest(meta)
	bw := bufio.NewWriterSize(w, copyBufSize)
	tw := tar.NewWriter(bw)
	buf := make([]byte, copyBufSize)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == src {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		return addEntry(tw, m, filepath.ToSlash(rel), p, d, buf)
	})
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	if err := tw.WriteHeader(header(ManifestName, tar.TypeReg, int64(len(body)), m.CreatedAt)); err != nil {
		return nil, fmt.Errorf("write manifest header: %w", err)
	}
	if _, err := tw.Write(body); err != nil {
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("finish archive: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("flush archive: %w", err)
	}
	return m, nil
}

// addEntry writes one folder or regular file into the archive.
func addEntry(tw *tar.Writer, m *Manifest, rel, p string, d fs.DirEntry, buf []byte) error {
	if rel == ManifestName {
		return fmt.Errorf("%w: %s is reserved for the manifest", ErrUnsafeEntry, p)
	}
	if err := checkEntryName(rel); err != nil {
		return err
	}
	switch {
	case d.IsDir():
		if err := tw.WriteHeader(header(rel+"/", tar.TypeDir, 0, m.CreatedAt)); err != nil {
			return fmt.Errorf("write header %s: %w", rel, err)
		}
		return nil
	case d.Type().IsRegular():
		e, err := addFile(tw, rel, p, m.CreatedAt, buf)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, e)
		return nil
	default:
		return fmt.Errorf("%w: %s is a %v, not a regular file or folder", ErrUnsafeEntry, p, d.Type())
	}
}

func addFile(tw *tar.Writer, rel, p string, mtime time.Time, buf []byte) (FileEntry, error) {
	f, err := os.Open(p)
	if err != nil {
		return FileEntry{}, fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return FileEntry{}, fmt.Errorf("stat %s: %w", p, err)
	}
	if !st.Mode().IsRegular() {
		return FileEntry{}, fmt.Errorf("%w: %s is not a regular file", ErrUnsafeEntry, p)
	}
	size := st.Size()
	if err := tw.WriteHeader(header(rel, tar.TypeReg, size, mtime)); err != nil {
		return FileEntry{}, fmt.Errorf("write header %s: %w", rel, err)
	}
	crc := crc32.New(castagnoli)
	n, err := io.CopyBuffer(tw, io.TeeReader(f, crc), buf)
	if err != nil {
		return FileEntry{}, fmt.Errorf("copy %s: %w", p, err)
	}
	if n != size {
		return FileEntry{}, fmt.Errorf("copy %s: read %d bytes, expected %d (file changed)", p, n, size)
	}
	return FileEntry{Path: rel, Size: size, CRC32C: crc.Sum32()}, nil
}

func header(name string, typ byte, size int64, mtime time.Time) *tar.Header {
	mode := int64(fileMode)
	if typ == tar.TypeDir {
		mode = dirMode
	}
	return &tar.Header{Typeflag: typ, Name: name, Size: size, Mode: mode, ModTime: mtime, Format: tar.FormatPAX}
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writebackChunk is how many archive bytes are written before their
// writeback is started (see startWriteback).
const writebackChunk = 4 << 20

// pacedWriteback enables pacedWriter; benchmarks turn it off to compare.
var pacedWriteback = true

// pacedWriter starts the writeback of every writebackChunk bytes written to
// a file that has a descriptor (an *os.File), bounding its dirty pages.
type pacedWriter struct {
	w    io.Writer
	fd   uintptr
	ok   bool
	off  int64 // bytes written
	next int64 // offset of the first byte whose writeback is not started
}

func newPacedWriter(f vfs.File) *pacedWriter {
	p := &pacedWriter{w: f}
	if fder, ok := f.(interface{ Fd() uintptr }); ok && pacedWriteback {
		p.fd, p.ok = fder.Fd(), true
	}
	return p
}

func (p *pacedWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.off += int64(n)
	for p.ok && p.off-p.next >= writebackChunk {
		startWriteback(p.fd, p.next, writebackChunk)
		p.next += writebackChunk
	}
	return n, err
}
