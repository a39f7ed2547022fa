package simd

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// i8Lengths are awkward lengths around the 32-byte block and the int32
// chunk boundary.
var i8Lengths = []int{0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 768, 1535, 1536,
	int8Chunk - 1, int8Chunk, int8Chunk + 1, int8Chunk + 33, 2*int8Chunk + 7}

// TestI8Kernels checks every int8 implementation against the portable one
// over awkward lengths and offsets, on random codes and on the extremes
// (-128/127), where an int32 or int16 overflow would show.
func TestI8Kernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 15))
	for _, im := range I8Implementations() {
		for _, n := range i8Lengths {
			for off := range 3 {
				a := make([]int8, n+off)[off:]
				b := make([]int8, n+3)[3-off:][:n]
				for i := range a {
					a[i], b[i] = int8(rng.IntN(256)-128), int8(rng.IntN(256)-128)
				}
				checkI8(t, im, a, b)
				for i := range a {
					a[i], b[i] = -128, 127
				}
				checkI8(t, im, a, b)
				for i := range a {
					a[i], b[i] = -128, -128
				}
				checkI8(t, im, a, b)
			}
		}
	}
}

func checkI8(t *testing.T, im I8Impl, a, b []int8) {
	t.Helper()
	if g, w := im.Dot(a, b), dotI8Go(a, b); g != w {
		t.Fatalf("%s DotI8 len %d: got %d, portable %d", im.Name, len(a), g, w)
	}
	if g, w := im.L2(a, b), l2I8Go(a, b); g != w {
		t.Fatalf("%s L2I8 len %d: got %d, portable %d", im.Name, len(a), g, w)
	}
	// A longer b is read only up to len(a).
	if g, w := im.Dot(a, append(b[:len(b):len(b)], 100)), dotI8Go(a, b); g != w {
		t.Fatalf("%s DotI8 len %d: longer b changed the result", im.Name, len(a))
	}
}

// TestI8Exported checks the exported wrappers: exact values and the length
// panic.
func TestI8Exported(t *testing.T) {
	a := []int8{1, -2, 3}
	b := []int8{4, 5, -6, 9}
	if got := DotI8(a, b); got != 4-10-18 {
		t.Fatalf("DotI8 = %d", got)
	}
	if got := L2I8(a, b); got != 9+49+81 {
		t.Fatalf("L2I8 = %d", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("DotI8 with a short b did not panic")
		}
	}()
	DotI8(b, a)
}

// TestI8Chosen checks that the best int8 implementation is in use.
func TestI8Chosen(t *testing.T) {
	if got, want := I8Chosen(), I8Implementations()[0].Name; got != want {
		t.Fatalf("I8Chosen() = %q, want %q", got, want)
	}
	t.Logf("int8 implementations %d, chosen %s", len(I8Implementations()), I8Chosen())
}

func BenchmarkDotI8(b *testing.B) {
	for _, im := range I8Implementations() {
		for _, n := range []int{768, 1536} {
			x, y := make([]int8, n), make([]int8, n)
			for i := range x {
				x[i], y[i] = int8(i), int8(3*i)
			}
			b.Run(im.Name+"/"+strconv.Itoa(n), func(b *testing.B) {
				b.SetBytes(int64(n))
				for b.Loop() {
					im.Dot(x, y)
				}
			})
		}
	}
}

// TestI8Rows checks the one-query-many-rows kernels against the portable
// kernel row by row, over awkward row lengths and row orders (repeats,
// first and last rows), and the length panic.
func TestI8Rows(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 15))
	for _, d := range []int{0, 1, 17, 31, 32, 33, 100, 768, 1535, int8Chunk + 33} {
		const rows = 9
		codes := make([]int8, rows*d)
		for i := range codes {
			codes[i] = int8(rng.IntN(256) - 128)
		}
		for i := range d {
			codes[4*d+i] = -128 // a row of extremes
		}
		q := make([]int8, d)
		for i := range q {
			q[i] = int8(rng.IntN(256) - 128)
		}
		ids := []uint32{0, 8, 4, 4, 3, 7, 1}
		dots, l2s := make([]int64, len(ids)), make([]int64, len(ids))
		DotI8Rows(q, codes, ids, dots)
		L2I8Rows(q, codes, ids, l2s)
		for j, id := range ids {
			row := codes[int(id)*d : int(id+1)*d]
			if w := dotI8Go(q, row); dots[j] != w {
				t.Fatalf("DotI8Rows dim %d row %d: got %d, portable %d", d, id, dots[j], w)
			}
			if w := l2I8Go(q, row); l2s[j] != w {
				t.Fatalf("L2I8Rows dim %d row %d: got %d, portable %d", d, id, l2s[j], w)
			}
		}
	}
	mustPanic(t, "short out", func() { DotI8Rows([]int8{1}, []int8{1, 2}, []uint32{0, 1}, make([]int64, 1)) })
	mustPanic(t, "row outside", func() { L2I8Rows([]int8{1}, []int8{1, 2}, []uint32{2}, make([]int64, 1)) })
}

// BenchmarkDotI8Rows scores one query against 32 rows of a 4,096-row code
// matrix (cache resident at 768-d), as a graph walk scores a neighbour
// list; the reported time is per row.
func BenchmarkDotI8Rows(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 15))
	for _, n := range []int{768, 1536} {
		const rows = 4096
		codes, q := make([]int8, rows*n), make([]int8, n)
		for i := range codes {
			codes[i] = int8(rng.IntN(256) - 128)
		}
		ids := make([]uint32, 32)
		for i := range ids {
			ids[i] = uint32(rng.IntN(rows))
		}
		out := make([]int64, len(ids))
		b.Run(I8Chosen()+"/"+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n * len(ids)))
			for b.Loop() {
				DotI8Rows(q, codes, ids, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/row")
		})
	}
}
