//go:build linux || darwin

package engine

import (
	"fmt"
	"syscall"
)

// diskFree returns the bytes available to an unprivileged writer on the
// filesystem holding dir.
func diskFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(min(st.Bavail*uint64(st.Bsize), 1<<62)), nil
}
