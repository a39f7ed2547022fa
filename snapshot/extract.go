package snapshot

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/cairn-db/cairn/vfs"
)

// Limits bounds what Extract accepts from an untrusted archive.
type Limits struct {
	// MaxBytes bounds the total size of the archive's files; 0 means no
	// bound other than the free disk space.
	MaxBytes int64
	// MaxEntries bounds the number of entries; 0 means DefaultMaxEntries.
	MaxEntries int
	// IgnoreFreeSpace skips the free-space check (for tests only).
	IgnoreFreeSpace bool
}

// DefaultMaxEntries is the entry bound used when Limits.MaxEntries is 0.
const DefaultMaxEntries = 1 << 20

// Extract unpacks the untrusted snapshot archive r into dstDir, a folder
// that must not exist yet (its parent must). Every file operation goes
// through an os.Root opened on dstDir, so nothing can be written outside it.
// It rejects, with an error wrapping ErrUnsafeEntry, entries with absolute,
// unclean, ".." or overly long or deep paths (more than 1024 bytes or 32
// elements), names holding NUL or a backslash, symbolic and hard
// links, devices, FIFOs, sparse files and any other non-regular kind, and
// duplicate names; with ErrTooLarge, files beyond lim or the free disk
// space; with ErrFormatVersion, an unknown format version; with ErrManifest,
// a missing manifest, entries after it, or files that differ from its list
// (presence, size or CRC-32C). Extracted files and folders are synced. On
// any error dstDir is removed; on success the caller decides what to do with
// it and the returned manifest.
func Extract(r io.Reader, dstDir string, lim Limits) (m *Manifest, err error) {
	if err := os.Mkdir(dstDir, dirMode); err != nil {
		return nil, fmt.Errorf("create extract folder: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dstDir)
		}
	}()
	x, err := newExtractor(dstDir, lim)
	if err != nil {
		return nil, err
	}
	defer x.root.Close()
	err = x.run(tar.NewReader(r))
	// Every file handed to the pipeline is closed once it returns.
	if perr := x.pipe.finish(); err == nil {
		err = perr
	}
	if err != nil {
		return nil, err
	}
	if x.manifest == nil {
		return nil, fmt.Errorf("%w: archive has no %s", ErrManifest, ManifestName)
	}
	if err := x.manifest.verifyFiles(x.files); err != nil {
		return nil, err
	}
	if err := x.sync(); err != nil {
		return nil, err
	}
	return x.manifest, nil
}

type extractor struct {
	root     *os.Root
	dir      string
	budget   int64 // bytes still allowed
	entries  int   // entries still allowed
	seen     map[string]bool
	dirs     map[string]bool
	files    map[string]FileEntry
	manifest *Manifest
	pipe     *writePipe
}

func newExtractor(dstDir string, lim Limits) (*extractor, error) {
	budget := lim.MaxBytes
	if !lim.IgnoreFreeSpace {
		free, err := vfs.FreeSpace(dstDir)
		if err != nil {
			return nil, err
		}
		if budget <= 0 || free < budget {
			budget = free
		}
	} else if budget <= 0 {
		budget = 1<<63 - 1
	}
	entries := lim.MaxEntries
	if entries <= 0 {
		entries = DefaultMaxEntries
	}
	root, err := os.OpenRoot(dstDir)
	if err != nil {
		return nil, fmt.Errorf("open extract folder: %w", err)
	}
	return &extractor{
		root: root, dir: dstDir, budget: budget, entries: entries,
		seen: map[string]bool{}, dirs: map[string]bool{".": true}, files: map[string]FileEntry{},
		pipe: newWritePipe(),
	}, nil
}

func (x *extractor) run(tr *tar.Reader) error {
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if x.manifest != nil {
			return fmt.Errorf("%w: entry %q after %s", ErrManifest, hdr.Name, ManifestName)
		}
		if x.entries--; x.entries < 0 {
			return fmt.Errorf("%w: more entries than allowed", ErrTooLarge)
		}
		if err := x.entry(hdr, tr); err != nil {
			return err
		}
	}
}

