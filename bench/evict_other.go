//go:build !linux

package bench

// evictPageCache cannot drop pages from the page cache on this system.
func evictPageCache(string) bool { return false }
