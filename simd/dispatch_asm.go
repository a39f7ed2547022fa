//go:build !purego && (amd64 || arm64)

package simd

// available lists the assembly implementations this CPU can run, best first.
// TODO(simd): assembly kernels; until they land only the portable one runs.
func available() []Impl { return nil }
