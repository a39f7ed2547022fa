package vfs

import (
	"errors"
	"os"
	"syscall"
)

// OpAllocate names the preallocation of a file's space (Allocate), which a
// Faulty filesystem can fail like the other operations.
const OpAllocate Op = "allocate"

// Datasync flushes f's data to stable storage, with only the metadata needed
// to read that data back (such as the file size), as fdatasync(2) does: it
// is cheaper than Sync when the file's size and blocks did not change. A
// file that offers a Datasync method (a Faulty file) is asked to do it; an
// *os.File on Linux uses fdatasync; any other file is Synced.
func Datasync(f File) error {
	if d, ok := f.(interface{ Datasync() error }); ok {
		return d.Datasync()
	}
	if c, ok := f.(syscall.Conn); ok {
		if err := fdatasync(c); !errors.Is(err, errors.ErrUnsupported) {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
	return f.Sync()
}

// Allocate reserves disk blocks for the first size bytes of f without
// changing the file's size, as fallocate(2) with FALLOC_FL_KEEP_SIZE does:
// later writes up to size need no block allocation, and readers that go by
// the file size (a snapshot copying a growing file) see no difference.
// Existing content and the file offset are kept. It returns an error
// wrapping errors.ErrUnsupported when the file or the filesystem cannot
// preallocate; the caller may then go on without. A file that offers an
// Allocate method (a Faulty file) is asked to do it.
func Allocate(f File, size int64) error {
	if a, ok := f.(interface{ Allocate(int64) error }); ok {
		return a.Allocate(size)
	}
	c, ok := f.(syscall.Conn)
	if !ok {
		return errors.ErrUnsupported
	}
	if err := fallocate(c, size); err != nil {
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: err}
	}
	return nil
}

// Datasync flushes the file's data unless failed (as an OpSync).
func (ff *faultyFile) Datasync() error {
	if err := ff.fs.check(OpSync, ff.Name()); err != nil {
		return err
	}
	return Datasync(ff.File)
}

// Allocate preallocates the file unless failed (as an OpAllocate).
func (ff *faultyFile) Allocate(size int64) error {
	if err := ff.fs.check(OpAllocate, ff.Name()); err != nil {
		return err
	}
	return Allocate(ff.File, size)
}
