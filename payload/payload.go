package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Payload is a decoded payload document: a JSON object whose numbers are
// json.Number, so integers up to 2^64-1 (and beyond) stay exact. Nested
// values are map[string]any, []any, string, bool, json.Number or nil.
type Payload = map[string]any

// Decode reads a JSON object into a Payload with exact numbers. Empty
// input and JSON null decode to an empty payload.
func Decode(b []byte) (Payload, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return Payload{}, nil
	}
	if b[0] != '{' {
		return nil, fmt.Errorf("decode payload: %w: not a JSON object", ErrBadPayload)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var p Payload
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decode payload: %w: %v", ErrBadPayload, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode payload: %w: trailing data", ErrBadPayload)
	}
	if err := checkNumbers(p); err != nil {
		return nil, fmt.Errorf("decode payload: %w: %v", ErrBadPayload, err)
	}
	if p == nil {
		p = Payload{}
	}
	return p, nil
}

// checkNumbers rejects numbers no JSON client can read back: those whose
// magnitude is beyond float64's range, as Qdrant's JSON parser does.
func checkNumbers(v any) error {
	switch v := v.(type) {
	case json.Number:
		if _, err := strconv.ParseFloat(string(v), 64); err != nil {
			return fmt.Errorf("number %s is out of range", v)
		}
	case map[string]any:
		for _, e := range v {
			if err := checkNumbers(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range v {
			if err := checkNumbers(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// Encode writes p as compact JSON with sorted keys; numbers are written
// exactly as held. A nil payload encodes as {}.
func Encode(p Payload) ([]byte, error) {
	if p == nil {
		return []byte("{}"), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Set applies Qdrant's set_payload: the keys of patch overwrite those of p.
// With a non-empty key path, patch is merged into the object(s) at that
// path instead, creating missing objects along plain keys. It returns a new
// document and never modifies p or patch.
func Set(p Payload, patch Payload, key string) Payload {
	out := shallowCopy(p)
	if key == "" {
		for k, v := range patch {
			out[k] = cloneValue(v)
		}
		return out
	}
	items, err := parsePath(key)
	if err != nil {
		return out
	}
	res, _ := setAt(out, items, patch).(map[string]any)
	return res
}

// setAt returns a copy of v with patch merged at the path items.
func setAt(v any, items []pathItem, patch Payload) any {
	if len(items) == 0 {
		obj, ok := v.(map[string]any)
		if !ok {
			obj = map[string]any{}
		} else {
			obj = shallowCopy(obj)
		}
		for k, pv := range patch {
			obj[k] = cloneValue(pv)
		}
		return obj
	}
	it := items[0]
	switch {
	case it.wildcard || it.isIndex:
		arr, ok := v.([]any)
		if !ok {
			return v
		}
		arr = append([]any(nil), arr...)
		for i := range arr {
			if it.wildcard || i == it.index {
				arr[i] = setAt(arr[i], items[1:], patch)
			}
		}
		return arr
	default:
		obj, ok := v.(map[string]any)
		if !ok {
			obj = map[string]any{}
		} else {
			obj = shallowCopy(obj)
		}
		obj[it.key] = setAt(obj[it.key], items[1:], patch)
		return obj
	}
}

// DeleteKeys applies Qdrant's delete_payload: every value at each key path
// is removed ("a.b" removes b from object a, "a[].b" from every element of
// a, "a[1]" removes one element, "a[]" empties the array). It returns a new
// document and never modifies p.
func DeleteKeys(p Payload, keys []string) Payload {
	var out any = shallowCopy(p)
	for _, k := range keys {
		items, err := parsePath(k)
		if err != nil {
			continue
		}
		out = deleteAt(out, items)
	}
	res, _ := out.(map[string]any)
	return res
}

func deleteAt(v any, items []pathItem) any {
	it := items[0]
	last := len(items) == 1
	switch {
	case it.wildcard || it.isIndex:
		arr, ok := v.([]any)
		if !ok {
			return v
		}
		if last {
			if it.wildcard {
				return []any{}
			}
			if it.index >= len(arr) {
				return v
			}
			out := append([]any(nil), arr[:it.index]...)
			return append(out, arr[it.index+1:]...)
		}
		arr = append([]any(nil), arr...)
		for i := range arr {
			if it.wildcard || i == it.index {
				arr[i] = deleteAt(arr[i], items[1:])
			}
		}
		return arr
	default:
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		e, ok := obj[it.key]
		if !ok {
			return v
		}
		obj = shallowCopy(obj)
		if last {
			delete(obj, it.key)
		} else {
			obj[it.key] = deleteAt(e, items[1:])
		}
		return obj
	}
}

func shallowCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// cloneValue deep-copies maps and slices so documents never share them.
func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}
