//go:build purego || (!amd64 && !arm64)

package simd

// expectedImpls names the implementations of a portable-only build.
func expectedImpls() []string { return []string{"go"} }
