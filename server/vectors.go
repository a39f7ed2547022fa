package server

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// parseFloats parses a JSON array of numbers into float32s in one pass
// without an intermediate representation. Values outside float32's range,
// null and non-numbers are errors that name the position; JSON cannot carry
// NaN.
func parseFloats(b []byte, field string) ([]float32, error) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, &fieldError{Field: field, Msg: "expected an array of numbers"}
	}
	body := b[1 : len(b)-1]
	out := make([]float32, 0, len(body)/8+1)
	i := skipSpace(body, 0)
	if i == len(body) {
		return out, nil
	}
	for k := 0; ; k++ {
		f, n, ok := fastFloat32(body[i:])
		if !ok || n == 0 {
			end := i
			for end < len(body) && body[end] != ',' && !isSpace(body[end]) {
				end++
			}
			n = end - i
			var err error
			if f, err = parseFloat32(body[i:end]); err != nil || !isJSONNumber(body[i:end]) || math.IsInf(float64(f), 0) {
				return nil, badFloat(field, k, body[i:end])
			}
		}
		out = append(out, f)
		i = skipSpace(body, i+n)
		if i == len(body) {
			return out, nil
		}
		if body[i] != ',' {
			return nil, badFloat(field, k, body[i:min(len(body), i+8)])
		}
		i = skipSpace(body, i+1)
		if i == len(body) {
			return nil, badFloat(field, k+1, nil)
		}
	}
}

func badFloat(field string, k int, tok []byte) error {
	return &fieldError{Field: fmt.Sprintf("%s[%d]", field, k), Msg: fmt.Sprintf("%q is not a finite float32 number", tok)}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// vectorIn is a point's vector in a request: Qdrant's VectorStruct, a bare
// array (the unnamed vector) or an object of named dense arrays and sparse
// vectors ({"indices", "values"}).
type vectorIn struct {
	dense  engine.Vectors
	sparse engine.SparseVectors
	set    bool // the field was given
}

// UnmarshalJSON reads either form with the fast float parser.
func (v *vectorIn) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*v = vectorIn{set: true}
	if len(b) > 0 && b[0] == '[' {
		f, err := parseFloats(b, "vector")
		if err != nil {
			return err
		}
		v.dense = engine.Vectors{"": f}
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return &fieldError{Field: "vector", Msg: "expected an array of numbers or an object of named vectors"}
	}
	var raw map[string]rawJSON
	if err := (codec{}).unmarshal(b, &raw); err != nil {
		return &fieldError{Field: "vector", Msg: jsonErrorText(err)}
	}
	v.dense = make(engine.Vectors, len(raw))
	for name, r := range raw {
		if len(r) > 0 && r[0] == '{' {
			sv, err := parseSparse(r, "vector."+name)
			if err != nil {
				return err
			}
			if v.sparse == nil {
				v.sparse = engine.SparseVectors{}
			}
			v.sparse[name] = sv
			continue
		}
		f, err := parseFloats(r, "vector."+name)
		if err != nil {
			return err
		}
		v.dense[name] = f
	}
	return nil
}

// parseSparse reads Qdrant's SparseVector, {"indices": [u32...], "values":
// [float...]}: both fields required, each index an integer from 0 to
// 2^32-1 (serde's words otherwise), each value a finite float32. Lengths
// and duplicates are the engine's to check (with Qdrant's texts).
func parseSparse(b []byte, field string) (point.SparseVector, error) {
	var obj struct {
		Indices rawJSON `json:"indices"`
		Values  rawJSON `json:"values"`
	}
	if err := (codec{}).unmarshal(b, &obj); err != nil {
		return point.SparseVector{}, &fieldError{Field: field, Msg: jsonErrorText(err)}
	}
	if obj.Indices.isNull() {
		return point.SparseVector{}, &fieldError{Field: field, Msg: "missing field `indices`"}
	}
	if obj.Values.isNull() {
		return point.SparseVector{}, &fieldError{Field: field, Msg: "missing field `values`"}
	}
	idx, err := parseIndices(obj.Indices, field+".indices")
	if err != nil {
		return point.SparseVector{}, err
	}
	vals, err := parseFloats(obj.Values, field+".values")
	if err != nil {
		return point.SparseVector{}, err
	}
	return point.SparseVector{Indices: idx, Values: vals}, nil
}

// parseIndices reads a JSON array of u32 indices.
func parseIndices(b []byte, field string) ([]uint32, error) {
	var toks []rawJSON
	if err := (codec{}).unmarshal(b, &toks); err != nil {
		return nil, &fieldError{Field: field, Msg: jsonErrorText(err)}
	}
	out := make([]uint32, len(toks))
	for i, t := range toks {
		at := fmt.Sprintf("%s[%d]", field, i)
		if !isJSONNumber(t) {
			return nil, &fieldError{Field: at, Msg: fmt.Sprintf("invalid type: %s, expected u32", t)}
		}
		if bytes.ContainsAny(t, ".eE") {
			return nil, &fieldError{Field: at, Msg: fmt.Sprintf("invalid type: floating point `%s`, expected u32", t)}
		}
		u, err := strconv.ParseUint(string(t), 10, 32)
		if err != nil {
			return nil, &fieldError{Field: at, Msg: fmt.Sprintf("invalid value: integer `%s`, expected u32", t)}
		}
		out[i] = uint32(u)
	}
	return out, nil
}

// rawJSON is a JSON value kept as bytes (encoding/json.RawMessage's job,
// without depending on the codec's own type).
type rawJSON []byte

// UnmarshalJSON keeps a copy of the value.
func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], bytes.TrimSpace(b)...)
	return nil
}

// MarshalJSON writes the value as is ("null" when empty).
func (r rawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// isNull reports whether the value is absent or JSON null.
func (r rawJSON) isNull() bool { return len(r) == 0 || string(r) == "null" }

// isJSONNumber reports whether tok is a number in JSON's grammar,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? (strconv also accepts
// "inf", "0x1p3", "1_000", ".5", "1." and "+1").
func isJSONNumber(tok []byte) bool {
	i := 0
	if i < len(tok) && tok[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
			i++
			n++
		}
		return n
	}
	start := i
	if n := digits(); n == 0 || (n > 1 && tok[start] == '0') {
		return false
	}
	if i < len(tok) && tok[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		i++
		if i < len(tok) && (tok[i] == '+' || tok[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(tok)
}
