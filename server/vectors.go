package server

import (
	"bytes"
	"fmt"
	"math"

	"github.com/cairn-db/cairn/engine"
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
// array (the unnamed vector) or an object of named arrays.
type vectorIn engine.Vectors

// UnmarshalJSON reads either form with the fast float parser.
func (v *vectorIn) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		f, err := parseFloats(b, "vector")
		if err != nil {
			return err
		}
		*v = vectorIn{"": f}
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return &fieldError{Field: "vector", Msg: "expected an array of numbers or an object of named vectors"}
	}
	var raw map[string]rawJSON
	if err := (codec{}).unmarshal(b, &raw); err != nil {
		return &fieldError{Field: "vector", Msg: jsonErrorText(err)}
	}
	out := make(vectorIn, len(raw))
	for name, r := range raw {
		if len(r) > 0 && r[0] == '{' {
			return &fieldError{Field: "vector." + name, Msg: "sparse vectors are not supported"}
		}
		f, err := parseFloats(r, "vector."+name)
		if err != nil {
			return err
		}
		out[name] = f
	}
	*v = out
	return nil
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
