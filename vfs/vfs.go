package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File is an open file.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Seeker
	io.Closer
	// Sync flushes the file's data and metadata to stable storage.
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Stat describes the file.
	Stat() (os.FileInfo, error)
	// Name returns the path the file was opened with.
	Name() string
}

// FS is the set of filesystem operations that change durable state.
type FS interface {
	// OpenFile opens a file as os.OpenFile does.
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	// Rename atomically replaces newpath with oldpath.
	Rename(oldpath, newpath string) error
	// Link makes newpath a hard link to oldpath.
	Link(oldpath, newpath string) error
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// RemoveAll removes a tree.
	RemoveAll(name string) error
	// MkdirAll creates a directory and its parents.
	MkdirAll(name string, perm os.FileMode) error
	// SyncDir flushes a directory's entries (creations, renames, removals).
	SyncDir(name string) error
}

// OS is the operating system's filesystem.
var OS FS = osFS{}

type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	return os.OpenFile(name, flag, perm)
}
func (osFS) Rename(o, n string) error                  { return os.Rename(o, n) }
func (osFS) Link(o, n string) error                    { return os.Link(o, n) }
func (osFS) Remove(name string) error                  { return os.Remove(name) }
func (osFS) RemoveAll(name string) error               { return os.RemoveAll(name) }
func (osFS) MkdirAll(name string, p os.FileMode) error { return os.MkdirAll(name, p) }
func (osFS) SyncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// MkdirAllSynced creates dir and any missing parents, as MkdirAll does, and
// then syncs the parent of every folder it created, so that the new folders
// themselves survive a crash, not only the files later made in them.
// Folders that already existed cost no sync.
func MkdirAllSynced(fs FS, dir string, perm os.FileMode) error {
	var created []string // missing folders, deepest first
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, os.ErrNotExist) {
			break
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := fs.MkdirAll(dir, perm); err != nil {
		return err
	}
	for i := len(created) - 1; i >= 0; i-- {
		parent := filepath.Dir(created[i])
		if err := fs.SyncDir(parent); err != nil {
			return PathError("sync dir", parent, err)
		}
	}
	return nil
}

// WriteFileAtomic writes data to path durably: it writes a temporary file
// beside path, syncs it, renames it over path and syncs the directory. A
// reader sees the old content or the new, never a mixture; a hard link to the
// old file keeps the old content. Calls for the same path share the
// temporary file path+".tmp", so the caller must not run them concurrently.
func WriteFileAtomic(fs FS, path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp := path + ".tmp"
	f, err := fs.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return PathError("create", tmp, err)
	}
	defer func() {
		if err != nil {
			_ = fs.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return PathError("write", tmp, err)
	}
	if err = f.Sync(); err != nil {
		_ = f.Close()
		return PathError("sync", tmp, err)
	}
	if err = f.Close(); err != nil {
		return PathError("close", tmp, err)
	}
	if err = fs.Rename(tmp, path); err != nil {
		return PathError("rename", tmp, err)
	}
	if err = fs.SyncDir(dir); err != nil {
		return PathError("sync dir", dir, err)
	}
	return nil
}

// PathError wraps err, from the operation op on path, as "op path: err",
// unless err already names path (an *fs.PathError or *os.LinkError of
// the os package for it, or a lower layer's message that does), in which
// case err is returned unchanged: a path appears once in a message, never
// as "write X: write X: …".
func PathError(op, path string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	var le *os.LinkError
	if (errors.As(err, &pe) && pe.Path == path) || (errors.As(err, &le) && (le.Old == path || le.New == path)) ||
		strings.Contains(err.Error(), path) {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}
