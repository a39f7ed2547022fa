package simd

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/cairn-db/cairn/simd/internal/membw"
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

// The batch benchmark scans batchN vectors of batchDim floats: 51 MB, the
// size the speed target names, larger than the L2 and, on most machines, the
// L3 cache, so the vectors stream from DRAM. A CPU whose last-level cache
// holds 51 MB (a 260 MiB L3 was seen on one cloud host) serves that scan
// partly from cache, so the benchmark also scans batchBigN vectors (512 MB,
// larger than any cache), which is DRAM-bound everywhere; and the first
// batchSmallN vectors, 512 KB that stay in L2, which shows the kernel's own
// speed without the memory bottleneck.
const (
	batchN      = 100_000
	batchBigN   = 1_000_000
	batchSmallN = 1_000
	batchDim    = 128
)

var batchData []float32

// batchVectors returns n seeded random vectors of batchDim floats; the
// first batchN are the same whatever n is.
func batchVectors(n int) []float32 {
	if len(batchData) < n*batchDim {
		batchData = randVec(rand.New(rand.NewPCG(11, 12)), n*batchDim, 0, 1)
	}
	return batchData[:n*batchDim]
}

// batchContender is one contender of a batch benchmark.
type batchContender struct {
	name string
	fn   func(q, vecs, out []float32)
}

// batchContenders lists every implementation of batch kernel k, the
// test-only variants (avx2-1vec: the one-vector avx2 batch kernel), vek32
// called once per vector (for L2, vek32.Distance, which also takes the
// square root), and read: the membw read loop over the same block, which
// scores nothing and shows the memory-bandwidth ceiling in vectors/s.
func batchContenders(k kernel) []batchContender {
	var cs []batchContender
	for _, im := range append(Implementations(), extraImpls()...) {
		cs = append(cs, batchContender{im.Name, k.batch(im)})
	}
	vek := vek32.Dot
	if k.name == "L2Squared" {
		vek = vek32.Distance
	}
	return append(cs, batchContender{"vek", func(q, vecs, out []float32) {
		d := len(q)
		for i := range len(vecs) / d {
			out[i] = vek(q, vecs[i*d:(i+1)*d])
		}
	}}, batchContender{"read", readContender})
}

// readContender streams vecs with membw.Read: the bandwidth loop.
func readContender(_, vecs, _ []float32) { sink += float32(membw.Read(floatBytes(vecs)) & 1) }

func benchBatch(b *testing.B, k kernel) {
	q := randVec(rand.New(rand.NewPCG(13, 14)), batchDim, 0, 1)
	out := make([]float32, batchBigN)
	cs := batchContenders(k)
	for _, n := range []int{batchN, batchBigN, batchSmallN} {
		vecs := batchVectors(n)
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

// BenchmarkBatchInterleaved scans the 51 MB block once with every Dot and
// L2Squared batch contender and the read loops in each iteration, rotating
// their order, timing every call, and reports each contender's median
// millions of vectors per second, by wall time (-M/s) and by the thread's
// CPU time (-cpu-M/s, which leaves out time spent preempted). Load bursts
// on a shared machine then hit every contender alike, which back-to-back
// sub-benchmarks cannot ensure.
// The read4 loop reads four quarters of the block side by side;
// Dot-chosen-calls-of-1024 is simd.DotBatch called as the engine's exact
// scan calls it, on 1,024 vectors at a time.
func BenchmarkBatchInterleaved(b *testing.B) {
	const interleavedRounds = 10 // scans per contender in one iteration
	q := randVec(rand.New(rand.NewPCG(13, 14)), batchDim, 0, 1)
	out := make([]float32, batchN)
	vecs := batchVectors(batchN)
	var cs []batchContender
	for _, k := range kernels[:2] {
		for _, c := range batchContenders(k) {
			if c.name != "read" {
				cs = append(cs, batchContender{k.name + "-" + c.name, c.fn})
			}
		}
	}
	// The engine's exact scan calls the kernel on 1,024 vectors at a time.
	cs = append(cs, batchContender{"Dot-chosen-calls-of-1024", func(q, vecs, out []float32) {
		for i := 0; i < len(out); i += 1024 {
			j := min(i+1024, len(out))
			DotBatch(q, vecs[i*len(q):j*len(q)], out[i:j])
		}
	}})
	cs = append(cs, batchContender{"read", readContender}, batchContender{"read4",
		func(_, vecs, _ []float32) { sink += float32(membw.Read4(floatBytes(vecs)) & 1) }})
	wall := make([][]float64, len(cs))
	cpu := make([][]float64, len(cs))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	round := 0
	for b.Loop() {
		for range interleavedRounds {
			for i := range cs {
				j := (i + round) % len(cs)
				c0, ok0 := threadCPU()
				t0 := time.Now()
				cs[j].fn(q, vecs, out)
				wall[j] = append(wall[j], time.Since(t0).Seconds())
				if c1, ok1 := threadCPU(); ok0 && ok1 && c1 > c0 {
					cpu[j] = append(cpu[j], float64(c1-c0)/1e9)
				}
			}
			round++
		}
	}
	for i, c := range cs {
		b.ReportMetric(batchN/median(wall[i])/1e6, c.name+"-M/s")
		if len(cpu[i]) > 0 {
			b.ReportMetric(batchN/median(cpu[i])/1e6, c.name+"-cpu-M/s")
		}
	}
}

// median returns the median of v (sorting it).
func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

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
