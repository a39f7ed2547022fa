package simd

import "unsafe"

// Int8 kernels for scalar-quantized vectors: each code is one signed byte.
// The kernels sum into int32, which is exact for up to int8Chunk bytes
// (255² × 32768 < 2³¹); the exported functions split longer inputs into
// chunks and add the chunk sums in int64, so every result is exact.

// int8Chunk is the longest run one int32 kernel call sums; a multiple of 32.
const int8Chunk = 32768

// I8Impl is one implementation of the int8 kernels, for tests and
// benchmarks. Dot and L2 take any lengths with len(b) >= len(a).
type I8Impl struct {
	// Name is a short name: "avx512", "avx2" or "go".
	Name string
	// Dot returns Σ a[i]·b[i] over len(a) bytes.
	Dot func(a, b []int8) int64
	// L2 returns Σ (a[i]-b[i])² over len(a) bytes.
	L2 func(a, b []int8) int64
}

// i8Portable is the pure Go int8 implementation, always available.
var i8Portable = I8Impl{Name: "go", Dot: dotI8Go, L2: l2I8Go}

// i8Chosen is the int8 implementation in use, set once at initialisation.
var i8Chosen = bestI8()

func bestI8() I8Impl {
	if a := availableI8(); len(a) > 0 {
		return a[0]
	}
	return i8Portable
}

// I8Implementations lists every int8 implementation this CPU can run, best
// first; the portable one is always last.
func I8Implementations() []I8Impl { return append(availableI8(), i8Portable) }

// I8Chosen returns the name of the int8 implementation in use.
func I8Chosen() string { return i8Chosen.Name }

// DotI8 returns the exact dot product Σ a[i]·b[i] of two int8 code vectors.
// It reads len(a) bytes of each and panics when b is shorter than a.
func DotI8(a, b []int8) int64 {
	if len(b) < len(a) {
		panic(errLength)
	}
	return i8Chosen.Dot(a, b)
}

// L2I8 returns the exact squared Euclidean distance Σ (a[i]-b[i])² of two
// int8 code vectors. It reads len(a) bytes of each and panics when b is
// shorter than a.
func L2I8(a, b []int8) int64 {
	if len(b) < len(a) {
		panic(errLength)
	}
	return i8Chosen.L2(a, b)
}

func dotI8Go(a, b []int8) int64 {
	b = b[:len(a)]
	var s int64
	for i, x := range a {
		s += int64(x) * int64(b[i])
	}
	return s
}

func l2I8Go(a, b []int8) int64 {
	b = b[:len(a)]
	var s int64
	for i, x := range a {
		d := int64(x) - int64(b[i])
		s += d * d
	}
	return s
}

// chunkedI8 runs an int32 kernel that needs a multiple of 32 bytes over the
// whole of a in chunks of at most int8Chunk bytes, and the tail (len mod 32)
// with the portable kernel tail.
func chunkedI8(kernel func(a, b []int8) int32, tail func(a, b []int8) int64, a, b []int8) int64 {
	var s int64
	for len(a) >= 32 {
		n := min(len(a), int8Chunk) &^ 31
		s += int64(kernel(a[:n], b[:n]))
		a, b = a[n:], b[n:]
	}
	return s + tail(a, b)
}

// DotI8Rows sets out[j] to the exact dot product of q with row ids[j] of
// codes, a matrix of rows of len(q) bytes (row r is codes[r·len(q):
// (r+1)·len(q)]): one query against many code rows, as a graph search
// scores a neighbour list. The rows' first cache lines are prefetched
// together so that their misses overlap, and each row goes to the kernel
// directly. It panics when out is shorter than ids or a row lies outside
// codes.
func DotI8Rows(q, codes []int8, ids []uint32, out []int64) {
	if len(out) < len(ids) {
		panic(errLength)
	}
	d := len(q)
	prefetchRows(codes, ids, d)
	for j, id := range ids {
		o := int(id) * d
		out[j] = dotI8Row(q, codes[o:o+d:o+d])
	}
}

// L2I8Rows is DotI8Rows for the squared Euclidean distance.
func L2I8Rows(q, codes []int8, ids []uint32, out []int64) {
	if len(out) < len(ids) {
		panic(errLength)
	}
	d := len(q)
	prefetchRows(codes, ids, d)
	for j, id := range ids {
		o := int(id) * d
		out[j] = l2I8Row(q, codes[o:o+d:o+d])
	}
}

// prefetchRows prefetches the first cache line of each row. A row outside
// codes is skipped (the kernels' slicing panics on it): a pointer past the
// allocation is invalid Go even if a prefetch would not fault, and
// -race's checkptr refuses it.
func prefetchRows(codes []int8, ids []uint32, d int) {
	n := uintptr(len(codes))
	if n == 0 {
		return
	}
	base := unsafe.Pointer(unsafe.SliceData(codes))
	for _, id := range ids {
		if o := uintptr(id) * uintptr(d); o < n {
			Prefetch(unsafe.Add(base, o))
		}
	}
}