// entry checks and unpacks one archive entry.
func (x *extractor) entry(hdr *tar.Header, tr *tar.Reader) error {
	name := hdr.Name
	if hdr.Typeflag == tar.TypeDir {
		name = strings.TrimSuffix(name, "/")
	}
	if err := checkEntryName(name); err != nil {
		return err
	}
	if x.seen[name] {
		return fmt.Errorf("%w: %q appears twice", ErrUnsafeEntry, name)
	}
	x.seen[name] = true
	switch hdr.Typeflag {
	case tar.TypeDir:
		if name == ManifestName {
			return fmt.Errorf("%w: %s is a folder", ErrManifest, ManifestName)
		}
		return x.mkdirs(name)
	case tar.TypeReg, tar.TypeRegA:
		if sparse(hdr) {
			return fmt.Errorf("%w: %q is a sparse file", ErrUnsafeEntry, name)
		}
		if name == ManifestName {
			return x.readManifest(hdr, tr)
		}
		return x.file(name, hdr.Size, tr)
	default:
		return fmt.Errorf("%w: %q is a %s", ErrUnsafeEntry, name, typeName(hdr.Typeflag))
	}
}

// mkdirs creates a folder and its missing parents, remembering them so they
// can be synced.
func (x *extractor) mkdirs(name string) error {
	if x.dirs[name] {
		return nil
	}
	if err := x.root.MkdirAll(name, dirMode); err != nil {
		return fmt.Errorf("%w: create folder %q: %v", ErrUnsafeEntry, name, err)
	}
	for d := name; !x.dirs[d]; d = path.Dir(d) {
		x.dirs[d] = true
	}
	return nil
}

func (x *extractor) file(name string, size int64, tr *tar.Reader) error {
	if size > x.budget {
		return fmt.Errorf("%w: %q (%d bytes) exceeds the size limit or the free disk space", ErrTooLarge, name, size)
	}
	x.budget -= size
	if err := x.mkdirs(path.Dir(name)); err != nil {
		return err
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return fmt.Errorf("%w: create %q: %v", ErrUnsafeEntry, name, err)
	}
	// The pipeline writes f and closes it (extractwrite.go).
	sum, n, err := x.pipe.copyFile(f, tr)
	if errors.Is(err, io.ErrUnexpectedEOF) || err == nil && n != size {
		return fmt.Errorf("%w: %q is truncated", ErrCorrupt, name)
	}
	if err != nil {
		return fmt.Errorf("extract %q: %w", name, err)
	}
	x.files[name] = FileEntry{Path: name, Size: size, CRC32C: sum}
	return nil
}

func (x *extractor) readManifest(hdr *tar.Header, tr *tar.Reader) error {
	if hdr.Size > maxManifestSize {
		return fmt.Errorf("%w: %s is %d bytes", ErrTooLarge, ManifestName, hdr.Size)
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		return fmt.Errorf("%w: read %s: %v", ErrCorrupt, ManifestName, err)
	}
	m, err := parseManifest(b)
	if err != nil {
		return err
	}
	x.manifest = m
	return nil
}

// sync makes the verified files and folders durable. It runs only once the
// archive is accepted, so a rejected archive costs no fsync. The fsyncs run
// concurrently (syncWorkers at a time) so the filesystem can commit them
// together; nothing is live before every one has returned.
func (x *extractor) sync() error {
	names := make([]string, 0, len(x.files)+len(x.dirs))
	for f := range x.files {
		names = append(names, f)
	}
	for d := range x.dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	jobs := make(chan string)
	errs := make([]error, syncWorkers)
	var wg sync.WaitGroup
	for w := range syncWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range jobs {
				if errs[w] == nil {
					errs[w] = x.syncOne(name)
				}
			}
		}()
	}
	for _, name := range names {
		jobs <- name
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}

// syncWorkers bounds the fsyncs in flight while an archive is extracted.
const syncWorkers = 16

func (x *extractor) syncOne(name string) error {
	f, err := x.root.Open(name)
	if err != nil {
		return fmt.Errorf("open %q: %w", name, err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("sync %q: %w", name, err)
	}
	return nil
}

// sparse reports whether a regular entry carries GNU sparse PAX records:
// archive/tar expands such an entry to its full size, so a few stored bytes
// could become a file far larger than the archive.
func sparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func typeName(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "FIFO"
	default:
		return fmt.Sprintf("entry of type %q", t)
	}
}

// CheckFreeSpace returns an error wrapping ErrTooLarge when the filesystem
// holding dir has less than need bytes available: the server can call it
// with an upload's length before storing it.
func CheckFreeSpace(dir string, need int64) error {
	free, err := vfs.FreeSpace(dir)
	if err != nil {
		return err
	}
	if need > free {
		return fmt.Errorf("%w: %d bytes needed, %d free in %s", ErrTooLarge, need, free, filepath.Clean(dir))
	}
	return nil
}
