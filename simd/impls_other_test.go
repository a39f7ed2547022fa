//go:build purego || (!amd64 && !arm64)

package simd

// expectedImpls names the implementations of a portable-only build.
func expectedImpls() []string { return []string{"go"} }

// extraImpls lists the test-only variants of this build: none.
func extraImpls() []Impl { return nil }
