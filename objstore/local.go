package objstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// tempMark separates a key's last element from the random suffix of the
// temp file a Put writes beside it. ValidKey refuses backslashes, so no key
// can name a temp file and List can tell them apart.
const tempMark = `\put-`

// tempMaxAge is how old a temp file must be for List to remove it: one
// that old was left by a crash, not by a Put still writing it.
const tempMaxAge = time.Hour

// Local is a Store over a folder: a key is a file path under it, confined
// with os.Root so that no key, symbolic link or ".." escapes the folder.
// A Put writes a temp file beside its key, fsyncs it, renames it over the
// key and fsyncs the folder, so a crash leaves the old object or the new
// one. A key cannot be both an object and a folder prefix of another key
// ("a" and "a/b"): the second Put fails.
type Local struct {
	dir  string
	root *os.Root
	now  func() time.Time
}

// NewLocal opens (creating it if needed) the folder dir as a Store and
// removes the temp files a crash left in it.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open local store %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("open local store: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("open local store: %w", err)
	}
	l := &Local{dir: abs, root: root, now: time.Now}
	if err := l.walk(".", func(name string, _ fs.FileInfo) {}, true); err != nil {
		root.Close()
		return nil, fmt.Errorf("open local store %s: %w", abs, err)
	}
	return l, nil
}

// Close releases the folder.
func (l *Local) Close() error { return l.root.Close() }

// String implements Store.
func (l *Local) String() string { return "file://" + filepath.ToSlash(l.dir) }

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("put object: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	dir := path.Dir(key)
	_, statErr := l.root.Stat(dir)
	newDir := statErr != nil
	f, tmp, err := l.createTemp(key)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			l.root.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, ctxReader{ctx, exactReader(r, size)})
	if err != nil {
		return fmt.Errorf("put %s: write: %w", key, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("put %s: read %d bytes, want %d", key, n, size)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("put %s: fsync: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("put %s: close: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := l.root.Rename(tmp, key); err != nil {
		return fmt.Errorf("put %s: rename: %w", key, err)
	}
	// The folder holding the key, and when it was new every folder above
	// it, must reach the disk for the rename (and the folders) to last.
	for d := dir; ; d = path.Dir(d) {
		if err := l.syncDir(d); err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		if d == "." || !newDir {
			break
		}
	}
	return nil
}

// PutHashed implements HashedPutter: the body is hashed as it is written
// and refused, before its rename, unless its SHA-256 is sum.
func (l *Local) PutHashed(ctx context.Context, key string, r io.Reader, size int64, sum []byte) error {
	v, err := newVerifier(r, sum)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return l.Put(ctx, key, v, size)
}

// createTemp creates the temp file of a Put of key, and the folders above
// it. A concurrent Delete may remove a folder it has just created (Delete
// removes empty folders), so it retries a few times.
func (l *Local) createTemp(key string) (*os.File, string, error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := key + tempMark + hex.EncodeToString(rnd[:])
	var err error
	for range 5 {
		if d := path.Dir(key); d != "." {
			if err = l.root.MkdirAll(d, 0o750); err != nil {
				return nil, "", fmt.Errorf("create folder: %w", err)
			}
		}
		var f *os.File
		f, err = l.root.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
		if err == nil {
			return f, tmp, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	return nil, "", fmt.Errorf("create temp file: %w", err)
}

func (l *Local) syncDir(dir string) error {
	d, err := l.root.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync folder %s: %w", dir, err)
	}
	return nil
}

// Get implements Store.
func (l *Local) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := ValidKey(key); err != nil {
		return nil, fmt.Errorf("get object: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	f, err := l.root.Open(key)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, notExist(err))
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = ErrNotExist
	}
	if err == nil && (off < 0 || off > fi.Size()) {
		err = fmt.Errorf("offset %d outside 0..%d", off, fi.Size())
	}
	if err == nil {
		_, err = f.Seek(off, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if n < 0 {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, n), f}, nil
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidKey(key); err != nil {
		return Info{}, fmt.Errorf("stat object: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("stat %s: %w", key, err)
	}
	fi, err := l.root.Stat(key)
	if err == nil && !fi.Mode().IsRegular() {
		err = ErrNotExist
	}
	if err != nil {
		return Info{}, fmt.Errorf("stat %s: %w", key, notExist(err))
	}
	return Info{Key: key, Size: fi.Size(), Modified: fi.ModTime()}, nil
}

// List implements Store. Temp files are not listed; those older than
// tempMaxAge (left by a crash) are removed.
func (l *Local) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validPrefix(prefix); err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	// Walk the deepest folder every matching key lies under.
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		start = prefix[:i]
	}
	var out []Info
	err := l.walk(start, func(name string, fi fs.FileInfo) {
		if strings.HasPrefix(name, prefix) {
			out = append(out, Info{Key: name, Size: fi.Size(), Modified: fi.ModTime()})
		}
	}, false)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// walk calls fn for every regular file under start whose name is a valid
// key, and removes the temp files (all of them when allTemps is set, else
// those older than tempMaxAge). A missing start is an empty folder.
func (l *Local) walk(start string, fn func(name string, fi fs.FileInfo), allTemps bool) error {
	err := fs.WalkDir(l.root.FS(), start, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted meanwhile
			}
			return err
		}
		if strings.Contains(path.Base(name), tempMark) {
			if allTemps || l.now().Sub(fi.ModTime()) > tempMaxAge {
				l.root.Remove(name)
			}
			return nil
		}
		if ValidKey(name) == nil {
			fn(name, fi)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Delete implements Store. The folders the key leaves empty are removed.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("delete object: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	fi, err := l.root.Lstat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && fi.IsDir() {
		return nil // a folder is not an object
	}
	if err == nil {
		err = l.root.Remove(key)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	for d := path.Dir(key); d != "."; d = path.Dir(d) {
		if l.root.Remove(d) != nil {
			break // not empty (or gone): the folders above are not empty either
		}
	}
	if err := l.syncDir(path.Dir(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// notExist makes a missing file ErrNotExist.
func notExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotExist) {
		return ErrNotExist
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// exactReader returns r, or when size >= 0 a reader that fails instead of
// ending at other than size bytes, so that a short or long body is never
// stored.
func exactReader(r io.Reader, size int64) io.Reader {
	if size < 0 {
		return r
	}
	return &exact{r: r, left: size}
}

type exact struct {
	r    io.Reader
	left int64
}

func (e *exact) Read(p []byte) (int, error) {
	if int64(len(p)) > e.left+1 {
		p = p[:e.left+1] // one more byte reveals a long body
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case e.left < 0:
		return n, fmt.Errorf("body longer than its declared size")
	case err == io.EOF && e.left > 0:
		return n, fmt.Errorf("body %d bytes shorter than its declared size: %w", e.left, io.ErrUnexpectedEOF)
	}
	return n, err
}

// ctxReader fails its reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
