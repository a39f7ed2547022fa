package payload

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxRequestDepth is the deepest nesting CheckRequest walks, the limit of
// Go's JSON decoders (payloads are bounded far lower, by MaxDepth).
const MaxRequestDepth = 10000

// ErrDuplicateField reports a request object naming a field twice.
var ErrDuplicateField = errors.New("duplicate field")

// CheckText checks JSON text as Qdrant's parser (serde_json) does before
// Go's decoders see it, which would replace what is invalid by U+FFFD:
// the bytes are valid UTF-8 and no \u escape leaves a UTF-16 surrogate
// unpaired. With maxDepth > 0, objects and arrays nested deeper than
// maxDepth are refused too (ErrTooDeep). Messages name the line and column
// as serde_json's do. Malformed JSON is left to the decoder to report.
func CheckText(b []byte, maxDepth int) error {
	if maxDepth <= 0 && utf8.Valid(b) && bytes.Index(b, []byte(`\u`)) < 0 {
		return nil // the usual case, at memory speed
	}
	c := textChecker{b: b, maxDepth: maxDepth}
	_, err := c.value(0, 0, true)
	return err
}

// CheckRequest is CheckText for a whole request body, which also refuses
// an object naming a field twice (ErrDuplicateField), as Qdrant's parser
// does for every request struct. Objects that are maps in Qdrant's
// schemas, where a repeated key keeps its last value, are the values of
// the keys in maps (payload, metadata, named vectors...) and everything
// inside them. Bodies nested deeper than MaxRequestDepth are refused
// (ErrTooDeep), as Go's decoders refuse them: the walk is recursive.
func CheckRequest(b []byte, maps map[string]bool) error {
	c := textChecker{b: b, maps: maps, maxDepth: MaxRequestDepth, request: true}
	_, err := c.value(0, 0, false)
	return err
}

// textChecker walks JSON text; a malformed document ends the walk
// (offset len(b), no error) so that the decoder reports it.
type textChecker struct {
	b        []byte
	maxDepth int
	maps     map[string]bool
	request  bool // a whole body: too deep is serde_json's "recursion limit exceeded"
}

func (c *textChecker) skip(i int) int {
	for i < len(c.b) && (c.b[i] == ' ' || c.b[i] == '\t' || c.b[i] == '\n' || c.b[i] == '\r') {
		i++
	}
	return i
}

// value checks the value at b[i] (after whitespace) and returns the
// offset just past it. inMap: duplicate keys are allowed from here down.
func (c *textChecker) value(i, depth int, inMap bool) (int, error) {
	i = c.skip(i)
	if i >= len(c.b) {
		return len(c.b), nil
	}
	switch c.b[i] {
	case '{', '[':
		if c.maxDepth > 0 && depth+1 > c.maxDepth {
			if c.request {
				return 0, &kindError{kind: ErrTooDeep, msg: "recursion limit exceeded at " + lineColumn(c.b, i)}
			}
			return 0, fmt.Errorf("%w: nested deeper than %d levels at %s", ErrTooDeep, c.maxDepth, lineColumn(c.b, i))
		}
		if c.b[i] == '{' {
			return c.object(i+1, depth+1, inMap)
		}
		return c.array(i+1, depth+1, inMap)
	case '"':
		end, err := checkString(c.b, i+1)
		return end + 1, err
	}
	for ; i < len(c.b); i++ { // a number or a literal
		switch ch := c.b[i]; {
		case ch == ',' || ch == ']' || ch == '}' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			return i, nil
		case ch >= utf8.RuneSelf:
			if r, size := utf8.DecodeRune(c.b[i:]); r == utf8.RuneError && size <= 1 {
				return 0, textError("invalid unicode code point", c.b, i)
			}
			return len(c.b), nil // not JSON: the decoder says so
		}
	}
	return i, nil
}

func (c *textChecker) array(i, depth int, inMap bool) (int, error) {
	if i = c.skip(i); i < len(c.b) && c.b[i] == ']' {
		return i + 1, nil
	}
	if i < len(c.b) && (c.b[i] == '-' || c.b[i] >= '0' && c.b[i] <= '9') {
		// An array of numbers (a vector): nothing in it to check but its
		// bytes, which the decoder refuses unless they are ASCII.
		if j := bytes.IndexByte(c.b[i:], ']'); j >= 0 && !bytes.ContainsAny(c.b[i:i+j], "{[\"") {
			if utf8.Valid(c.b[i : i+j]) {
				return i + j + 1, nil
			}
		}
	}
	for {
		var err error
		if i, err = c.value(i, depth, inMap); err != nil || i >= len(c.b) {
			return len(c.b), err
		}
		switch i = c.skip(i); {
		case i < len(c.b) && c.b[i] == ',':
			i++
		case i < len(c.b) && c.b[i] == ']':
			return i + 1, nil
		default:
			return len(c.b), nil
		}
	}
}

func (c *textChecker) object(i, depth int, inMap bool) (int, error) {
	var small [8][]byte
	keys := small[:0]
	if i = c.skip(i); i < len(c.b) && c.b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(c.b) || c.b[i] != '"' {
			return len(c.b), nil
		}
		end, err := checkString(c.b, i+1)
		if err != nil || end >= len(c.b) {
			return len(c.b), err
		}
		key := c.b[i+1 : end]
		if !inMap {
			for _, k := range keys {
				if bytes.Equal(k, key) {
					return 0, fmt.Errorf("%w `%s` at %s", ErrDuplicateField, key, lineColumn(c.b, end))
				}
			}
			keys = append(keys, key)
		}
		if i = c.skip(end + 1); i >= len(c.b) || c.b[i] != ':' {
			return len(c.b), nil
		}
		if i, err = c.value(i+1, depth, inMap || c.maps[string(key)]); err != nil || i >= len(c.b) {
			return len(c.b), err
		}
		switch i = c.skip(i); {
		case i < len(c.b) && c.b[i] == ',':
			i = c.skip(i + 1)
		case i < len(c.b) && c.b[i] == '}':
			return i + 1, nil
		default:
			return len(c.b), nil
		}
	}
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

// textError is an ErrBadText whose message is serde_json's own ("invalid
// unicode code point at line 1 column 9"), as Qdrant's answers quote it.
func textError(what string, b []byte, i int) error {
	return &kindError{kind: ErrBadText, msg: what + " at " + lineColumn(b, i)}
}

// kindError is an error of a kind (errors.Is) with its own whole message.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// lineColumn names offset i of b as serde_json does: 1-based line and
// column.
func lineColumn(b []byte, i int) string {
	i = min(i, len(b))
	line := 1 + bytes.Count(b[:i], []byte{'\n'})
	col := i - bytes.LastIndexByte(b[:i], '\n')
	return fmt.Sprintf("line %d column %d", line, col)
}
