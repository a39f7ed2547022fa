package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting a payload may have: the payload object
// itself is level 1, {"a":{"b":[1]}} is 3 deep. Qdrant's JSON parser
// refuses request bodies nested deeper than 128 levels; a payload that
// deep could be stored but not answered (docs/limits.md, "Payloads").
const MaxDepth = 128

// ErrTooDeep reports a payload nested deeper than MaxDepth.
var ErrTooDeep = errors.New("payload nested too deep")

// ErrBadText reports JSON text that is not valid UTF-8, or a string
// escape naming a lone UTF-16 surrogate (Qdrant refuses both; Go's decoders
// would store U+FFFD instead).
var ErrBadText = errors.New("invalid JSON text")

// Validate checks a decoded payload before it is stored: at most MaxDepth
// levels deep, every key and string valid UTF-8, every number readable
// as a float64. It is what every transport's payload passes through.
func Validate(p Payload) error {
	if p == nil {
		return nil
	}
	if err := validateValue(p, 1); err != nil {
		return err.wrap()
	}
	return nil
}

// invalidAt is a fault found by validateValue; the path is built on the
// way back up, so that a valid document costs no allocation.
type invalidAt struct {
	kind error
	what string
	path []string // innermost first
}

func (e *invalidAt) wrap() error {
	where := "the top level"
	if len(e.path) > 0 {
		var b strings.Builder
		for i := len(e.path) - 1; i >= 0; i-- {
			b.WriteString(e.path[i])
		}
		where = strings.TrimPrefix(b.String(), ".")
	}
	return fmt.Errorf("%w: %s at %s", e.kind, e.what, where)
}

func (e *invalidAt) under(step string) *invalidAt {
	e.path = append(e.path, step)
	return e
}

func validateValue(v any, depth int) *invalidAt {
	switch v := v.(type) {
	case map[string]any:
		if depth > MaxDepth {
			return &invalidAt{kind: ErrTooDeep, what: fmt.Sprintf("nested deeper than %d levels", MaxDepth)}
		}
		for k, e := range v {
			if !utf8.ValidString(k) {
				return &invalidAt{kind: ErrBadText, what: fmt.Sprintf("key %q is not valid UTF-8", k)}
			}
			if err := validateValue(e, depth+1); err != nil {
				return err.under("." + k)
			}
		}
	case []any:
		if depth > MaxDepth {
			return &invalidAt{kind: ErrTooDeep, what: fmt.Sprintf("nested deeper than %d levels", MaxDepth)}
		}
		for i, e := range v {
			if err := validateValue(e, depth+1); err != nil {
				return err.under(fmt.Sprintf("[%d]", i))
			}
		}
	case string:
		if !utf8.ValidString(v) {
			return &invalidAt{kind: ErrBadText, what: "a string that is not valid UTF-8"}
		}
	case json.Number:
		if err := checkNumbers(v); err != nil {
			return &invalidAt{kind: ErrBadPayload, what: err.Error()}
		}
	}
	return nil
}

// Parse reads a payload from a request: CheckText, then Decode, then
// Validate. Duplicate keys keep the last value, as Qdrant's parser
// (serde_json's map) does.
func Parse(b []byte) (Payload, error) {
	if err := CheckText(b, MaxDepth); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	p, err := Decode(b)
	if err != nil {
		return nil, err
	}
	if err := Validate(p); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	return p, nil
}

// CheckText checks JSON text as Qdrant's parser (serde_json) does before
// Go's decoders see it, which would replace what is invalid by U+FFFD:
// the bytes are valid UTF-8 and no \u escape leaves a UTF-16 surrogate
// unpaired. With maxDepth > 0, objects and arrays nested deeper than
// maxDepth are refused too (ErrTooDeep). Messages name the line and column
// as serde_json's do.
func CheckText(b []byte, maxDepth int) error {
	if maxDepth <= 0 && utf8.Valid(b) && bytes.Index(b, []byte(`\u`)) < 0 {
		return nil // the usual case, at memory speed
	}
	depth := 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			end, err := checkString(b, i+1)
			if err != nil {
				return err
			}
			i = end
		case c == '{' || c == '[':
			depth++
			if maxDepth > 0 && depth > maxDepth {
				return fmt.Errorf("%w: nested deeper than %d levels at %s", ErrTooDeep, maxDepth, lineColumn(b, i))
			}
		case c == '}' || c == ']':
			depth--
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return textError("invalid unicode code point", b, i)
			}
			i += size - 1
		}
	}
	return nil
}

// checkString checks the string whose contents start at b[i] and returns
// the offset of its closing quote (or len(b) when it has none: the
// decoder reports that).
func checkString(b []byte, i int) (int, error) {
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			return i, nil
		case c == '\\':
			if i+1 < len(b) && b[i+1] == 'u' {
				n, err := checkEscape(b, i)
				if err != nil {
					return 0, err
				}
				i += n
				continue
			}
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return 0, textError("invalid unicode code point", b, i)
			}
			i += size
		}
	}
	return i, nil
}

// checkEscape checks the \u escape at b[i] (and the one pairing it with a
// leading surrogate) and returns its length.
func checkEscape(b []byte, i int) (int, error) {
	u, ok := hex4(b, i+2)
	if !ok {
		return 2, nil // not four hex digits: the decoder refuses it
	}
	switch {
	case u >= 0xDC00 && u <= 0xDFFF:
		return 0, textError("lone leading surrogate in hex escape", b, i+5)
	case u >= 0xD800 && u <= 0xDBFF:
		if i+7 >= len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
			return 0, textError("unexpected end of hex escape", b, i+6)
		}
		if v, ok := hex4(b, i+8); !ok || v < 0xDC00 || v > 0xDFFF {
			return 0, textError("lone leading surrogate in hex escape", b, i+11)
		}
		return 12, nil
	}
	return 6, nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var u rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			u = u<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			u = u<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			u = u<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return u, true
}

func textError(what string, b []byte, i int) error {
	return fmt.Errorf("%w: %s at %s", ErrBadText, what, lineColumn(b, i))
}

// lineColumn names offset i of b as serde_json does: 1-based line and
// column.
func lineColumn(b []byte, i int) string {
	i = min(i, len(b))
	line := 1 + bytes.Count(b[:i], []byte{'\n'})
	col := i - bytes.LastIndexByte(b[:i], '\n')
	return fmt.Sprintf("line %d column %d", line, col)
}
