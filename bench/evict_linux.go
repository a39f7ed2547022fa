package bench

import (
	"os"
	"syscall"
)

// evictPageCache asks the kernel to drop path's pages from the page cache
// (posix_fadvise DONTNEED), so that the next open reads from disk. It
// reports whether the advice was accepted.
func evictPageCache(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	const fadvDontNeed = 4
	_, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0)
	return errno == 0
}
