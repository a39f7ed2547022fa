package point

import (
	"math"
	"strconv"
)

// AppendJSONFloat appends f, a float32 (bits 32) or float64 (bits 64), as
// Qdrant's JSON writer (serde_json) writes a float: always in a float's
// spelling, so that a whole number reads back as a float in typed clients
// (1.0, never 1; the Python client's StrictFloat refuses 1), and null
// for NaN and ±Inf, which JSON cannot carry. The digits are the shortest
// that read back as f at that precision; magnitudes below 1e-6 or from
// 1e21 use an exponent, as encoding/json does.
func AppendJSONFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 32 {
			abs = float64(float32(abs))
		}
		if abs < 1e-6 || abs >= 1e21 {
			format = 'e'
		}
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 → 1e-7, as encoding/json and serde_json write it.
		if n := len(b); n-start >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return b
	}
	for _, c := range b[start:] {
		if c == '.' {
			return b
		}
	}
	return append(b, ".0"...)
}

// AppendJSONFloats appends v as a JSON array of floats (AppendJSONFloat).
func AppendJSONFloats(b []byte, v []float32) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, f := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONFloat(b, float64(f), 32)
	}
	return append(b, ']')
}
