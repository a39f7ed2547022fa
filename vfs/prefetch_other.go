//go:build !linux

package vfs

// Prefetch does nothing where madvise(MADV_POPULATE_READ) is missing: the
// first reads through b fault its pages in.
func Prefetch(b []byte) error { return nil }
