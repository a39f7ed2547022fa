//go:build unix

package snapshot

import (
	"fmt"
	"os"
	"syscall"
)

// identity returns the cache key of a staged file, or "" when it is not
// cacheable.
func identity(st os.FileInfo) string {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Nlink < 2 {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d:%s", sys.Dev, sys.Ino, st.Size(), st.ModTime().UnixNano(), st.Name())
}
