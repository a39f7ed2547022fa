package vfs

import (
	"os"
	"syscall"
)

// allocated returns the bytes of disk space allocated to a file.
func allocated(st os.FileInfo) int64 { return st.Sys().(*syscall.Stat_t).Blocks * 512 }
