//go:build purego || !amd64

package simd

// availableI8 lists the assembly int8 implementations: none here.
func availableI8() []I8Impl { return nil }
