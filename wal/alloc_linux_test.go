package wal

import (
	"os"
	"syscall"
	"testing"
)

// allocatedBytes returns the disk space allocated to the file at path.
func allocatedBytes(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Blocks * 512
}
