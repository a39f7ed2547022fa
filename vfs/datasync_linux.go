package vfs

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// fdatasync calls fdatasync(2) on the file behind c.
func fdatasync(c syscall.Conn) error {
	return control(c, func(fd int) error {
		for {
			err := unix.Fdatasync(fd)
			if err != unix.EINTR {
				return err
			}
		}
	})
}

// fallocate calls fallocate(2) with FALLOC_FL_KEEP_SIZE on the first size
// bytes of the file behind c; a filesystem without it reports
// errors.ErrUnsupported.
func fallocate(c syscall.Conn, size int64) error {
	return control(c, func(fd int) error {
		for {
			err := unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 0, size)
			switch err {
			case unix.EINTR:
				continue
			case unix.EOPNOTSUPP, unix.ENOSYS:
				return errors.ErrUnsupported
			}
			return err
		}
	})
}

// control runs fn on the file descriptor of c.
func control(c syscall.Conn, fn func(fd int) error) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
