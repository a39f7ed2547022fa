//go:build !linux

package snapshot

import "errors"

// setDirect reports that direct I/O is not used on this platform.
func setDirect(fd uintptr, on bool) error { return errors.ErrUnsupported }

// kickWriteback is a no-op where sync_file_range does not exist.
func kickWriteback(fd uintptr, off, n int64) error { return nil }

// waitWriteback is a no-op where sync_file_range does not exist.
func waitWriteback(fd uintptr, off, n int64) error { return nil }
