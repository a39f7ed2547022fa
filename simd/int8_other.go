//go:build purego || !amd64

package simd

// availableI8 lists the assembly int8 implementations: none here.
func availableI8() []I8Impl { return nil }

func dotI8Row(a, b []int8) int64 { return i8Chosen.Dot(a, b) }

func l2I8Row(a, b []int8) int64 { return i8Chosen.L2(a, b) }
