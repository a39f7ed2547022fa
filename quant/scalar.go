package quant

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
)

// ErrCorrupt reports a quantized file that fails validation.
var ErrCorrupt = errors.New("corrupt quantized vectors")

// maxSample bounds how many components the quantile bounds are computed
// from; larger segments are sampled at a fixed stride (deterministic).
const maxSample = 1 << 20

// Bounds returns the range [lo, hi] holding the central quantile q (0.5..1;
// 1 is the whole range) of the components of the n vectors of dim floats in
// block whose has(i) is true (has nil: all). The quantile is symmetric: a
// fraction (1-q)/2 of the components lies below lo and as many above hi.
func Bounds(block []float32, dim, n int, has func(i int) bool, q float64) (lo, hi float32) {
	total := 0
	for i := range n {
		if has == nil || has(i) {
			total += dim
		}
	}
	stride := max(1, total/maxSample)
	vals := make([]float32, 0, min(total, maxSample+dim))
	k := 0
	for i := range n {
		if has != nil && !has(i) {
			continue
		}
		for _, v := range block[i*dim : (i+1)*dim] {
			if k%stride == 0 {
				vals = append(vals, v)
			}
			k++
		}
	}
	if len(vals) == 0 {
		return 0, 0
	}
	slices.Sort(vals)
	cut := int(float64(len(vals)-1) * (1 - q) / 2)
	return vals[cut], vals[len(vals)-1-cut]
}

// Params are the scalar int8 parameters of one segment's vector.
type Params struct {
	Distance point.Distance
	Dim      int
	Quantile float32 // the quantile the bounds were taken at
	Lo, Hi   float32 // the bounds: components are clamped into them
}

// alphaMid returns the code step and the centre of the bounds.
func (p Params) alphaMid() (alpha, mid float32) {
	mid = p.Lo/2 + p.Hi/2
	alpha = (p.Hi - p.Lo) / 254
	if !(alpha > 0) || math.IsInf(float64(alpha), 0) {
		alpha = 1 // every component is the same value (or no data): codes are 0
	}
	return alpha, mid
}

func (p Params) check() error {
	switch {
	case p.Dim < 1:
		return fmt.Errorf("%w: dimension %d", ErrCorrupt, p.Dim)
	case p.Distance < point.Cosine || p.Distance > point.Manhattan:
		return fmt.Errorf("%w: distance %d", ErrCorrupt, p.Distance)
	case !(p.Lo <= p.Hi) || math.IsInf(float64(p.Lo), 0) || math.IsInf(float64(p.Hi), 0):
		return fmt.Errorf("%w: bounds [%g, %g]", ErrCorrupt, p.Lo, p.Hi)
	case !(p.Quantile >= 0.5 && p.Quantile <= 1):
		return fmt.Errorf("%w: quantile %g", ErrCorrupt, p.Quantile)
	}
	return nil
}

// Encode appends the codes of v (len Dim) to dst and returns them with v's
// correction term (see the package comment).
func (p Params) Encode(dst []int8, v []float32) ([]int8, float32) {
	alpha, mid := p.alphaMid()
	var sum int64
	for _, x := range v {
		c := math.Round(float64((x - mid) / alpha))
		c = max(-127, min(127, c))
		if c != c { // NaN cannot be stored; guard anyway
			c = 0
		}
		dst = append(dst, int8(c))
		sum += int64(c)
	}
	return dst, correction(alpha, mid, sum, len(v))
}

func correction(alpha, mid float32, sum int64, dim int) float32 {
	return float32(float64(alpha)*float64(mid)*float64(sum) + float64(dim)*float64(mid)*float64(mid)/2)
}

// Query is a query vector encoded for one Scalar, reusable across calls.
type Query struct {
	codes []int8
	corr  float32
	raw   []int64 // Dists' scratch: the integer kernel results
}

// EncodeQuery encodes q (len Dim, normalised for Cosine like stored vectors)
// into qq, reusing its storage.
func (s *Scalar) EncodeQuery(qq *Query, q []float32) {
	qq.codes, qq.corr = s.p.Encode(qq.codes[:0], q)
}

// Key returns the estimated ranking key (higher is better: the similarity
// for Cosine and Dot, the negated squared distance for Euclid, the negated
// distance for Manhattan) of the stored vector at off for query qq.
func (s *Scalar) Key(qq *Query, off uint32) float32 {
	codes := s.codes(off)
	switch s.p.Distance {
	case point.Euclid:
		return -s.alpha2 * float32(simd.L2I8(qq.codes, codes))
	case point.Manhattan:
		return -s.alpha * float32(l1I8(qq.codes, codes))
	default:
		return s.alpha2*float32(simd.DotI8(qq.codes, codes)) + qq.corr + s.corr(off)
	}
}

// Dists sets out[j] to the search distance (lower is closer: exactly
// -Key(qq, ids[j])) of the stored vector at ids[j], for a graph walk that
// scores a whole neighbour list at once: the code rows are addressed
// directly and scored by one query-against-many-rows kernel. It panics when
// out is shorter than ids or an offset is out of range.
func (s *Scalar) Dists(qq *Query, ids []uint32, out []float32) {
	out = out[:len(ids)]
	if cap(qq.raw) < len(ids) {
		qq.raw = make([]int64, len(ids), max(len(ids), 64))
	}
	raw := qq.raw[:len(ids)]
	switch s.p.Distance {
	case point.Euclid:
		simd.L2I8Rows(qq.codes, s.all, ids, raw)
		for j, r := range raw {
			out[j] = -(-s.alpha2 * float32(r))
		}
	case point.Manhattan:
		for j, id := range ids {
			out[j] = -(-s.alpha * float32(l1I8(qq.codes, s.codes(id))))
		}
	default:
		simd.DotI8Rows(qq.codes, s.all, ids, raw)
		for j, r := range raw {
			out[j] = -(s.alpha2*float32(r) + qq.corr + s.corr(ids[j]))
		}
	}
}

func l1I8(a, b []int8) int64 {
	b = b[:len(a)]
	var s int64
	for i, x := range a {
		d := int64(x) - int64(b[i])
		s += max(d, -d)
	}
	return s
}
