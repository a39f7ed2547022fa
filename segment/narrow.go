package segment

import (
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
)

// NarrowDistances returns, for the vector named name stored as Float16 or
// Uint8, the "lower is closer" distances the HNSW graph and exact scans of
// such a vector measure with the narrow kernels, in the convention of
// hnsw.BuildFunc and SearchFunc: the squared L2 distance for Euclid, the
// negated dot product for Dot and for a float16 Cosine vector (normalised
// before it was narrowed), the negated simd.CosineU8 for a uint8 Cosine
// vector (which Qdrant does not normalise), and L1 for Manhattan. pair
// measures two stored vectors by offset; query(q) converts q to the stored
// type as Qdrant does (simd.F16FromFloat32, simd.U8FromFloat32: normalise a
// float16 Cosine query first, never a uint8 one) and returns its distance
// from a stored vector. ok is false for a Float32 vector or an unknown
// name. Both are safe for concurrent use; query's result is not.
func (s *Segment) NarrowDistances(name string) (pair func(x, y uint32) float32, query func(q []float32) func(off uint32) float32, ok bool) {
	blk := s.vectors[name]
	if blk == nil {
		return nil, nil, false
	}
	dim, dist := blk.spec.Dim, blk.spec.Distance
	switch blk.spec.Datatype {
	case Float16:
		d := f16Distance(dist)
		row := func(i uint32) []uint16 { return blk.f16[int(i)*dim : (int(i)+1)*dim] }
		pair = func(x, y uint32) float32 { return d(row(x), row(y)) }
		query = func(q []float32) func(uint32) float32 {
			qh := make([]uint16, dim)
			simd.F16Encode(qh, q)
			return func(i uint32) float32 { return d(qh, row(i)) }
		}
	case Uint8:
		d := u8Distance(dist)
		row := func(i uint32) []uint8 { return blk.raw[int(i)*dim : (int(i)+1)*dim] }
		pair = func(x, y uint32) float32 { return d(row(x), row(y)) }
		query = func(q []float32) func(uint32) float32 {
			qb := make([]uint8, dim)
			simd.U8Encode(qb, q)
			return func(i uint32) float32 { return d(qb, row(i)) }
		}
	default:
		return nil, nil, false
	}
	return pair, query, true
}

func f16Distance(dist point.Distance) func(a, b []uint16) float32 {
	switch dist {
	case point.Euclid:
		return simd.L2SquaredF16
	case point.Manhattan:
		return func(a, b []uint16) float32 {
			var s float32
			for i, x := range a {
				d := simd.F16ToFloat32(x) - simd.F16ToFloat32(b[i])
				if d < 0 {
					d = -d
				}
				s += d
			}
			return s
		}
	}
	return func(a, b []uint16) float32 { return -simd.DotF16(a, b) }
}

func u8Distance(dist point.Distance) func(a, b []uint8) float32 {
	switch dist {
	case point.Euclid:
		return func(a, b []uint8) float32 { return float32(simd.L2SquaredU8(a, b)) }
	case point.Cosine:
		return func(a, b []uint8) float32 { return -simd.CosineU8(a, b) }
	case point.Manhattan:
		return func(a, b []uint8) float32 {
			var s uint32
			for i, x := range a {
				if x > b[i] {
					s += uint32(x - b[i])
				} else {
					s += uint32(b[i] - x)
				}
			}
			return float32(s)
		}
	}
	return func(a, b []uint8) float32 { return -float32(simd.DotU8(a, b)) }
}
