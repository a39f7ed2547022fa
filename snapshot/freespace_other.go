//go:build !linux && !darwin

package snapshot

// FreeSpace returns the bytes available on the filesystem holding dir; on
// this platform it is not measured and is reported as unlimited.
func FreeSpace(dir string) (int64, error) { return 1 << 62, nil }
