package payload

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// pathItem is one step of a key path: an object key, an array index, or
// the wildcard "[]" that visits every element of an array.
type pathItem struct {
	key      string
	index    int // >= 0 for "[n]"
	wildcard bool
	isIndex  bool
}

// parsePath reads a Qdrant key path: keys separated by dots, each key bare
// (no '.', '[', ']' or '"') or double-quoted (anything but '"'), each key
// optionally followed by "[]" or "[n]".
func parsePath(s string) ([]pathItem, error) {
	var items []pathItem
	i := 0
	for {
		key, n, err := parsePathKey(s, i)
		if err != nil {
			return nil, err
		}
		items = append(items, pathItem{key: key})
		i = n
		for i < len(s) && s[i] == '[' {
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("%w %q: unclosed '['", ErrBadKey, s)
			}
			inner := s[i+1 : i+j]
			if inner == "" {
				items = append(items, pathItem{wildcard: true})
			} else {
				v, err := strconv.ParseUint(inner, 10, 31)
				if err != nil {
					return nil, fmt.Errorf("%w %q: bad array index %q", ErrBadKey, s, inner)
				}
				items = append(items, pathItem{index: int(v), isIndex: true})
			}
			i += j + 1
		}
		if i == len(s) {
			return items, nil
		}
		if s[i] != '.' {
			return nil, fmt.Errorf("%w %q: unexpected %q at %d", ErrBadKey, s, s[i], i)
		}
		i++
	}
}

func parsePathKey(s string, i int) (string, int, error) {
	if i < len(s) && s[i] == '"' {
		j := strings.IndexByte(s[i+1:], '"')
		if j < 0 {
			return "", 0, fmt.Errorf("%w %q: unclosed quote", ErrBadKey, s)
		}
		return s[i+1 : i+1+j], i + j + 2, nil
	}
	j := i
	for j < len(s) && s[j] != '.' && s[j] != '[' && s[j] != ']' && s[j] != '"' {
		j++
	}
	if j == i {
		return "", 0, fmt.Errorf("%w %q: empty key at %d", ErrBadKey, s, i)
	}
	return s[i:j], j, nil
}

// ValidateKey reports whether key is a key path Qdrant accepts (valid
// UTF-8: a key from a URL path has not been through the JSON text checks).
func ValidateKey(key string) error {
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w %q: not valid UTF-8", ErrBadKey, key)
	}
	_, err := parsePath(key)
	return err
}

// rawValues appends the values found at path in v, as Qdrant's get_value
// does: "[]" visits every element, a final array is returned as one value.
func rawValues(items []pathItem, v any, out []any) []any {
	if len(items) == 0 {
		return append(out, v)
	}
	it := items[0]
	switch {
	case it.wildcard:
		arr, ok := v.([]any)
		if !ok {
			return out
		}
		for _, e := range arr {
			out = rawValues(items[1:], e, out)
		}
	case it.isIndex:
		arr, ok := v.([]any)
		if !ok || it.index >= len(arr) {
			return out
		}
		out = rawValues(items[1:], arr[it.index], out)
	default:
		obj, ok := v.(map[string]any)
		if !ok {
			return out
		}
		e, ok := obj[it.key]
		if !ok {
			return out
		}
		out = rawValues(items[1:], e, out)
	}
	return out
}

// flatten appends the values of raw with each array replaced by its
// elements (one level), the values that conditions test one by one.
func flatten(raw []any, out []any) []any {
	for _, v := range raw {
		if arr, ok := v.([]any); ok {
			out = append(out, arr...)
		} else {
			out = append(out, v)
		}
	}
	return out
}

// Values returns the values at a Qdrant key path in p ("a.b", "a[].b",
// "a[]", "a[0]", quoted keys "\"a.b\""), with a final array flattened into
// its elements. An invalid path or a missing key gives nil.
func Values(p Payload, key string) []any {
	items, err := parsePath(key)
	if err != nil {
		return nil
	}
	return flatten(rawValues(items, map[string]any(p), nil), nil)
}
