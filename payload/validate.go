package payload

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting a payload may have: the payload object
// itself is level 1, {"a":{"b":[1]}} is 3 deep. Qdrant's JSON parser
// refuses request bodies nested deeper than 128 levels; before this bound
// a deeper payload was stored and then failed every answer carrying it
// (docs/limits.md, "Payloads").
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
		if len(where) > 200 {
			where = strings.ToValidUTF8(where[:200], "") + "…" // keys may be long; the message stays short
		}
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
