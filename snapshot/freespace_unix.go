//go:build linux || darwin

package snapshot

import (
	"fmt"
	"syscall"
)

// FreeSpace returns the bytes available to an unprivileged writer on the
// filesystem holding dir.
func FreeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	free := st.Bavail * uint64(st.Bsize)
	if free > 1<<62 {
		free = 1 << 62
	}
	return int64(free), nil
}
