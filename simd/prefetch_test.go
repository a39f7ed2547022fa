package simd

import (
	"testing"
	"unsafe"
)

// TestPrefetch runs Prefetch of the build (assembly or portable) on valid
// memory and on nil, and checks that it leaves the memory unchanged.
func TestPrefetch(t *testing.T) {
	v := []float32{1, 2, 3, 4}
	for i := range v {
		Prefetch(unsafe.Pointer(&v[i]))
	}
	Prefetch(nil)
	if v[0] != 1 || v[3] != 4 {
		t.Fatalf("Prefetch changed memory: %v", v)
	}
}
