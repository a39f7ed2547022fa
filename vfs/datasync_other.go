//go:build !linux

package vfs

import (
	"errors"
	"syscall"
)

// fdatasync is not offered here: Datasync falls back to Sync.
func fdatasync(syscall.Conn) error { return errors.ErrUnsupported }

// fallocate is not offered here: Allocate reports errors.ErrUnsupported.
func fallocate(syscall.Conn, int64) error { return errors.ErrUnsupported }
