package snapshot

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestWritebackErr: a write-back error reported by sync_file_range fails
// the write (the kernel reports it once, to that call, not to the final
// fsync); a file that cannot do sync_file_range only loses the pacing.
func TestWritebackErr(t *testing.T) {
	for _, err := range []error{unix.EIO, unix.ENOSPC, unix.EDQUOT, &os.SyscallError{Syscall: "sync_file_range", Err: unix.EIO}} {
		if got := writebackErr(err); !errors.Is(got, err) {
			t.Errorf("writebackErr(%v) = %v, want the error kept", err, got)
		}
	}
	for _, err := range []error{nil, unix.EINVAL, unix.ESPIPE, unix.ENOSYS, unix.EOPNOTSUPP} {
		if got := writebackErr(err); got != nil {
			t.Errorf("writebackErr(%v) = %v, want nil", err, got)
		}
	}
	// A pipe cannot sync_file_range (ESPIPE): no error, only no pacing.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := waitWriteback(w.Fd(), 0, 4096); err != nil {
		t.Fatalf("waitWriteback on a pipe: %v", err)
	}
}
