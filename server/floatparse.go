package server

import (
	"math"
	"strconv"
	"unsafe"
)

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [23]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat32 parses a JSON number into the float32 nearest to it, as
// strconv.ParseFloat(s, 32) does, but faster for the usual spellings.
//
// The fast path reads up to 19 significant digits into an integer m and a
// decimal exponent e (|e| ≤ 22), and computes f = m·10^e in float64: f is
// within 2 float64 ulps of the exact value. Rounding f to float32 gives the
// correctly rounded result unless a float32 rounding midpoint lies within
// those ulps, which the low 29 bits of f's mantissa reveal; then, and for
// every other spelling, strconv decides.
func parseFloat32(b []byte) (float32, error) {
	if f, n, ok := fastFloat32(b); ok && n == len(b) {
		return f, nil
	}
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 32)
	return float32(f), err
}

// fastFloat32 parses the number at the start of b, returning its value and
// length; ok is false when the fast path cannot decide (see parseFloat32).
func fastFloat32(b []byte) (f32 float32, n int, ok bool) {
	i, neg := 0, false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	if i+1 < len(b) && b[i] == '0' && b[i+1] >= '0' && b[i+1] <= '9' {
		return 0, 0, false // JSON forbids leading zeros; let strconv and the caller refuse it
	}
	var m uint64
	digits, exp, sawDigit := 0, 0, false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		sawDigit = true
		if m == 0 && b[i] == '0' {
			continue // leading zeros are not significant
		}
		if digits == 19 {
			return 0, 0, false
		}
		m = m*10 + uint64(b[i]-'0')
		digits++
	}
	if !sawDigit {
		return 0, 0, false // JSON needs a digit before the point
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i == len(b) || b[i] < '0' || b[i] > '9' {
			return 0, 0, false // and one after it
		}
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			sawDigit = true
			if m == 0 && b[i] == '0' {
				exp--
				continue
			}
			if digits == 19 {
				return 0, 0, false
			}
			m = m*10 + uint64(b[i]-'0')
			digits++
			exp--
		}
	}
	if !sawDigit {
		return 0, 0, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		esign := 1
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			if b[i] == '-' {
				esign = -1
			}
			i++
		}
		e, n := 0, 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9' && n < 4; i++ {
			e = e*10 + int(b[i]-'0')
			n++
		}
		if n == 0 || n == 4 {
			return 0, 0, false
		}
		exp += esign * e
	}
	if m == 0 {
		if neg {
			return float32(math.Copysign(0, -1)), i, true
		}
		return 0, i, true
	}
	if exp < -22 || exp > 22 {
		return 0, 0, false
	}
	f := float64(m)
	if exp < 0 {
		f /= pow10[-exp]
	} else {
		f *= pow10[exp]
	}
	// Leave to strconv anything near a float32 rounding midpoint, float32
	// subnormals and values that may overflow float32.
	const half, margin = 1 << 28, 8
	low := math.Float64bits(f) & (1<<29 - 1)
	if low > half-margin && low < half+margin || f < 0x1p-126 || f > math.MaxFloat32/2 {
		return 0, 0, false
	}
	if neg {
		f = -f
	}
	return float32(f), i, true
}

// appendFloats parses the JSON array of numbers at the start of b (which
// must begin with '['), appending the values to dst as parseFloats would;
// it returns the extended slice and the length of the array in b. ok is
// false on anything parseFloats refuses (the caller's generic decoder
// then names the fault).
func appendFloats(dst []float32, b []byte) (out []float32, n int, ok bool) {
	if len(b) == 0 || b[0] != '[' {
		return dst, 0, false
	}
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == ']' {
		return dst, i + 1, true
	}
	for {
		f, n, ok := fastFloat32(b[i:])
		if !ok || n == 0 {
			if f, n, ok = slowFloat32(b[i:]); !ok {
				return dst, 0, false
			}
		}
		dst = append(dst, f)
		i += n
		if i < len(b) && b[i] == ',' { // the usual case: no whitespace
			i = skipSpace(b, i+1)
			continue
		}
		i = skipSpace(b, i)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == ']':
			return dst, i + 1, true
		default:
			return dst, 0, false
		}
	}
}

// slowFloat32 parses the number token at the start of b with strconv,
// refusing what JSON or float32 cannot hold, as parseFloats does.
func slowFloat32(b []byte) (float32, int, bool) {
	end := 0
	for end < len(b) && b[end] != ',' && b[end] != ']' && !isSpace(b[end]) {
		end++
	}
	tok := b[:end]
	f, err := parseFloat32(tok)
	if err != nil || end == 0 || !isJSONNumber(tok) || math.IsInf(float64(f), 0) {
		return 0, 0, false
	}
	return f, end, true
}
