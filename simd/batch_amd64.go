//go:build !purego

package simd

import "unsafe"

// A batch of 100,000 vectors of 128 floats is 51 MB: it streams from
// memory, and how fast one core reads it depends less on the arithmetic
// (the kernels score 90–210 M vectors per second from L2) than on how many
// cache misses are in flight. Reading four far-apart parts of the block at
// once keeps four hardware-prefetch streams busy instead of one; together
// with scoring two vectors per query load, it made the 51 MB scan 1.3–1.6×
// as fast as the one-vector kernel on the EPYC and 1.3–1.4× on the Xeon
// (docs/BENCHMARKS.md).
const (
	// batchStreams is how many equal parts of a batch are read at once.
	batchStreams = 4
	// batchRun is how many pairs are scored from one pair of parts before
	// moving to the next pair: 4 vectors = 2 KiB of each part at dim 128.
	batchRun = 4
	// minStreamLen is the fewest vectors per part worth splitting for; a
	// smaller batch is scored front to back.
	minStreamLen = 16
)

// batch2Kernel is the signature of the two-vector kernels of avx2_amd64.s.
type batch2Kernel func(q []float32, a, b, oa, ob unsafe.Pointer, vskip, oskip uintptr, n int)

// streamBatch scores min(len(vecs)/len(q), len(out)) vectors with the
// two-vector kernel k2: the first batchStreams*per vectors as batchStreams
// parts of per vectors read side by side, the rest as adjacent pairs, and
// an odd last vector with the one-vector kernel k1. Every score equals the
// pair kernel's bit for bit, whichever path computed it.
func streamBatch(k2 batch2Kernel, k1 func(q, vecs, out []float32), q, vecs, out []float32) {
	d := len(q)
	if d == 0 {
		return
	}
	n := min(len(vecs)/d, len(out))
	done := 0
	if per := n / batchStreams; per >= minStreamLen {
		for i := 0; i < per; i += batchRun {
			c := min(batchRun, per-i)
			for s := 0; s < batchStreams; s += 2 {
				a, b := s*per+i, (s+1)*per+i
				k2(q, unsafe.Pointer(&vecs[a*d]), unsafe.Pointer(&vecs[b*d]),
					unsafe.Pointer(&out[a]), unsafe.Pointer(&out[b]), 0, 4, c)
			}
		}
		done = batchStreams * per
	}
	if h := (n - done) / 2; h > 0 {
		k2(q, unsafe.Pointer(&vecs[done*d]), unsafe.Pointer(&vecs[(done+1)*d]),
			unsafe.Pointer(&out[done]), unsafe.Pointer(&out[done+1]), uintptr(4*d), 8, h)
		done += 2 * h
	}
	if done < n {
		k1(q, vecs[done*d:(done+1)*d], out[done:done+1])
	}
}

func dotBatchStreamAVX2(q, vecs, out []float32) {
	streamBatch(dotBatch2AVX2, dotBatchAVX2, q, vecs, out)
}

func l2BatchStreamAVX2(q, vecs, out []float32) {
	streamBatch(l2Batch2AVX2, l2BatchAVX2, q, vecs, out)
}

func l1BatchStreamAVX2(q, vecs, out []float32) {
	streamBatch(l1Batch2AVX2, l1BatchAVX2, q, vecs, out)
}
