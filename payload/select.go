package payload

// Include copies into dst the part of src at the key path key ("a.b",
// "a[].b", "a[0]"), keeping its place in the document: "a[].b" of
// {"a":[{"b":1,"c":2}]} is {"a":[{"b":1}]}. Parts already in dst from
// other keys are merged with it (objects key by key, arrays of the same
// length element by element). A key that is not a valid path, or finds
// nothing, adds nothing.
func Include(dst, src Payload, key string) {
	items, err := parsePath(key)
	if err != nil {
		return
	}
	v, ok := project(items, map[string]any(src))
	if !ok {
		return
	}
	for k, e := range v.(map[string]any) {
		if cur, ok := dst[k]; ok {
			dst[k] = mergeSelected(cur, e)
		} else {
			dst[k] = e
		}
	}
}

// project returns the part of v at items, shaped as in v.
func project(items []pathItem, v any) (any, bool) {
	if len(items) == 0 {
		return v, true
	}
	it := items[0]
	switch {
	case it.wildcard:
		arr, ok := v.([]any)
		if !ok {
			return nil, false
		}
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			if pv, ok := project(items[1:], e); ok {
				out = append(out, pv)
			}
		}
		return out, true
	case it.isIndex:
		arr, ok := v.([]any)
		if !ok || it.index >= len(arr) {
			return nil, false
		}
		pv, ok := project(items[1:], arr[it.index])
		if !ok {
			return nil, false
		}
		return []any{pv}, true
	default:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		e, ok := obj[it.key]
		if !ok {
			return nil, false
		}
		pv, ok := project(items[1:], e)
		if !ok {
			return nil, false
		}
		return map[string]any{it.key: pv}, true
	}
}

// mergeSelected merges two selections of the same document.
func mergeSelected(a, b any) any {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return b
		}
		out := make(map[string]any, len(av)+len(bv))
		for k, v := range av {
			out[k] = v
		}
		for k, v := range bv {
			if cur, ok := out[k]; ok {
				out[k] = mergeSelected(cur, v)
			} else {
				out[k] = v
			}
		}
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok || len(bv) != len(av) {
			return b
		}
		out := make([]any, len(av))
		for i := range av {
			out[i] = mergeSelected(av[i], bv[i])
		}
		return out
	}
	return b
}
