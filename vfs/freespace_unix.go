//go:build linux || darwin

package vfs

import (
	"syscall"
)

// FreeSpace returns the bytes available to an unprivileged writer on the
// filesystem holding path (which must exist).
func FreeSpace(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, PathError("statfs", path, err)
	}
	free := uint64(st.Bavail) * uint64(st.Bsize)
	if free > 1<<62 {
		free = 1 << 62
	}
	return int64(free), nil
}
