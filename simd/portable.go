package simd

import "math"

// dotGo is the portable dot product.
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// l2Go is the portable squared Euclidean distance.
func l2Go(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		d0 := a[i] - b[i]
		d1 := a[i+1] - b[i+1]
		d2 := a[i+2] - b[i+2]
		d3 := a[i+3] - b[i+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// l1Go is the portable Manhattan distance.
func l1Go(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(a); i += 2 {
		s0 += float32(math.Abs(float64(a[i] - b[i])))
		s1 += float32(math.Abs(float64(a[i+1] - b[i+1])))
	}
	for ; i < len(a); i++ {
		s0 += float32(math.Abs(float64(a[i] - b[i])))
	}
	return s0 + s1
}

// batchGo scores q against every len(q)-long vector in vecs with one pair kernel.
func batchGo(pair func(a, b []float32) float32, q, vecs, out []float32) {
	d := len(q)
	if d == 0 {
		clear(out[:0])
		return
	}
	n := len(vecs) / d
	out = out[:n]
	for i := range n {
		out[i] = pair(q, vecs[i*d:(i+1)*d])
	}
}
