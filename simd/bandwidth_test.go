package simd

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/cairn-db/cairn/simd/internal/membw"
)

// bandwidthLoops are the read loops of BenchmarkMemRead: plain 32-byte
// loads, non-temporal loads, four interleaved streams, and software
// prefetch at several distances with both hints.
var bandwidthLoops = []struct {
	name string
	fn   func(p []byte) uint64
}{
	{"read", membw.Read},
	{"read-nt", membw.ReadNT},
	{"read4", membw.Read4},
	{"pf-t0-512", func(p []byte) uint64 { return membw.ReadPrefetchT0(p, 512) }},
	{"pf-t0-2k", func(p []byte) uint64 { return membw.ReadPrefetchT0(p, 2048) }},
	{"pf-t0-8k", func(p []byte) uint64 { return membw.ReadPrefetchT0(p, 8192) }},
	{"pf-nta-512", func(p []byte) uint64 { return membw.ReadPrefetchNTA(p, 512) }},
	{"pf-nta-2k", func(p []byte) uint64 { return membw.ReadPrefetchNTA(p, 2048) }},
	{"pf-nta-8k", func(p []byte) uint64 { return membw.ReadPrefetchNTA(p, 8192) }},
}

// floatBytes views a float32 slice as its bytes.
func floatBytes(v []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
}

// BenchmarkMemRead measures one core's read bandwidth from memory: over the
// 51 MB block of the batch benchmarks and over a 512 MB buffer. It reports
// GB/s and the 128-float vectors per second that bandwidth would deliver,
// the ceiling of an exact scan.
func BenchmarkMemRead(b *testing.B) {
	big := floatBytes(batchVectors(batchBigN))
	for _, buf := range []struct {
		name string
		p    []byte
	}{{"51MB", big[:4*batchN*batchDim]}, {"512MB", big}} {
		for _, l := range bandwidthLoops {
			b.Run(fmt.Sprintf("size=%s/loop=%s", buf.name, l.name), func(b *testing.B) {
				benchRead(b, l.fn, buf.p)
			})
		}
	}
}

// benchRead runs one read loop over p and reports its bandwidth.
func benchRead(b *testing.B, fn func([]byte) uint64, p []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	cpu := startCPU()
	var s uint64
	for b.Loop() {
		s ^= fn(p)
	}
	sink += float32(s & 1)
	bps := float64(len(p)) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(bps/1e9, "GB/s")
	b.ReportMetric(bps/(4*batchDim), "vec128/s")
	cpu.report(b, len(p)/(4*batchDim), "cpu-vec128/s")
}
