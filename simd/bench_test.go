package simd

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/viterin/vek/vek32"
)

// sink keeps benchmark results alive.
var sink float32

// benchDims are the single-pair dimensions the speed targets name.
var benchDims = []int{128, 768, 1536}

// benchImpl is one contender of a pair benchmark.
type benchImpl struct {
	name string
	fn   func(a, b []float32) float32
}

// pairContenders lists every implementation of kernel k plus the baselines:
// the exported, dispatched entry point, vek32 (for L2, vek32.Distance, which
// also takes the square root) and a plain Go loop.
func pairContenders(k kernel) []benchImpl {
	var cs []benchImpl
	for _, im := range Implementations() {
		cs = append(cs, benchImpl{im.Name, k.pair(im)})
	}
	switch k.name {
	case "Dot":
		cs = append(cs, benchImpl{"dispatch", Dot}, benchImpl{"vek", vek32.Dot}, benchImpl{"loop", loopDot})
	case "L2Squared":
		cs = append(cs, benchImpl{"dispatch", L2Squared}, benchImpl{"vek", vek32.Distance}, benchImpl{"loop", loopL2})
	case "L1":
		cs = append(cs, benchImpl{"dispatch", L1}, benchImpl{"vek", vek32.ManhattanDistance}, benchImpl{"loop", loopL1})
	}
	return cs
}

func loopDot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func loopL2(a, b []float32) float32 {
	var s float32
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

func loopL1(a, b []float32) float32 {
	var s float32
	for i := range a {
		d := a[i] - b[i]
		if d < 0 {
			d = -d
		}
		s += d
	}
	return s
}

func benchPair(b *testing.B, k kernel) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, dim := range benchDims {
		x, y := randVec(rng, dim, 0, 1), randVec(rng, dim, 0, 1)
		for _, c := range pairContenders(k) {
			b.Run(fmt.Sprintf("dim=%d/impl=%s", dim, c.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(8 * dim))
				cpu := startCPU()
				var s float32
				for b.Loop() {
					s += c.fn(x, y)
				}
				sink = s
				b.ReportMetric(float64(2*dim)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				cpu.report(b, 1, "cpu-ns/op")
			})
		}
	}
}

func BenchmarkDot(b *testing.B)       { benchPair(b, kernels[0]) }
func BenchmarkL2Squared(b *testing.B) { benchPair(b, kernels[1]) }
func BenchmarkL1(b *testing.B)        { benchPair(b, kernels[2]) }

// The batch benchmark scans batchN vectors of batchDim floats: 51 MB, far
// larger than any cache, so the vectors stream from DRAM (the speed target).
// It also scans the first batchSmallN of them, 512 KB that stay in L2, which
// shows the kernel's own speed without the memory bottleneck.
const (
	batchN      = 100_000
	batchSmallN = 1_000
	batchDim    = 128
)

var batchData []float32

func batchVectors() []float32 {
	if batchData == nil {
		batchData = randVec(rand.New(rand.NewPCG(11, 12)), batchN*batchDim, 0, 1)
	}
	return batchData
}

func benchBatch(b *testing.B, k kernel) {
	q := randVec(rand.New(rand.NewPCG(13, 14)), batchDim, 0, 1)
	out := make([]float32, batchN)
	type contender struct {
		name string
		fn   func(q, vecs, out []float32)
	}
	var cs []contender
	for _, im := range Implementations() {
		cs = append(cs, contender{im.Name, k.batch(im)})
	}
	vek := vek32.Dot
	if k.name == "L2Squared" {
		vek = vek32.Distance
	}
	cs = append(cs, contender{"vek", func(q, vecs, out []float32) {
		d := len(q)
		for i := range len(vecs) / d {
			out[i] = vek(q, vecs[i*d:(i+1)*d])
		}
	}})
	for _, n := range []int{batchN, batchSmallN} {
		vecs := batchVectors()[:n*batchDim]
		for _, c := range cs {
			b.Run(fmt.Sprintf("n=%d/dim=%d/impl=%s", n, batchDim, c.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(4 * len(vecs)))
				cpu := startCPU()
				for b.Loop() {
					c.fn(q, vecs, out)
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "dist/s")
				cpu.report(b, n, "cpu-dist/s")
			})
		}
	}
}

func BenchmarkDotBatch(b *testing.B)       { benchBatch(b, kernels[0]) }
func BenchmarkL2SquaredBatch(b *testing.B) { benchBatch(b, kernels[1]) }

// cpuClock measures the benchmark goroutine's thread CPU time, pinned to
// one OS thread so that the measurement covers exactly the benchmark loop.
type cpuClock struct {
	start int64
	ok    bool
}

func startCPU() cpuClock {
	runtime.LockOSThread()
	t, ok := threadCPU()
	return cpuClock{t, ok}
}

// report adds the CPU-time metric (ns per op, or ops per CPU second when
// unit ends in "/s" with perOp operations per benchmark iteration).
func (c cpuClock) report(b *testing.B, perOp int, unit string) {
	t, ok := threadCPU()
	runtime.UnlockOSThread()
	if !c.ok || !ok || t <= c.start {
		return
	}
	ns := float64(t - c.start)
	if unit == "cpu-ns/op" {
		b.ReportMetric(ns/float64(b.N), unit)
		return
	}
	b.ReportMetric(float64(perOp)*float64(b.N)/(ns/1e9), unit)
}
