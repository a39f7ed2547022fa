//go:build !unix

package engine

import "io/fs"

// allocatedBytes is fi's size where the platform does not report blocks.
func allocatedBytes(fi fs.FileInfo) int64 { return fi.Size() }
