package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPathErrorNamesPathOnce: an error that already names the path (an
// *os.PathError for it) is not wrapped with the path again; one that does
// not is.
func TestPathErrorNamesPathOnce(t *testing.T) {
	dir := t.TempDir()
	f := NewFaulty(OS)
	f.FailWhen(func(op Op, _ string) bool { return op == OpWrite })
	path := filepath.Join(dir, "x")
	err := WriteFileAtomic(f, path, []byte("data"))
	if !errors.Is(err, ErrInjected) {
		t.Fatalf("write with failing writes: %v", err)
	}
	var pe *os.PathError
	if !errors.As(err, &pe) || strings.Count(err.Error(), pe.Path) != 1 {
		t.Fatalf("error names the temp file more than once: %v", err)
	}
	if got := PathError("read", "/a/b", errors.New("boom")).Error(); got != "read /a/b: boom" {
		t.Fatalf("plain error: %q", got)
	}
}
