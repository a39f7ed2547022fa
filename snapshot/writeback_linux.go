package snapshot

import "golang.org/x/sys/unix"

// startWriteback asks the kernel to start writing [off, off+n) of the file
// out now, and waits until the range before it is on disk, so an archive
// being written never holds more than about two chunks of dirty pages. A
// large dirty archive would otherwise make every fsync on the same
// filesystem (the WAL's, with writers waiting on it) wait for its data.
// Errors are ignored: the final fsync reports them.
func startWriteback(fd uintptr, off, n int64) {
	_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	if off >= n {
		_ = unix.SyncFileRange(int(fd), off-n, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
	}
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
// out now, without waiting. Errors are ignored: the final fsync reports
// them.
func kickWriteback(fd uintptr, off, n int64) {
	_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// waitWriteback waits until [off, off+n) of the file is on disk (starting
// the writeback of pages dirtied since). Errors are ignored: the final
// fsync reports them.
func waitWriteback(fd uintptr, off, n int64) {
	_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
}
