package snapshot

import (
	"errors"

	"golang.org/x/sys/unix"
)

// writebackErr keeps what a sync_file_range call says about the data. A
// write-back error (EIO, ENOSPC, …) is reported once, to the call that
// waits for the range, and then no longer to a later fsync of the file: it
// must fail the write. A file or filesystem that cannot do it (EINVAL,
// ESPIPE, ENOSYS, EOPNOTSUPP) only loses the pacing.
func writebackErr(err error) error {
	switch {
	case err == nil, errors.Is(err, unix.EINVAL), errors.Is(err, unix.ESPIPE),
		errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return nil
	}
	return err
}

// setDirect turns direct I/O (O_DIRECT) on or off for the open file fd.
// It fails where the filesystem does not support it (tmpfs).
func setDirect(fd uintptr, on bool) error {
	fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		fl |= unix.O_DIRECT
	} else {
		fl &^= unix.O_DIRECT
	}
	_, err = unix.FcntlInt(fd, unix.F_SETFL, fl)
	return err
}

// kickWriteback asks the kernel to start writing [off, off+n) of the file
// out now, without waiting. A write-back error is returned (see
// writebackErr).
func kickWriteback(fd uintptr, off, n int64) error {
	return writebackErr(unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE))
}

// waitWriteback waits until [off, off+n) of the file is on disk (starting
// the writeback of pages dirtied since). A write-back error is returned:
// the kernel reports it to this call, and no longer to the final fsync
// (see writebackErr).
func waitWriteback(fd uintptr, off, n int64) error {
	return writebackErr(unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER))
}
