package walarchive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cairn-db/cairn/objstore"
)

// localStore is a minimal folder-backed objstore.Store for the "local"
// archive target: one file per key under dir. (objstore.Local replaces it
// when the S3 work lands.) Writes are temp file, fsync, rename, fsync of
// the folder.
type localStore struct{ dir string }

// NewLocalStore returns a Store keeping its objects as files under dir,
// created if absent. Temp files a crash left during a Put are removed.
func NewLocalStore(dir string) (objstore.Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open wal archive folder: %w", err)
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasPrefix(d.Name(), ".tmp-") {
			err = os.Remove(p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open wal archive folder: remove temp files: %w", err)
	}
	return &localStore{dir: dir}, nil
}

func (l *localStore) path(key string) (string, error) {
	if err := objstore.ValidKey(key); err != nil {
		return "", err
	}
	return filepath.Join(l.dir, filepath.FromSlash(key)), nil
}

// Put writes the object through a temp file renamed into place.
func (l *localStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }() // a no-op once renamed
	n, err := io.Copy(f, r)
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("read %d bytes, want %d", n, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err == nil {
		err = syncDir(filepath.Dir(p))
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

type sectionCloser struct {
	io.Reader
	f *os.File
}

func (s sectionCloser) Close() error { return s.f.Close() }

// Get reads n bytes from off (n < 0: to the end).
func (l *localStore) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", key, objstore.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if n < 0 {
		n = 1<<63 - 1 - off
	}
	return sectionCloser{io.NewSectionReader(f, off, n), f}, nil
}

// Stat describes the object.
func (l *localStore) Stat(ctx context.Context, key string) (objstore.Info, error) {
	p, err := l.path(key)
	if err != nil {
		return objstore.Info{}, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !st.Mode().IsRegular()) {
		return objstore.Info{}, fmt.Errorf("stat %s: %w", key, objstore.ErrNotExist)
	}
	if err != nil {
		return objstore.Info{}, fmt.Errorf("stat %s: %w", key, err)
	}
	return objstore.Info{Key: key, Size: st.Size(), Modified: st.ModTime()}, ctx.Err()
}

// List describes the objects whose keys start with prefix, sorted by key.
func (l *localStore) List(ctx context.Context, prefix string) ([]objstore.Info, error) {
	var out []objstore.Info
	err := filepath.WalkDir(l.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(l.dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, objstore.Info{Key: key, Size: info.Size(), Modified: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object; a missing one is not an error.
func (l *localStore) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return ctx.Err()
}

// String names the folder.
func (l *localStore) String() string { return "file://" + filepath.ToSlash(l.dir) }
