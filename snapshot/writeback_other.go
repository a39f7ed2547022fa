//go:build !linux

package snapshot

// startWriteback is a no-op where sync_file_range does not exist.
func startWriteback(fd uintptr, off, n int64) {}
