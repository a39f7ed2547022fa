//go:build purego || (!amd64 && !arm64)

package simd

// available lists the assembly implementations this CPU can run: none here.
func available() []Impl { return nil }
