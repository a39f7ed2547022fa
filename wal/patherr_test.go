package wal

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// TestFailedWriteNamesPathOnce: a failed append's error names the segment
// once ("write X: injected fault"), not as "write X: write X: …" (the
// filesystem's *os.PathError already names it).
func TestFailedWriteNamesPathOnce(t *testing.T) {
	faulty := vfs.NewFaulty(vfs.OS)
	l := openLog(t, t.TempDir(), Options{FS: faulty})
	defer l.Close()
	faulty.FailWhen(func(op vfs.Op, _ string) bool { return op == vfs.OpWrite })
	_, err := l.Append([]byte("record"))
	var pe *os.PathError
	if !errors.Is(err, vfs.ErrInjected) || !errors.As(err, &pe) {
		t.Fatalf("append with failing writes: %v", err)
	}
	if n := strings.Count(err.Error(), pe.Path); n != 1 {
		t.Fatalf("append error names %s %d times: %v", pe.Path, n, err)
	}
}
