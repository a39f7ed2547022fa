package wal

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// nextData returns the first offset at or after off that may hold data,
// skipping holes and unwritten (preallocated) extents with lseek(SEEK_DATA);
// ok is false when nothing but zeros follows off. Where SEEK_DATA is not
// supported it returns off.
func nextData(f *os.File, off int64) (next int64, ok bool) {
	n, err := f.Seek(off, unix.SEEK_DATA)
	if errors.Is(err, unix.ENXIO) {
		return 0, false
	}
	if err != nil {
		return off, true
	}
	return n, true
}
