package payload

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// numKind classifies a JSON number.
type numKind uint8

const (
	numBad   numKind = iota // not a number
	numInt                  // an integer in int64
	numUint                 // an integer in (MaxInt64, MaxUint64]
	numFloat                // anything else: fractions, exponents, huge integers
)

// num is a JSON number held exactly when it is an integer that fits in 64
// bits; other numbers are float64, as Qdrant reads them.
type num struct {
	kind numKind
	i    int64
	u    uint64
	f    float64
}

// parseNum classifies a number's text; integers are recognised only when
// written without fraction or exponent, as serde_json does.
func parseNum(n json.Number) num {
	s := string(n)
	if s == "" {
		return num{}
	}
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return num{kind: numInt, i: i, f: float64(i)}
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return num{kind: numUint, u: u, f: float64(u)}
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return num{}
	}
	return num{kind: numFloat, f: f}
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// isInt reports whether n is an exact 64-bit integer.
func (n num) isInt() bool { return n.kind == numInt || n.kind == numUint }

// uint returns n as a non-negative integer.
func (n num) uint() (uint64, bool) {
	switch n.kind {
	case numInt:
		return uint64(n.i), n.i >= 0
	case numUint:
		return n.u, true
	}
	return 0, false
}

func (n num) float() float64 { return n.f }

// cmpNum compares two numbers exactly (floats by value, NaN never occurs in
// JSON); integers beyond 2^53 against floats are compared through big.Float.
func cmpNum(a, b num) int {
	if a.isInt() && b.isInt() {
		return cmpInt(a, b)
	}
	if a.kind == numFloat && b.kind == numFloat {
		return cmpFloat(a.f, b.f)
	}
	if small(a) && small(b) {
		return cmpFloat(a.f, b.f)
	}
	return a.big().Cmp(b.big())
}

func small(n num) bool {
	switch n.kind {
	case numInt:
		return n.i >= -(1<<53) && n.i <= 1<<53
	case numUint:
		return false
	}
	return true
}

func (n num) big() *big.Float {
	switch n.kind {
	case numInt:
		return new(big.Float).SetInt64(n.i)
	case numUint:
		return new(big.Float).SetUint64(n.u)
	}
	if math.IsInf(n.f, 0) {
		return new(big.Float).SetInf(n.f < 0)
	}
	return new(big.Float).SetFloat64(n.f)
}

func cmpInt(a, b num) int {
	if a.kind == numInt && b.kind == numInt {
		return cmpOrdered(a.i, b.i)
	}
	if a.kind == numUint && b.kind == numUint {
		return cmpOrdered(a.u, b.u)
	}
	if a.kind == numInt {
		return -1 // b is above MaxInt64
	}
	return 1
}

func cmpFloat(a, b float64) int { return cmpOrdered(a, b) }

func cmpOrdered[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// intEqual reports whether a stored number equals the integer operand of a
// match, as Qdrant's as_i64 equality does (extended to the uint64 range).
func intEqual(stored, want num) bool {
	return stored.isInt() && want.isInt() && cmpInt(stored, want) == 0
}
