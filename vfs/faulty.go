package vfs

import (
	"errors"
	"os"
	"sync"
)

// ErrInjected is the error a Faulty filesystem returns for an injected fault.
var ErrInjected = errors.New("injected fault")

// Op names an operation a Faulty filesystem can fail.
type Op string

// The operations that can be failed.
const (
	OpOpen     Op = "open"
	OpWrite    Op = "write"
	OpSync     Op = "sync"
	OpRename   Op = "rename"
	OpLink     Op = "link"
	OpRemove   Op = "remove"
	OpMkdir    Op = "mkdir"
	OpSyncDir  Op = "syncdir"
	OpTruncate Op = "truncate"
)

// Faulty wraps a filesystem and fails operations on demand. Its zero value is
// not usable; make one with NewFaulty.
type Faulty struct {
	inner FS
	mu    sync.Mutex
	// fail decides whether an operation on a path fails; nil fails nothing.
	fail  func(op Op, path string) bool
	count map[Op]int
}

// NewFaulty wraps inner.
func NewFaulty(inner FS) *Faulty { return &Faulty{inner: inner, count: map[Op]int{}} }

// FailWhen installs the decision function: every later operation for which
// fn returns true fails with ErrInjected. FailWhen(nil) stops failing.
func (f *Faulty) FailWhen(fn func(op Op, path string) bool) {
	f.mu.Lock()
	f.fail = fn
	f.mu.Unlock()
}

// FailNth makes the n-th (1-based) later call of op fail, once.
func (f *Faulty) FailNth(op Op, n int) {
	seen := 0
	f.FailWhen(func(o Op, _ string) bool {
		if o != op {
			return false
		}
		seen++
		return seen == n
	})
}

// Count returns how many times op has been attempted.
func (f *Faulty) Count(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[op]
}

func (f *Faulty) check(op Op, path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count[op]++
	if f.fail != nil && f.fail(op, path) {
		return &os.PathError{Op: string(op), Path: path, Err: ErrInjected}
	}
	return nil
}

// OpenFile opens a file whose writes, syncs and truncations can fail.
func (f *Faulty) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	if err := f.check(OpOpen, name); err != nil {
		return nil, err
	}
	file, err := f.inner.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, fs: f}, nil
}

// Rename renames unless failed.
func (f *Faulty) Rename(o, n string) error {
	if err := f.check(OpRename, n); err != nil {
		return err
	}
	return f.inner.Rename(o, n)
}

// Link links unless failed.
func (f *Faulty) Link(o, n string) error {
	if err := f.check(OpLink, n); err != nil {
		return err
	}
	return f.inner.Link(o, n)
}

// Remove removes unless failed.
func (f *Faulty) Remove(name string) error {
	if err := f.check(OpRemove, name); err != nil {
		return err
	}
	return f.inner.Remove(name)
}

// RemoveAll removes a tree unless failed.
func (f *Faulty) RemoveAll(name string) error {
	if err := f.check(OpRemove, name); err != nil {
		return err
	}
	return f.inner.RemoveAll(name)
}

// MkdirAll makes directories unless failed.
func (f *Faulty) MkdirAll(name string, p os.FileMode) error {
	if err := f.check(OpMkdir, name); err != nil {
		return err
	}
	return f.inner.MkdirAll(name, p)
}

// SyncDir syncs a directory unless failed.
func (f *Faulty) SyncDir(name string) error {
	if err := f.check(OpSyncDir, name); err != nil {
		return err
	}
	return f.inner.SyncDir(name)
}

type faultyFile struct {
	File
	fs *Faulty
}

func (ff *faultyFile) Write(p []byte) (int, error) {
	if err := ff.fs.check(OpWrite, ff.Name()); err != nil {
		return 0, err
	}
	return ff.File.Write(p)
}

func (ff *faultyFile) Sync() error {
	if err := ff.fs.check(OpSync, ff.Name()); err != nil {
		return err
	}
	return ff.File.Sync()
}

func (ff *faultyFile) Truncate(size int64) error {
	if err := ff.fs.check(OpTruncate, ff.Name()); err != nil {
		return err
	}
	return ff.File.Truncate(size)
}
