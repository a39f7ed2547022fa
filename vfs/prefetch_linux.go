package vfs

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Prefetch asks the kernel to map every page of the memory mapping b now
// (madvise MADV_POPULATE_READ, reading from the file what the page cache
// lacks), so that the first reads through b take no page faults. A kernel
// without MADV_POPULATE_READ (before Linux 5.14) gets MADV_WILLNEED, which
// only reads the file into the page cache. An empty b is a no-op. A read
// error of the file (EIO, EFAULT) is returned; it changes nothing mapped.
func Prefetch(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	err := madvise(b, unix.MADV_POPULATE_READ)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		err = madvise(b, unix.MADV_WILLNEED)
	}
	return err
}

// madvise is unix.Madvise over the whole pages b spans (the kernel wants a
// page-aligned start; a mapping's start always is, a sub-slice may not be).
func madvise(b []byte, advice int) error {
	page := uintptr(unix.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	end := start + uintptr(len(b))
	start &^= page - 1
	_, _, e := unix.Syscall(unix.SYS_MADVISE, start, end-start, uintptr(advice))
	if e != 0 {
		return e
	}
	return nil
}
