//go:build unix

package engine

import (
	"io/fs"
	"syscall"
)

// allocatedBytes is the space the file system allocated to fi (st_blocks
// are 512-byte units on every Unix, whatever the block size).
func allocatedBytes(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return fi.Size()
}
