//go:build !purego

package simd

// expectedImpls names the implementations an arm64 CPU must offer: ASIMD is
// mandatory on arm64, so the NEON kernels must be listed (and so executed
// by every table test, including under qemu-user).
func expectedImpls() []string { return []string{"neon", "go"} }

// extraImpls lists the test-only variants of this build: none.
func extraImpls() []Impl { return nil }
